"""The feed checker (tests/podcast_rules.py) proves itself: a valid feed and chapters file pass, and each rule
fails on a feed or chapters file broken in just that one way, with a message naming the offending element."""

from __future__ import annotations

import copy
import io
import uuid
from collections.abc import Callable
from typing import Any

import podcastparser
import pytest

from podcast_rules import PODCAST_GUID_NAMESPACE, check_chapters, check_feed

FEED_URL = "https://radio.example.org/podcast/feed.xml"
PODCAST_GUID = "7431b71e-977f-5fef-93f6-924a8b8caca4"  # uuid5(namespace, "radio.example.org/podcast/feed.xml")
LONG = "x" * 129

VALID_FEED = f"""\
<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"
     xmlns:podcast="https://podcastindex.org/namespace/1.0">
  <channel>
    <title>Радио Пример</title>
    <link>https://radio.example.org/podcast/</link>
    <description>Выпуски на русском и таджикском</description>
    <language>ru</language>
    <copyright>2012 Test Publisher</copyright>
    <lastBuildDate>Sat, 27 Oct 2012 09:00:00 +0500</lastBuildDate>
    <itunes:author>Test Publisher</itunes:author>
    <itunes:image href="https://radio.example.org/podcast/cover.png"/>
    <itunes:category text="News">
      <itunes:category text="Daily News"/>
    </itunes:category>
    <itunes:category text="Society &amp; Culture">
      <itunes:category text="Documentary"/>
    </itunes:category>
    <itunes:explicit>false</itunes:explicit>
    <itunes:type>episodic</itunes:type>
    <itunes:owner>
      <itunes:name>Test Publisher</itunes:name>
      <itunes:email>podcast@radio.example.org</itunes:email>
    </itunes:owner>
    <podcast:guid>{PODCAST_GUID}</podcast:guid>
    <podcast:locked owner="podcast@radio.example.org">no</podcast:locked>
    <podcast:funding url="https://radio.example.org/support">Фонд поддержки</podcast:funding>
    <podcast:person role="Host"
                    href="https://radio.example.org/people/host">Шаходат Саибназарова</podcast:person>
    <item>
      <title>Таджикистан и Россия</title>
      <description>Описание выпуска</description>
      <guid isPermaLink="false">radiokit-episode-7-ru</guid>
      <pubDate>Fri, 26 Oct 2012 10:00:00 +0500</pubDate>
      <enclosure url="https://radio.example.org/podcast/episode-7-ru.mp3" length="1234567" type="audio/mpeg"/>
      <itunes:duration>00:14:05</itunes:duration>
      <itunes:episode>7</itunes:episode>
      <itunes:season>1</itunes:season>
      <itunes:episodeType>full</itunes:episodeType>
      <itunes:explicit>false</itunes:explicit>
      <itunes:image href="https://radio.example.org/podcast/episode-7.png"/>
      <podcast:transcript url="https://radio.example.org/podcast/transcript-ru.vtt" type="text/vtt" rel="captions"/>
      <podcast:transcript url="https://radio.example.org/podcast/transcript-ru.txt" type="text/plain" language="ru"/>
      <podcast:chapters url="https://radio.example.org/podcast/chapters-ru.json" type="application/json+chapters"/>
      <podcast:person role="host">Шаходат Саибназарова</podcast:person>
      <podcast:person group="cast" role="guest"
                      img="https://radio.example.org/people/guest.jpg">Гость Выпуска</podcast:person>
      <podcast:person group="Writing" role="Translator">Переводчик Выпуска</podcast:person>
    </item>
    <item>
      <title>Тоҷикистон ва Русия</title>
      <description>Тавсифи барнома</description>
      <guid isPermaLink="false">radiokit-episode-7-tg</guid>
      <pubDate>Fri, 26 Oct 2012 10:05:00 +0500</pubDate>
      <enclosure url="https://radio.example.org/podcast/episode-7-tg.mp3" length="1200000" type="audio/mpeg"/>
      <itunes:duration>845</itunes:duration>
      <itunes:episode>8</itunes:episode>
      <itunes:explicit>false</itunes:explicit>
      <podcast:transcript
          url="https://radio.example.org/podcast/transcript-tg.json" type="application/json" language="tg"/>
    </item>
  </channel>
</rss>
"""

Edit = tuple[str, str]


def case(expected: str, *edits: Edit) -> tuple[tuple[Edit, ...], str]:
    """A broken feed: the edits that break it, and text one of its violations must contain."""
    return edits, expected


# Each case breaks one rule: the edits to VALID_FEED (each old text occurs there exactly once) and text that a
# violation must contain.
FEED_CASES: dict[str, tuple[tuple[Edit, ...], str]] = {
    # RSS 2.0
    "not well-formed": case(
        "well-formed",
        ("</channel>", "</chanel>")),
    "root not rss": case(
        "<feed>",
        ("<rss version", "<feed version"),
        ("</rss>", "</feed>")),
    "rss version": case(
        "<rss> version is '0.92'",
        ('<rss version="2.0"', '<rss version="0.92"')),
    "two channels": case(
        "2 <channel> elements",
        ("</channel>", "</channel><channel><title>Другой</title></channel>")),
    "channel title missing": case(
        "no <title>",
        ("<title>Радио Пример</title>", "")),
    "channel title empty": case(
        "<title> is empty",
        ("<title>Радио Пример</title>", "<title> </title>")),
    "channel link missing": case(
        "no <link>",
        ("<link>https://radio.example.org/podcast/</link>", "")),
    "channel link not a URL": case(
        "<link> 'podcast' is not",
        ("<link>https://radio.example.org/podcast/</link>", "<link>podcast</link>")),
    "channel description missing": case(
        "no <description>",
        ("<description>Выпуски на русском и таджикском</description>", "")),
    "item without title or description": case(
        "neither <title> nor <description>",
        ("<title>Тоҷикистон ва Русия</title>", ""),
        ("<description>Тавсифи барнома</description>", "")),
    "item title missing (Apple)": case(
        "item 2 ('radiokit-episode-7-tg') has no <title>",
        ("<title>Тоҷикистон ва Русия</title>", "")),
    "guid missing": case(
        "no <guid>",
        ('<guid isPermaLink="false">radiokit-episode-7-tg</guid>', "")),
    "guid empty": case(
        "<guid> is empty",
        ('<guid isPermaLink="false">radiokit-episode-7-tg</guid>', '<guid isPermaLink="false"/>')),
    "guid isPermaLink": case(
        "isPermaLink",
        ('isPermaLink="false">radiokit-episode-7-tg', 'isPermaLink="no">radiokit-episode-7-tg')),
    "guid permalink not a URL": case(
        "is a permalink",
        ('<guid isPermaLink="false">radiokit-episode-7-tg', "<guid>radiokit-episode-7-tg")),
    "guid repeated": case(
        "repeats the guid of item 1",
        ("radiokit-episode-7-tg</guid>", "radiokit-episode-7-ru</guid>")),
    "enclosure missing": case(
        "no <enclosure>",
        ('<enclosure url="https://radio.example.org/podcast/episode-7-tg.mp3" length="1200000" type="audio/mpeg"/>',
         "")),
    "enclosure url missing": case(
        "<enclosure> has no url",
        ('url="https://radio.example.org/podcast/episode-7-tg.mp3" ', "")),
    "enclosure url relative": case(
        "<enclosure> url 'episode-7-tg.mp3'",
        ('url="https://radio.example.org/podcast/episode-7-tg.mp3"', 'url="episode-7-tg.mp3"')),
    "enclosure length missing": case(
        "<enclosure> has no length",
        ('length="1200000" ', "")),
    "enclosure length negative": case(
        "<enclosure> length '-1'",
        ('length="1200000"', 'length="-1"')),
    "enclosure length not bytes": case(
        "<enclosure> length '1.2MB'",
        ('length="1200000"', 'length="1.2MB"')),
    "enclosure type missing": case(
        "<enclosure> has no type",
        ('length="1200000" type="audio/mpeg"', 'length="1200000"')),
    "enclosure type not Apple's": case(
        "<enclosure> type 'audio/ogg'",
        ('length="1200000" type="audio/mpeg"', 'length="1200000" type="audio/ogg"')),
    "two enclosures": case(
        "2 <enclosure> elements",
        ("<itunes:duration>845",
         '<enclosure url="https://radio.example.org/b.mp3" length="1" type="audio/mpeg"/><itunes:duration>845')),
    "pubDate not RFC 822": case(
        "is not an RFC 822/2822 date",
        ("Fri, 26 Oct 2012 10:05:00 +0500", "2012-10-26T10:05:00+05:00")),
    "pubDate without zone": case(
        "does not end in a time zone",
        ("Fri, 26 Oct 2012 10:05:00 +0500", "Fri, 26 Oct 2012 10:05:00")),
    "pubDate unknown zone": case(
        "does not end in a time zone",
        ("Fri, 26 Oct 2012 10:05:00 +0500", "Fri, 26 Oct 2012 10:05:00 TJT")),
    "lastBuildDate not RFC 822": case(
        "<lastBuildDate> 'yesterday'",
        ("Sat, 27 Oct 2012 09:00:00 +0500", "yesterday")),
    # iTunes (Apple)
    "itunes:image missing": case(
        "no <itunes:image>",
        ('<itunes:image href="https://radio.example.org/podcast/cover.png"/>', "")),
    "itunes:image without href": case(
        "<itunes:image> has no href",
        ('<itunes:image href="https://radio.example.org/podcast/cover.png"/>',
         "<itunes:image>https://radio.example.org/podcast/cover.png</itunes:image>")),
    "episode itunes:image relative": case(
        "<itunes:image> href 'episode-7.png'",
        ('href="https://radio.example.org/podcast/episode-7.png"', 'href="episode-7.png"')),
    "language missing": case(
        "0 <language> elements",
        ("<language>ru</language>", "")),
    "language twice": case(
        "2 <language> elements",
        ("<language>ru</language>", "<language>ru</language><language>tg</language>")),
    "language a name": case(
        "<language> 'Russian'",
        ("<language>ru</language>", "<language>Russian</language>")),
    "language not ISO 639": case(
        "<language> 'xq-ru'",
        ("<language>ru</language>", "<language>xq-ru</language>")),
    "category missing": case(
        "no <itunes:category>",
        ('<itunes:category text="News">\n      <itunes:category text="Daily News"/>\n    </itunes:category>', ""),
        ('<itunes:category text="Society &amp; Culture">\n      <itunes:category text="Documentary"/>\n'
         '    </itunes:category>', "")),
    "category not Apple's": case(
        "text='Radio' is not one of Apple's categories",
        ('<itunes:category text="News">', '<itunes:category text="Radio">')),
    "category old name": case(
        "text='News & Politics' is not one of Apple's categories",
        ('<itunes:category text="News">', '<itunes:category text="News &amp; Politics">')),
    "category without text": case(
        "<itunes:category> has no text",
        ('<itunes:category text="News">', "<itunes:category>")),
    "subcategory of another category": case(
        "text='Documentary' is not one of Apple's subcategories of 'News'",
        ('<itunes:category text="Daily News"/>', '<itunes:category text="Documentary"/>')),
    "subcategory of Government": case(
        "subcategories of 'Government'",
        ('<itunes:category text="News">', '<itunes:category text="Government">')),
    "category three levels": case(
        "holds another <itunes:category>",
        ('<itunes:category text="Daily News"/>',
         '<itunes:category text="Daily News"><itunes:category text="Politics"/></itunes:category>')),
    "category in item": case(
        "<itunes:category> in item 2",
        ("<itunes:duration>845", '<itunes:category text="News"/><itunes:duration>845')),
    "explicit missing": case(
        "no <itunes:explicit>",
        ("<itunes:explicit>false</itunes:explicit>\n    <itunes:type>", "<itunes:type>")),
    "explicit not boolean": case(
        "<itunes:explicit> 'maybe'",
        ("<itunes:explicit>false</itunes:explicit>\n    <itunes:type>",
         "<itunes:explicit>maybe</itunes:explicit>\n    <itunes:type>")),
    "episode explicit not boolean": case(
        "<itunes:explicit> '1'",
        ('<itunes:explicit>false</itunes:explicit>\n      <podcast:transcript\n',
         '<itunes:explicit>1</itunes:explicit>\n      <podcast:transcript\n')),
    "owner twice": case(
        "2 <itunes:owner> elements",
        ("<podcast:guid>", "<itunes:owner><itunes:name>Другой</itunes:name><itunes:email>other@radio.example.org"
         "</itunes:email></itunes:owner><podcast:guid>")),
    "owner without email": case(
        "needs one non-empty <itunes:email>",
        ("<itunes:email>podcast@radio.example.org</itunes:email>", "")),
    "owner email not an address": case(
        "<itunes:email> 'podcast at radio'",
        ("<itunes:email>podcast@radio.example.org</itunes:email>", "<itunes:email>podcast at radio</itunes:email>")),
    "owner without name": case(
        "needs one non-empty <itunes:name>",
        ("<itunes:name>Test Publisher</itunes:name>", "")),
    "duration words": case(
        "<itunes:duration> '14 min'",
        ("<itunes:duration>845</itunes:duration>", "<itunes:duration>14 min</itunes:duration>")),
    "duration minutes over 59": case(
        "<itunes:duration> '1:75:00'",
        ("<itunes:duration>00:14:05</itunes:duration>", "<itunes:duration>1:75:00</itunes:duration>")),
    "duration one field too many": case(
        "<itunes:duration> '0:0:14:05'",
        ("<itunes:duration>00:14:05</itunes:duration>", "<itunes:duration>0:0:14:05</itunes:duration>")),
    "episode zero": case(
        "<itunes:episode> '0'",
        ("<itunes:episode>8</itunes:episode>", "<itunes:episode>0</itunes:episode>")),
    "episode negative": case(
        "<itunes:episode> '-8'",
        ("<itunes:episode>8</itunes:episode>", "<itunes:episode>-8</itunes:episode>")),
    "episode decimal": case(
        "<itunes:episode> '7.5'",
        ("<itunes:episode>8</itunes:episode>", "<itunes:episode>7.5</itunes:episode>")),
    "season zero": case(
        "<itunes:season> '0'",
        ("<itunes:season>1</itunes:season>", "<itunes:season>0</itunes:season>")),
    "episodeType unknown": case(
        "<itunes:episodeType> 'teaser'",
        ("<itunes:episodeType>full</itunes:episodeType>", "<itunes:episodeType>teaser</itunes:episodeType>")),
    "type unknown": case(
        "<itunes:type> 'weekly'",
        ("<itunes:type>episodic</itunes:type>", "<itunes:type>weekly</itunes:type>")),
    "serial without episode numbers": case(
        "no <itunes:episode>, which Apple requires in a serial show",
        ("<itunes:type>episodic</itunes:type>", "<itunes:type>serial</itunes:type>"),
        ("<itunes:episode>8</itunes:episode>", "")),
    "itunes namespace miscased": case(
        "namespace 'http://www.itunes.com/DTDs/Podcast-1.0.dtd'",
        ('xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"',
         'xmlns:itunes="http://www.itunes.com/DTDs/Podcast-1.0.dtd"')),
    # Podcasting 2.0
    "podcast namespace wrong": case(
        "namespace 'https://podcastindex.org/namespace/1.0/'",
        ('xmlns:podcast="https://podcastindex.org/namespace/1.0"',
         'xmlns:podcast="https://podcastindex.org/namespace/1.0/"')),
    "undocumented podcast tag": case(
        "<podcast:mood> in channel is not a documented tag",
        ("<podcast:locked", "<podcast:mood>calm</podcast:mood><podcast:locked")),
    "podcast:guid twice": case(
        "<podcast:guid> appears more than once",
        ("<podcast:locked", f"<podcast:guid>{PODCAST_GUID}</podcast:guid><podcast:locked")),
    "podcast:guid in item": case(
        "<podcast:guid> in item 2",
        ("<itunes:duration>845", f"<podcast:guid>{PODCAST_GUID}</podcast:guid><itunes:duration>845")),
    "podcast:guid not a UUID": case(
        "<podcast:guid> in channel: 'radio.example.org/podcast' is not a UUID",
        (f"<podcast:guid>{PODCAST_GUID}", "<podcast:guid>radio.example.org/podcast")),
    "podcast:guid not v5": case(
        "version 4 UUID",
        (f"<podcast:guid>{PODCAST_GUID}", "<podcast:guid>2f1b9a4e-6c1d-4b8e-9f0a-3c5d7e9b1a2c")),
    "podcast:guid without hyphens": case(
        "8-4-4-4-12",
        (f"<podcast:guid>{PODCAST_GUID}", "<podcast:guid>" + PODCAST_GUID.replace('-', ''))),
    "podcast:locked twice": case(
        "<podcast:locked> appears more than once",
        ("<podcast:funding", "<podcast:locked>yes</podcast:locked><podcast:funding")),
    "podcast:locked value": case(
        "<podcast:locked> in channel: 'true'",
        ('owner="podcast@radio.example.org">no<', 'owner="podcast@radio.example.org">true<')),
    "podcast:locked capitalised": case(
        "<podcast:locked> in channel: 'No'",
        ('owner="podcast@radio.example.org">no<', 'owner="podcast@radio.example.org">No<')),
    "podcast:locked owner not email": case(
        "owner 'Test Publisher'",
        ('<podcast:locked owner="podcast@radio.example.org">', '<podcast:locked owner="Test Publisher">')),
    "podcast:locked in item": case(
        "<podcast:locked> in item 2",
        ("<itunes:duration>845", "<podcast:locked>no</podcast:locked><itunes:duration>845")),
    "podcast:funding without url": case(
        "<podcast:funding> in channel has no url",
        ('<podcast:funding url="https://radio.example.org/support">', "<podcast:funding>")),
    "podcast:funding url relative": case(
        "url '/support'",
        ('<podcast:funding url="https://radio.example.org/support">', '<podcast:funding url="/support">')),
    "podcast:funding text too long": case(
        "129 characters",
        ("Фонд поддержки</podcast:funding>", f"{LONG}</podcast:funding>")),
    "podcast:funding misplaced": case(
        "<podcast:funding> in itunes:owner",
        ("<itunes:name>Test Publisher</itunes:name>",
         '<itunes:name>Test Publisher</itunes:name>'
         '<podcast:funding url="https://radio.example.org/support">Support</podcast:funding>')),
    "podcast:transcript without url": case(
        "<podcast:transcript> in item 1 ('radiokit-episode-7-ru') has no url",
        ('<podcast:transcript url="https://radio.example.org/podcast/transcript-ru.vtt" type="text/vtt"',
         '<podcast:transcript type="text/vtt"')),
    "podcast:transcript without type": case(
        "<podcast:transcript> in item 1 ('radiokit-episode-7-ru') has no type",
        ('transcript-ru.vtt" type="text/vtt"', 'transcript-ru.vtt"')),
    "podcast:transcript type text/srt": case(
        "type 'text/srt'",
        ('type="text/vtt"', 'type="text/srt"')),
    "podcast:transcript type by suffix": case(
        "type 'vtt'",
        ('type="text/vtt"', 'type="vtt"')),
    "podcast:transcript rel": case(
        "rel 'subtitles'",
        ('rel="captions"', 'rel="subtitles"')),
    "podcast:transcript language": case(
        "language 'Russian'",
        ('type="text/plain" language="ru"', 'type="text/plain" language="Russian"')),
    "podcast:transcript in channel": case(
        "<podcast:transcript> in channel",
        ("<podcast:funding",
         '<podcast:transcript url="https://radio.example.org/t.vtt" type="text/vtt"/><podcast:funding')),
    "podcast:chapters twice": case(
        "<podcast:chapters> appears more than once",
        ('<podcast:person role="host">',
         '<podcast:chapters url="https://radio.example.org/c.json" type="application/json+chapters"/>'
         '<podcast:person role="host">')),
    "podcast:chapters without url": case(
        "<podcast:chapters> in item 1 ('radiokit-episode-7-ru') has no url",
        ('<podcast:chapters url="https://radio.example.org/podcast/chapters-ru.json" ', "<podcast:chapters ")),
    "podcast:chapters without type": case(
        "<podcast:chapters> in item 1 ('radiokit-episode-7-ru') has no type",
        ('chapters-ru.json" type="application/json+chapters"', 'chapters-ru.json"')),
    "podcast:chapters type application/json": case(
        "type 'application/json' is not",
        ('type="application/json+chapters"', 'type="application/json"')),
    "podcast:chapters in channel": case(
        "<podcast:chapters> in channel",
        ("<podcast:funding",
         '<podcast:chapters url="https://radio.example.org/c.json" type="application/json+chapters"/>'
         '<podcast:funding')),
    "podcast:person blank": case(
        "<podcast:person> in item 1 ('radiokit-episode-7-ru') has no name",
        ("Гость Выпуска</podcast:person>", "  </podcast:person>")),
    "podcast:person too long": case(
        "129 characters",
        ("Гость Выпуска</podcast:person>", f"{LONG}</podcast:person>")),
    "podcast:person role": case(
        "role 'DJ'",
        ('group="cast" role="guest"', 'group="cast" role="DJ"')),
    "podcast:person group": case(
        "group 'band'",
        ('group="cast" role="guest"', 'group="band" role="guest"')),
    "podcast:person href": case(
        "href 'saibnazarova'",
        ('href="https://radio.example.org/people/host"', 'href="saibnazarova"')),
    "podcast:person img": case(
        "img 'guest.jpg'",
        ('img="https://radio.example.org/people/guest.jpg"', 'img="guest.jpg"')),
    "podcast:person misplaced": case(
        "<podcast:person> in itunes:owner",
        ("<itunes:name>Test Publisher</itunes:name>",
         "<itunes:name>Test Publisher</itunes:name><podcast:person>Имя</podcast:person>")),
}


def edited(edits: tuple[Edit, ...]) -> bytes:
    text = VALID_FEED
    for old, new in edits:
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in the valid feed"
        text = text.replace(old, new)
    return text.encode("utf-8")


def test_valid_feed_passes() -> None:
    assert check_feed(VALID_FEED.encode("utf-8")) == []


def test_valid_feed_podcast_guid_is_the_documented_uuid5() -> None:
    """The inline feed's podcast:guid is what docs/tags/guid.md derives from the feed URL (scheme stripped)."""
    assert str(uuid.uuid5(PODCAST_GUID_NAMESPACE, FEED_URL.removeprefix("https://"))) == PODCAST_GUID
    # and the namespace reproduces the docs' own examples
    assert str(uuid.uuid5(PODCAST_GUID_NAMESPACE, "podnews.net/rss")) == "9b024349-ccf0-5f69-a609-6b82873eab3c"


def test_podcastparser_reads_the_valid_feed() -> None:
    """An independent podcast client reads the inline feed's episodes and enclosures."""
    parsed = podcastparser.parse(FEED_URL, io.BytesIO(VALID_FEED.encode("utf-8")))
    assert parsed["title"] == "Радио Пример"
    episodes = {episode["title"]: episode for episode in parsed["episodes"]}
    assert set(episodes) == {"Таджикистан и Россия", "Тоҷикистон ва Русия"}
    enclosure = episodes["Таджикистан и Россия"]["enclosures"][0]
    assert enclosure["url"] == "https://radio.example.org/podcast/episode-7-ru.mp3"
    assert enclosure["file_size"] == 1234567
    assert enclosure["mime_type"] == "audio/mpeg"
    assert episodes["Тоҷикистон ва Русия"]["total_time"] == 845


@pytest.mark.parametrize("edits, expected", FEED_CASES.values(), ids=FEED_CASES.keys())
def test_each_feed_rule_can_fail(edits: tuple[Edit, ...], expected: str) -> None:
    problems = check_feed(edited(edits))
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize("edits", [
    (("<itunes:explicit>false</itunes:explicit>\n    <itunes:type>", "<itunes:explicit>no</itunes:explicit>\n"
      "    <itunes:type>"),),
    (("<itunes:explicit>false</itunes:explicit>\n    <itunes:type>", "<itunes:explicit>clean</itunes:explicit>\n"
      "    <itunes:type>"),),
    (("<itunes:explicit>false</itunes:explicit>\n    <itunes:type>", "<itunes:explicit>yes</itunes:explicit>\n"
      "    <itunes:type>"),),
    (('xmlns:podcast="https://podcastindex.org/namespace/1.0"',
      'xmlns:podcast="https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md"'),),
    (("<itunes:duration>845</itunes:duration>", "<itunes:duration>14:05</itunes:duration>"),),
    (("<itunes:duration>845</itunes:duration>", "<itunes:duration>1:00:00</itunes:duration>"),),
    (("<language>ru</language>", "<language>ru-RU</language>"),),
    (("Fri, 26 Oct 2012 10:05:00 +0500", "Fri, 26 Oct 2012 05:05:00 -0000"),),
    (("Fri, 26 Oct 2012 10:05:00 +0500", "Fri, 26 Oct 2012 05:05:00 GMT"),),
    (("<itunes:owner>\n      <itunes:name>Test Publisher</itunes:name>\n"
      "      <itunes:email>podcast@radio.example.org</itunes:email>\n    </itunes:owner>", ""),),
    (('type="text/vtt"', 'type="application/x-subrip"'),),
    (('type="text/vtt"', 'type="application/srt"'),),
    (('type="text/vtt"', 'type="text/html"'),),
    (('group="cast" role="guest"', 'group="Visuals" role="Cover Art Designer"'),),
    (("<podcast:locked", "<podcast:season>1</podcast:season><podcast:locked"),),
    (("<itunes:duration>845", "<podcast:season name=\"Осень\">1</podcast:season><itunes:duration>845"),),
    (('<itunes:category text="News">\n      <itunes:category text="Daily News"/>\n    </itunes:category>',
      '<itunes:category text="Government"/>'),),
], ids=["explicit no", "explicit clean", "explicit yes", "podcast namespace alias", "duration MM:SS",
        "duration H:MM:SS", "language with region",
        "pubDate in UTC, offset unknown", "pubDate GMT", "no owner", "transcript x-subrip", "transcript application/srt",
        "transcript html", "person visuals", "documented tag unchecked", "podcast:season in item",
        "category without subcategory"])
def test_documented_variants_pass(edits: tuple[Edit, ...]) -> None:
    assert check_feed(edited(edits)) == []


VALID_CHAPTERS: dict[str, Any] = {
    "version": "1.2.0",
    "author": "Test Publisher",
    "title": "Таджикистан и Россия",
    "podcastName": "Радио Пример",
    "description": "Описание выпуска",
    "fileName": "episode-7-ru.mp3",
    "waypoints": False,
    "chapters": [
        {"startTime": 0, "title": "Заставка"},
        {"startTime": 12.5, "endTime": 300, "title": "Главное", "img": "https://radio.example.org/img/1.jpg",
         "url": "https://radio.example.org/news/1", "toc": True},
        {"startTime": 300, "toc": False, "img": "https://radio.example.org/img/dushanbe.jpg",
         "location": {"name": "Душанбе", "geo": "geo:38.5598,68.7870", "osm": "R2278034"}},
        {"startTime": 845.25, "title": "Финал"},
    ],
}

ChapterEdit = Callable[[dict[str, Any]], object]


def _set(path: tuple[Any, ...], value: object) -> ChapterEdit:
    def edit(data: dict[str, Any]) -> object:
        node: Any = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
        return data
    return edit


def _delete(path: tuple[Any, ...]) -> ChapterEdit:
    def edit(data: dict[str, Any]) -> object:
        node: Any = data
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]
        return data
    return edit


CHAPTER_CASES: dict[str, tuple[ChapterEdit, str]] = {
    "not an object": (lambda data: data["chapters"], "not a JSON object"),
    "version missing": (_delete(("version",)), "version"),
    "version a number": (_set(("version",), 1.2), "version"),
    "version not dotted": (_set(("version",), "latest"), "version"),
    "chapters missing": (_delete(("chapters",)), "chapters"),
    "chapters an object": (_set(("chapters",), {"0": {"startTime": 0}}), "chapters"),
    "chapter not an object": (_set(("chapters", 0), 0), "chapter 1"),
    "startTime missing": (_delete(("chapters", 1, "startTime")), "startTime"),
    "startTime negative": (_set(("chapters", 0, "startTime"), -1), "startTime"),
    "startTime a string": (_set(("chapters", 0, "startTime"), "0"), "startTime"),
    "startTime a boolean": (_set(("chapters", 0, "startTime"), False), "startTime"),
    "startTime not finite": (_set(("chapters", 3, "startTime"), float("inf")), "startTime"),
    "endTime before startTime": (_set(("chapters", 1, "endTime"), 12.5), "endTime"),
    "endTime a string": (_set(("chapters", 1, "endTime"), "300"), "endTime"),
    "title a number": (_set(("chapters", 0, "title"), 1), "title"),
    "img a list": (_set(("chapters", 1, "img"), ["https://radio.example.org/img/1.jpg"]), "img"),
    "img relative": (_set(("chapters", 1, "img"), "img/1.jpg"), "img"),
    "url relative": (_set(("chapters", 1, "url"), "news/1"), "url"),
    "toc a string": (_set(("chapters", 1, "toc"), "false"), "toc"),
    "location not an object": (_set(("chapters", 2, "location"), "Душанбе"), "location"),
    "location without name": (_delete(("chapters", 2, "location", "name")), "location has no name"),
    "location without geo": (_delete(("chapters", 2, "location", "geo")), "location has no geo"),
    "location geo not a geo URI": (_set(("chapters", 2, "location", "geo"), "38.5598,68.7870"), "geo"),
    "location osm a number": (_set(("chapters", 2, "location", "osm"), 2278034), "osm"),
    "out of order": (_set(("chapters", 3, "startTime"), 100), "ascending"),
    "same startTime": (_set(("chapters", 1, "startTime"), 0), "ascending"),
    "author a number": (_set(("author",), 7), "author"),
    "podcastName a list": (_set(("podcastName",), ["Радио Пример"]), "podcastName"),
    "waypoints a string": (_set(("waypoints",), "yes"), "waypoints"),
}


def test_valid_chapters_pass() -> None:
    assert check_chapters(copy.deepcopy(VALID_CHAPTERS)) == []
    assert check_chapters({"version": "1.2.0", "chapters": []}) == []


@pytest.mark.parametrize("edit, expected", CHAPTER_CASES.values(), ids=CHAPTER_CASES.keys())
def test_each_chapters_rule_can_fail(edit: ChapterEdit, expected: str) -> None:
    problems = check_chapters(edit(copy.deepcopy(VALID_CHAPTERS)))
    assert any(expected in problem for problem in problems), problems
