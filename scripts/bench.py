#!/usr/bin/env python3
"""Benchmark radiokit against the usual ways of making a long programme, side by side in one run.

    python scripts/bench.py                      # everything (about half an hour on 2 cores)
    python scripts/bench.py --only radiokit-120 --only floor-120
    python scripts/bench.py --minutes 10         # a quicker, shorter run

Contenders, each run as a child process whose whole process tree is sampled for memory every 250 ms
(the sum of proportional set sizes, PSS: shared libraries counted once across processes):

    radiokit-120, radiokit-600   `radiokit build` of a one-language programme of N slices cut (trimmed) from
                                 12 long recordings, 0.4 s gaps: cleanup, segment files, loudness, limiter,
                                 tags, package
    radiokit-120-raw             the same with `cleanup: false`: what the cleanup chain costs
    radiokit-180min              the 120-slice programme three times over (memory must not grow)
    floor-120, floor-600         one ffmpeg run that decodes exactly the slices (input seeking, `-ss`/`-to`
                                 per input), concatenates them and encodes once: no loudness work
    floor-clips-120              the older floor: 120 separate clip files, each decoded whole (trimmed by
                                 0.25 s at both ends), concatenated and encoded once
    loudnorm-120                 floor-120 with ffmpeg's two-pass `loudnorm` (measure, then normalize)
    pydub-120, pydub-600         the usual pydub loop: `programme += clip + gap`, then export
    example-cold, example-rebuild, example-edit
                                 the bundled bilingual example: empty cache, nothing changed, one segment edited
    bed-120min                   one segment: a one-minute take over a two-hour MP3 bed (memory must follow the
                                 segment, not the source)

Source material, generated once into the work folder and reused: 48 kHz stereo MP3 (192 kbps),
speech-like (noise shaped into syllables over a voiced tone); 12 recordings, each longer than the
slices cut from it, and for floor-clips-120 120 separate clips. Output everywhere: 44.1 kHz stereo
MP3 at 128 kbps.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "iwpr-tajikistan-russia"
RATE = 48000
TRIM_S = 0.25
GAP_S = 0.4
RECORDINGS = 12
SLICE_APART_S = 0.5


def ffmpeg() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


# --- material -------------------------------------------------------------------------------------

def speech_like(seconds: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = round(seconds * RATE)
    t = np.arange(n) / RATE
    pitch = 110 + 30 * np.sin(2 * np.pi * 0.3 * t + seed)
    voiced = np.sin(2 * np.pi * np.cumsum(pitch) / RATE) * 0.3
    noise = np.convolve(rng.standard_normal(n), np.ones(8) / 8, mode="same") * 0.2
    syllables = np.clip(np.sin(2 * np.pi * 2.2 * t + rng.uniform(0, 6)), 0, None) ** 1.5
    mono = (voiced + noise) * syllables * rng.uniform(0.2, 0.6)
    return np.stack([mono, mono * 0.9], axis=1).astype(np.float32)


def encode_source(path: Path, audio: np.ndarray) -> None:
    subprocess.run([ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-f", "f32le", "-ar", str(RATE),
                    "-ac", "2", "-i", "pipe:0", "-c:a", "libmp3lame", "-b:a", "192k", str(path)],
                   input=audio.tobytes(), check=True)


def make_clips(folder: Path, count: int, minutes: float) -> list[Path]:
    """`count` MP3 clips whose trimmed lengths and gaps add up to `minutes`."""
    folder.mkdir(parents=True, exist_ok=True)
    clip_s = minutes * 60 / count - GAP_S + 2 * TRIM_S
    paths = []
    for number in range(count):
        path = folder / f"clip-{number:04d}.mp3"
        paths.append(path)
        if not path.exists():
            encode_source(path, speech_like(clip_s, seed=number))
    return paths


@dataclass(frozen=True)
class Slice:
    recording: Path
    start_s: float
    end_s: float


def make_slices(folder: Path, count: int, minutes: float) -> list[Slice]:
    """`count` slices, cut from RECORDINGS recordings in turn, whose lengths and gaps add up to `minutes`.
    Each recording holds its slices with SLICE_APART_S between them and one second of lead-in."""
    folder.mkdir(parents=True, exist_ok=True)
    slice_s = minutes * 60 / count - GAP_S
    per_recording = -(-count // RECORDINGS)
    recordings = []
    for number in range(RECORDINGS):
        path = folder / f"recording-{number:02d}-{per_recording}x{slice_s:.3f}.mp3"
        recordings.append(path)
        if not path.exists():
            encode_source(path, speech_like(1.0 + per_recording * (slice_s + SLICE_APART_S), seed=1000 + number))
    slices = []
    for number in range(count):
        start = 1.0 + (number // RECORDINGS) * (slice_s + SLICE_APART_S)
        slices.append(Slice(recordings[number % RECORDINGS], round(start, 3), round(start + slice_s, 3)))
    return slices


def clip_seconds(path: Path) -> float:
    probe = subprocess.run([ffmpeg(), "-hide_banner", "-i", str(path), "-f", "null", "-"], capture_output=True,
                           text=True).stderr
    stamp = probe.rsplit("time=", 1)[1].split()[0]
    hours, minutes, seconds = stamp.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def long_source(path: Path, minutes: float) -> Path:
    """A long 48 kHz stereo MP3 of pink noise (a bed's stand-in), made once: ffmpeg generates and encodes it, so
    it never sits whole in this process."""
    if not path.exists():
        partial = path.with_suffix(".partial.mp3")
        subprocess.run([ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                        f"anoisesrc=d={minutes * 60}:c=pink:r={RATE}:a=0.1", "-ac", "2", "-c:a", "libmp3lame",
                        "-b:a", "192k", str(partial)], check=True)
        partial.rename(path)
    return path


def write_bed_script(folder: Path) -> Path:
    """A one-minute take under a two-hour bed, in one segment."""
    folder.mkdir(parents=True, exist_ok=True)
    bed = long_source(folder / "bed-120min.mp3", 120)
    take = folder / "take-1min.wav"
    if not take.exists():
        import soundfile
        soundfile.write(take, speech_like(60.0, seed=7), RATE, subtype="PCM_16")
    script = folder / "bed-120min.yaml"
    script.write_text("\n".join(["format: radiokit/1", "programme: {series: Long, title: {ru: Long}}", "languages: [ru]",
                                 "segments:", "  - id: link", "    text: Проверка.", f"    take: {take.name}",
                                 f"    bed: {{music: {bed.name}, preroll: 2, postroll: 1}}"]) + "\n", encoding="utf-8")
    return script


def whole_clips(clips: list[Path]) -> list[Slice]:
    """Each clip as a slice of itself, trimmed by TRIM_S at both ends."""
    end = round(clip_seconds(clips[0]) - TRIM_S, 3)
    return [Slice(clip, TRIM_S, end) for clip in clips]


def write_script(folder: Path, slices: list[Slice], repeat: int = 1, cleanup: bool = True) -> Path:
    lines = ["format: radiokit/1", "programme:", f"  series: Bench {len(slices) * repeat}", "  title: {ru: Bench}",
             "languages: [ru]", "delivery:", f"  gap: {GAP_S}", *([] if cleanup else ["cleanup: false"]), "segments:"]
    for round_ in range(repeat):
        for number, cut in enumerate(slices):
            lines += [f"  - id: c{round_}-{number}", f"    clip: {cut.recording.relative_to(folder).as_posix()}",
                      "    clip_language: ru", f"    trim: {{start: {cut.start_s}, end: {cut.end_s}}}"]
    script = folder / f"bench-{len(slices)}x{repeat}{'' if cleanup else '-raw'}.yaml"
    script.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return script


# --- contenders -----------------------------------------------------------------------------------

def floor_command(slices: list[Slice], out: Path, filters: str = "", output: list[str] | None = None) -> list[str]:
    """One ffmpeg: exactly the slices decoded (input seeking), gaps between, concatenated, resampled, encoded once."""
    inputs: list[str] = []
    graph = []
    for number, cut in enumerate(slices):
        inputs += ["-ss", str(cut.start_s), "-to", str(cut.end_s), "-i", str(cut.recording)]
        pad = f",apad=pad_dur={GAP_S}" if number < len(slices) - 1 else ""
        graph.append(f"[{number}:a]aresample=44100{pad}[a{number}]")
    graph.append("".join(f"[a{n}]" for n in range(len(slices))) + f"concat=n={len(slices)}:v=0:a=1{filters}[out]")
    script = out.with_suffix(".filter")
    script.write_text(";\n".join(graph), encoding="utf-8")
    output = output or ["-c:a", "libmp3lame", "-b:a", "128k", str(out)]
    return [ffmpeg(), "-hide_banner", "-nostats", "-y", *inputs, "-/filter_complex", str(script),
            "-map", "[out]", *output]


def run_loudnorm(slices: list[Slice], out: Path) -> None:
    """ffmpeg's documented two-pass loudnorm: measure, then normalize linearly with the measured values."""
    measure = floor_command(slices, out, ",loudnorm=I=-23:TP=-1:LRA=20:print_format=json", ["-f", "null", "-"])
    log = subprocess.run(measure, capture_output=True, text=True, check=True).stderr
    stats = json.loads(log[log.rindex("{"):log.rindex("}") + 1])
    second = (f",loudnorm=I=-23:TP=-1:LRA=20:measured_I={stats['input_i']}:measured_TP={stats['input_tp']}"
              f":measured_LRA={stats['input_lra']}:measured_thresh={stats['input_thresh']}"
              f":offset={stats['target_offset']}:linear=true,aresample=44100")
    subprocess.run(floor_command(slices, out, second), check=True, capture_output=True)


def run_pydub(slices: list[Slice], out: Path) -> None:
    """What most scripts do: decode each slice's recording whole (as `AudioSegment.from_file` does), cut the
    slice, `+=` it onto the programme, export at the end."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pydub import AudioSegment
    AudioSegment.converter = ffmpeg()
    programme = AudioSegment.empty()
    gap = AudioSegment.silent(duration=GAP_S * 1000, frame_rate=44100).set_channels(2)
    for number, cut in enumerate(slices):
        raw = subprocess.run([ffmpeg(), "-hide_banner", "-loglevel", "error", "-i", str(cut.recording), "-f", "s16le",
                              "-ar", "44100", "-ac", "2", "pipe:1"], capture_output=True, check=True).stdout
        audio = AudioSegment(data=raw, sample_width=2, frame_rate=44100, channels=2)
        programme += audio[cut.start_s * 1000:cut.end_s * 1000]
        if number < len(slices) - 1:
            programme += gap
    programme.export(str(out), format="mp3", bitrate="128k")


def run_radiokit(script: Path, out: Path, *extra: str) -> None:
    subprocess.run([sys.executable, "-m", "radiokit", "build", str(script), "--out", str(out), "--quiet", *extra],
                   check=True)


# --- measuring ------------------------------------------------------------------------------------

# Reading smaps_rollup walks a process's page tables under its memory lock: sampled every 50 ms, a
# 60-minute radiokit build's tree cost the sampler 7 s of CPU and the build 6 s of wall time (79.5 s
# alone, 85.7 s sampled). Every 250 ms costs a fifth of that; the peaks it looks for last seconds.
SAMPLE_EVERY_S = 0.25


def tree_memory_bytes(pid: int) -> int:
    """Memory of a process and all its descendants, from /proc: the sum of their proportional set sizes
    (PSS), so that libraries shared by radiokit's worker processes are not counted once per process.

    A child that Python has vforked for ffmpeg but that has not yet run it shares its parent's memory,
    and /proc reports that memory for both: such a child (its parent's command line, and its parent's
    very figures) is left out rather than counting the parent twice. A forked worker has its own.
    """
    total, pending = 0, [(pid, b"", b"")]
    while pending:
        current, parent_command, parent_rollup = pending.pop()
        try:
            command = _read(f"/proc/{current}/cmdline")
            rollup = _read(f"/proc/{current}/smaps_rollup")
            pss = next(int(line.split()[1]) * 1024 for line in rollup.splitlines() if line.startswith(b"Pss:"))
            if (command, rollup) != (parent_command, parent_rollup):
                total += pss
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    pending += [(int(child), command, rollup) for child in children.read().split()]
        except (FileNotFoundError, ProcessLookupError, StopIteration):
            continue
    return total


def _read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def timed(name: str, args: list[str]) -> dict[str, float | str]:
    """Run this script with `--run NAME ...` in a child; wall time and peak memory (PSS) of its process tree."""
    return timed_command(name, [sys.executable, __file__, "--run", name, *args])


def timed_command(name: str, command: list[str], also: tuple[int, ...] = ()) -> dict[str, float | str]:
    """Run `command`; its wall time, and the peak memory (PSS) of its process tree and of the trees of the
    running processes `also` (a cluster's scheduler and workers) together."""
    started = time.monotonic()
    child = subprocess.Popen(command)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, sum(tree_memory_bytes(pid) for pid in (child.pid, *also)))
            time.sleep(SAMPLE_EVERY_S)
    sampler = threading.Thread(target=sample)
    sampler.start()
    status = child.wait()
    done.set()
    sampler.join()
    if status != 0:
        raise SystemExit(f"{name} failed with status {status}")
    return {"name": name, "wall_s": time.monotonic() - started, "peak_mb": peak / 1e6}


def run_one(name: str, work: Path, minutes: float) -> None:
    """The body of one contender, in its own process."""
    kind, _, size = name.partition("-")
    raw = size.endswith("-raw")
    size = size.removesuffix("-raw")
    out = work / "out" / name
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    if kind == "bed":
        run_radiokit(write_bed_script(work / "long"), out, "--cache", str(out / "cache"))
        return
    if size == "clips-120":
        slices = whole_clips(make_clips(work / "clips-120", 120, minutes))
    elif kind != "example":
        slices = make_slices(work / "recordings", 600 if size == "600" else 120, minutes)
    if kind == "radiokit":
        run_radiokit(write_script(work, slices, 3 if size == "180min" else 1, cleanup=not raw), out,
                     "--cache", str(out / "cache"))
    elif kind == "floor":
        subprocess.run(floor_command(slices, out / "floor.mp3"), check=True, capture_output=True)
    elif kind == "loudnorm":
        run_loudnorm(slices, out / "loudnorm.mp3")
    elif kind == "pydub":
        run_pydub(slices, out / "pydub.mp3")
    elif kind == "example":
        example = work / "example"
        if size == "cold":
            shutil.rmtree(example, ignore_errors=True)
            shutil.copytree(EXAMPLE, example)
            shutil.rmtree(work / "example-cache", ignore_errors=True)
        elif size == "edit":
            script = example / "episode.yaml"
            text = script.read_text(encoding="utf-8")
            script.write_text(text.replace("Добрый вечер", "Добрый день", 1) if "Добрый вечер" in text
                              else text.replace("Здравствуйте", "Добрый день", 1), encoding="utf-8")
        run_radiokit(example / "episode.yaml", work / "example-out", "--cache", str(work / "example-cache"))


CONTENDERS = ["floor-120", "floor-600", "floor-clips-120", "radiokit-120", "radiokit-120-raw", "radiokit-600", "radiokit-180min", "loudnorm-120", "pydub-120",
              "pydub-600", "example-cold", "example-rebuild", "example-edit", "bed-120min"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=Path("/tmp/radiokit-bench"), help="material and outputs")
    parser.add_argument("--minutes", type=float, default=60.0, help="programme length for the clip contenders")
    parser.add_argument("--only", action="append", choices=CONTENDERS, help="run only these (repeatable)")
    parser.add_argument("--run", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        run_one(args.run, args.work, args.minutes)
        return
    args.work.mkdir(parents=True, exist_ok=True)
    print(f"preparing material in {args.work} ...", flush=True)
    make_slices(args.work / "recordings", 120, args.minutes)
    make_slices(args.work / "recordings", 600, args.minutes)
    make_clips(args.work / "clips-120", 120, args.minutes)
    if "bed-120min" in (args.only or CONTENDERS):
        write_bed_script(args.work / "long")
    results = {}
    for name in args.only or CONTENDERS:
        results[name] = timed(name, ["--work", str(args.work), "--minutes", str(args.minutes)])
        print(f"{name:<18} {results[name]['wall_s']:8.1f} s  {results[name]['peak_mb']:8.0f} MB", flush=True)
    print()
    ratios = [("radiokit-120 / floor-120", "radiokit-120", "floor-120"),
              ("radiokit-120 / radiokit-120-raw", "radiokit-120", "radiokit-120-raw"),
              ("radiokit-120 / floor-clips-120", "radiokit-120", "floor-clips-120"),
              ("radiokit-600 / radiokit-120", "radiokit-600", "radiokit-120"),
              ("radiokit-600 / floor-600", "radiokit-600", "floor-600"),
              ("loudnorm-120 / floor-120", "loudnorm-120", "floor-120"),
              ("pydub-120 / radiokit-120", "pydub-120", "radiokit-120"),
              ("example-rebuild / example-cold", "example-rebuild", "example-cold"),
              ("example-edit / example-cold", "example-edit", "example-cold")]
    for label, top, bottom in ratios:
        if top in results and bottom in results:
            print(f"{label:<32} {float(results[top]['wall_s']) / float(results[bottom]['wall_s']):6.2f}x")
    print(json.dumps(list(results.values()), indent=2))


if __name__ == "__main__":
    main()
