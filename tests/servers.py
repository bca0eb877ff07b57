"""Real local servers for tests: HTTP with byte ranges, SFTP (asyncssh) and S3 (moto).

Each server is a context manager that listens on 127.0.0.1 on a port the system picks,
serves from background threads it owns, and on exit closes its connections, joins its
threads and releases its port.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import json
import os
import re
import shutil
import socket
import socketserver
import sys
import tempfile
import threading
import urllib.parse
import urllib.request
import weakref
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO

import asyncssh

HOST = "127.0.0.1"
_START_TIMEOUT = 30.0
_STOP_TIMEOUT = 10.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (another process may take it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _url_path(raw: str) -> str:
    """The percent-decoded path of a request target or URL path, always starting with '/'."""
    path = urllib.parse.unquote(urllib.parse.urlsplit(raw).path)
    return path if path.startswith("/") else "/" + path


_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


class _Unsatisfiable(Exception):
    """The requested range lies wholly past the end of the file (416)."""


def _parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive (first, last) byte a single-range header asks for of a `size`-byte file.

    None when there is no usable range, so the whole file is served; raises _Unsatisfiable
    when the range starts past the end.
    """
    if header is None:
        return None
    match = _RANGE.fullmatch(header.strip())
    if match is None:
        return None
    first_text, last_text = match.groups()
    if not first_text:
        if not last_text:
            return None
        suffix = int(last_text)
        if suffix == 0 or size == 0:
            raise _Unsatisfiable
        return max(0, size - suffix), size - 1
    first = int(first_text)
    if last_text and int(last_text) < first:
        return None
    if first >= size:
        raise _Unsatisfiable
    last = int(last_text) if last_text else size - 1
    return first, min(last, size - 1)


class _RangeHandler(SimpleHTTPRequestHandler):
    """GET and HEAD of files under the served folder, with single byte ranges; no listings."""

    server: _QuietHTTPServer
    timeout = 10.0

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self._serve(with_body=True)

    def do_HEAD(self) -> None:
        self._serve(with_body=False)

    def _serve(self, with_body: bool) -> None:
        owner = self.server.owner
        path = _url_path(self.path)
        range_header = self.headers.get("Range")
        cut: int | None = None
        if with_body:
            owner._record(path, range_header)
            cut = owner._take_cut(path)
        local = self.translate_path(self.path)
        if not os.path.isfile(local):
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        try:
            handle: BinaryIO = open(local, "rb")
        except OSError:
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        with handle:
            stat = os.fstat(handle.fileno())
            size = stat.st_size
            try:
                span = _parse_range(range_header, size)
            except _Unsatisfiable:
                self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self.send_header("Accept-Ranges", "bytes")
                self.end_headers()
                return
            if span is None:
                first, length = 0, size
                self.send_response(HTTPStatus.OK)
            else:
                first, last = span
                length = last - first + 1
                self.send_response(HTTPStatus.PARTIAL_CONTENT)
                self.send_header("Content-Range", f"bytes {first}-{last}/{size}")
            self.send_header("Content-Type", self.guess_type(local))
            self.send_header("Content-Length", str(length))
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Last-Modified", email.utils.formatdate(stat.st_mtime, usegmt=True))
            self.end_headers()
            if not with_body:
                return
            handle.seek(first)
            to_send = length if cut is None else min(cut, length)
            while to_send > 0:
                chunk = handle.read(min(64 * 1024, to_send))
                if not chunk:
                    break
                self.wfile.write(chunk)
                to_send -= len(chunk)
            if cut is not None:
                self.wfile.flush()
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


class _QuietHTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that skips the reverse DNS lookup and stays silent on dropped clients."""

    daemon_threads = True
    block_on_close = True
    request_queue_size = 128

    def __init__(self, owner: RangeHTTPServer, handler: Any) -> None:
        self.owner = owner
        super().__init__((HOST, 0), handler)

    def server_bind(self) -> None:
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class RangeHTTPServer:
    """Serve the files of `root` over HTTP on 127.0.0.1, honouring single byte ranges.

    `url` has no trailing slash. `requests` lists `(path, range_header_or_None)` for
    every GET, in arrival order, where path is the percent-decoded URL path.
    Missing files give 404; there are no directory listings.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.url = ""
        self.requests: list[tuple[str, str | None]] = []
        self._lock = threading.Lock()
        self._cuts: dict[str, list[int]] = {}
        self._httpd: _QuietHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The port the server listens on."""
        assert self._httpd is not None, "the server is not running"
        return int(self._httpd.server_address[1])

    def cut(self, path: str, after_bytes: int, times: int = 1) -> None:
        """Truncate the next `times` GETs of URL path `path` (quoted or not).

        Each sends the headers with the full Content-Length but only `after_bytes` bytes
        of the body, then closes the connection, so the client sees an IncompleteRead.
        """
        if after_bytes < 0 or times < 1:
            raise ValueError("after_bytes must be >= 0 and times >= 1")
        with self._lock:
            self._cuts[_url_path(path)] = [after_bytes, times]

    def _record(self, path: str, range_header: str | None) -> None:
        with self._lock:
            self.requests.append((path, range_header))

    def _take_cut(self, path: str) -> int | None:
        with self._lock:
            pending = self._cuts.get(path)
            if pending is None:
                return None
            after_bytes, times = pending
            if times <= 1:
                del self._cuts[path]
            else:
                pending[1] = times - 1
            return after_bytes

    def __enter__(self) -> RangeHTTPServer:
        handler = functools.partial(_RangeHandler, directory=str(self.root))
        self._httpd = _QuietHTTPServer(self, handler)
        self.url = f"http://{HOST}:{self.port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
            name=f"RangeHTTPServer:{self.port}", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(_STOP_TIMEOUT)
        self._httpd = None
        self._thread = None


class _SSHServer(asyncssh.SSHServer):
    """Public-key authentication for one user; remembers its connection for shutdown."""

    def __init__(self, owner: SFTPServer) -> None:
        self._owner = owner
        self._conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn
        self._owner._connections.add(conn)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._conn is not None:
            self._owner._connections.discard(self._conn)

    def begin_auth(self, username: str) -> bool:
        if username == self._owner.user and self._conn is not None:
            self._conn.set_authorized_keys(self._owner._authorized_keys)
        return True

    def password_auth_supported(self) -> bool:
        return False

    def kbdint_auth_supported(self) -> bool:
        return False

    def public_key_auth_supported(self) -> bool:
        return True


class SFTPServer:
    """An asyncssh SFTP server on 127.0.0.1 serving `root` as "/" (chroot), SFTP only.

    Only `user` may log in, and only with the generated ed25519 client key written to
    `key_path` (inside `key_dir`, or a temporary folder removed on exit). The host key is
    throwaway too. posix-rename@openssh.com is supported (asyncssh implements it with
    os.replace). There is no shell or exec channel, so sshfs operations that run remote
    commands (cp_file, checksum, get_system) fail against this server.
    """

    def __init__(self, root: str | os.PathLike[str], user: str = "radiokit",
                 key_dir: str | os.PathLike[str] | None = None) -> None:
        self.root = Path(root)
        self.user = user
        self._given_key_dir = Path(key_dir) if key_dir is not None else None
        self._key_dir: Path | None = None
        self.key_path = Path()
        self.port = 0
        self._connections: weakref.WeakSet[asyncssh.SSHServerConnection] = weakref.WeakSet()
        self._authorized_keys: asyncssh.SSHAuthorizedKeys | None = None
        self._host_key: asyncssh.SSHKey | None = None
        self._acceptor: asyncssh.SSHAcceptor | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def url(self, path: str = "") -> str:
        """`sftp://USER@127.0.0.1:PORT/path`, with `path` relative to the served root."""
        return f"sftp://{self.user}@{HOST}:{self.port}/{path.lstrip('/')}"

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for sshfs.SSHFileSystem: the client key, no host-key checking.

        In process, fsspec takes defaults from `fsspec.config.conf[protocol]`, where the
        protocol is the name the class was first looked up by ("sftp" for sftp:// URLs);
        a class used directly before any lookup has protocol "abstract" and no defaults.
        """
        return {"client_keys": [str(self.key_path)], "known_hosts": None}

    def client_env(self) -> dict[str, str]:
        """Environment for a child process whose fsspec should reach this server.

        fsspec reads FSSPEC_<PROTOCOL> JSON into fsspec.config.conf when it is imported;
        both FSSPEC_SFTP (sftp:// URLs) and FSSPEC_SSH (ssh:// URLs) are set.
        """
        options = json.dumps(self.client_options())
        return {"FSSPEC_SFTP": options, "FSSPEC_SSH": options}

    def __enter__(self) -> SFTPServer:
        if self._given_key_dir is not None:
            self._given_key_dir.mkdir(parents=True, exist_ok=True)
            self._key_dir = self._given_key_dir
        else:
            self._key_dir = Path(tempfile.mkdtemp(prefix="radiokit-sftp-"))
        client_key = asyncssh.generate_private_key("ssh-ed25519")
        self.key_path = self._key_dir / "id_ed25519"
        client_key.write_private_key(self.key_path)
        client_key.write_public_key(self.key_path.with_suffix(".pub"))
        self.key_path.chmod(0o600)
        self._authorized_keys = asyncssh.import_authorized_keys(
            client_key.export_public_key().decode("ascii"))
        self._host_key = asyncssh.generate_private_key("ssh-ed25519")

        loop = asyncio.new_event_loop()
        loop.set_default_executor(ThreadPoolExecutor(thread_name_prefix="SFTPServer-executor"))
        self._loop = loop
        self._thread = threading.Thread(target=self._run_loop, name="SFTPServer", daemon=True)
        self._thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self._start(), loop).result(_START_TIMEOUT)
        except BaseException:
            self._shutdown()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._shutdown()

    def _run_loop(self) -> None:
        assert self._loop is not None
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()

    async def _start(self) -> None:
        assert self._host_key is not None
        self._acceptor = await asyncssh.listen(
            HOST, 0,
            server_factory=functools.partial(_SSHServer, self),
            server_host_keys=[self._host_key],
            sftp_factory=functools.partial(asyncssh.SFTPServer, chroot=os.fsencode(self.root)),
            allow_scp=False,
            agent_forwarding=False,
            x11_forwarding=False,
        )
        self.port = self._acceptor.get_port()

    async def _stop(self) -> None:
        if self._acceptor is not None:
            self._acceptor.close()
            await self._acceptor.wait_closed()
            self._acceptor = None
        connections = list(self._connections)
        for conn in connections:
            conn.close()
        if connections:
            await asyncio.wait(
                [asyncio.ensure_future(conn.wait_closed()) for conn in connections],
                timeout=_STOP_TIMEOUT / 2)
        current = asyncio.current_task()
        others = [task for task in asyncio.all_tasks() if task is not current]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)
        loop = asyncio.get_running_loop()
        await loop.shutdown_asyncgens()
        await loop.shutdown_default_executor()

    def _shutdown(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive():
            try:
                asyncio.run_coroutine_threadsafe(self._stop(), loop).result(_STOP_TIMEOUT)
            finally:
                loop.call_soon_threadsafe(loop.stop)
                thread.join(_STOP_TIMEOUT)
        if loop is not None and not loop.is_running():
            loop.close()
        self._loop = None
        self._thread = None
        if self._given_key_dir is None and self._key_dir is not None:
            shutil.rmtree(self._key_dir, ignore_errors=True)
        self._key_dir = None


class S3Server:
    """moto's S3-speaking server (ThreadedMotoServer) on 127.0.0.1, with test credentials.

    moto's backends are process-wide: the state is reset when the server starts and when
    it stops, and two S3Servers in one process would share buckets. On exit, connections
    still open are shut down so that joining the request threads cannot hang.
    """

    KEY = "testing"
    SECRET = "testing"
    REGION = "us-east-1"

    def __init__(self) -> None:
        self.endpoint = ""
        self._moto: Any = None
        self._sockets: weakref.WeakSet[socket.socket] = weakref.WeakSet()
        self._boto: Any = None

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return int(urllib.parse.urlsplit(self.endpoint).port or 0)

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for s3fs.S3FileSystem (the same dict as FSSPEC_S3)."""
        return {"endpoint_url": self.endpoint, "key": self.KEY, "secret": self.SECRET}

    def client_env(self) -> dict[str, str]:
        """Environment for a child process: AWS_* for botocore and FSSPEC_S3 for fsspec."""
        return {
            "AWS_ACCESS_KEY_ID": self.KEY,
            "AWS_SECRET_ACCESS_KEY": self.SECRET,
            "AWS_DEFAULT_REGION": self.REGION,
            "AWS_ENDPOINT_URL": self.endpoint,
            "FSSPEC_S3": json.dumps(self.client_options()),
        }

    def make_bucket(self, name: str) -> None:
        """Create bucket `name` (with boto3)."""
        if self._boto is None:
            import boto3

            self._boto = boto3.client(
                "s3", endpoint_url=self.endpoint, aws_access_key_id=self.KEY,
                aws_secret_access_key=self.SECRET, region_name=self.REGION)
        self._boto.create_bucket(Bucket=name)

    def _reset(self) -> None:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        request = urllib.request.Request(f"{self.endpoint}/moto-api/reset", data=b"", method="POST")
        with opener.open(request, timeout=_STOP_TIMEOUT) as response:
            response.read()

    def __enter__(self) -> S3Server:
        from moto.server import ThreadedMotoServer

        self._moto = ThreadedMotoServer(ip_address=HOST, port=0, verbose=False)
        self._moto.start()
        wsgi_server = self._moto._server
        accept = wsgi_server.get_request

        def get_request() -> tuple[socket.socket, Any]:
            sock, address = accept()
            self._sockets.add(sock)
            return sock, address

        wsgi_server.get_request = get_request
        host, port = self._moto.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        try:
            self._reset()
        except BaseException:
            self._shutdown()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            self._reset()
        finally:
            self._shutdown()

    def _shutdown(self) -> None:
        if self._boto is not None:
            self._boto.close()
            self._boto = None
        if self._moto is None:
            return
        wsgi_server = self._moto._server
        self._moto.stop()
        for sock in list(self._sockets):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if wsgi_server is not None:
            wsgi_server.server_close()
        self._moto = None
