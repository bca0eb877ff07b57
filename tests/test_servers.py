"""The test servers in servers.py, each driven by the real client radiokit's tests use."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import asyncssh
import boto3
import fsspec
import pytest
import s3fs
import sshfs

from servers import RangeHTTPServer, S3Server, SFTPServer, free_port

BODY = bytes(range(256)) * 40
TIMEOUT = 10


def _refused(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(TIMEOUT)
        return sock.connect_ex(("127.0.0.1", port)) != 0


def _child_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FSSPEC_", "AWS_"))}
    env.update(extra)
    return env


def test_free_port_can_be_bound() -> None:
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


# HTTP

_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture(scope="module")
def http_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RangeHTTPServer]:
    root = tmp_path_factory.mktemp("http")
    (root / "ep 7.mp3").write_bytes(BODY)
    with RangeHTTPServer(root) as server:
        yield server


def _get(url: str, range_header: str | None = None) -> http.client.HTTPResponse:
    request = urllib.request.Request(url, headers={"Range": range_header} if range_header else {})
    return _opener.open(request, timeout=TIMEOUT)


def test_http_whole_file(http_server: RangeHTTPServer) -> None:
    assert not http_server.url.endswith("/")
    with _get(http_server.url + "/ep%207.mp3") as response:
        assert response.status == 200
        assert response.headers["Accept-Ranges"] == "bytes"
        assert response.headers["Content-Length"] == str(len(BODY))
        assert response.read() == BODY
    assert http_server.requests[-1] == ("/ep 7.mp3", None)


@pytest.mark.parametrize(("header", "first", "last"), [
    ("bytes=5-", 5, len(BODY) - 1),
    ("bytes=100-199", 100, 199),
    ("bytes=10000-99999", 10000, len(BODY) - 1),
    ("bytes=-16", len(BODY) - 16, len(BODY) - 1),
])
def test_http_range(http_server: RangeHTTPServer, header: str, first: int, last: int) -> None:
    with _get(http_server.url + "/ep%207.mp3", header) as response:
        assert response.status == 206
        assert response.headers["Content-Range"] == f"bytes {first}-{last}/{len(BODY)}"
        assert response.headers["Content-Length"] == str(last - first + 1)
        assert response.read() == BODY[first:last + 1]
    assert http_server.requests[-1] == ("/ep 7.mp3", header)


def test_http_unsatisfiable_range_and_missing_file(http_server: RangeHTTPServer) -> None:
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        _get(http_server.url + "/ep%207.mp3", f"bytes={len(BODY)}-")
    assert excinfo.value.code == 416
    assert excinfo.value.headers["Content-Range"] == f"bytes */{len(BODY)}"
    excinfo.value.close()
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        _get(http_server.url + "/nothing.mp3")
    assert excinfo.value.code == 404
    excinfo.value.close()
    assert http_server.requests[-1] == ("/nothing.mp3", None)


def test_http_cut_truncates_then_recovers(http_server: RangeHTTPServer) -> None:
    http_server.cut("/ep 7.mp3", 1000, times=2)
    for header in (None, "bytes=5-"):
        with _get(http_server.url + "/ep%207.mp3", header) as response:
            expected = len(BODY) if header is None else len(BODY) - 5
            assert response.headers["Content-Length"] == str(expected)
            with pytest.raises(http.client.IncompleteRead) as excinfo:
                response.read()
            assert len(excinfo.value.partial) == 1000
    with _get(http_server.url + "/ep%207.mp3") as response:
        assert response.read() == BODY
    assert http_server.requests[-3:] == [
        ("/ep 7.mp3", None), ("/ep 7.mp3", "bytes=5-"), ("/ep 7.mp3", None)]


def test_http_requests_from_many_threads(http_server: RangeHTTPServer) -> None:
    before = len(http_server.requests)

    def fetch(index: int) -> None:
        with _get(http_server.url + "/ep%207.mp3", f"bytes={index}-{index}") as response:
            assert response.read() == BODY[index:index + 1]

    workers = [threading.Thread(target=fetch, args=(i,)) for i in range(16)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(TIMEOUT)
    seen = sorted(header for _, header in http_server.requests[before:] if header)
    assert seen == sorted(f"bytes={i}-{i}" for i in range(16))


# SFTP

@pytest.fixture(scope="module")
def sftp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SFTPServer]:
    root = tmp_path_factory.mktemp("sftp")
    (root / "pub").mkdir()
    with SFTPServer(root, key_dir=tmp_path_factory.mktemp("sftp-keys")) as server:
        yield server


@pytest.fixture
def sftp_fs(sftp_server: SFTPServer) -> sshfs.SSHFileSystem:
    return sshfs.SSHFileSystem(
        host="127.0.0.1", port=sftp_server.port, username=sftp_server.user,
        timeout=TIMEOUT, skip_instance_cache=True, **sftp_server.client_options())


def test_sftp_url_and_options(sftp_server: SFTPServer) -> None:
    assert sftp_server.url("pub") == f"sftp://radiokit@127.0.0.1:{sftp_server.port}/pub"
    assert sftp_server.url("/pub/a.mp3") == f"sftp://radiokit@127.0.0.1:{sftp_server.port}/pub/a.mp3"
    options = sftp_server.client_options()
    assert options == {"client_keys": [str(sftp_server.key_path)], "known_hosts": None}
    assert json.loads(sftp_server.client_env()["FSSPEC_SFTP"]) == options
    assert sftp_server.key_path.is_file()


def test_sftp_write_read_list_rename(sftp_server: SFTPServer, sftp_fs: sshfs.SSHFileSystem) -> None:
    root = sftp_server.root
    sftp_fs.pipe_file("/pub/episode.mp3", BODY)
    assert sftp_fs.cat_file("/pub/episode.mp3") == BODY
    assert (root / "pub" / "episode.mp3").read_bytes() == BODY
    assert sftp_fs.ls("/pub", detail=False) == ["/pub/episode.mp3"]
    assert sftp_fs.info("/pub/episode.mp3")["size"] == len(BODY)

    sftp_fs.pipe_file("/pub/feed.xml.part", b"new feed")
    sftp_fs.pipe_file("/pub/feed.xml", b"old feed")
    inode = (root / "pub" / "feed.xml.part").stat().st_ino
    sftp_fs.mv("/pub/feed.xml.part", "/pub/feed.xml")
    assert (root / "pub" / "feed.xml").read_bytes() == b"new feed"
    assert (root / "pub" / "feed.xml").stat().st_ino == inode, "replaced by posix-rename, not copy"
    assert not (root / "pub" / "feed.xml.part").exists()
    assert sorted(sftp_fs.ls("/pub", detail=False)) == ["/pub/episode.mp3", "/pub/feed.xml"]


def test_sftp_is_chrooted(sftp_server: SFTPServer, sftp_fs: sshfs.SSHFileSystem) -> None:
    sftp_fs.pipe_file("/../../escape.txt", b"x")
    assert (sftp_server.root / "escape.txt").read_bytes() == b"x"
    assert "/escape.txt" in sftp_fs.ls("/", detail=False)


def test_sftp_rejects_other_users_and_keys(sftp_server: SFTPServer) -> None:
    async def attempt(username: str, key: asyncssh.SSHKey | str) -> None:
        async with asyncssh.connect("127.0.0.1", sftp_server.port, username=username,
                                    client_keys=[key], known_hosts=None, agent_path=None,
                                    password=None, connect_timeout=TIMEOUT):
            pass

    with pytest.raises(asyncssh.PermissionDenied):
        asyncio.run(attempt("root", str(sftp_server.key_path)))
    with pytest.raises(asyncssh.PermissionDenied):
        asyncio.run(attempt(sftp_server.user, asyncssh.generate_private_key("ssh-ed25519")))


def test_sftp_fsspec_url_with_in_process_config(sftp_server: SFTPServer,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(fsspec.config.conf, "sftp", sftp_server.client_options())
    fs, path = fsspec.core.url_to_fs(sftp_server.url("pub/hello.txt"), skip_instance_cache=True,
                                     timeout=TIMEOUT)
    fs.pipe_file(path, b"hello")
    assert (sftp_server.root / "pub" / "hello.txt").read_bytes() == b"hello"


def test_sftp_fsspec_url_with_client_env(sftp_server: SFTPServer) -> None:
    (sftp_server.root / "pub" / "env.txt").write_bytes(b"from env")
    code = ("import fsspec, sys\n"
            "with fsspec.open(sys.argv[1], 'rb', timeout=10) as f:\n"
            "    sys.stdout.write(f.read().decode())\n")
    result = subprocess.run([sys.executable, "-c", code, sftp_server.url("pub/env.txt")],
                            env=_child_env(sftp_server.client_env()), capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "from env"


# S3

@pytest.fixture(scope="module")
def s3_server() -> Iterator[S3Server]:
    with S3Server() as server:
        yield server


@pytest.fixture
def s3_fs(s3_server: S3Server) -> s3fs.S3FileSystem:
    return s3fs.S3FileSystem(skip_instance_cache=True, **s3_server.client_options())


def test_s3_options(s3_server: S3Server) -> None:
    assert s3_server.endpoint == f"http://127.0.0.1:{s3_server.port}"
    env = s3_server.client_env()
    assert json.loads(env["FSSPEC_S3"]) == s3_server.client_options() == {
        "endpoint_url": s3_server.endpoint, "key": "testing", "secret": "testing"}
    assert env["AWS_ENDPOINT_URL"] == s3_server.endpoint


def test_s3_write_read_info_move(s3_server: S3Server, s3_fs: s3fs.S3FileSystem) -> None:
    s3_server.make_bucket("station")
    s3_fs.pipe_file("station/pub/episode.mp3", BODY)
    assert s3_fs.cat_file("station/pub/episode.mp3") == BODY
    assert s3_fs.info("station/pub/episode.mp3")["size"] == len(BODY)
    s3_fs.pipe_file("station/pub/feed.xml", b"old")
    s3_fs.pipe_file("station/pub/feed.xml.part", b"new")
    s3_fs.mv("station/pub/feed.xml.part", "station/pub/feed.xml")
    assert s3_fs.cat_file("station/pub/feed.xml") == b"new"
    assert not s3_fs.exists("station/pub/feed.xml.part")
    assert sorted(s3_fs.ls("station/pub", detail=False)) == [
        "station/pub/episode.mp3", "station/pub/feed.xml"]
    other = boto3.client("s3", endpoint_url=s3_server.endpoint, aws_access_key_id="testing",
                         aws_secret_access_key="testing", region_name="us-east-1")
    try:
        body = other.get_object(Bucket="station", Key="pub/feed.xml")["Body"].read()
    finally:
        other.close()
    assert body == b"new"


def test_s3_fsspec_url_with_client_env(s3_server: S3Server) -> None:
    s3_server.make_bucket("envbucket")
    code = ("import fsspec, sys\n"
            "with fsspec.open(sys.argv[1], 'wb') as f:\n"
            "    f.write(b'from env')\n")
    result = subprocess.run([sys.executable, "-c", code, "s3://envbucket/x.txt"],
                            env=_child_env(s3_server.client_env()), capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    fs = s3fs.S3FileSystem(skip_instance_cache=True, **s3_server.client_options())
    assert fs.cat_file("envbucket/x.txt") == b"from env"


# Clean shutdown

def _threads() -> set[threading.Thread]:
    return set(threading.enumerate())


def test_http_server_leaves_no_thread_or_port(tmp_path: Path) -> None:
    (tmp_path / "a.bin").write_bytes(BODY)
    before = _threads()
    with RangeHTTPServer(tmp_path) as server:
        server.cut("/a.bin", 10)
        with _get(server.url + "/a.bin") as response, pytest.raises(http.client.IncompleteRead):
            response.read()
        with _get(server.url + "/a.bin", "bytes=1-") as response:
            assert response.read() == BODY[1:]
        port = server.port
    assert not _threads() - before, "threads started by the server are gone"
    assert _refused(port)


def test_sftp_server_leaves_no_thread_or_port(tmp_path: Path) -> None:
    written = threading.Event()

    async def use(server: SFTPServer) -> None:
        conn = await asyncssh.connect("127.0.0.1", server.port, username=server.user,
                                      client_keys=[str(server.key_path)], known_hosts=None,
                                      agent_path=None, connect_timeout=TIMEOUT)
        async with conn.start_sftp_client() as sftp, sftp.open("/a.txt", "wb") as handle:
            await handle.write(b"a")
        written.set()
        await asyncio.wait_for(conn.wait_closed(), TIMEOUT)

    (tmp_path / "root").mkdir()
    before = _threads()
    loop = asyncio.new_event_loop()
    with SFTPServer(tmp_path / "root") as server:
        key_dir = server.key_path.parent
        task = loop.create_task(use(server))
        client = threading.Thread(target=loop.run_until_complete, args=(task,))
        client.start()
        assert written.wait(TIMEOUT)
        port = server.port
    client.join(TIMEOUT)
    assert not client.is_alive(), "the server closes connections that are still open"
    task.result()
    loop.run_until_complete(loop.shutdown_default_executor())
    loop.close()
    assert (tmp_path / "root" / "a.txt").read_bytes() == b"a"
    assert not _threads() - before, "threads started by the server are gone"
    assert _refused(port)
    assert not key_dir.exists()


def test_s3_server_leaves_no_thread_or_port() -> None:
    before = _threads()
    with S3Server() as server:
        server.make_bucket("bucket")
        client = boto3.client("s3", endpoint_url=server.endpoint, aws_access_key_id="testing",
                              aws_secret_access_key="testing", region_name="us-east-1")
        client.put_object(Bucket="bucket", Key="k", Body=b"v")
        port = server.port
    assert not _threads() - before, "threads started by the server are gone"
    assert _refused(port)
    client.close()
    with S3Server() as fresh:
        client = boto3.client("s3", endpoint_url=fresh.endpoint, aws_access_key_id="testing",
                              aws_secret_access_key="testing", region_name="us-east-1")
        try:
            assert client.list_buckets()["Buckets"] == [], "a new server starts empty"
        finally:
            client.close()
