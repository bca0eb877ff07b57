"""What a build returns: where its package is, each language's figures and the notes; and the same as people
and scripts read it, a table per language or JSON."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from radiokit.display import clock
from radiokit.manifest import LanguageEntry, StationEntry

if TYPE_CHECKING:
    from radiokit.batch import Outcome


@dataclass(frozen=True)
class BuildReport:
    slug: str
    folder: Path  # the package folder
    zip_path: Path
    languages: tuple[LanguageEntry, ...]
    notes: tuple[str, ...]  # what the producer should know: a shortened crossfade, the limiter at work
    elapsed_s: float
    slot_s: float | None = None  # delivery.target_duration
    stations: tuple[StationEntry, ...] = ()  # what `--station` profiles delivered


def _files(report: BuildReport, entry: LanguageEntry) -> list[Path]:
    """The programme in every format and its segment files."""
    programmes = sorted(report.folder.glob(f"{Path(entry.file).stem}.*"))
    return programmes + sorted((report.folder / "segments" / entry.language).iterdir())


def _slot(report: BuildReport, entry: LanguageEntry) -> str:
    if report.slot_s is None:
        return ""
    difference = entry.duration_s - report.slot_s
    return f"{'+' if difference >= 0 else '-'}{clock(abs(difference))}"


def table(report: BuildReport) -> str:
    slot_title = f"slot {clock(report.slot_s)}" if report.slot_s is not None else ""
    lines = [f"{'':4}{'duration':>9}  {slot_title:>12}  {'loudness':>11}  {'true peak':>10}  files"]
    for entry in report.languages:
        files = _files(report, entry)
        megabytes = sum(path.stat().st_size for path in files) / 1e6
        lines.append(f"{entry.language:4}{clock(entry.duration_s):>9}  {_slot(report, entry):>12}  "
                     f"{entry.integrated_lufs:6.1f} LUFS  {entry.true_peak_dbtp:5.1f} dBTP  "
                     f"{len(files)} files, {megabytes:.1f} MB: {report.folder / entry.file}")
    for station in report.stations:
        rate = f"{station.sample_rate} Hz {'mono' if station.channels == 1 else 'stereo'}"
        bitrate = f" {station.bitrate_kbps} kbit/s" if station.bitrate_kbps else ""
        lines.append(f"station {station.name}: {len(station.files)} files, {station.format} {rate}{bitrate}: "
                     f"{report.folder / 'stations' / station.name}")
    lines.append(f"package {report.zip_path} ({report.elapsed_s:.1f} s)")
    return "\n".join(lines)


def as_json(report: BuildReport) -> dict[str, Any]:
    return {
        "package": str(report.zip_path),
        "folder": str(report.folder),
        "elapsed_s": round(report.elapsed_s, 2),
        "slot_s": report.slot_s,
        "notes": list(report.notes),
        "languages": [
            {
                "language": entry.language,
                "programme": str(report.folder / entry.file),
                "duration_s": round(entry.duration_s, 3),
                "slot_difference_s": None if report.slot_s is None else round(entry.duration_s - report.slot_s, 3),
                "integrated_lufs": round(entry.integrated_lufs, 2),
                "true_peak_dbtp": round(entry.true_peak_dbtp, 2),
                "loudness_range_lu": round(entry.loudness_range_lu, 2),
                "files": [str(path) for path in _files(report, entry)],
                "segments": [{"id": seg.id, "kind": seg.kind, "start_s": round(seg.start_s, 3),
                              "duration_s": round(seg.duration_s, 3), "engine": seg.engine,
                              "cleanup": seg.cleanup["summary"] if seg.cleanup else None}
                             for seg in entry.segments],
            }
            for entry in report.languages
        ],
        "stations": {station.name: [str(report.folder / file.file) for file in station.files]
                     for station in report.stations},
    }


def batch_table(outcomes: Sequence[Outcome]) -> str:
    """One line per episode of a batch (its languages' figures and package, or the first line of its error),
    then the count."""
    width = max([len("episode"), *(len(str(outcome.script)) for outcome in outcomes)])
    lines = [f"{'episode':<{width}}  {'result':<6}  languages, package"]
    for outcome in outcomes:
        if outcome.report:
            report = outcome.report
            figures = ", ".join(f"{entry.language} {clock(entry.duration_s)} {entry.integrated_lufs:.1f} LUFS "
                                f"{entry.true_peak_dbtp:.1f} dBTP" for entry in report.languages)
            lines.append(f"{str(outcome.script):<{width}}  {'built':<6}  {figures}: {report.zip_path} "
                         f"({report.elapsed_s:.1f} s)")
        elif outcome.error:
            first = str(outcome.error).splitlines()[0] if str(outcome.error) else type(outcome.error).__name__
            lines.append(f"{str(outcome.script):<{width}}  {'FAILED':<6}  exit {outcome.error.exit_status}: {first}")
    failed = sum(1 for outcome in outcomes if outcome.error)
    lines.append(f"{len(outcomes)} episode(s): {len(outcomes) - failed} built, {failed} failed")
    return "\n".join(lines)


def batch_json(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    return {
        "built": sum(1 for outcome in outcomes if outcome.report),
        "failed": sum(1 for outcome in outcomes if outcome.error),
        "episodes": [{"script": str(outcome.script), "status": "built" if outcome.report else "failed",
                      "exit_status": outcome.error.exit_status if outcome.error else 0,
                      "error": str(outcome.error) if outcome.error else None,
                      "build": as_json(outcome.report) if outcome.report else None}
                     for outcome in outcomes],
    }
