"""Where packages are published and fetched from: a local folder, sftp:// or s3:// (through fsspec), and for
reading only http(s)://. One interface, so that publish and fetch do not care which.

Writes are atomic from a reader's point of view: a file is written under a temporary name beside its place,
checked (size everywhere, sha256 where reading it back is cheap: a local folder), then renamed into place.
SFTP renames with OpenSSH's posix-rename, which replaces an existing file. S3 has no rename (only a copy),
and an object appears only when whole: there files go straight to their names.

Options for the remote back ends come from fsspec's configuration (`FSSPEC_SSH`, `FSSPEC_S3`: JSON in the
environment, or fsspec's config files): keys, known hosts, an S3 endpoint (docs/distribution.md).
"""

from __future__ import annotations

import hashlib
import http.client
import os
import secrets
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from radiokit.errors import InputError, TransferError

CHUNK = 1 << 20
TIMEOUT_S = 60.0
_EXTRAS = {"sftp": ("sshfs", "sftp"), "s3": ("s3fs", "s3")}  # scheme: (module, pip extra)


class Place:
    """A folder named by a URL or a local path; file names within it are relative POSIX paths."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        parts = urllib.parse.urlsplit(url)
        self.scheme = parts.scheme if len(parts.scheme) > 1 else "file"  # "C:" is a drive, not a scheme
        if self.scheme == "file":
            self.root = str(Path(urllib.parse.unquote(parts.path) if parts.scheme else url).resolve())
        elif self.scheme == "sftp":
            if not parts.hostname:
                raise InputError(f"{url}: no host: write it as sftp://user@host/path")
            self.root = parts.path.rstrip("/") or "/"
        elif self.scheme == "s3":
            if not parts.netloc:
                raise InputError(f"{url}: no bucket: write it as s3://bucket/path")
            self.root = f"{parts.netloc}{parts.path}".rstrip("/")
        elif self.scheme not in ("http", "https"):
            raise InputError(f"{url}: {self.scheme}:// is not supported: use a folder, sftp://, s3:// "
                             "(or http(s):// to fetch)")
        self._parts = parts
        self._fs: Any = None
        self._made: set[str] = set()  # folders made by this object

    @property
    def web(self) -> bool:
        return self.scheme in ("http", "https")

    def public_url(self) -> str:
        """The folder's own URL: what a feed's links are relative to when no web address is given."""
        return Path(self.root).as_uri() if self.scheme == "file" else self.url

    def _join(self, name: str) -> str:
        return f"{self.root}/{name}" if name else self.root

    def url_of(self, name: str) -> str:
        return f"{self.url}/{urllib.parse.quote(name)}"

    @property
    def fs(self) -> Any:
        if self.web:
            raise InputError(f"{self.url}: http(s) is only read from: publish to a folder, sftp:// or s3://")
        if self._fs is None:
            self._fs = self._connect()
        return self._fs

    def _connect(self) -> Any:
        import fsspec
        from fsspec.config import conf

        if self.scheme == "file":
            return fsspec.filesystem("file")
        module, extra = _EXTRAS[self.scheme]
        try:
            if self.scheme == "sftp":
                from sshfs import SSHFileSystem

                return SSHFileSystem(host=self._parts.hostname, port=self._parts.port or 22,
                                     username=self._parts.username or None, **conf.get("ssh", {}))
            from s3fs import S3FileSystem

            os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")  # off a cloud, asking it costs a second
            return S3FileSystem(**conf.get("s3", {}))
        except ImportError:
            raise InputError(f"{self.url}: {self.scheme}:// needs {module}: pip install 'radiokit[{extra}]'") from None
        except Exception as exc:  # the back ends raise their own kinds (asyncssh, botocore, OSError)
            raise TransferError(f"{self.url}: cannot connect ({_reason(exc)}): check the address, the key and "
                                "that the server is up") from None

    # ---- reading ------------------------------------------------------------
    def size(self, name: str) -> int | None:
        """The size of a file, None where there is none."""
        try:
            info = self._call(lambda: self.fs.info(self._join(name)), name, missing_ok=True)
        except FileNotFoundError:
            return None
        return int(info["size"]) if info and info.get("type") != "directory" else None

    def read(self, name: str, limit: int = 64 * 2**20) -> bytes:
        """A small file whole (a feed, a manifest, the index); FileNotFoundError where there is none."""
        with self.open(name) as handle:
            data = handle.read(limit + 1)
        if len(data) > limit:
            raise TransferError(f"{self.url_of(name)}: larger than {limit // 2**20} MiB, more than it can be")
        return data

    def open(self, name: str, offset: int = 0) -> BinaryIO:
        """A file for reading from `offset`; FileNotFoundError where there is none."""
        if self.web:
            return _open_url(self.url_of(name), offset=offset)
        handle = self._call(lambda: self.fs.open(self._join(name), "rb"), name, missing_ok=True)
        if offset:
            handle.seek(offset)
        return handle  # type: ignore[no-any-return]

    # ---- writing ------------------------------------------------------------
    def sizes(self, folder: str) -> dict[str, int]:
        """Every file under a folder of this place, by its name relative to the folder, with its size."""
        try:
            found = self._call(lambda: self.fs.find(self._join(folder), detail=True), folder, missing_ok=True)
        except FileNotFoundError:
            return {}
        prefix = self._join(folder).rstrip("/") + "/"
        return {path.removeprefix(prefix): int(info["size"]) for path, info in found.items()
                if path.startswith(prefix) and info.get("type") != "directory"}

    def put(self, local: Path, name: str, sha256: str) -> None:
        """Copy a local file to `name`, through a temporary name, checked, then renamed into place. On S3,
        where an object appears only when whole and a rename is a copy, straight to its name."""
        size = local.stat().st_size
        if self.scheme == "s3":
            self._call(lambda: self.fs.put_file(str(local), self._join(name)), name)
            if self.size(name) != size:
                self.remove(name)
                raise TransferError(f"{self.url_of(name)}: it did not arrive whole: publish again")
            return
        temporary = self._temporary(name)
        self._folder_for(name)
        self._call(lambda: self.fs.put_file(str(local), self._join(temporary)), name)
        self._settle(temporary, name, size, sha256)

    def write(self, name: str, data: bytes) -> None:
        """Write `data` to `name` the same way as `put`."""
        temporary = self._temporary(name)
        self._folder_for(name)
        self._call(lambda: self.fs.pipe_file(self._join(temporary), data), name)
        self._settle(temporary, name, len(data), hashlib.sha256(data).hexdigest())

    def remove(self, name: str) -> None:
        """Remove a file or a folder with everything in it; nothing where there is none."""
        try:
            self._call(lambda: self.fs.rm(self._join(name), recursive=True), name, missing_ok=True)
        except FileNotFoundError:
            pass

    def _folder_for(self, name: str) -> None:
        """Make the folder `name` goes into, once per place (over SFTP each call is a round trip)."""
        folder = self._join(name).rsplit("/", 1)[0]
        if folder not in self._made:
            self._call(lambda: self.fs.makedirs(folder, exist_ok=True), name)
            self._made.add(folder)

    def _temporary(self, name: str) -> str:
        folder, _, base = name.rpartition("/")
        return f"{folder}/.{base}.{secrets.token_hex(4)}.part" if folder else f".{base}.{secrets.token_hex(4)}.part"

    def _settle(self, temporary: str, name: str, size: int, sha256: str) -> None:
        written = self.size(temporary)
        if written != size:
            self.remove(temporary)
            raise TransferError(f"{self.url_of(name)}: {written} bytes arrived of {size}: publish again")
        if self.scheme == "file" and _sha256_of(Path(self._join(temporary))) != sha256:
            self.remove(temporary)
            raise TransferError(f"{self.url_of(name)}: arrived with a different checksum: publish again")
        self._call(lambda: self.fs.mv(self._join(temporary), self._join(name)), name)

    def _call(self, work: Any, name: str, missing_ok: bool = False) -> Any:
        try:
            return work()
        except FileNotFoundError:
            if missing_ok:
                raise
            raise TransferError(f"{self.url_of(name)}: no such folder or file at the destination") from None
        except PermissionError:
            raise TransferError(f"{self.url_of(name)}: permission denied: check the account's rights there") from None
        except (InputError, TransferError):
            raise
        except Exception as exc:  # the back ends raise their own kinds (asyncssh, botocore, OSError)
            raise TransferError(f"{self.url_of(name)}: {_reason(exc)}") from None


def _open_url(url: str, offset: int = 0) -> Any:
    """An http(s) response; FileNotFoundError for 404 and 410; a request from `offset` asks for a range."""
    request = urllib.request.Request(url, headers={"User-Agent": "radiokit"})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    try:
        response = urllib.request.urlopen(request, timeout=TIMEOUT_S)  # noqa: S310 (the scheme is checked)
    except urllib.error.HTTPError as exc:
        if exc.code in (404, 410):
            raise FileNotFoundError(url) from None
        raise TransferError(f"{url}: the server answered {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise TransferError(f"{url}: cannot connect ({_reason(exc)}): check the address and the network") from None
    if offset and response.status != 206:
        response.close()
        raise RangeIgnored(url)
    return response


class RangeIgnored(Exception):
    """The server sent the whole file where a part was asked for: start again from the beginning."""


def copy_to(place: Place, name: str, target: Path, size: int) -> None:
    """Download `name` to `target`, continuing a partial `target` left by an earlier, interrupted run."""
    have = target.stat().st_size if target.exists() else 0
    if have > size:
        target.unlink()
        have = 0
    if have == size:
        return
    try:
        source = place.open(name, offset=have)
    except RangeIgnored:
        have, source = 0, place.open(name)
    try:
        with source, target.open("ab" if have else "wb") as out:
            for chunk in _chunks(source, size - have + 1):  # a byte more than expected is enough to refuse
                out.write(chunk)
    except (http.client.IncompleteRead, ConnectionError, TimeoutError, OSError) as exc:
        got = target.stat().st_size if target.exists() else 0
        raise TransferError(f"{place.url_of(name)}: the download broke off at {got} of {size} bytes "
                            f"({_reason(exc)}): run fetch again to resume") from None
    got = target.stat().st_size
    if got != size:
        raise TransferError(f"{place.url_of(name)}: {got} bytes arrived of {size}: run fetch again to resume")


def _chunks(source: BinaryIO, limit: int | None = None) -> Iterator[bytes]:
    """The stream in pieces, up to `limit` bytes in all."""
    left = limit
    while left is None or left > 0:
        chunk = source.read(CHUNK if left is None else min(CHUNK, left))
        if not chunk:
            return
        if left is not None:
            left -= len(chunk)
        yield chunk


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in _chunks(handle):
            digest.update(chunk)
    return digest.hexdigest()


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]


def join_url(base: str, name: str) -> str:
    """`name` (relative, POSIX) under the folder URL `base`, for any scheme (urljoin knows only some)."""
    return f"{base.rstrip('/')}/{urllib.parse.quote(name)}"


def split_url(url: str) -> tuple[str, str]:
    """A file's URL as (its folder's URL, its name)."""
    folder, _, name = url.rstrip("/").rpartition("/")
    if not folder or folder.endswith(":/") or folder.endswith(":"):
        raise InputError(f"{url}: not a file's address: give the feed's full URL, e.g. https://host/path/feed-ru.xml")
    return folder, urllib.parse.unquote(name)
