"""`radiokit verify` passes a real package and fails each way a package can be damaged,
including damage that a manifest made consistent again would hide."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Callable

import pytest
from mutagen.id3 import ID3

from radiokit.audio_io import ffmpeg_exe
from radiokit.pipeline import BuildReport
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


def refresh_manifest(folder: Path) -> None:
    """What a careless (or dishonest) editor does: make sizes and checksums match the files again."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["files"]:
        data = (folder / entry["path"]).read_bytes()
        entry["size"], entry["sha256"] = len(data), hashlib.sha256(data).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")


def check(path: Path) -> subprocess.CompletedProcess[str]:
    return radiokit("verify", str(path), cwd=path.parent)


def test_the_built_package_is_fit_to_air(built: BuildReport) -> None:
    done = check(built.zip_path)
    assert done.returncode == 0, done.stdout + done.stderr
    listed = len(json.loads((built.folder / "manifest.json").read_text(encoding="utf-8"))["files"])
    assert done.stdout.strip() == f"{built.zip_path}: fit to air ({listed} files checked)"
    assert check(built.folder).returncode == 0  # the unzipped folder too


def flip_a_byte(folder: Path) -> None:
    path = folder / "segments" / "ru" / "02-headline.mp3"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x55
    path.write_bytes(bytes(data))


def strip_tags(folder: Path) -> None:
    ID3(folder / "segments" / "tg" / "02-headline.mp3").delete()
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


DAMAGE: dict[str, tuple[Callable[[Path], None], str]] = {
    "flipped byte": (flip_a_byte, "segments/ru/02-headline.mp3: checksum differs from the manifest"),
    "stripped tags": (strip_tags, "segments/tg/02-headline.mp3: has no ID3 tag"),
    "8 dB too loud": (eight_db_louder, f"{SLUG}-ru.mp3: -15."),
    "missing file": (remove_a_file, "segments/ru/01-opening.mp3: listed in the manifest but missing"),
    "unlisted audio": (add_unlisted_audio, "segments/tg/99-extra.mp3: not in the manifest (unlisted audio)"),
    "truncated": (truncate, f"{SLUG}-tg.mp3: decodes to "),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_each_kind_of_damage_is_caught(built: BuildReport, tmp_path: Path, damage: str) -> None:
    harm, expected = DAMAGE[damage]
    folder = unpack(built, tmp_path / "x")
    harm(folder)
    done = check(repack(folder, tmp_path / "damaged.zip"))
    assert done.returncode == 1, done.stdout + done.stderr
    assert any(line.startswith(expected) for line in done.stdout.splitlines()), done.stdout
    assert done.stdout.strip().splitlines()[-1].startswith(f"{tmp_path / 'damaged.zip'}: NOT fit to air")
    assert "Traceback" not in done.stderr


def test_too_loud_is_named_with_its_figures(built: BuildReport, tmp_path: Path) -> None:
    folder = unpack(built, tmp_path / "x")
    eight_db_louder(folder)
    done = check(repack(folder, tmp_path / "loud.zip"))
    line = next(line for line in done.stdout.splitlines() if line.startswith(f"{SLUG}-ru.mp3: -1"))
    assert "LUFS, the profile asks -23.0 +-0.5 LUFS" in line
    assert any("true peak" in line and "over the -1.0 dBTP ceiling" in line for line in done.stdout.splitlines())


def test_zip_slip_entries_are_refused_and_never_written(built: BuildReport, tmp_path: Path) -> None:
    folder = unpack(built, tmp_path / "x")
    work = tmp_path / "station"
    work.mkdir()
    zip_path = repack(folder, work / "slip.zip", {"../escaped.txt": b"owned", "/tmp/absolute-escape.txt": b"owned"})
    done = check(zip_path)
    assert done.returncode == 1
    assert "../escaped.txt: entry leaves the package folder (absolute path or '..'); it was not extracted" in done.stdout
    assert "/tmp/absolute-escape.txt: entry leaves the package folder" in done.stdout
    assert not (tmp_path / "escaped.txt").exists() and not Path("/tmp/absolute-escape.txt").exists()


def test_unreadable_packages_exit_2(built: BuildReport, tmp_path: Path) -> None:
    not_zip = tmp_path / "notes.zip"
    not_zip.write_text("not a zip", encoding="utf-8")
    done = check(not_zip)
    assert done.returncode == 2 and done.stderr.startswith(f"error: {not_zip}: not a zip file")
    folder = unpack(built, tmp_path / "x")
    (folder / "manifest.json").unlink()
    done = check(repack(folder, tmp_path / "no-manifest.zip"))
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: {SLUG}/manifest.json: missing: this is not a radiokit package, or it is incomplete"
    (folder / "manifest.json").write_text("{not json", encoding="utf-8")
    done = check(repack(folder, tmp_path / "bad-manifest.zip"))
    assert done.returncode == 2 and "manifest.json: not readable JSON" in done.stderr
    assert check(tmp_path / "absent.zip").returncode == 2
