"""The script parser: every key typed and validated, every problem reported on its own line number."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from conftest import EPISODE, make_episode
from radiokit.errors import ScriptError
from radiokit.script import load_script, make_slug, parse_time

HEAD = """\
format: radiokit/1
programme:
  series: S
  title: {ru: Т, tg: Т}
languages: [ru, tg]
voices:
  host:
    ru: {engine: espeak, voice: ru}
    tg: {engine: espeak, voice: tg}
segments:
"""  # the first segment line below is line 11


def problems(folder: Path, segments: str, head: str = HEAD) -> list[str]:
    (folder / "a.wav").write_bytes(b"RIFF")  # exists; not decoded by the parser
    path = folder / "episode.yaml"
    path.write_text(head + segments, encoding="utf-8")
    with pytest.raises(ScriptError) as caught:
        load_script(path)
    return [line.split(str(path), 1)[1] for line in caught.value.problems]


def test_the_test_episode_parses_into_typed_frozen_objects(tmp_path: Path) -> None:
    script = load_script(make_episode(tmp_path))
    assert script.languages == ("ru", "tg")
    assert script.programme.date == dt.date(2012, 10, 26)
    assert script.programme.slug == "testovaya-seriya-7-2012-10-26"
    assert script.programme.title["tg"] == "Тоҷикистон ва Русия"
    assert script.delivery.gap_s == 0.5 and script.delivery.bitrate_kbps == 128
    assert script.voices["translator"]["tg"].pitch == 35
    analyst = script.segments[2]
    assert (analyst.kind, analyst.trim_start_s, analyst.trim_end_s) == ("clip", 0.5, 3.5)
    assert analyst.voiceover is not None and analyst.voiceover.lines["tg"].speaker == "translator"
    assert [s.id for s in script.segments_for("tg")] == ["opening", "headline", "analyst", "pause", "sign-off"]
    assert script.segments[4].take["ru"] == (tmp_path / "takes" / "sign-off-ru.wav").resolve()
    with pytest.raises(AttributeError):
        script.segments[0].id = "x"  # type: ignore[misc]


@pytest.mark.parametrize("segments, expected", [
    ("  - id: a\n    silence: 1\n    fade_outt: 1\n",
     [":13: segments[1] (a): unknown key 'fade_outt': did you mean 'fade_out'?"]),
    ("  - id: a\n    silence: soon\n",
     [':12: segments[1] (a): silence: must be seconds (1.5) or a time like "1:20" or "0:03.5"']),
    ("  - id: a\n    speaker: host\n    text: {ru: Привет}\n",
     [":13: segments[1] (a): text: no text for 'tg': add a tg: entry, or restrict the segment with languages: [...]"]),
    ("  - id: a\n    speaker: hots\n    text: {ru: П, tg: С}\n",
     [":12: segments[1] (a): speaker 'hots' is not defined: did you mean 'host'?"]),
    ("  - id: a\n    silence: 1\n  - id: a\n    silence: 2\n",
     [":13: segments[2] (a): id 'a' is already used by segments[1]: give each segment its own id"]),
    ("  - id: Bad_Id\n    silence: 1\n",
     [":11: segments[1] (Bad_Id): the id must be lower-case letters, digits and hyphens (it names files), e.g. 'sign-off'"]),
    ("  - id: a\n    music: ../a.wav\n",
     [":12: segments[1] (a): music: '../a.wav' leads outside the script's folder: copy the file into"]),
    ("  - id: a\n    music: /etc/passwd\n",
     [":12: segments[1] (a): music: '/etc/passwd' is an absolute path"]),
    ("  - id: a\n    clip: missing.wav\n",
     [":12: segments[1] (a): clip: file 'missing.wav' does not exist"]),
    ("  - id: a\n    clip: a.wav\n    trim: {start: '0:05', end: 3}\n",
     [":13: segments[1] (a): trim: end (3 s) must come after start (5 s)"]),
    ("  - id: a\n    silence: 1\n    music: a.wav\n",
     [":11: segments[1] (a): has music and silence: give exactly one kind"]),
    ("  - id: a\n    silence: -1\n",
     [":12: segments[1] (a): silence: must be more than 0 seconds"]),
    ("  - id: a\n    speaker: host\n    text: {ru: '', tg: С}\n",
     [":13: segments[1] (a): text.ru: is empty: write the text"]),
    ("  - id: a\n    music: a.wav\n    languages: [ru, en]\n",
     [":13: segments[1] (a): languages: 'en' is not supported"]),
])
def test_each_problem_names_line_segment_and_fix(tmp_path: Path, segments: str, expected: list[str]) -> None:
    found = problems(tmp_path, segments)
    assert len(found) == len(expected), found
    for line, start in zip(found, expected):
        assert line.startswith(start), line


@pytest.mark.parametrize("replace, new, expected", [
    ("format: radiokit/1", "format: radiokit/2", ":1: format: unsupported format 'radiokit/2'"),
    ("languages: [ru, tg]", "languages: [ru, de]", ":5: languages: 'de' is not supported"),
    ("    tg: {engine: espeak, voice: tg}", "    tg: {engine: gtts}", ":9: voices.host.tg: engine 'gtts' cannot speak 'tg'"),
    ("    ru: {engine: espeak, voice: ru}", "    ru: {engine: espek}", ":8: voices.host.ru.engine: 'espek' is not supported: did you mean 'espeak'?"),
    ("  series: S", "  series: S\n  titel: x", ":4: programme: unknown key 'titel': did you mean 'title'?"),
])
def test_top_level_problems(tmp_path: Path, replace: str, new: str, expected: str) -> None:
    found = problems(tmp_path, "  - id: a\n    silence: 1\n", HEAD.replace(replace, new))
    assert any(line.startswith(expected) for line in found), found


def test_delivery_values_are_checked(tmp_path: Path) -> None:
    head = HEAD.replace("languages: [ru, tg]\n", "languages: [ru, tg]\ndelivery:\n  sample_rate: 22050\n"
                        "  channels: 3\n  id3_version: 2.2\n  profile: loud\n  bitrate_kbps: fast\n")
    found = problems(tmp_path, "  - id: a\n    silence: 1\n", head)
    assert [line.split(":")[1] for line in found] == ["7", "8", "9", "10", "11"]
    assert "use one of 44100, 48000" in found[0]


@pytest.mark.parametrize("text, message", [
    ("format: radiokit/1\nprogramme: [\n", "YAML syntax error"),
    ("- just\n- a list\n", "must be a map of keys"),
    ("format: !!python/object/apply:os.system ['touch /tmp/radiokit-pwned']\n", "YAML tag"),
    ("a: &x [1]\nb: *x\n", "anchors and aliases"),
    ("", "the script is empty"),
    ("format: radiokit/1\nformat: radiokit/1\n", "appears twice"),
])
def test_hostile_or_broken_yaml_is_refused_without_running_anything(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "episode.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScriptError) as caught:
        load_script(path)
    assert message in str(caught.value)
    assert not Path("/tmp/radiokit-pwned").exists()


def test_symlink_leading_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.wav"
    outside.write_bytes(b"RIFF")
    folder = tmp_path / "show"
    folder.mkdir()
    (folder / "link.wav").symlink_to(outside)
    found = problems(folder, "  - id: a\n    music: link.wav\n")
    assert "leads outside the script's folder" in found[0]


def test_allow_outside_admits_a_named_folder(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    folder = tmp_path / "show"
    shared.mkdir(), folder.mkdir()
    (shared / "jingle.wav").write_bytes(b"RIFF")
    path = folder / "episode.yaml"
    path.write_text(HEAD + "  - id: a\n    music: ../shared/jingle.wav\n", encoding="utf-8")
    assert load_script(path, allow_outside=(shared,)).segments[0].music == (shared / "jingle.wav").resolve()


def test_missing_script_and_binary_garbage(tmp_path: Path) -> None:
    with pytest.raises(ScriptError, match="no such script"):
        load_script(tmp_path / "nope.yaml")
    garbage = tmp_path / "garbage.yaml"
    garbage.write_bytes(bytes(range(256)))
    with pytest.raises(ScriptError, match="not UTF-8|binary"):
        load_script(garbage)


@pytest.mark.parametrize("value, seconds", [(1.5, 1.5), (2, 2.0), ("1:20", 80.0), ("0:03.5", 3.5),
                                            ("1:02:03.5", 3723.5), ("1:75", None), ("abc", None), (True, None)])
def test_times(value: object, seconds: float | None) -> None:
    assert parse_time(value) == seconds


def test_slug_is_file_safe_latin() -> None:
    assert make_slug("Global Voices", "12", dt.date(2012, 10, 26)) == "global-voices-12-2012-10-26"
    assert make_slug("Ҷаҳон ва мо", None, None) == "jahon-va-mo"


def test_example_in_spec_shape_uses_every_segment_kind() -> None:
    assert all(kind in EPISODE for kind in ("music:", "speaker:", "clip:", "silence:", "take:", "voiceover:"))


def refused(folder: Path, text: str) -> list[str]:
    """The problems in a whole script, each without the script's path."""
    path = folder / "episode.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScriptError) as caught:
        load_script(path)
    return [line.split(str(path), 1)[1] for line in caught.value.problems]


@pytest.mark.parametrize("text", [
    "a: " + "[" * 5000 + "]" * 5000 + "\n",
    "a: " + "{b: " * 5000 + "1" + "}" * 5000 + "\n",
    "a: " + "[" * 100_000,
    "a: " + "[" * 21 + "]" * 21 + "\n",
])
def test_nesting_is_bounded_before_python_recursion_gives_out(tmp_path: Path, text: str) -> None:
    assert refused(tmp_path, text) == [(":1: the script nests deeper than 20 levels: a script needs far fewer; "
                                        "look for unclosed or runaway brackets")]


def test_twenty_levels_of_nesting_are_still_read(tmp_path: Path) -> None:
    found = refused(tmp_path, "a: " + "[" * 20 + "]" * 20 + "\n")
    assert found[0] == ":1: unknown key 'a': allowed keys: format, programme, languages, delivery, voices, lexicon, cleanup, stations, feed, segments"


@pytest.mark.parametrize("value", ["2012-02-30", "2012-13-45", "2012-10-26 25:00:00"])
def test_an_impossible_date_is_named_by_its_key(tmp_path: Path, value: str) -> None:
    head = HEAD.replace("  series: S\n", f"  series: S\n  date: {value}\n")
    assert problems(tmp_path, "  - id: a\n    silence: 1\n", head) == [
        ":4: programme.date: must be a real date written YYYY-MM-DD"]


def test_what_yaml_cannot_build_stays_the_text_it_was_written_as(tmp_path: Path) -> None:
    digits = "7" * 5000  # more than Python turns into an integer
    head = HEAD.replace("  series: S\n", f"  series: S\n  episode: {digits}\n").replace("{ru: Т,", "{ru: 2012-02-30,")
    path = tmp_path / "episode.yaml"
    path.write_text(head + "  - id: a\n    silence: 1\n", encoding="utf-8")
    programme = load_script(path).programme
    assert (programme.episode, programme.title["ru"]) == (digits, "2012-02-30")
    head = HEAD.replace("voice: ru}", f"voice: ru, rate: {digits}}}")
    assert problems(tmp_path, "  - id: a\n    silence: 1\n", head) == [":8: voices.host.ru.rate: must be a number"]


def test_numbers_beyond_any_float_are_out_of_range(tmp_path: Path) -> None:
    huge = "1" + "0" * 400
    head = HEAD.replace("voice: ru}", f"voice: ru, rate: {huge}}}")
    assert problems(tmp_path, f"  - id: a\n    silence: 1\n    gap: {huge}\n", head) == [
        ":8: voices.host.ru.rate: inf is out of range: use a value between 80 and 450",
        ':13: segments[1] (a): gap: must be seconds (1.5) or a time like "1:20" or "0:03.5"']


@pytest.mark.parametrize("value", [10**400, float("inf"), float("-inf"), float("nan"), "10000:00:00"])
def test_no_length_of_time_from_infinite_or_absurd_values(value: object) -> None:
    assert parse_time(value) is None


@pytest.mark.parametrize("name, expected", [
    ('"a\\0b.wav"', "'a\\x00b.wav' holds a character no file name can: retype the name"),
    ('"\\ud800.wav"', "'\\ud800.wav' holds a character no file name can: retype the name"),
    ("a" * 300 + ".wav", f"'{'a' * 300}.wav' cannot be looked up (File name too long): check the name"),
    ("loop.wav", "'loop.wav' is a symbolic link that leads back to itself: point it at the file"),
])
def test_file_names_the_file_system_cannot_use(tmp_path: Path, name: str, expected: str) -> None:
    (tmp_path / "loop.wav").symlink_to("loop.wav")
    assert problems(tmp_path, f"  - id: a\n    music: {name}\n") == [f":12: segments[1] (a): music: {expected}"]


def test_an_overlong_espeak_variant_is_not_looked_up(tmp_path: Path) -> None:
    head = HEAD.replace("voice: ru}", f"voice: ru+{'m' * 300}}}")
    found = problems(tmp_path, "  - id: a\n    silence: 1\n", head)
    assert found == [f":8: voices.host.ru.voice: 'ru+{'m' * 300}' is not a ru voice: use 'ru' or ru+VARIANT (e.g. ru+m3)"]


def test_a_script_over_the_size_bound_is_refused_even_mid_character(tmp_path: Path) -> None:
    # 1 MB of two-byte letters, so that the first byte past the bound splits a letter.
    assert refused(tmp_path, "# " + "ж" * 500_000 + "\n") == [
        ":1: the script is larger than 1000 kB: is this the right file?"]


def test_control_characters_and_line_breaks_in_keys_keep_one_line_per_problem(tmp_path: Path) -> None:
    assert refused(tmp_path, "format: radiokit/1\x07\n") == [
        (":1: the file contains a control character (#x0007) that YAML does not allow: delete it (it may have come "
         "from a copy and paste)")]
    head = HEAD.replace("segments:\n", 'lexicon:\n  ru: {"a\\nb\\u2028c\\e[31md\\x9b": ""}\nsegments:\n')
    assert problems(tmp_path, "  - id: a\n    silence: 1\n", head) == [
        ":11: lexicon.ru.a\\nb\\u2028c\\x1b[31md\\x9b: is empty: write the text"]


CLIP = "  - id: a\n    clip: a.wav\n"  # segments[1] (a) on line 11, its clip on 12


@pytest.mark.parametrize("keys, expected", [
    ("    cleanup: {hum: true, denoize: false}\n",
     ":13: segments[1] (a): cleanup: unknown key 'denoize': did you mean 'denoise'?"),
    ("    cleanup: {highpass_hz: 500}\n",
     ":13: segments[1] (a): cleanup.highpass_hz: 500 is out of range: use a value between 0 and 200"),
    ("    cleanup: {highpass_hz: 5}\n",
     ":13: segments[1] (a): cleanup.highpass_hz: 5 Hz filters nothing a listener hears: use 20 to 200 Hz, or 0"),
    ("    cleanup: {pause_max: 30}\n",
     ":13: segments[1] (a): cleanup.pause_max: 30 s is out of range: use a time between 0.5 and 10 s"),
    ("    cleanup: {pause_max: 1, pause_to: 2}\n",
     ":13: segments[1] (a): cleanup: pause_to (2 s) must be shorter than pause_max (1 s)"),
    ("    cleanup: {pause_to: 0.5}\n",
     ":13: segments[1] (a): cleanup: pause_to is what a pause longer than pause_max is cut to: add pause_max"),
    ("    cleanup: {hum: maybe}\n",
     ":13: segments[1] (a): cleanup.hum: must be true or false"),
    ("    cleanup: off please\n",
     ":13: segments[1] (a): cleanup: must be true, false, or a map of keys (highpass_hz, hum, denoise, level,"),
    ("    clip_language: ru\n    transcript: {ru: Слова, tg: Калимаҳо}\n"
     "    voiceover:\n      tg: {speaker: host, text: Тарҷума}\n",
     ":14: segments[1] (a): transcript.tg: the tg voice-over's text is what this language hears: remove this"),
    ("    transcript: ''\n", ":13: segments[1] (a): transcript: is empty: write the text"),
])
def test_cleanup_and_transcript_problems_name_line_segment_and_fix(tmp_path: Path, keys: str, expected: str) -> None:
    found = problems(tmp_path, CLIP + keys)
    assert len(found) == 1 and found[0].startswith(expected), found


@pytest.mark.parametrize("key", ["cleanup: false", "transcript: Слова"])
def test_clip_keys_on_another_kind_are_refused(tmp_path: Path, key: str) -> None:
    found = problems(tmp_path, f"  - id: a\n    silence: 1\n    {key}\n")
    assert found == [f":13: segments[1] (a): {key.split(':')[0]!r} does not apply to a silence segment: remove it"]


def test_cleanup_settings_come_from_the_episode_and_each_clip(tmp_path: Path) -> None:
    (tmp_path / "a.wav").write_bytes(b"RIFF")
    path = tmp_path / "episode.yaml"
    path.write_text(HEAD.replace("segments:\n", "cleanup: {hum: false, pause_max: '0:02'}\nsegments:\n")
                    + CLIP.replace("id: a", "id: plain")
                    + CLIP.replace("id: a", "id: own") + "    cleanup: {pause_to: 0.3, highpass_hz: 0}\n"
                    + CLIP.replace("id: a", "id: raw") + "    cleanup: false\n"
                    + CLIP.replace("id: a", "id: quiet") + "    level_db: -3\n"
                    + "  - id: link\n    silence: 1\n", encoding="utf-8")
    segments = {segment.id: segment for segment in load_script(path).segments}
    plain, own = segments["plain"].cleanup, segments["own"].cleanup
    assert plain is not None and (plain.hum, plain.denoise, plain.pause_max_s, plain.pause_to_s) == (False, True, 2.0, 0.7)
    assert own is not None and (own.hum, own.pause_max_s, own.pause_to_s, own.highpass_hz) == (False, 2.0, 0.3, 0.0)
    assert segments["raw"].cleanup is None and segments["link"].cleanup is None
    assert segments["quiet"].cleanup == plain


def test_a_transcript_is_heard_where_the_clip_plays_as_recorded(tmp_path: Path) -> None:
    (tmp_path / "a.wav").write_bytes(b"RIFF")
    path = tmp_path / "episode.yaml"
    path.write_text(HEAD + CLIP + "    clip_language: ru\n    transcript: Слова\n"
                    + CLIP.replace("id: a", "id: b") + "    clip_language: ru\n    transcript: Слова\n"
                    "    voiceover:\n      tg: {take: a.wav}\n"
                    + CLIP.replace("id: a", "id: c") + "    clip_language: ru\n    transcript: {ru: Слова, tg: Калима}\n"
                    "    voiceover:\n      tg: {take: a.wav}\n", encoding="utf-8")
    segments = {segment.id: segment for segment in load_script(path).segments}
    assert segments["a"].transcript == {"ru": "Слова", "tg": "Слова"}  # untranslated: Tajik listeners hear it too
    assert segments["b"].transcript == {"ru": "Слова"}  # a take's words are not the clip's
    assert segments["c"].transcript == {"ru": "Слова", "tg": "Калима"}


STATIONS_HEAD = HEAD.replace("segments:\n", "stations:\n{stations}segments:\n")
TWO = "  - id: a\n    silence: 1\n  - id: b\n    silence: 1\n"


@pytest.mark.parametrize("profile, expected", [
    ("  kfm: {format: ogg}\n", ":11: stations.kfm.format: 'ogg' is not supported: use one of wav, wav-mp2, mp2, mp3"),
    ("  kfm: {format: wav, names: '{series}-{lang}'}\n",
     ":11: stations.kfm.names: '{series}-{lang}' gives two files the same name (S-ru.wav: ru programme and ru a): "
     "add {n}, {id} or {cut}"),
    ("  kfm: {names: '{title}-{n}'}\n", ":11: stations.kfm.names: {title} is not a name field: use {cut}, {slug}"),
    ("  kfm: {cuts: {base: 999990}}\n", ":11: stations.kfm: cut numbers reach 1000092, past 999999: lower cuts.base"),
    ("  kfm: {cuts: {base: 0}}\n", ":11: stations.kfm.cuts.base: 0 is out of range: use a value between 1 and 999999"),
    ("  kfm: {cuts: {step: 2}}\n", ":11: stations.kfm: cuts.step 2 leaves no room for 2 segments after each programme"),
    ("  kfm: {air: {start: '2026-12-05 18:00', end: '2026-12-05 17:00'}}\n",
     ":11: stations.kfm.air: the air window ends (2026-12-05 17:00) before it starts (2026-12-05 18:00)"),
    ("  kfm: {air: {start: next friday}}\n", ":11: stations.kfm.air.start: must be a date and time written YYYY-MM-DD"),
    ("  kfm: {format: mp2, bitrate_kbps: 96}\n", ":11: stations.kfm.bitrate_kbps: 96 is not a mp2 bitrate: use one of"),
    ("  kfm: {format: wav, bitrate_kbps: 256}\n", ":11: stations.kfm.bitrate_kbps: PCM WAV has no bitrate: remove it"),
    ("  kfm: {format: mp2, names: '{cut}.wav'}\n", ":11: stations.kfm.names: '{cut}.wav' ends in .wav, but mp2 files end"),
    ("  kfm: {segments: 3}\n", ":11: stations.kfm: the station takes 3 segments, the ru version has 2"),
    ("  kfm: {sidecars: [rivendel]}\n", ":11: stations.kfm.sidecars: 'rivendel' is not supported: did you mean 'rivendell'?"),
    ("  KFM: {format: wav}\n", ":11: stations.KFM: a station's name must be lower-case letters"),
    ("  kfm: {fromat: wav}\n", ":11: stations.kfm: unknown key 'fromat': did you mean 'format'?"),
])
def test_station_profile_problems_name_line_and_fix(tmp_path: Path, profile: str, expected: str) -> None:
    found = problems(tmp_path, TWO, STATIONS_HEAD.replace("{stations}", profile))
    assert len(found) == 1 and found[0].startswith(expected), found


def test_the_smallest_station_profile_takes_every_default(tmp_path: Path) -> None:
    path = tmp_path / "episode.yaml"
    path.write_text(STATIONS_HEAD.replace("{stations}", "  kfm: {format: wav}\n  prss: {format: mp2, pad: 0.5, segments: 2, "
                                                  "names: '{series}-{date}-{lang}-{n}', cuts: {base: 500, step: 10}}\n")
                    + TWO, encoding="utf-8")
    script = load_script(path)
    kfm, prss = script.stations["kfm"], script.stations["prss"]
    assert (kfm.format, kfm.names, kfm.cut_base, kfm.languages, kfm.pad_s, kfm.sidecars) == ("wav", "{cut}", 1000, (), 0.0, ())
    assert [kfm.cut(language, number) for language in (0, 1) for number in (0, 1, 2)] == [1000, 1001, 1002, 1100, 1101, 1102]
    assert [prss.cut(1, number) for number in (0, 2)] == [510, 512]
    assert prss.file_name({"series": "S", "date": "", "lang": "tg", "n": "02"}) == "S--tg-02.mp2"


FEED_HEAD = HEAD.replace("segments:\n", "feed:\n{feed}segments:\n")


@pytest.mark.parametrize("feed, expected", [
    ("  url: radio.example.org/show\n", ":11: feed.url: 'radio.example.org/show' is not a web address: write it as https://"),
    ("  category: Comedy\n", ":11: feed.category: 'Comedy' is not supported: use one of News, Government"),
    ("  subcategory: Politics\n  category: Education\n",
     ":11: feed.subcategory: 'Politics' is not an Apple Podcasts subcategory of 'Education': use one of none"),
    ("  explicit: no way\n", ":11: feed.explicit: must be true or false"),
    ("  locked: true\n", ":11: feed.locked: a locked feed names its owner: add owner: {email: ...}"),
    ("  owner: {name: IWPR}\n", ":11: feed.owner: missing 'email': add it"),
    ("  owner: {email: nobody}\n", ":11: feed.owner.email: 'nobody' is not an e-mail address"),
    ("  guid: 1234\n", ":11: feed.guid: '1234' is not a UUID: leave it out"),
    ("  funding: {text: Thanks}\n", ":11: feed.funding: missing 'url': add it"),
    ("  guests: [{name: A, role: hostess}]\n", ":11: feed.guests[0].role: 'hostess' is not supported: did you mean"),
    ("  guests: Abdullo\n", ":11: feed.guests: must be a list of people"),
    ("  titel: Show\n", ":11: feed: unknown key 'titel': did you mean 'title'?"),
])
def test_feed_problems_name_line_and_fix(tmp_path: Path, feed: str, expected: str) -> None:
    found = problems(tmp_path, TWO, FEED_HEAD.replace("{feed}", feed))
    assert len(found) == 1 and found[0].startswith(expected), found


def test_feed_settings_are_read_and_default(tmp_path: Path) -> None:
    path = tmp_path / "episode.yaml"
    path.write_text(FEED_HEAD.replace("{feed}", "  url: https://radio.example.org/show/\n  locked: true\n"
                                      "  owner: {email: a@example.org}\n  subcategory: Politics\n"
                                      "  guests: [{name: {ru: Аня, tg: Аня}, role: reporter}]\n") + TWO,
                    encoding="utf-8")
    feed = load_script(path).feed
    assert (feed.url, feed.locked, feed.owner_email, feed.category, feed.subcategory) == (
        "https://radio.example.org/show/", True, "a@example.org", "News", "Politics")
    assert feed.guests[0].role == "reporter" and feed.guests[0].name["tg"] == "Аня"
    path.write_text(HEAD + TWO, encoding="utf-8")
    assert load_script(path).feed.url is None and load_script(path).feed.category == "News"
