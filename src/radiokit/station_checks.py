"""What `radiokit verify` checks of the files station profiles delivered (docs/stations.md): each decodes in
the profile's format to its listed length and loudness, under the ceiling; a WAV's cart chunk names its cut
and its cue points inside the audio; an MP3's cue tags agree with the manifest."""

from __future__ import annotations

import math
from pathlib import Path

from radiokit.audio_io import probe
from radiokit.cart import read_cart
from radiokit.errors import AudioInputError, InputError
from radiokit.loudness import measure_file
from radiokit.manifest import Manifest, StationEntry, StationFile
from radiokit.tag import read_tags

DURATION_TOLERANCE_S = 0.05
FIGURE_TOLERANCE = 0.15
LOUDNESS_TOLERANCE_LU = 0.15
CUE_TOLERANCE_S = 0.002  # cue points are written to the millisecond, cart timers to the sample


def station_problems(folder: Path, manifest: Manifest, present: set[str]) -> list[str]:
    """Problems of every station file that is there to be read (`present`), each prefixed with its path."""
    problems = []
    for station in manifest.stations:
        for file in station.files:
            if file.file in present:
                problems += [f"{file.file}: {problem}"
                             for problem in _file_problems(folder / file.file, station, file, manifest)]
    return problems


def _file_problems(path: Path, station: StationEntry, file: StationFile, manifest: Manifest) -> list[str]:
    try:
        info = probe(path, file.file)
        measured = measure_file(path, station.sample_rate, station.channels)
    except AudioInputError as exc:
        return [f"does not decode ({exc})"]
    problems = []
    if (info.sample_rate, info.channels) != (station.sample_rate, station.channels):
        problems.append(f"{info.sample_rate} Hz, {info.channels} channels; station {station.name} takes "
                        f"{station.sample_rate} Hz, {station.channels} channels")
    if abs(measured.duration_s - file.duration_s) > DURATION_TOLERANCE_S:
        problems.append(f"decodes to {measured.duration_s:.2f} s, the manifest says {file.duration_s:.2f} s")
    target = manifest.delivery
    if file.number == 0 and abs(measured.integrated_lufs - target.integrated_lufs) > LOUDNESS_TOLERANCE_LU:
        problems.append(f"{measured.integrated_lufs:.1f} LUFS, the profile asks {target.integrated_lufs:.1f} LUFS")
    if measured.true_peak_dbtp > target.true_peak_dbtp:
        problems.append(f"true peak {measured.true_peak_dbtp:.1f} dBTP, over the {target.true_peak_dbtp:.1f} dBTP "
                        "ceiling")
    if math.isfinite(file.integrated_lufs) and abs(measured.integrated_lufs - file.integrated_lufs) > FIGURE_TOLERANCE:
        problems.append(f"measures {measured.integrated_lufs:.1f} LUFS, the manifest says {file.integrated_lufs:.1f}")
    cues = file.cues
    if not 0 <= cues.audio_start_s <= cues.segue_s <= cues.audio_end_s <= file.duration_s + CUE_TOLERANCE_S:
        problems.append(f"cue points {cues.audio_start_s:.3f}/{cues.segue_s:.3f}/{cues.audio_end_s:.3f} s are not "
                        f"in order inside its {file.duration_s:.3f} s")
    if path.suffix.lower() == ".wav":
        problems += _cart_problems(path, file, station.sample_rate)
    if path.suffix.lower() == ".mp3":
        problems += _tag_problems(path, file)
    return problems


def _cart_problems(path: Path, file: StationFile, sample_rate: int) -> list[str]:
    try:
        cart = read_cart(path)
    except InputError:
        return ["no readable cart chunk: the playout system cannot import it by itself"]
    problems = []
    if cart.cut_id.strip() != str(file.cut):
        problems.append(f"its cart chunk's cut is {cart.cut_id.strip()!r}, the manifest says {file.cut}")
    timers = {timer.usage: timer.value / sample_rate for timer in cart.timers}
    for usage, claimed in (("AUDs", file.cues.audio_start_s), ("AUDe", file.cues.audio_end_s),
                           ("SEGs", file.cues.segue_s)):
        if usage not in timers or abs(timers[usage] - claimed) > CUE_TOLERANCE_S:
            found = f"{timers[usage]:.3f} s" if usage in timers else "missing"
            problems.append(f"cart timer {usage} {found}, the manifest says {claimed:.3f} s")
    return problems


def _tag_problems(path: Path, file: StationFile) -> list[str]:
    tags = read_tags(path)
    frames = tags.frames if tags else {}
    problems = []
    for frame, claimed in (("liq_cue_in", file.cues.audio_start_s), ("liq_cue_out", file.cues.audio_end_s)):
        value = frames.get(f"TXXX:{frame}")
        try:
            agrees = value is not None and abs(float(value) - claimed) <= CUE_TOLERANCE_S
        except ValueError:
            agrees = False
        if not agrees:
            problems.append(f"TXXX:{frame} is {value!r}, the manifest says {claimed:.3f}")
    return problems
