"""Where a build assembles its package: a staging folder beside the packages, moved into place whole.

A failed build leaves the previous package untouched and nothing of its own (a first build that fails
leaves no output folder at all). Two builds finishing at once take turns to swap their package in,
under an advisory lock on the output folder itself, so that no lock file is left beside the packages.
Staging folders of builds that were killed are removed by the next build, once their process is gone.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

from radiokit.errors import InputError, OutputError

# Staging folders (.radiokit-<pid>-<random>) and retired packages (.<slug>.old-<pid>).
_LEFTOVER = re.compile(r"\.radiokit-(?P<pid>\d+)-\w+|\.[a-z0-9-]+\.old-(?P<old_pid>\d+)")


class Staging:
    """`with Staging(out, slug) as stage:` gives `stage.folder` (the package), `stage.zip_path` and `stage.work`
    (scratch); `stage.commit()` moves the package and its zip into `out`; leaving the block removes the rest."""

    def __init__(self, out: Path, slug: str) -> None:
        self.out = out
        self.slug = slug
        self._created_out = not out.exists()
        self._committed = False
        self.root = Path()

    def __enter__(self) -> Staging:
        if self.out.exists() and not self.out.is_dir():
            raise InputError(f"{self.out}: the output folder is a file: choose another --out (a folder, made if missing)")
        try:
            self.out.mkdir(parents=True, exist_ok=True)
            _remove_abandoned(self.out)
            self.root = Path(tempfile.mkdtemp(prefix=f".radiokit-{os.getpid()}-", dir=self.out))
            self.folder.mkdir()
            self.work.mkdir()
        except OSError as exc:
            self._clean()
            raise OutputError(f"{self.out}: cannot write the package here ({exc.strerror}): {_remedy(exc)}") from None
        return self

    @property
    def folder(self) -> Path:
        return self.root / self.slug

    @property
    def work(self) -> Path:
        return self.root / "work"

    @property
    def zip_path(self) -> Path:
        return self.root / f"{self.slug}.zip"

    def final(self) -> tuple[Path, Path]:
        """Where the package folder and its zip end up."""
        return self.out / self.slug, self.out / f"{self.slug}.zip"

    def commit(self) -> None:
        """Swap the new package in for the old one; the old one is whole until the new one is complete."""
        folder, zip_path = self.final()
        handle = os.open(self.out, os.O_RDONLY)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
            retired = folder.with_name(f".{folder.name}.old-{os.getpid()}")
            if folder.exists():
                os.replace(folder, retired)
            os.replace(self.folder, folder)
            os.replace(self.zip_path, zip_path)
            shutil.rmtree(retired, ignore_errors=True)
        finally:
            os.close(handle)  # closing releases the lock
        self._committed = True

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._clean()
        if isinstance(exc, OSError):
            # A write that failed while the package was assembled: the disk, not the script or the programme.
            raise OutputError(f"{exc.filename or self.out}: cannot be written ({exc.strerror or exc}): "
                              f"{_remedy(exc)}") from None

    def _clean(self) -> None:
        if self.root != Path():
            shutil.rmtree(self.root, ignore_errors=True)
        if self._created_out and not self._committed:
            shutil.rmtree(self.out, ignore_errors=True)  # a failed first build leaves no trace


def _remedy(exc: OSError) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return "free some space on the disk of --out, or choose another"
    return "choose another --out, or make this one writable"


def _remove_abandoned(out: Path) -> None:
    """Staging folders (and retired packages) of builds that were killed: their process is gone."""
    for leftover in out.glob(".*"):
        found = _LEFTOVER.fullmatch(leftover.name)
        if found and leftover.is_dir() and not _alive(int(found.group("pid") or found.group("old_pid"))):
            shutil.rmtree(leftover, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
