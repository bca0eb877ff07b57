"""Station profiles (`--station NAME`): each profile's files mastered from the same timeline as the package's
MP3s, in its format, rate and names, with cut numbers, cart chunks, cue tags and sidecars, into
`stations/<name>/` of the package (docs/stations.md)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from concurrent.futures import Executor
from pathlib import Path

import numpy as np
import soxr

from radiokit import __version__, audio_io, bwf, encode, master, sidecars, timeline
from radiokit.cart import CartInfo, CartTimer, cart_chunk
from radiokit.errors import ArgumentError
from radiokit.manifest import LanguageEntry, StationEntry, StationFile
from radiokit.mpegwav import wrap_mpeg
from radiokit.playout import Cues, PlayoutItem
from radiokit.progress import Progress
from radiokit.script import Script, Station, name_fields
from radiokit.tag import Tags, playout_frames, write_tags
from radiokit.transcript import edge_words
from radiokit.versions import Version, bext_info, milliseconds

FOLDER = "stations"
ENCODED_AS = {"wav": "wav", "wav-mp2": "mp2", "mp2": "mp2", "mp3": "mp3"}  # what deliver() encodes each format to
NO_END = dt.datetime(9999, 12, 31, 23, 59, 59)
LEVEL_REFERENCE = 32768  # the cart's 0 dBFS sample value: 16-bit audio, as PCM and MPEG decoders give it


def chosen(script: Script, names: Sequence[str]) -> list[Station]:
    """The profiles `--station` names ("all": every one), in the script's order; ArgumentError for a name
    the script does not define."""
    if not names:
        return []
    if "all" in names:
        return list(script.stations.values())
    unknown = [name for name in names if name not in script.stations]
    if unknown:
        defined = ", ".join(script.stations) or "none"
        raise ArgumentError(f"--station {unknown[0]}: {script.path} defines no such station profile (it defines: "
                            f"{defined}): add it under stations:, or use one of those")
    return [script.stations[name] for name in dict.fromkeys(names)]


def deliver_stations(script: Script, stations: Sequence[Station], versions: Sequence[Version],
                     entries: Sequence[LanguageEntry], folder: Path, work: Path, measuring: Executor | None,
                     progress: Progress) -> list[StationEntry]:
    """Every chosen profile's files under `folder`/stations/<name>/, mastered and measured like the package's."""
    done = []
    for station in stations:
        (folder / FOLDER / station.name).mkdir(parents=True)
        files: list[StationFile] = []
        items: list[PlayoutItem] = []
        languages = station.languages or script.languages
        progress.start(f"station {station.name}", len(languages))
        for index, language in enumerate(languages):
            version = next(v for v in versions if v.language == language)
            entry = next(e for e in entries if e.language == language)
            delivered = _deliver_language(script, station, index, version, entry, folder, work, measuring)
            files += [file for file, _ in delivered]
            items += [item for _, item in delivered]
            progress.advance()
        if "rivendell" in station.sidecars:
            sidecars.write_rivendell(folder / FOLDER / station.name, items)
        if "mairlist" in station.sidecars:
            sidecars.write_mairlist(folder / FOLDER / station.name, items)
        rate, channels = _format(script, station)
        done.append(StationEntry(station.name, station.format, rate, channels, _bitrate(script, station),
                                 tuple(files)))
    return done


def _format(script: Script, station: Station) -> tuple[int, int]:
    return station.sample_rate or script.delivery.sample_rate, station.channels or script.delivery.channels


def _bitrate(script: Script, station: Station) -> int | None:
    fmt = ENCODED_AS[station.format]
    if fmt == "wav":
        return None
    if station.bitrate_kbps:
        return station.bitrate_kbps
    return script.delivery.bitrate_kbps if fmt == "mp3" else encode.mp2_bitrate_kbps(_format(script, station)[1])


def _deliver_language(script: Script, station: Station, index: int, version: Version, entry: LanguageEntry,
                      folder: Path, work: Path, measuring: Executor | None) -> list[tuple[StationFile, PlayoutItem]]:
    language = version.language
    rate, channels = _format(script, station)
    fmt, pad_s = ENCODED_AS[station.format], station.pad_s
    pad = round(pad_s * rate)
    placed = _at_rate(script, version, rate, channels, work / FOLDER / station.name / language)
    home = folder / FOLDER / station.name
    programme = script.programme
    created = dt.datetime.now()
    air_start = station.air_start or dt.datetime.combine(programme.date or created.date(), dt.time())
    air_end = station.air_end or NO_END
    titles = [programme.title.get(language, programme.series), *(s.title[language] for s in version.segments)]
    texts = [" ".join(s.text for s in entry.segments), *(s.text for s in entry.segments)]
    cues = [entry.cues, *(s.cues for s in entry.segments)]
    ids = ["programme", *(s.id for s in version.segments)]
    spans = [(0, None), *((item.start_frame, item.end_frame) for item in placed)]
    lengths = [timeline.duration_frames(placed), *(item.frames for item in placed)]
    outputs, plans = [], []
    for number, (title, text, cue, segment_id, (start, end), frames) in enumerate(
            zip(titles, texts, cues, ids, spans, lengths, strict=True)):
        assert cue is not None
        name = station.file_name(name_fields(programme, station, index, language, number, segment_id))
        shifted = milliseconds(Cues(cue.audio_start_s + pad_s, cue.audio_end_s + pad_s, cue.segue_s + pad_s,
                                    None if cue.intro_end_s is None else cue.intro_end_s + pad_s))
        item = PlayoutItem(
            file=name, language=language, number=number, segment_id=segment_id, cut=station.cut(index, number),
            title=title, artist=programme.presenter.get(language, ""),
            album=programme.series, client=programme.publisher or "", category=station.category,
            out_cue=edge_words(text)[1], air_start=air_start, air_end=air_end, sample_rate=rate,
            channels=channels, duration_s=(frames + 2 * pad) / rate, audio_start_s=shifted.audio_start_s,
            audio_end_s=shifted.audio_end_s, intro_end_s=shifted.intro_end_s, segue_s=shifted.segue_s,
            integrated_lufs=0.0, true_peak_dbtp=0.0)
        bext = bext_info(script, title, f"{programme.slug}-{language}-{number:02d}", created, rate, channels,
                         pcm=station.format == "wav")
        chunks = (cart_chunk(_cart(item, rate, created)),)
        path = home / name if station.format != "wav-mp2" else work / FOLDER / station.name / f"{name}.mp2"
        outputs.append(encode.Output(path, fmt, start, end, bext, pad_frames=pad,
                                     chunks=chunks if fmt == "wav" else ()))
        plans.append((item, bext, chunks))
    delivered = master.deliver(placed, master.measure_rendered(placed, rate), outputs[0], outputs[1:],
                               script.delivery.profile, rate, channels, _bitrate(script, station) or 0,
                               workers=measuring)
    result = []
    for output, (item, bext, chunks) in zip(outputs, plans, strict=True):
        measured = delivered.measured[output.path]
        final = home / item.file
        if station.format == "wav-mp2":
            wrap_mpeg(output.path, final, bext, chunks)
            output.path.unlink()
        if final.suffix == ".wav":
            bwf.write_loudness(final, measured)
        if station.format == "mp3":
            _tag(script, language, final, item, measured.integrated_lufs, measured.true_peak_dbtp)
        item = dataclasses.replace(item, integrated_lufs=measured.integrated_lufs,
                                   true_peak_dbtp=measured.true_peak_dbtp)
        file_cues = Cues(item.audio_start_s, item.audio_end_s, item.segue_s, item.intro_end_s)
        result.append((StationFile(f"{FOLDER}/{station.name}/{item.file}", language, item.number, item.segment_id,
                                   item.cut, measured.duration_s, measured.integrated_lufs, measured.true_peak_dbtp,
                                   file_cues), item))
    return result


def _cart(item: PlayoutItem, rate: int, created: dt.datetime) -> CartInfo:
    timers = [CartTimer("AUDs", round(item.audio_start_s * rate)), CartTimer("AUDe", round(item.audio_end_s * rate))]
    if item.intro_end_s is not None:
        timers.append(CartTimer("INTe", round(item.intro_end_s * rate)))
    timers.append(CartTimer("SEGs", round(item.segue_s * rate)))
    return CartInfo(
        title=item.title, artist=item.artist, cut_id=str(item.cut), client_id=item.client, category=item.category,
        classification="", out_cue=item.out_cue, start=item.air_start, end=item.air_end, producer_app_id="radiokit",
        producer_app_version=__version__, user_def=f"{item.language} {item.segment_id}",
        level_reference=LEVEL_REFERENCE, timers=tuple(timers), url="", tag_text="")


def _tag(script: Script, language: str, path: Path, item: PlayoutItem, lufs: float, peak: float) -> None:
    programme = script.programme
    cues = Cues(item.audio_start_s, item.audio_end_s, item.segue_s, item.intro_end_s)
    tags = Tags(title=item.title, album=programme.series, artist=programme.presenter.get(language, ""),
                language=language, track=str(item.cut), date=programme.date, publisher=programme.publisher,
                copyright=programme.copyright, extra=playout_frames(cues, lufs, peak))
    write_tags(path, tags, [], script.delivery.id3_version)


def _at_rate(script: Script, version: Version, rate: int, channels: int, work: Path) -> list[timeline.Placed]:
    """The version's timeline at the station's rate and channel count: as it is where they are the delivery's,
    else each segment converted (soxr, in pieces) and placed again with the same gaps and crossfades."""
    delivery = script.delivery
    if (rate, channels) == (delivery.sample_rate, delivery.channels):
        return version.placed
    work.mkdir(parents=True, exist_ok=True)
    wavs, counts = [], []
    for item in version.placed:
        converted = work / item.wav.name
        resampler = soxr.ResampleStream(delivery.sample_rate, rate, channels, dtype="float32")
        pieces = []
        for start in range(0, item.frames, timeline.BLOCK_FRAMES):
            block = audio_io.read_wav(item.wav, start, min(timeline.BLOCK_FRAMES, item.frames - start))
            mixed = block.mean(axis=1, keepdims=True) if channels < block.shape[1] else np.repeat(
                block, channels // block.shape[1], axis=1)
            pieces.append(resampler.resample_chunk(mixed, last=start + timeline.BLOCK_FRAMES >= item.frames))
        samples = np.concatenate(pieces) if pieces else np.zeros((0, channels), dtype=np.float32)
        audio_io.write_wav(converted, audio_io.from_array(samples, rate))
        wavs.append(converted)
        counts.append(len(samples))
    gaps = [(item.gap_frames / delivery.sample_rate) for item in version.placed]
    crossfades = [item.crossfade_frames / delivery.sample_rate for item in version.placed]
    return timeline.place(wavs, counts, gaps, crossfades, rate)
