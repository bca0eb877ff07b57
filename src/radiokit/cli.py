"""The command line: parse options, call the library, print results; errors become one line and an exit status."""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, TypeVar

import click

from radiokit import __version__, children
from radiokit.cache import DEFAULT_MAX_BYTES, Cache
from radiokit.cache import default_folder as default_cache_folder
from radiokit.display import clock, figure, json_figure
from radiokit.errors import RadiokitError
from radiokit.loudness import Loudness
from radiokit.progress import show_log

if TYPE_CHECKING:
    from radiokit.batch import Outcome
    from radiokit.progress import Progress
    from radiokit.settings import BuildOptions


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="radiokit")
def cli() -> None:
    """Produce bilingual radio programmes from one script.

    \b
    Examples:
      radiokit init my-show                 # a commented episode with audio, to start from
      radiokit check episode.yaml           # validate, estimate the timing
      radiokit build episode.yaml           # build the package under build/
      radiokit verify build/my-show.zip     # what a station runs on what it received
      radiokit publish build/my-show.zip sftp://me@host/shows/my-show    # and the feeds there
      radiokit fetch https://host/shows/my-show/feed-ru.xml --into import # a station, from cron
      radiokit loudness programme.mp3       # measure any file (EBU R128)

    Exit status: 0 success; 1 a build or verification that failed, or a speech engine that failed;
    2 bad input (the script, its files, the arguments) or a server (a Dask scheduler) that cannot be reached.
    """


@cli.command()
@click.argument("scripts", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out", type=click.Path(path_type=Path), default=Path("build"), show_default=True,
              help="Folder that receives <slug>/ and <slug>.zip.")
@click.option("--allow-outside", "allow_outside", multiple=True, type=click.Path(path_type=Path),
              help="A folder outside the script's own from which the script may take files (repeatable).")
@click.option("--offline", is_flag=True, help="Speak online (gtts) voices with espeak-ng instead.")
@click.option("--force", is_flag=True, help="Deliver a version that misses its slot (target_duration +- tolerance).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=os.cpu_count() or 1, show_default=True,
              help="Segments rendered at once, and languages mastered at once; with --scheduler, the episodes of "
                   "a batch built at once.")
@click.option("--cache", "cache_folder", type=click.Path(path_type=Path), default=None,
              help="Cache folder [default: $RADIOKIT_CACHE or ~/.cache/radiokit].")
@click.option("--no-cache", is_flag=True, help="Render and encode everything afresh; keep nothing.")
@click.option("--cache-max", type=click.IntRange(min=0), default=DEFAULT_MAX_BYTES // 2**20, show_default=True,
              help="Largest cache size in MiB; least recently used entries are removed beyond it.")
@click.option("--station", "stations", multiple=True, metavar="NAME",
              help="Also deliver the script's station profile NAME (repeatable; 'all' for every one).")
@click.option("--scheduler", envvar="RADIOKIT_SCHEDULER", metavar="ADDRESS",
              help="Render and master on the Dask cluster of this scheduler (tcp://host:8786) [default: "
                   "$RADIOKIT_SCHEDULER; none: here]. Needs radiokit[cluster] and shared storage (docs/cluster.md).")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout (no progress bar).")
@click.option("-v", "--verbose", is_flag=True, help="Show what runs: speech engine calls and ffmpeg commands.")
def build(scripts: tuple[Path, ...], out: Path, allow_outside: tuple[Path, ...], offline: bool, force: bool,
          jobs: int, cache_folder: Path | None, no_cache: bool, cache_max: int, stations: tuple[str, ...],
          scheduler: str | None, quiet: bool, as_json: bool, verbose: bool) -> None:
    """Build every language version of each script into a tagged station package.

    SCRIPTS are episode.yaml files, or folders of them (a folder's episode.yaml, else its *.yaml files
    and */episode.yaml). Progress goes to stderr (on a terminal); the summary (duration, slot, loudness,
    true peak, files per language) to stdout. Several scripts are a batch: each episode is built into its
    own package, one that fails is reported and the others go on; a table of all ends it, and the exit
    status is 1 if any failed.

    \b
    Examples:
      radiokit build examples/iwpr-tajikistan-russia/episode.yaml --out build
      radiokit build episode.yaml --force          # deliver even if a version misses its slot
      radiokit build episode.yaml --json > build.json
      radiokit build episode.yaml --station kfm    # and the files station profile kfm asks for
      radiokit build today/ --scheduler tcp://render1:8786    # a day's episodes on a Dask cluster
    """
    from radiokit.settings import BuildOptions

    if verbose:
        show_log(logging.DEBUG)
    options = BuildOptions(out, allow_outside, offline, force, jobs,
                           None if no_cache else cache_folder or default_cache_folder(), cache_max * 2**20,
                           stations, scheduler)
    show_bar = sys.stderr.isatty() and not (quiet or as_json or verbose)
    if len(scripts) == 1 and not scripts[0].is_dir():
        _build_one(scripts[0], options, show_bar, quiet, as_json)
    else:
        _build_batch(scripts, options, show_bar, quiet, as_json)


def _build_one(script: Path, options: BuildOptions, show_bar: bool, quiet: bool, as_json: bool) -> None:
    from radiokit import report as summary
    from radiokit.pipeline import build as run_build

    bar = _ProgressBar() if show_bar else None
    try:
        report = _run(lambda: run_build(script, options, progress=bar))
    finally:
        if bar:
            bar.close()
    if as_json:
        click.echo(json.dumps(summary.as_json(report), ensure_ascii=False, indent=2))
        return
    if quiet:
        return
    for note in report.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(summary.table(report))


def _build_batch(paths: tuple[Path, ...], options: BuildOptions, show_bar: bool, quiet: bool, as_json: bool) -> None:
    from radiokit import batch
    from radiokit import report as summary

    scripts = _run(lambda: batch.scripts_in(paths))
    bar = _ProgressBar() if show_bar else None
    side_by_side = batch.at_once(options) > 1 and len(scripts) > 1  # one bar of episodes, not one per stage
    if bar and side_by_side:
        bar.start("episodes", len(scripts))

    def progress(number: int, script: Path) -> Progress | None:
        return _Labeled(bar, f"{number}/{len(scripts)}") if bar and not side_by_side else None

    def finished(outcome: Outcome) -> None:
        if bar and side_by_side:
            bar.advance()

    try:
        outcomes = _run(lambda: batch.build_all(scripts, options, progress, finished))
    finally:
        if bar:
            bar.close()
    failed = [outcome for outcome in outcomes if outcome.error]
    if as_json:
        click.echo(json.dumps(summary.batch_json(outcomes), ensure_ascii=False, indent=2))
    elif not quiet:
        for report in (outcome.report for outcome in outcomes if outcome.report):
            for note in report.notes:
                click.echo(f"note: {report.slug}: {note}", err=True)
        click.echo(summary.batch_table(outcomes))
    for outcome in failed:
        for line in str(outcome.error).splitlines():
            click.echo(f"error: {line}", err=True)
    if failed:
        sys.exit(1)


class _Labeled:
    """A batch's progress: the shared bar, each stage labelled with the episode's place in the batch."""

    def __init__(self, bar: _ProgressBar, prefix: str) -> None:
        self._bar, self._prefix = bar, prefix

    def start(self, label: str, total: int) -> None:
        self._bar.start(f"{self._prefix} {label}", total)

    def advance(self) -> None:
        self._bar.advance()


class _ProgressBar:
    """click's progress bar, one per stage (rendering, mastering) of each language."""

    def __init__(self) -> None:
        self._bar: Any = None

    def start(self, label: str, total: int) -> None:
        self.close()
        self._bar = click.progressbar(length=total, label=f"{label:<16}", file=sys.stderr)
        self._bar.__enter__()

    def advance(self) -> None:
        if self._bar:
            self._bar.update(1)

    def close(self) -> None:
        if self._bar:
            self._bar.__exit__(None, None, None)
            self._bar = None


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array, one object per file, in argument order.")
def loudness(files: tuple[Path, ...], as_json: bool) -> None:
    """Measure audio FILES as a broadcast meter does (EBU R128 / ITU-R BS.1770-5).

    Integrated loudness (LUFS), loudness range (LU), true peak (dBTP, 4x oversampled) and the
    largest momentary (400 ms) and short-term (3 s) loudness. Any format ffmpeg decodes, mono or stereo.

    \b
    Examples:
      radiokit loudness build/my-show/my-show-ru.mp3
      radiokit loudness --json build/my-show/*.mp3 > loudness.json
    """
    from radiokit.loudness import measure_file

    rows: list[dict[str, Any]] = []
    failures: list[RadiokitError] = []
    for path in files:
        try:
            rows.append(_loudness_row(path, measure_file(path)))
        except RadiokitError as exc:
            failures.append(exc)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        _loudness_table(rows)
    for failure in failures:
        click.echo(f"error: {failure}", err=True)
    if failures:
        sys.exit(max(failure.exit_status for failure in failures))


def _loudness_table(rows: list[dict[str, Any]]) -> None:
    click.echo(f"{'duration':>9}  {'integrated':>12}  {'range':>7}  {'true peak':>10}  {'max M':>10}  {'max S':>10}  file")
    for row in rows:
        shown = {key: figure(row[key], unit, silence=f"-inf {unit}") for key, unit in _UNITS.items()}
        click.echo(f"{clock(row['duration_s']):>9}  {shown['integrated_lufs']:>12}  {shown['loudness_range_lu']:>7}  "
                   f"{shown['true_peak_dbtp']:>10}  {shown['max_momentary_lufs']:>10}  "
                   f"{shown['max_short_term_lufs']:>10}  {row['file']}")


_UNITS = {"integrated_lufs": "LUFS", "loudness_range_lu": "LU", "true_peak_dbtp": "dBTP", "max_momentary_lufs": "LUFS",
          "max_short_term_lufs": "LUFS"}


def _loudness_row(path: Path, measured: Loudness) -> dict[str, Any]:
    return {"file": str(path), "duration_s": round(measured.duration_s, 3),
            **{key: json_figure(getattr(measured, key)) for key in _UNITS}}


@cli.command()
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--out", "out", type=click.Path(path_type=Path), required=True, help="The cleaned audio, as a WAV file.")
@click.option("--highpass-hz", type=click.FloatRange(0, 200), default=80.0, show_default=True,
              help="High-pass corner against rumble; 0 turns it off.")
@click.option("--no-hum", is_flag=True, help="Leave mains hum alone.")
@click.option("--no-denoise", is_flag=True, help="Leave broadband noise alone.")
@click.option("--no-level", is_flag=True, help="Leave the speakers' levels alone.")
@click.option("--pause-max", type=click.FloatRange(0.5, 10), default=None,
              help="Shorten pauses longer than this many seconds (off unless given).")
@click.option("--pause-to", type=click.FloatRange(0.1, 5), default=0.7, show_default=True,
              help="What a pause longer than --pause-max is shortened to (seconds).")
@click.option("--report", "show_report", is_flag=True, help="Print what each step found and did, before and after.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on stdout.")
def clean(source: Path, out: Path, highpass_hz: float, no_hum: bool, no_denoise: bool, no_level: bool,
          pause_max: float | None, pause_to: float, show_report: bool, as_json: bool) -> None:
    """Clean one interview recording as a build will: high-pass, hum, noise, speaker levels, pauses.

    Each step measures the recording first and acts only where it needs to; a clean studio recording
    passes nearly untouched (docs/cleanup.md). Mono or stereo, at the file's own rate.

    \b
    Examples:
      radiokit clean interview.flac --out cleaned.wav --report
      radiokit clean phone-line.mp3 --out cleaned.wav --pause-max 2 --json
    """
    from radiokit.cleaning import clean_file

    report = _run(lambda: clean_file(source, out, highpass_hz=highpass_hz, hum=not no_hum, denoise=not no_denoise,
                                     level=not no_level, pause_max_s=pause_max, pause_to_s=pause_to))
    if as_json:
        click.echo(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
    elif show_report:
        for line in report.lines():
            click.echo(line)
    else:
        click.echo(f"{out}: {report.summary()}", err=True)


@cli.command()
@click.argument("text")
@click.option("--lang", "language", type=click.Choice(["ru", "tg"]), required=True, help="The line's language.")
@click.option("--voice", help="espeak-ng voice, with a variant if you like: ru, ru+m3, tg+f2 (default: the language).")
@click.option("--engine", default="espeak", show_default=True,
              help="Speech engine for --voice: espeak, festival, gtts or a plugin (`radiokit voices` lists them).")
@click.option("--script", "script", type=click.Path(path_type=Path),
              help="Take the voice and the lexicon from this script (with --speaker).")
@click.option("--speaker", help="With --script: the speaker whose voice reads the line.")
@click.option("--offline", is_flag=True, help="Speak an online (gtts) voice with espeak-ng instead.")
@click.option("--text-only", is_flag=True, help="Print the text exactly as it will be spoken (lexicon, numbers).")
@click.option("--phonemes", is_flag=True, help="Print espeak-ng's phonemes for the line.")
@click.option("--ipa", is_flag=True, help="Print the line's pronunciation in IPA.")
@click.option("-o", "--out", type=click.Path(path_type=Path), help="Write the speech to this WAV file.")
def say(text: str, language: str, voice: str | None, engine: str, script: Path | None, speaker: str | None,
        offline: bool, text_only: bool, phonemes: bool, ipa: bool, out: Path | None) -> None:
    """Speak TEXT as a build would, to audition respellings, stress marks and numbers.

    \b
    Examples:
      radiokit say --lang tg --text-only "Дивизияи 201-уми Русия"
      radiokit say --lang ru --ipa "Абдулл+о"
      radiokit say --lang tg --script episode.yaml --speaker host -o line.wav "CASA-1000"
    """
    from radiokit.tts import audition

    if not (text_only or phonemes or ipa or out):
        raise click.UsageError("choose what to audition: --out FILE.wav, --text-only, --phonemes or --ipa")
    line = _run(lambda: audition.line(text, language, voice, engine, script, speaker, offline))
    if text_only:
        click.echo(_run(lambda: line.spoken))
    if phonemes:
        click.echo(_run(lambda: audition.phonemes(line)))
    if ipa:
        click.echo(_run(lambda: audition.phonemes(line, ipa=True)))
    if out is not None:
        seconds = _run(lambda: audition.write_wav(line, out))
        click.echo(f"{out}  {seconds:.1f} s", err=True)


@cli.command()
@click.argument("folder", type=click.Path(path_type=Path), default=Path("."))
def init(folder: Path) -> None:
    """Start a new episode in FOLDER (default: here): a commented bilingual episode.yaml with
    small generated audio (jingle, bed, a Russian interview) that builds at once.

    \b
    Example:
      radiokit init my-show && cd my-show && radiokit build episode.yaml
    """
    from radiokit.scaffold import init as scaffold

    written = _run(lambda: scaffold(folder))
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(f"next: radiokit build {written[0]}")


@cli.command()
@click.argument("script", type=click.Path(path_type=Path))
@click.option("--allow-outside", "allow_outside", multiple=True, type=click.Path(path_type=Path),
              help="A folder outside the script's own from which the script may take files (repeatable).")
def check(script: Path, allow_outside: tuple[Path, ...]) -> None:
    """Validate SCRIPT and estimate each version's timing, without any audio work.

    Exit 0 when the script can be built, 2 (with one line per problem) when not. Files are timed
    from their headers, synthesized speech from its length at the voice's rate.

    \b
    Example:
      radiokit check episode.yaml
    """
    from radiokit.check import estimate
    from radiokit.script import load_script

    loaded = _run(lambda: load_script(script, allow_outside))
    timings = _run(lambda: estimate(loaded))
    target, tolerance = loaded.delivery.target_duration_s, loaded.delivery.tolerance_s
    for timing in timings:
        click.echo(f"{timing.language}: {len(timing.rows)} segments (estimated)")
        click.echo(f"  {'#':>3}  {'start':>8}  {'length':>7}  {'from':<4}  id")
        for row in timing.rows:
            click.echo(f"  {row.index:>3}  {clock(row.start_s):>8}  {clock(row.duration_s):>7}  {row.basis:<4}  "
                       f"{row.segment.id}")
        slot = ""
        if target is not None:
            difference = timing.total_s - target
            verdict = "within" if abs(difference) <= tolerance else "OUTSIDE"
            slot = (f"  slot {clock(target)} {'+' if difference >= 0 else '-'}{clock(abs(difference))}: {verdict} "
                    f"the tolerance of {clock(tolerance)}")
        click.echo(f"  total {clock(timing.total_s)}{slot}")
    click.echo(f"{script}: valid")


@cli.command()
def voices() -> None:
    """The speech engines registered here (espeak, festival, gtts and any plugin), the languages each
    speaks, whether it works offline, whether it is installed (or what to install), and its voices.

    \b
    Example:
      radiokit voices
    """
    import espeakng_loader

    from radiokit.tts import engines

    for line in _run(engines.describe):
        click.echo(line)
    variants = sorted(p.name for p in (Path(espeakng_loader.get_data_path()) / "voices" / "!v").iterdir())
    click.echo(f"voice variants (espeak, e.g. ru+m3, tg+f2): {', '.join(variants)}")


@cli.command()
def schema() -> None:
    """Print the script format as JSON Schema (draft 2020-12), for editors.

    \b
    Example:
      radiokit schema > episode.schema.json
      # then, first line of episode.yaml (VS Code with the YAML extension):
      # yaml-language-server: $schema=episode.schema.json
    """
    from radiokit.schema import script_schema

    click.echo(json.dumps(script_schema(), ensure_ascii=False, indent=2))


@cli.command()
@click.argument("package", type=click.Path(path_type=Path))
def verify(package: Path) -> None:
    """Check a package before it airs: PACKAGE.zip as received (or its unzipped folder).

    Every file's size and sha256 against the manifest, nothing unlisted, every MP3 decoded to its end,
    its tags and chapters, its loudness and true peak against the delivery profile. One line per
    problem, then a summary; exit 0 when fit to air, 1 when not, 2 when the package cannot be read.

    \b
    Example:
      radiokit verify global-voices-12-2012-10-26.zip
    """
    from radiokit.verification import verify as run_verify

    verdict = _run(lambda: run_verify(package))
    for problem in verdict.problems:
        click.echo(problem)
    if verdict.fit_to_air:
        click.echo(f"{package}: fit to air ({verdict.files_checked} files checked)")
        return
    click.echo(f"{package}: NOT fit to air: {len(verdict.problems)} problem(s) in {verdict.files_checked} files")
    sys.exit(1)


@cli.command()
@click.argument("package", type=click.Path(path_type=Path))
@click.argument("destination")
@click.option("--base-url", metavar="URL",
              help="The web address DESTINATION is served at [default: the script's feed.url, else DESTINATION].")
def publish(package: Path, destination: str, base_url: str | None) -> None:
    """Publish a package (its .zip or folder) to DESTINATION, and update the feeds there.

    DESTINATION is a folder, sftp://user@host/path or s3://bucket/path. The package is verified
    first; files go up under temporary names, are checked and renamed into place, and the feeds
    (feed-<lang>.xml) are written last. Publishing the same package again changes nothing; a
    corrected build replaces the episode under the same GUIDs (docs/distribution.md).

    \b
    Examples:
      radiokit publish build/global-voices-12-2012-10-26.zip /srv/www/global-voices \\
          --base-url https://radio.example.org/global-voices/
      radiokit publish build/global-voices-12-2012-10-26.zip sftp://iwpr@files.example.org/global-voices
    """
    from radiokit.publish import publish as run_publish

    report = _run(lambda: run_publish(package, destination, base_url))
    if report.state == "unchanged":
        click.echo(f"{report.slug}: already published as {report.folder}: nothing changed")
        return
    resumed = f" ({report.kept} already there from an earlier try)" if report.kept else ""
    click.echo(f"{report.slug}: published as {report.folder}, {report.state}: {report.uploaded} files sent{resumed}")
    for feed in report.feeds:
        click.echo(f"feed {feed}")


@cli.command()
@click.argument("feed_url")
@click.option("--into", "into", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="The station's folder (a playout system's import folder).")
@click.option("--station", metavar="NAME", help="Deliver this station profile's files, named as it says "
                                                "[default: each whole package as <slug>/].")
def fetch(feed_url: str, into: Path, station: str | None) -> None:
    """The station's side: fetch new and corrected episodes from the feed at FEED_URL into a folder.

    Each package is downloaded (http(s), sftp, s3 or a file path), checked against the checksums the
    feed and its manifest give, verified as `radiokit verify` does, and only then moved into the
    folder; what is in flight stays in <folder>/.radiokit/. Run it from cron: exit 0 when nothing is
    new or all was fetched, 1 when an episode failed its checks (kept aside, named), 2 when the feed
    or a server cannot be reached or the arguments are wrong (a broken download resumes next time).

    \b
    Example:
      radiokit fetch https://radio.example.org/global-voices/feed-tg.xml --into /var/snd/import --station kfm
    """
    from radiokit.fetch import fetch as run_fetch

    into.mkdir(parents=True, exist_ok=True)
    report = _run(lambda: run_fetch(feed_url, into, station))
    for slug, delivered in report.fetched:
        where = f"{len(delivered)} file(s) into {into}" if station else f"into {into / slug}"
        click.echo(f"{slug}: fetched and verified, {where}")
    for slug, why, kept in report.failed:
        click.echo(f"error: {slug}: refused: {why}" + (f" (kept in {kept})" if kept else ""), err=True)
    if not report.fetched and not report.failed:
        click.echo(f"nothing new ({report.unchanged} episode(s) already fetched)")
    if report.failed:
        sys.exit(1)


@cli.group()
def cache() -> None:
    """The cache of rendered segments and delivered versions that makes rebuilds fast.

    \b
    Example:
      radiokit cache clear
    """


@cache.command("clear")
@click.option("--cache", "cache_folder", type=click.Path(path_type=Path), default=None,
              help="Cache folder [default: $RADIOKIT_CACHE or ~/.cache/radiokit].")
def cache_clear(cache_folder: Path | None) -> None:
    """Empty the cache.

    \b
    Example:
      radiokit cache clear
    """
    folder = cache_folder or default_cache_folder()
    freed = Cache(folder).clear()
    click.echo(f"cleared {folder} ({freed / 2**20:.1f} MiB)")


T = TypeVar("T")


class _Terminated(BaseException):
    """SIGTERM (a service manager, a CI runner), raised where the main thread stands, to unwind as Ctrl-C does."""


def _terminate(signum: int, frame: object) -> None:
    children.stop_all()
    raise _Terminated()


def _run(work: Callable[[], T]) -> T:
    try:
        return work()
    except RadiokitError as exc:
        for line in str(exc).splitlines():
            click.echo(f"error: {line}", err=True)
        sys.exit(exc.exit_status)
    except KeyboardInterrupt:
        children.stop_all()
        click.echo("error: interrupted; the previous package is untouched", err=True)
        sys.exit(130)
    except _Terminated:
        click.echo("error: terminated; the previous package is untouched", err=True)
        sys.exit(143)


def main() -> None:
    signal.signal(signal.SIGTERM, _terminate)
    cli(prog_name="radiokit")
