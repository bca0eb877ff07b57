"""The command line: parse options, call the library, print results; errors become one line and an exit status."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable, TypeVar

import click

from radiokit import __version__
from radiokit.errors import RadiokitError
from radiokit.package import clock


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="radiokit")
def cli() -> None:
    """Produce bilingual radio programmes from one script.

    \b
    Examples:
      radiokit build episode.yaml
      radiokit build episode.yaml --out /srv/packages
    """


@cli.command()
@click.argument("script", type=click.Path(path_type=Path))
@click.option("--out", "out", type=click.Path(path_type=Path), default=Path("build"), show_default=True,
              help="Folder that receives <slug>/ and <slug>.zip.")
@click.option("--allow-outside", "allow_outside", multiple=True, type=click.Path(path_type=Path),
              help="A folder outside the script's own from which the script may take files (repeatable).")
@click.option("--offline", is_flag=True, help="Speak online (gtts) voices with espeak-ng instead.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
def build(script: Path, out: Path, allow_outside: tuple[Path, ...], offline: bool, quiet: bool) -> None:
    """Build every language version of SCRIPT into a tagged station package.

    \b
    Example:
      radiokit build examples/iwpr-tajikistan-russia/episode.yaml --out build
    """
    from radiokit.pipeline import BuildOptions, build as run_build

    say = (lambda _: None) if quiet else (lambda text: click.echo(text, err=True))
    report = _run(lambda: run_build(script, BuildOptions(out, allow_outside, offline), say))
    if quiet:
        return
    for note in report.notes:
        click.echo(f"note: {note}", err=True)
    for entry in report.languages:
        click.echo(f"{entry.language}  {clock(entry.duration_s):>8}  {entry.integrated_lufs:6.1f} LUFS  "
                   f"{entry.true_peak_dbtp:5.1f} dBTP  {report.folder / entry.file}")
    click.echo(f"package  {report.zip_path}  ({report.elapsed_s:.1f} s)")


T = TypeVar("T")


def _run(work: Callable[[], T]) -> T:
    try:
        return work()
    except RadiokitError as exc:
        for line in str(exc).splitlines():
            click.echo(f"error: {line}", err=True)
        sys.exit(exc.exit_status)
    except KeyboardInterrupt:
        click.echo("error: interrupted; the previous package is untouched", err=True)
        sys.exit(130)


def main() -> None:
    cli(prog_name="radiokit")
