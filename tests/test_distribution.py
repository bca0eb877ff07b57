"""Publish and fetch end to end, against real servers on this machine: Python's HTTP server (with ranges),
asyncssh's SFTP server, moto's S3 server. Feeds are read back by podcastparser (a podcast client library)
and checked by tests/podcast_rules.py, written from the Podcasting 2.0 and Apple documentation."""

from __future__ import annotations

import email.utils
import io
import json
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import podcastparser
import pytest
from conftest import make_episode
from lxml import etree
from mutagen.id3 import ID3
from podcast_rules import check_chapters, check_feed
from servers import RangeHTTPServer, S3Server, SFTPServer

from radiokit import BuildOptions, build
from radiokit.errors import TransferError
from radiokit.fetch import fetch
from radiokit.publish import INDEX, publish
from radiokit.remote import Place
from radiokit.report import BuildReport

NS = {"podcast": "https://podcastindex.org/namespace/1.0", "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
      "radiokit": "urn:radiokit:feed:1"}
FEED = """feed:
  url: https://radio.example.org/show/
  owner: {name: Test Radio, email: podcasts@example.org}
  subcategory: Politics
  locked: true
  funding: {url: "https://example.org/support", text: Спасибо}
  guests: [{name: {ru: Рашидгани Абдулло, tg: Рашидғанӣ Абдулло}}]
stations:
  kfm: {format: wav, sidecars: [rivendell]}
"""


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> tuple[BuildReport, BuildReport]:
    """The test episode built with a feed and a station profile, and a corrected build of it (a new
    description: new tags, so new MP3 bytes), built into separate folders."""
    folder = tmp_path_factory.mktemp("distribution")
    script = make_episode(folder)
    text = script.read_text(encoding="utf-8").replace("segments:\n", FEED + "segments:\n", 1)
    script.write_text(text, encoding="utf-8")
    options = BuildOptions(out=folder / "first", cache=folder / "cache", stations=("all",))
    first = build(script, options)
    corrected = text.replace("description: {ru: Описание выпуска,", "description: {ru: Исправлено,", 1)
    assert corrected != text
    script.write_text(corrected, encoding="utf-8")
    second = build(script, BuildOptions(out=folder / "second", cache=folder / "cache"))
    return first, second


@pytest.fixture()
def served(tmp_path: Path) -> RangeHTTPServer:
    (tmp_path / "www").mkdir()
    with RangeHTTPServer(tmp_path / "www") as server:
        yield server


@pytest.fixture(scope="module")
def published(packages: tuple[BuildReport, BuildReport], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first build published once (fetch follows the feed's relative package links, whatever the base URL)."""
    folder = tmp_path_factory.mktemp("published") / "www"
    publish(packages[0].zip_path, str(folder), base_url="https://radio.example.org/show/")
    return folder


@pytest.fixture()
def served_published(published: Path, tmp_path: Path) -> RangeHTTPServer:
    """A fresh copy of the published folder behind its own HTTP server: a test may damage its copy."""
    shutil.copytree(published, tmp_path / "www")
    with RangeHTTPServer(tmp_path / "www") as server:
        yield server


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


def test_the_feed_reads_back_in_a_podcast_client_and_every_link_resolves(
        packages: tuple[BuildReport, BuildReport], served: RangeHTTPServer) -> None:
    first, _ = packages
    www = Path(served.root)
    report = publish(first.zip_path, str(www), base_url=served.url + "/")
    assert report.state == "new" and report.uploaded > 0
    for language in ("ru", "tg"):
        url = f"{served.url}/feed-{language}.xml"
        xml = get(url)
        assert check_feed(xml) == [], check_feed(xml)
        parsed = podcastparser.parse(url, io.BytesIO(xml))
        [episode] = parsed["episodes"]
        entry = next(e for e in first.languages if e.language == language)
        [enclosure] = episode["enclosures"]
        assert enclosure["file_size"] == len(get(enclosure["url"])) == (first.folder / entry.file).stat().st_size
        assert episode["guid"] == f"radiokit:{first.slug}:{language}"
        assert episode["total_time"] == round(entry.duration_s)
        root = etree.fromstring(xml)
        links = [e.get("url") for e in root.iterfind(".//podcast:transcript", NS)]
        links += [e.get("url") for e in root.iterfind(".//podcast:chapters", NS)]
        links.append(root.find("channel/itunes:image", NS).get("href"))
        assert len(links) == 4
        for link in links:
            assert get(link), link
        chapters = json.loads(get(root.find(".//podcast:chapters", NS).get("url")))
        assert check_chapters(chapters) == [], check_chapters(chapters)
        people = {(e.get("role"), e.text) for e in root.iterfind(".//podcast:person", NS)}
        assert ("guest", "Рашидгани Абдулло" if language == "ru" else "Рашидғанӣ Абдулло") in people
        assert root.findtext("channel/podcast:locked", namespaces=NS) == "yes"
        assert root.findtext("channel/language") == language


def test_json_chapters_are_the_id3_chapters(packages: tuple[BuildReport, BuildReport]) -> None:
    first, _ = packages
    for entry in first.languages:
        chapters = json.loads((first.folder / f"chapters-{entry.language}.json").read_text(encoding="utf-8"))
        frames = sorted(ID3(first.folder / entry.file).getall("CHAP"), key=lambda chap: chap.start_time)
        assert chapters["version"] == "1.2.0" and len(chapters["chapters"]) == len(frames) == len(entry.segments)
        for chapter, frame, segment in zip(chapters["chapters"], frames, entry.segments):
            assert round(chapter["startTime"] * 1000) == frame.start_time
            assert round(chapter["endTime"] * 1000) == frame.end_time
            assert chapter["title"] == segment.title and frame.sub_frames["TIT2"].text[0] == segment.title[:50]


def test_publishing_again_changes_nothing_and_a_correction_replaces_under_the_same_guid(
        packages: tuple[BuildReport, BuildReport], tmp_path: Path) -> None:
    first, second = packages
    destination = tmp_path / "pub"
    publish(first.zip_path, str(destination), base_url="https://radio.example.org/show/")
    before = {path: (path.stat().st_mtime_ns, path.read_bytes()) for path in destination.rglob("*") if path.is_file()}
    again = publish(first.folder, str(destination))  # the folder this time: the same package
    assert again.state == "unchanged" and again.uploaded == 0
    assert {path: (path.stat().st_mtime_ns, path.read_bytes())
            for path in destination.rglob("*") if path.is_file()} == before
    old_feed = etree.fromstring((destination / "feed-ru.xml").read_bytes())
    corrected = publish(second.zip_path, str(destination), base_url="https://radio.example.org/show/")
    assert corrected.state == "corrected"
    new_feed = etree.fromstring((destination / "feed-ru.xml").read_bytes())
    [old_item], [new_item] = old_feed.findall("channel/item"), new_feed.findall("channel/item")
    assert old_item.findtext("guid") == new_item.findtext("guid")
    assert new_item.findtext("description") == "Исправлено"
    old_url, new_url = old_item.find("enclosure").get("url"), new_item.find("enclosure").get("url")
    assert old_url != new_url
    relative = new_url.removeprefix("https://radio.example.org/show/")
    assert int(new_item.find("enclosure").get("length")) == (destination / relative).stat().st_size
    assert email.utils.parsedate_to_datetime(new_item.findtext("pubDate")) >= \
        email.utils.parsedate_to_datetime(old_item.findtext("pubDate"))
    assert (destination / old_url.removeprefix("https://radio.example.org/show/")).exists()  # for fetches under way


def test_an_upload_cut_midway_leaves_the_feed_as_it_was_and_resumes(
        packages: tuple[BuildReport, BuildReport], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = packages
    destination = tmp_path / "pub"
    publish(first.zip_path, str(destination))
    feeds = {name: (destination / name).read_bytes() for name in ("feed-ru.xml", "feed-tg.xml", INDEX)}
    real_put, sent = Place.put, []

    def failing_put(self: Place, local: Path, name: str, sha256: str) -> None:
        if len(sent) == 5:
            raise TransferError(f"{name}: connection reset (injected)")
        real_put(self, local, name, sha256)
        sent.append(name)

    monkeypatch.setattr(Place, "put", failing_put)
    with pytest.raises(TransferError):
        publish(second.zip_path, str(destination))
    assert {name: (destination / name).read_bytes() for name in feeds} == feeds
    [version] = {Path(name).parts[1] for name in sent}
    (destination / first.slug / version / ".segments.mp3.1234.part").write_bytes(b"half a file")  # a killed upload's
    monkeypatch.setattr(Place, "put", real_put)
    resumed = publish(second.zip_path, str(destination))
    assert resumed.state == "corrected" and resumed.kept == 5
    assert resumed.uploaded + resumed.kept == len(second_files(second)) + 1
    assert not [path for path in destination.rglob("*.part")]


def second_files(report: BuildReport) -> list[str]:
    return json.loads((report.folder / "manifest.json").read_text(encoding="utf-8"))["files"]


def station_names(report: BuildReport) -> list[str]:
    manifest = json.loads((report.folder / "manifest.json").read_text(encoding="utf-8"))
    return [entry["file"].rsplit("/", 1)[1] for entry in manifest["stations"]["kfm"]["files"]]


def test_fetch_over_http_delivers_the_stations_files_once(
        packages: tuple[BuildReport, BuildReport], served_published: RangeHTTPServer, tmp_path: Path) -> None:
    first, _ = packages
    into = tmp_path / "import"
    report = fetch(f"{served_published.url}/feed-tg.xml", into, station="kfm")
    assert [slug for slug, _ in report.fetched] == [first.slug] and not report.failed
    wavs = sorted(path.name for path in into.glob("*.wav"))
    assert wavs == sorted(station_names(first))
    sidecars = [Path(name).with_suffix(".xml").name for name in wavs]
    assert sorted(path.name for path in into.iterdir()) == sorted([".radiokit", *wavs, *sidecars])
    for wav in wavs:
        assert (into / wav).read_bytes() == (first.folder / "stations" / "kfm" / wav).read_bytes()
    served_published.requests.clear()
    again = fetch(f"{served_published.url}/feed-tg.xml", into, station="kfm")
    assert again.fetched == [] and again.unchanged == 1
    assert [path for path, _ in served_published.requests] == ["/feed-tg.xml"]


def test_a_download_cut_midway_resumes_where_it_stopped(
        packages: tuple[BuildReport, BuildReport], served_published: RangeHTTPServer, tmp_path: Path) -> None:
    first, _ = packages
    version = json.loads((Path(served_published.root) / INDEX).read_text(encoding="utf-8"))["episodes"][first.slug]["folder"]
    mp3 = f"/{version}/{first.languages[0].file}"
    served_published.cut(mp3, after_bytes=100_000)
    into = tmp_path / "import"
    with pytest.raises(TransferError, match="run fetch again to resume"):
        fetch(f"{served_published.url}/feed-ru.xml", into)
    assert sorted(path.name for path in into.iterdir()) == [".radiokit"]
    report = fetch(f"{served_published.url}/feed-ru.xml", into)
    assert [slug for slug, _ in report.fetched] == [first.slug]
    ranges = [header for path, header in served_published.requests if path == mp3]
    assert ranges == [None, "bytes=100000-"], served_published.requests
    programme = first.languages[0].file
    assert (into / first.slug / programme).read_bytes() == (first.folder / programme).read_bytes()


def test_a_tampered_package_is_refused_and_nothing_enters_the_folder(
        packages: tuple[BuildReport, BuildReport], served_published: RangeHTTPServer, tmp_path: Path) -> None:
    first, _ = packages
    [mp3] = [p for p in Path(served_published.root).rglob(first.languages[1].file)]
    data = bytearray(mp3.read_bytes())
    data[len(data) // 2] ^= 0xFF
    mp3.write_bytes(bytes(data))
    into = tmp_path / "import"
    done = subprocess.run([sys.executable, "-m", "radiokit", "fetch", f"{served_published.url}/feed-tg.xml", "--into", str(into),
                           "--station", "kfm"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith(f"error: {first.slug}: refused: {first.languages[1].file}: its checksum")
    assert "kept in" in line
    assert sorted(path.name for path in into.iterdir()) == [".radiokit"]
    assert not (into / ".radiokit" / "fetched.json").exists()


def test_unreachable_feeds_and_bad_packages_are_one_line_and_status_2(tmp_path: Path) -> None:
    (tmp_path / "not-a-package").mkdir()
    for arguments, expected in [
        (["fetch", "http://127.0.0.1:9/feed-ru.xml", "--into", str(tmp_path / "in")],
         "error: http://127.0.0.1:9/feed-ru.xml: cannot connect"),
        (["fetch", str(tmp_path / "nowhere" / "feed-ru.xml"), "--into", str(tmp_path / "in")],
         f"error: {tmp_path / 'nowhere' / 'feed-ru.xml'}: no feed there"),
        (["publish", str(tmp_path / "not-a-package"), str(tmp_path / "pub")],
         f"error: {tmp_path / 'not-a-package'}: no manifest.json"),
        (["publish", str(tmp_path / "not-a-package"), "ftp://host/path"],
         "error: ftp://host/path: ftp:// is not supported"),
    ]:
        done = subprocess.run([sys.executable, "-m", "radiokit", *arguments], capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 2, (arguments, done.stderr)
        [line] = done.stderr.splitlines()
        assert line.startswith(expected), line
    assert not (tmp_path / "pub").exists()


def test_publish_and_fetch_over_sftp(packages: tuple[BuildReport, BuildReport], tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from fsspec.config import conf

    first, _ = packages
    (tmp_path / "root" / "pub").mkdir(parents=True)
    with SFTPServer(tmp_path / "root") as server:
        monkeypatch.setitem(conf, "ssh", server.client_options())
        report = publish(first.zip_path, server.url("pub"))
        assert report.state == "new"
        assert (tmp_path / "root" / "pub" / "feed-ru.xml").is_file()
        assert not [path for path in (tmp_path / "root").rglob("*.part")]
        fetched = fetch(f"{server.url('pub')}/feed-ru.xml", tmp_path / "import", station="kfm")
    assert [slug for slug, _ in fetched.fetched] == [first.slug]
    assert sorted(p.name for p in (tmp_path / "import").glob("*.wav")) == sorted(station_names(first))


def test_publish_and_fetch_over_s3(packages: tuple[BuildReport, BuildReport], tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from fsspec.config import conf

    _, second = packages
    with S3Server() as server:
        for key, value in server.client_env().items():
            monkeypatch.setenv(key, value)
        monkeypatch.setitem(conf, "s3", server.client_options())
        server.make_bucket("radio")
        report = publish(second.zip_path, "s3://radio/show")
        assert report.state == "new"
        place = Place("s3://radio/show")
        assert place.size("feed-tg.xml")
        fetched = fetch("s3://radio/show/feed-tg.xml", tmp_path / "import")
    assert [slug for slug, _ in fetched.fetched] == [second.slug]
    assert (tmp_path / "import" / second.slug / second.languages[1].file).read_bytes() == \
        (second.folder / second.languages[1].file).read_bytes()


@pytest.mark.parametrize("manifest", ["../outside/manifest.json", ".radiokit/abc/manifest.json",
                                      "/etc/manifest.json", "show/..\\..\\manifest.json"])
def test_a_hostile_feed_cannot_name_a_place_outside_the_package(tmp_path: Path, manifest: str) -> None:
    feed = tmp_path / "feed-ru.xml"
    package = f'<radiokit:package manifest="{manifest}" sha256="{"0" * 64}"/>'
    feed.write_text(f'<rss version="2.0" xmlns:radiokit="urn:radiokit:feed:1"><channel><title>x</title><item>'
                    f'<guid>a</guid>{package}</item></channel></rss>', encoding="utf-8")
    into = tmp_path / "import"
    done = subprocess.run([sys.executable, "-m", "radiokit", "fetch", str(feed), "--into", str(into)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith(f"error: {feed}"), line
    assert list(into.iterdir()) == []
