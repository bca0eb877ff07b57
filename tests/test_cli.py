"""The command line as a producer meets it: exit statuses, one-line errors, nothing left under --out."""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

from mutagen.id3 import ID3

from commands import radiokit
from conftest import make_episode
from radiokit.audio_io import ffmpeg_exe



def test_bad_script_exits_2_with_one_line_per_problem_and_creates_nothing(tmp_path: Path) -> None:
    make_episode(tmp_path)
    script = tmp_path / "episode.yaml"
    text = script.read_text(encoding="utf-8")
    script.write_text(text.replace("speaker: host\n    text:\n", "speaker: hots\n    text:\n")
                      .replace("fade_out: 0.5", "fade_outt: 0.5"), encoding="utf-8")
    done = radiokit("build", "episode.yaml", "--out", "out", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    numbered = script.read_text(encoding="utf-8").splitlines()
    fade_line = numbered.index("    fade_outt: 0.5") + 1
    speaker_line = numbered.index("    speaker: hots") + 1
    assert lines == [
        f"error: episode.yaml:{fade_line}: segments[1] (opening): unknown key 'fade_outt': did you mean 'fade_out'?",
        f"error: episode.yaml:{speaker_line}: segments[2] (headline): speaker 'hots' is not defined: "
        "did you mean 'host'?",
    ]
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_corrupt_audio_is_named_and_leaves_no_output(tmp_path: Path) -> None:
    make_episode(tmp_path)
    (tmp_path / "audio" / "analyst.flac").write_bytes(b"fLaC" + bytes(200))
    done = radiokit("build", "episode.yaml", "--out", "out", cwd=tmp_path)
    assert done.returncode == 2
    assert "audio/analyst.flac: cannot decode the audio" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_truncated_and_streamless_audio_are_all_named_before_rendering(tmp_path: Path) -> None:
    make_episode(tmp_path)
    clip = tmp_path / "audio" / "analyst.flac"
    clip.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])  # cut short: the header still says 4 s
    convert_args = ["-f", "lavfi", "-i", "color=c=red:s=32x32:d=1", "-c:v", "mpeg4", "-f", "mp4"]
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", *convert_args, str(tmp_path / "audio" / "jingle.mp3")],
                   check=True)  # a video with no sound, under an audio name
    done = radiokit("build", "episode.yaml", "--out", "out", "--verbose", cwd=tmp_path)
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert errors == ["error: episode.yaml:25: segments[1] (opening): audio/jingle.mp3: cannot decode the audio (no audio "
                      "stream): re-export it as WAV or FLAC"]  # where the script uses it, then what is wrong
    assert "radiokit.speech" not in done.stderr  # refused before any rendering
    (tmp_path / "audio" / "jingle.mp3").write_bytes((tmp_path / "takes" / "sign-off-ru.wav").read_bytes())
    done = radiokit("build", "episode.yaml", "--out", "out", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().startswith("error: episode.yaml:35: segments[3] (analyst): audio/analyst.flac: the file "
                                          "is truncated or damaged: it decodes ")
    assert "Traceback" not in done.stderr and not (tmp_path / "out").exists()


def test_missing_script(tmp_path: Path) -> None:
    done = radiokit("build", "nope.yaml", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == "error: nope.yaml: no such script: check the path"


def test_rebuild_replaces_the_package_whole(tmp_path: Path) -> None:
    make_episode(tmp_path)
    first = radiokit("build", "episode.yaml", "--out", "out", "--quiet", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout == "" and first.stderr == ""
    package = tmp_path / "out" / "testovaya-seriya-7-2012-10-26"
    stale = package / "stale.txt"
    stale.write_text("from an older build")
    second = radiokit("build", "episode.yaml", "--out", "out", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert not stale.exists()
    assert (package / "manifest.json").is_file()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [package.name, f"{package.name}.zip"]
    header, ru, tg, last = second.stdout.strip().splitlines()
    assert header.split() == ["duration", "loudness", "true", "peak", "files"]
    assert ru.split()[:4] == ["ru", ru.split()[1], "-23.0", "LUFS"] and tg.startswith("tg ")
    assert last.startswith(f"package {Path('out') / package.name}.zip")
    # Not a terminal: no progress bar, only the notes (the test clip's steady tone is denoised).
    assert all(line.startswith("note: ") for line in second.stderr.splitlines()), second.stderr


def test_json_summary_and_verbose_commands(tmp_path: Path) -> None:
    make_episode(tmp_path)
    done = radiokit("build", "episode.yaml", "--out", "out", "--json", "--verbose", "--cache", "cache", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert [entry["language"] for entry in summary["languages"]] == ["ru", "tg"]
    for entry in summary["languages"]:
        assert abs(entry["integrated_lufs"] + 23.0) <= 0.15
        assert all((tmp_path / file).is_file() for file in entry["files"])
        assert entry["programme"] in entry["files"] and len(entry["files"]) == 1 + (6 if entry["language"] == "ru" else 5)
    assert (tmp_path / summary["package"]).is_file()
    shown = done.stderr.splitlines()
    assert any(line.startswith("radiokit.speech: espeak voice ru") and "Президент России" in line for line in shown)
    assert any(line.startswith("radiokit.ffmpeg: ") and "libmp3lame" in line for line in shown)
    # Each source is probed once, before rendering (in one ffmpeg run for them all, which describes its
    # inputs and stops); the rendering processes reuse what was found.
    probes = [shlex.split(line.removeprefix("radiokit.ffmpeg: ")) for line in shown
              if line.startswith("radiokit.ffmpeg: ") and line.split()[-2] == "-i"]
    probed = [words[n + 1] for words in probes for n, word in enumerate(words) if word == "-i"]
    assert len(probes) == 1 and len(probed) >= 3 and len(probed) == len(set(probed)), probes


def test_version_and_help(tmp_path: Path) -> None:
    assert radiokit("--version", cwd=tmp_path).stdout.startswith("radiokit, version ")
    help_text = radiokit("build", "--help", cwd=tmp_path).stdout
    assert "--out" in help_text and "radiokit build" in help_text


def test_voices_lists_engines_languages_and_variants(tmp_path: Path) -> None:
    done = radiokit("voices", cwd=tmp_path)
    assert done.returncode == 0
    # engine, languages, offline: every engine registered here (festival as .ci/run installs it)
    rows = [line.split()[:4] for line in done.stdout.splitlines()[1:4]]
    assert rows == [["espeak", "ru", "tg", "yes"], ["festival", "ru", "tg", "yes"], ["gtts", "ru", "no", "yes"]]
    variants = done.stdout.splitlines()[-1].split(": ", 1)[1].split(", ")
    assert {"m3", "f2"} <= set(variants)
    spoken = radiokit("say", "--lang", "ru", "--voice", f"ru+{variants[variants.index('m3')]}", "--out", "line.wav",
                      "Проверка", cwd=tmp_path)
    assert spoken.returncode == 0 and (tmp_path / "line.wav").stat().st_size > 10_000


def test_a_trim_past_the_end_of_its_clip_names_the_segment(tmp_path: Path) -> None:
    """A trim that starts after the clip ends is refused where the script says it; one that ends after it is a
    note in the build report, and the clip plays to its end."""
    make_episode(tmp_path)
    script = tmp_path / "episode.yaml"
    text = script.read_text(encoding="utf-8")
    script.write_text(text.replace("    trim: {start: 0.5, end: \"0:03.5\"}", "    trim: {start: 9, end: 12}"), encoding="utf-8")
    done = radiokit("build", "episode.yaml", "--out", "out", "--no-cache", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == ["error: episode.yaml:35: segments[3] (analyst): trim.start (9 s) is past the "
                                        "end of audio/analyst.flac (4.0 s): check the trim and the file"]
    assert not (tmp_path / "out").exists()
    script.write_text(text.replace("    trim: {start: 0.5, end: \"0:03.5\"}", "    trim: {start: 0.5, end: 12}"), encoding="utf-8")
    done = radiokit("build", "episode.yaml", "--out", "out", "--no-cache", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "note: ru: analyst: trim.end (12 s) is past the end of audio/analyst.flac (4.0 s): the clip plays to " \
           "its end" in done.stderr


def test_artwork_is_judged_by_its_bytes_not_its_name(tmp_path: Path) -> None:
    """Text named cover.png is refused where the script names it; a JPEG named .png is tagged as the JPEG it is."""
    make_episode(tmp_path)
    cover = tmp_path / "audio" / "cover.png"
    cover.write_text("not an image", encoding="utf-8")
    done = radiokit("check", "episode.yaml", cwd=tmp_path)
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert line.endswith("programme.artwork: 'audio/cover.png' is not a PNG or JPEG image (its bytes say otherwise): "
                         "export the cover as PNG or JPEG")
    # A 1x1 JPEG: SOI, a baseline frame header (8 bits, 1 line, 1 sample, 1 component), EOI.
    cover.write_bytes(b"\xff\xd8\xff\xc0\x00\x0b\x08\x00\x01\x00\x01\x01\x01\x11\x00\xff\xd9")
    done = radiokit("build", "episode.yaml", "--out", "out", "--no-cache", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    slug = "testovaya-seriya-7-2012-10-26"
    assert ID3(tmp_path / "out" / slug / f"{slug}-ru.mp3").getall("APIC")[0].mime == "image/jpeg"
    manifest = json.loads((tmp_path / "out" / slug / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["programme"]["artwork"] == "image/jpeg"
    assert radiokit("verify", f"out/{slug}.zip", cwd=tmp_path).returncode == 0
