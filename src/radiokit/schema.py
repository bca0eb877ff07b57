"""`radiokit schema`: the script format as JSON Schema (draft 2020-12), for editors that complete and check YAML.

The schema is made from the parser's own key lists, patterns, choices and ranges (script.py), so the two
cannot drift apart; `script.py` remains the judge: it also checks what a schema cannot, such as files,
speakers, translations and duplicate ids. Only the descriptions are written here.
"""

from __future__ import annotations

from typing import Any

from radiokit.script import (AIR_KEYS, BED_KEYS, BITRATES_KBPS, CHANNEL_COUNTS, CLEANUP_KEYS, CLEANUP_RANGES,
                             CUT_KEYS, CUT_RANGE, DELIVERY_KEYS, ENGINES, FORMAT, FORMATS, ID3_VERSIONS,
                             MP2_BITRATES_KBPS, NAME_FIELDS, SIDECARS, STATION_FORMATS, STATION_KEYS,
                             STATION_SAMPLE_RATES, FEED_CATEGORIES, FEED_KEYS, FUNDING_KEYS, OWNER_KEYS,
                             PERSON_KEYS, PERSON_ROLES,
                             ID_PATTERN, KINDS, LANGUAGES, PROFILE_KEYS, PROFILES, PROGRAMME_KEYS, PROGRAMME_REQUIRED,
                             RANGES, SAMPLE_RATES, SEGMENT_KEYS, TIME_PATTERN, TOP_KEYS, TOP_REQUIRED, TRIM_KEYS,
                             VOICE_RANGES, VOICEOVER_KEYS, VOICEOVER_LINE_KEYS)

SCHEMA_ID = "https://radiokit.invalid/schema/episode-1.json"

_TIME = {"description": "Seconds (1.5) or a time such as \"1:20\" or \"0:03.5\"",
         "anyOf": [{"type": "number", "minimum": 0},
                   {"type": "string", "pattern": TIME_PATTERN}]}
_FILE = {"type": "string", "minLength": 1, "description": "A file beside the script (relative path)"}


def _per_language(value: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "type": "object", "additionalProperties": False,
            "properties": {language: value for language in LANGUAGES}}


def _text(description: str) -> dict[str, Any]:
    return {"description": description,
            "anyOf": [{"type": "string"}, _per_language({"type": "string"}, "per language")]}


def _object(properties: dict[str, Any], keys: tuple[str, ...], description: str,
            required: tuple[str, ...] = ()) -> dict[str, Any]:
    """An object of exactly the parser's `keys`, in its order, each described in `properties`."""
    return {"description": description, "type": "object", "additionalProperties": False,
            "properties": {key: properties[key] for key in keys}, **({"required": list(required)} if required else {})}


def _number(low: float, high: float, description: str) -> dict[str, Any]:
    return {"type": "number", "minimum": low, "maximum": high, "description": description}


def _ranged(key: str, description: str) -> dict[str, Any]:
    return _number(*RANGES[key], description)


def _cleanup(description: str) -> dict[str, Any]:
    def time(key: str, what: str) -> dict[str, Any]:
        low, high = CLEANUP_RANGES[CLEANUP_KEYS[key]]
        return {"description": f"{what} ({low:g}-{high:g} s)",
                "anyOf": [{"type": "number", "minimum": low, "maximum": high},
                          {"type": "string", "pattern": TIME_PATTERN}]}
    flag = {"type": "boolean"}
    keys = _object({
        "highpass_hz": _number(*CLEANUP_RANGES["highpass_hz"], "Rumble filter cutoff (Hz); 0 turns it off"),
        "hum": flag | {"description": "Find and cancel 50 or 60 Hz mains hum"},
        "denoise": flag | {"description": "Reduce steady broadband noise"},
        "level": flag | {"description": "Even out speakers recorded at different levels"},
        "pause_max": time("pause_max", "Pauses longer than this are shortened"),
        "pause_to": time("pause_to", "What such a pause is shortened to"),
    }, tuple(CLEANUP_KEYS), "Settings of the cleanup chain")
    return {"description": description, "anyOf": [{"type": "boolean"}, keys]}


def _station() -> dict[str, Any]:
    moment = {"type": "string", "description": "YYYY-MM-DD or YYYY-MM-DD HH:MM"}
    return _object({
        "format": {"enum": list(STATION_FORMATS), "description": "wav (PCM Broadcast Wave, the default), wav-mp2 "
                                                                  "(MPEG in Broadcast Wave), mp2, mp3"},
        "sample_rate": {"enum": list(STATION_SAMPLE_RATES), "description": "Default: the delivery's"},
        "channels": {"enum": list(CHANNEL_COUNTS), "description": "Default: the delivery's"},
        "bitrate_kbps": {"enum": sorted({*BITRATES_KBPS, *MP2_BITRATES_KBPS}),
                         "description": "MP3 default: the delivery's; MP2: 256 stereo, 128 mono"},
        "languages": {"type": "array", "items": {"enum": list(LANGUAGES)}, "minItems": 1, "uniqueItems": True,
                      "description": "Default: every language"},
        "names": {"type": "string", "minLength": 1,
                  "description": "File-name pattern of " + ", ".join("{" + field + "}" for field in NAME_FIELDS)
                                 + "; default {cut}"},
        "cuts": _object({"base": {"type": "integer", "minimum": CUT_RANGE[0], "maximum": CUT_RANGE[1]},
                         "step": {"type": "integer", "minimum": CUT_RANGE[0], "maximum": CUT_RANGE[1]}},
                        CUT_KEYS, "Cut numbers: the first language's programme is base, its segments base+1...; "
                                  "each next language adds step (defaults 1000 and 100)"),
        "air": _object({"start": moment, "end": moment}, AIR_KEYS, "The air window (default: the programme's "
                                                                   "date, no end)"),
        "sidecars": {"type": "array", "items": {"enum": list(SIDECARS)}, "uniqueItems": True},
        "pad": _TIME | {"description": "Silence at the head and tail of every file"},
        "segments": {"type": "integer", "minimum": 1, "description": "The segment count the station's clock expects"},
        "category": {"type": "string", "description": "Cart category / automation group (default RADIOKIT)"},
    }, STATION_KEYS, "A station profile: the files a playout system imports (docs/stations.md)")


def _feed() -> dict[str, Any]:
    web = {"type": "string", "pattern": "^https?://", "description": "A web address"}
    subcategories = sorted({sub for subs in FEED_CATEGORIES.values() for sub in subs})
    return _object({
        "url": web | {"description": "Where the publishing folder is served (feeds, enclosures under it)"},
        "title": _text("The show's name (default: the series)"),
        "description": _text("The show (default: the series and its publisher)"),
        "author": {"type": "string", "description": "itunes:author (default: the publisher)"},
        "owner": _object({"name": {"type": "string"}, "email": {"type": "string", "format": "email"}}, OWNER_KEYS,
                         "itunes:owner", required=("email",)),
        "category": {"enum": list(FEED_CATEGORIES), "description": "Apple Podcasts category (default News)"},
        "subcategory": {"enum": subcategories, "description": "A subcategory of the category"},
        "explicit": {"type": "boolean", "description": "itunes:explicit (default false)"},
        "locked": {"type": "boolean", "description": "podcast:locked: yes; needs owner.email (default false)"},
        "guid": {"type": "string", "description": "podcast:guid (default: UUIDv5 of the feed's URL)"},
        "funding": _object({"url": web, "text": _text("Default: the programme's funder")}, FUNDING_KEYS,
                           "podcast:funding", required=("url",)),
        "guests": {"type": "array", "description": "podcast:person entries for each item", "items": _object({
            "name": _text("Their name"), "role": {"enum": list(PERSON_ROLES), "description": "Default guest"},
            "href": web, "img": web}, PERSON_KEYS, "A person on the programme", required=("name",))},
    }, FEED_KEYS, "The podcast feeds radiokit publish writes (docs/distribution.md)")


def script_schema() -> dict[str, Any]:
    voice_keys = {
        "engine": {"description": "A registered engine (`radiokit voices`), or a list of them in order of preference: "
                              "the first installed one speaks",
                   "anyOf": [{"enum": list(ENGINES)},
                             {"type": "array", "items": {"enum": list(ENGINES)}, "minItems": 1, "uniqueItems": True}]},
        "voice": {"type": "string", "description": "A voice of the (first) engine: ru, ru+m3 (espeak), "
                                                   "msu_ru_nsh_clunits (festival)"},
        "rate": _number(*VOICE_RANGES["rate"], "Words per minute"),
        "pitch": _number(*VOICE_RANGES["pitch"], "Pitch, 50 is the voice's own"),
        "volume": _number(*VOICE_RANGES["volume"], "Volume, 100 is normal"),
    }
    voice = _object(voice_keys, tuple(voice_keys), "How one speaker sounds in one language")
    line = _object({"speaker": {"type": "string"}, "text": {"type": "string", "minLength": 1}, "take": _FILE},
                   VOICEOVER_LINE_KEYS, "A voice-over line: a speaker reading text, or a recorded take")
    segment = _object({
        "id": {"type": "string", "pattern": ID_PATTERN,
               "description": "Unique; lower-case letters, digits and '-'; used in file names"},
        "title": _text("Chapter title (default: the id)"),
        "speaker": {"type": "string", "description": "A speaker from `voices` (with `text`)"},
        "text": _per_language({"type": "string", "minLength": 1}, "What the speaker says, per language"),
        "take": _per_language(_FILE, "A recorded reading that replaces synthesis in that language"),
        "music": _FILE | {"description": "A music file"},
        "level_db": _ranged("level_db", "Music or clip loudness relative to the programme (dB)"),
        "clip": _FILE | {"description": "A recorded interview"},
        "clip_language": {"enum": list(LANGUAGES), "description": "The language spoken in the clip"},
        "trim": _object({"start": _TIME, "end": _TIME}, TRIM_KEYS, "The part of the clip to play"),
        "voiceover": _object({**{language: line for language in LANGUAGES}, "lead": _TIME,
                              "under_db": _ranged("under_db", "The original under the voice (dB)")},
                             VOICEOVER_KEYS, "Translation over the clip, per language, with its lead and duck"),
        "cleanup": _cleanup("The clip's cleanup: false plays it as recorded, true or keys change the episode's"),
        "transcript": _text("The clip's words: one text (in its language), or per language where it is heard"),
        "silence": _TIME,
        "bed": _object({"music": _FILE, "under_db": _ranged("under_db", "The music under the voice (dB)"),
                        "preroll": _TIME, "postroll": _TIME, "fade_out": _TIME},
                       BED_KEYS, "Music under the voice", required=("music",)),
        "gap": _TIME, "fade_in": _TIME, "fade_out": _TIME,
        "crossfade": _TIME | {"description": "Overlap with the previous segment (seconds)"},
        "languages": {"type": "array", "items": {"enum": list(LANGUAGES)}, "minItems": 1,
                      "description": "Play this segment only in these versions"},
    }, SEGMENT_KEYS, f"One segment: exactly one of {', '.join(KINDS)}", required=("id",))
    segment["oneOf"] = [{"required": [kind]} for kind in KINDS]
    profile = {"description": "Loudness target", "anyOf": [
        {"enum": list(PROFILES)},
        _object({"integrated_lufs": _ranged("integrated_lufs", "LUFS"), "true_peak_dbtp": _ranged("true_peak_dbtp", "dBTP")},
                PROFILE_KEYS, "A custom target", required=PROFILE_KEYS)]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": f"radiokit episode script (format {FORMAT})",
        **_object({
            "format": {"const": FORMAT, "description": "Format version"},
            "programme": _object({
                "series": {"type": "string", "description": "Series name (ID3 TALB)"},
                "title": _text("Programme title (ID3 TIT2)"),
                "episode": {"type": ["string", "integer"], "description": "Episode number (ID3 TRCK)"},
                "date": {"type": "string", "description": "Broadcast date, YYYY-MM-DD"},
                "presenter": _text("Presenter (ID3 TPE1)"),
                "publisher": {"type": "string", "description": "ID3 TPUB"},
                "copyright": {"type": "string", "description": "ID3 TCOP"},
                "description": _text("ID3 COMM"),
                "artwork": _FILE | {"description": "Cover image, JPEG or PNG (ID3 APIC)"},
                "slug": {"type": "string", "pattern": ID_PATTERN, "description": "File name stem of the package"},
                "funder": _text("Who funded the programme (ID3 TXXX:FUNDER)"),
            }, PROGRAMME_KEYS, "The programme's metadata", required=PROGRAMME_REQUIRED),
            "languages": {"type": "array", "items": {"enum": list(LANGUAGES)}, "minItems": 1, "uniqueItems": True,
                          "description": "The versions to build, in this order"},
            "delivery": _object({
                "profile": profile,
                "formats": {"type": "array", "items": {"enum": list(FORMATS)}, "contains": {"const": "mp3"},
                            "description": "mp3 (required), mp2, wav"},
                "bitrate_kbps": {"enum": list(BITRATES_KBPS)},
                "sample_rate": {"enum": list(SAMPLE_RATES)},
                "channels": {"enum": list(CHANNEL_COUNTS)},
                "gap": _TIME,
                "id3_version": {"enum": [*ID3_VERSIONS, *(float(version) for version in ID3_VERSIONS)]},
                "target_duration": _TIME,
                "tolerance": _TIME,
            }, DELIVERY_KEYS, "How the programmes are delivered (all optional)"),
            "voices": {"type": "object", "description": "Speakers, each with a voice per language",
                       "additionalProperties": _per_language(voice, "The speaker's voice per language")},
            "lexicon": _per_language({"type": "object", "additionalProperties": {"type": "string"}},
                                     "Whole-word respellings per language ('+' before a vowel marks stress)"),
            "cleanup": _cleanup("Cleanup of every clip (on by default): false, true, or its settings"),
            "stations": {"type": "object", "description": "Station profiles, by name (build with --station NAME)",
                         "propertyNames": {"pattern": ID_PATTERN}, "additionalProperties": _station()},
            "feed": _feed(),
            "segments": {"type": "array", "minItems": 1, "items": segment, "description": "The programme in order"},
        }, TOP_KEYS, "One bilingual programme: metadata, delivery, voices, lexicon and segments in order",
            required=TOP_REQUIRED),
    }
