"""`radiokit verify` passes a real package and fails each way a package can be damaged,
including damage that a manifest made consistent again would hide."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import struct
import subprocess
import zipfile
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
from mutagen.id3 import ID3, TIT2

from media import tone
from radiokit import mpeg
from radiokit.audio_io import ffmpeg_exe
from radiokit.encode import encode_array
from radiokit.errors import InputError
from radiokit.report import BuildReport
from radiokit.mpeg import mp3_stream
from radiokit.tag import Tags, write_tags
from radiokit.verification import verify
from test_cli import radiokit

SLUG = "testovaya-seriya-7-2012-10-26"


def unpack(report: BuildReport, into: Path) -> Path:
    with zipfile.ZipFile(report.zip_path) as archive:
        archive.extractall(into)
    return into / SLUG


def repack(folder: Path, zip_path: Path, extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(zip_path, "w") as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            archive.write(path, f"{SLUG}/{path.relative_to(folder).as_posix()}")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return zip_path


def read_manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def write_manifest(folder: Path, manifest: dict) -> None:
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")


def refresh_manifest(folder: Path) -> None:
    """What a careless (or dishonest) editor does: make every size and checksum match the files again."""
    manifest = read_manifest(folder)
    entries = [*manifest["files"], *manifest["languages"].values(),
               *(s for language in manifest["languages"].values() for s in language["segments"])]
    for entry in entries:
        data = (folder / entry.get("path", entry.get("file"))).read_bytes()
        entry["size"], entry["sha256"] = len(data), hashlib.sha256(data).hexdigest()
    write_manifest(folder, manifest)


def check(path: Path) -> subprocess.CompletedProcess[str]:
    return radiokit("verify", str(path), cwd=path.parent)


def test_the_built_package_is_fit_to_air(built: BuildReport) -> None:
    done = check(built.zip_path)
    assert done.returncode == 0, done.stdout + done.stderr
    listed = len(read_manifest(built.folder)["files"])
    assert done.stdout.strip() == f"{built.zip_path}: fit to air ({listed} files checked)"
    assert check(built.folder).returncode == 0  # the unzipped folder too


def flip_a_byte(folder: Path) -> None:
    path = folder / "segments" / "ru" / "02-headline.mp3"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x55
    path.write_bytes(bytes(data))


def damage_audio(folder: Path) -> None:
    """One byte of one frame's audio data changed, the manifest updated: ffmpeg decodes it without a word."""
    flip_a_byte(folder)
    refresh_manifest(folder)


def strip_tags(folder: Path) -> None:
    ID3(folder / "segments" / "tg" / "02-headline.mp3").delete()
    refresh_manifest(folder)


def drop_artwork(folder: Path) -> None:
    tags = ID3(folder / "segments" / "ru" / "03-analyst.mp3")
    tags.delall("APIC")
    tags.save(v2_version=3)
    refresh_manifest(folder)


def artwork_not_an_image(folder: Path) -> None:
    """The cover's bytes replaced by text, its MIME type left saying PNG."""
    tags = ID3(folder / "segments" / "ru" / "03-analyst.mp3")
    tags.getall("APIC")[0].data = b"this is not a picture" * 20
    tags.save(v2_version=3)
    refresh_manifest(folder)


def retitle(folder: Path) -> None:
    tags = ID3(folder / f"{SLUG}-tg.mp3")
    tags.add(TIT2(encoding=1, text="Другая программа"))
    tags.save(v2_version=3)
    refresh_manifest(folder)


def drop_a_chapter(folder: Path) -> None:
    tags = ID3(folder / f"{SLUG}-ru.mp3")
    tags.delall("CHAP:ch03")
    tags.save(v2_version=3)
    refresh_manifest(folder)


def eight_db_louder(folder: Path) -> None:
    programme = folder / f"{SLUG}-ru.mp3"
    louder = programme.with_name("louder.mp3")
    subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(programme), "-map", "0:a", "-af", "volume=8dB", "-c:a", "libmp3lame",
                    "-b:a", "128k", "-id3v2_version", "0", str(louder)], check=True)
    tags = ID3(programme)
    louder.replace(programme)
    tags.save(programme, v2_version=3)  # the same tags and chapters, so only the audio gives it away
    refresh_manifest(folder)


def remove_a_file(folder: Path) -> None:
    (folder / "segments" / "ru" / "01-opening.mp3").unlink()


def add_unlisted_audio(folder: Path) -> None:
    shutil.copy(folder / f"{SLUG}-tg.mp3", folder / "segments" / "tg" / "99-extra.mp3")


def truncate(folder: Path) -> None:
    path = folder / f"{SLUG}-tg.mp3"
    path.write_bytes(path.read_bytes()[: path.stat().st_size * 2 // 3])
    refresh_manifest(folder)


def point_outside(folder: Path) -> None:
    manifest = read_manifest(folder)
    manifest["files"].append({"path": "../../../etc/passwd", "size": 1, "sha256": "0" * 64})
    write_manifest(folder, manifest)


def louder_target(folder: Path) -> None:
    manifest = read_manifest(folder)
    manifest["delivery"]["integrated_lufs"] = -15.0
    write_manifest(folder, manifest)


DAMAGE: dict[str, tuple[Callable[[Path], None], str]] = {
    "flipped byte": (flip_a_byte, "segments/ru/02-headline.mp3: checksum differs from the manifest"),
    "damaged audio, manifest updated": (damage_audio, "segments/ru/02-headline.mp3: its audio is damaged"),
    "stripped tags": (strip_tags, "segments/tg/02-headline.mp3: has no ID3 tag"),
    "no cover art": (drop_artwork, "segments/ru/03-analyst.mp3: no APIC frame (cover art)"),
    "cover art not an image": (artwork_not_an_image, ("segments/ru/03-analyst.mp3: APIC frame (cover art) is "
                                                      "'image/png (but its data is no PNG or JPEG image)', the "
                                                      "manifest says 'image/png'")),
    "another title": (retitle, (f"{SLUG}-tg.mp3: TIT2 frame (title) is 'Другая программа', the manifest says "
                                "'Тоҷикистон ва Русия'")),
    "a chapter missing": (drop_a_chapter, f"{SLUG}-ru.mp3: 5 chapters, the manifest lists 6 segments"),
    "8 dB too loud": (eight_db_louder, f"{SLUG}-ru.mp3: -15."),
    "missing file": (remove_a_file, "segments/ru/01-opening.mp3: listed in the manifest but missing"),
    "unlisted audio": (add_unlisted_audio, "segments/tg/99-extra.mp3: not in the manifest (unlisted audio)"),
    "truncated": (truncate, f"{SLUG}-tg.mp3: truncated: "),
    "manifest points outside": (point_outside, "../../../etc/passwd: the manifest (files["),
    "target edited": (louder_target, ("manifest.json: delivery.profile ebu-r128 means -23.0 LUFS and -1.0 dBTP, "
                                      "the manifest gives -15.0 LUFS")),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_each_kind_of_damage_is_caught(built: BuildReport, tmp_path: Path, damage: str) -> None:
    """In process, on the unzipped folder: the command's own start-up would double the time of each case."""
    harm, expected = DAMAGE[damage]
    folder = unpack(built, tmp_path / "x")
    harm(folder)
    verdict = verify(folder)
    assert not verdict.fit_to_air
    assert any(problem.startswith(expected) for problem in verdict.problems), verdict.problems


def test_a_damaged_zip_exits_1_with_a_summary(built: BuildReport, tmp_path: Path) -> None:
    folder = unpack(built, tmp_path / "x")
    strip_tags(folder)
    done = check(repack(folder, tmp_path / "damaged.zip"))
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout.splitlines() == [
        "segments/tg/02-headline.mp3: has no ID3 tag (title, series, presenter, language, transcript, loudness)",
        f"{tmp_path / 'damaged.zip'}: NOT fit to air: 1 problem(s) in {len(read_manifest(folder)['files'])} files"]
    assert done.stderr == ""


def test_a_truncated_file_does_not_decode_to_its_length(built: BuildReport, tmp_path: Path) -> None:
    folder = unpack(built, tmp_path / "x")
    truncate(folder)
    length = read_manifest(folder)["languages"]["tg"]["duration_s"]
    line = next(line for line in verify(folder).problems if line.startswith(f"{SLUG}-tg.mp3: decodes to "))
    assert float(line.split()[3]) == pytest.approx(length * 2 / 3, abs=0.3)


def test_too_loud_is_named_with_its_figures(built: BuildReport, tmp_path: Path) -> None:
    folder = unpack(built, tmp_path / "x")
    eight_db_louder(folder)
    done = check(repack(folder, tmp_path / "loud.zip"))
    lines = [line for line in done.stdout.splitlines() if line.startswith(f"{SLUG}-ru.mp3: ")]
    measured = read_manifest(folder)["languages"]["ru"]["integrated_lufs"]
    loud = next(line for line in lines if line.endswith("LUFS, the profile asks -23.0 +-0.5 LUFS"))
    # a little under +8: the louder peaks are clipped at full scale in the re-encode
    assert float(loud.split()[1]) == pytest.approx(measured + 8, abs=0.6)
    assert any("true peak" in line and "over the -1.0 dBTP ceiling" in line for line in lines)
    assert any(line.endswith(f"the manifest says {measured:.1f}") for line in lines)


def flip_inside_the_zip(zip_path: Path, name: str) -> None:
    """A byte changed in transit: inside the zip's stored copy of one file."""
    with zipfile.ZipFile(zip_path) as archive:
        info = archive.getinfo(name)
    data = bytearray(zip_path.read_bytes())
    name_bytes, extra_bytes = struct.unpack("<HH", data[info.header_offset + 26 : info.header_offset + 30])
    data[info.header_offset + 30 + name_bytes + extra_bytes + info.compress_size // 2] ^= 0x55
    zip_path.write_bytes(bytes(data))


def test_damage_in_transit_is_caught_by_the_zip_crc(built: BuildReport, tmp_path: Path) -> None:
    damaged = Path(shutil.copy(built.zip_path, tmp_path / "damaged.zip"))
    flip_inside_the_zip(damaged, f"{SLUG}/segments/tg/03-analyst.mp3")
    done = check(damaged)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"{SLUG}/segments/tg/03-analyst.mp3: damaged in the zip (Bad CRC-32); it was not extracted" in done.stdout
    assert "missing" not in done.stdout  # one line for one damage


def symlink_entry(name: str, target: str) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.create_system = 3  # Unix, whose mode bits mark a symbolic link
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target.encode()


def test_zip_slip_entries_are_refused_and_never_written(built: BuildReport, tmp_path: Path) -> None:
    folder = unpack(built, tmp_path / "x")
    work = tmp_path / "station"
    work.mkdir()
    zip_path = repack(folder, work / "slip.zip", {"../escaped.txt": b"owned", "/tmp/absolute-escape.txt": b"owned",
                                                  f"{SLUG}/../../escaped2.txt": b"owned", "README.txt": b"beside",
                                                  "C:/escape.txt": b"owned", f"{SLUG}\\..\\..\\escaped3.txt": b"owned"})
    with zipfile.ZipFile(zip_path, "a") as archive:
        archive.writestr(*symlink_entry(f"{SLUG}/segments/link.mp3", "/etc/passwd"))
        with pytest.warns(UserWarning, match="Duplicate name"):
            archive.writestr(f"{SLUG}/rundown.txt", b"a second copy")
    done = check(zip_path)
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    leaves = "entry could land outside the package folder (an absolute path, '..', a drive or a backslash); it was " \
             "not extracted"
    for name in ["../escaped.txt", "/tmp/absolute-escape.txt", f"{SLUG}/../../escaped2.txt", "C:/escape.txt",
                 f"{SLUG}\\..\\..\\escaped3.txt"]:
        assert f"{name}: {leaves}" in lines
    assert f"README.txt: entry outside the package folder {SLUG}/; it was not extracted" in lines
    assert f"{SLUG}/segments/link.mp3: entry is a symbolic link; it was not extracted" in lines
    assert any(line.startswith(f"{SLUG}/rundown.txt: in the zip twice") for line in lines)
    assert not (tmp_path / "escaped.txt").exists() and not (tmp_path / "escaped2.txt").exists()
    assert not Path("/tmp/absolute-escape.txt").exists()
    assert sorted(p.name for p in work.iterdir()) == ["slip.zip"]


def test_a_folder_with_a_symlink_is_not_followed(built: BuildReport, tmp_path: Path) -> None:
    folder = unpack(built, tmp_path / "x")
    os.symlink("/etc/passwd", folder / "segments" / "passwd")
    assert verify(folder).problems == ("segments/passwd: a symbolic link; it was not followed",)


def test_unreadable_packages_exit_2(built: BuildReport, tmp_path: Path) -> None:
    not_zip = tmp_path / "notes.zip"
    not_zip.write_text("not a zip", encoding="utf-8")
    done = check(not_zip)
    assert done.returncode == 2 and done.stderr.startswith(f"error: {not_zip}: not a zip file")
    folder = unpack(built, tmp_path / "x")
    (folder / "manifest.json").unlink()
    no_manifest = repack(folder, tmp_path / "no-manifest.zip")
    done = check(no_manifest)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (f"error: {no_manifest}: no <slug>/manifest.json in the zip: this is not a radiokit "
                           "package, or it is incomplete; ask the producer for the whole zip\n")
    (folder / "manifest.json").write_text("{not json", encoding="utf-8")
    done = check(repack(folder, tmp_path / "bad-manifest.zip"))
    assert done.returncode == 2 and "manifest.json: not readable JSON" in done.stderr
    assert check(tmp_path / "absent.zip").returncode == 2
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("edit, where", [
    (lambda m: m.update(files="all of them"), "files: expected a list"),
    (lambda m: m["languages"]["ru"]["segments"][1].update(start_s="soon"),
     "languages.ru.segments[1].start_s: expected a number"),
    (lambda m: m["languages"]["tg"].update(duration_s=float("nan")), "languages.tg.duration_s: expected a number"),
    (lambda m: m["delivery"].pop("true_peak_dbtp"), "delivery.true_peak_dbtp: expected a number"),
])
def test_a_malformed_manifest_is_named_by_its_key(built: BuildReport, tmp_path: Path, edit: Callable[[dict], None],
                                                   where: str) -> None:
    folder = unpack(built, tmp_path / "x")
    manifest = read_manifest(folder)
    edit(manifest)
    write_manifest(folder, manifest)
    with pytest.raises(InputError) as raised:
        verify(folder)
    assert str(raised.value).startswith(f"{folder}: manifest.json: {where}: "), raised.value
    assert raised.value.exit_status == 2 and len(str(raised.value).splitlines()) == 1


@pytest.mark.parametrize("channels, rate, kbps, version", [(2, 44100, 128, "2.3"), (1, 48000, 64, "2.4")])
def test_mp3_audio_is_checked_against_the_crc_its_encoder_wrote(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                channels: int, rate: int, kbps: int,
                                                                version: str) -> None:
    """The encoder (ffmpeg) recorded the audio's length and CRC-16; radiokit's own CRC must agree with it on
    an intact file, in stereo and mono, and tell a changed byte and a cut file."""
    monkeypatch.setattr(mpeg, "_CRC_ROWS", 1)  # one 4 KiB row a block: the joins between blocks count
    path = tmp_path / "p.mp3"
    encode_array(path, "mp3", tone(440.0, 3.0, rate, -20.0, channels=channels).astype(np.float32)
                 .reshape(-1, channels), rate, kbps)
    write_tags(path, Tags(title="T", album="S", artist="P", language="ru"), [], version)
    assert mp3_stream(path) == mpeg.Mp3Stream(rate, channels, kbps, None)
    data = bytearray(path.read_bytes())
    data[-1000] ^= 0x01
    path.write_bytes(bytes(data))
    assert mp3_stream(path).problem == "its audio is damaged: the frames' CRC differs from the one its encoder wrote"
    path.write_bytes(bytes(data[:-1000]))
    assert mp3_stream(path).problem.startswith("truncated: ")
    path.write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"not audio" * 100)
    assert mp3_stream(path) == "no MP3 audio frame where the ID3 tag ends (not an MP3, or damaged at its start)"


def test_a_deeply_nested_manifest_is_one_line(built: BuildReport, tmp_path: Path) -> None:
    folder = unpack(built, tmp_path / "x")
    (folder / "manifest.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(InputError) as raised:
        verify(folder)
    assert "manifest.json: not readable JSON" in str(raised.value) and len(str(raised.value).splitlines()) == 1
    done = check(repack(folder, tmp_path / "nested.zip"))
    assert done.returncode == 2 and "Traceback" not in done.stderr and len(done.stderr.splitlines()) == 1


def test_what_verify_unpacks_is_bounded(built: BuildReport, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from radiokit import verification as verifying

    monkeypatch.setattr(verifying, "MAX_ENTRIES", 5)
    with pytest.raises(InputError, match=r"entries, .* GiB unpacked: more than a radiokit package holds \(at most 5 "):
        verify(built.zip_path)
    monkeypatch.setattr(verifying, "MAX_ENTRIES", 20_000)
    monkeypatch.setattr(verifying, "MAX_UNPACKED_BYTES", 1000)
    with pytest.raises(InputError, match="it was not unpacked"):
        verify(built.zip_path)


def test_a_central_directory_that_points_past_the_data_is_damage(built: BuildReport, tmp_path: Path) -> None:
    """An end record whose offsets lie: the entries are damaged in the zip, not a failure to write."""
    data = bytearray(built.zip_path.read_bytes())
    end = data.rindex(b"PK\x05\x06")
    directory = struct.unpack("<I", data[end + 16 : end + 20])[0]
    # The directory said to start later than it does: zipfile takes the difference for data prepended to the
    # zip, and every entry's offset comes out before the file's start (a seek to a negative position).
    data[end + 16 : end + 20] = struct.pack("<I", directory + len(data))
    broken = tmp_path / "broken.zip"
    broken.write_bytes(bytes(data))
    try:
        problems = verify(broken).problems
    except InputError as exc:
        problems = (str(exc),)
    assert problems and not any("temporary folder" in problem for problem in problems), problems
