"""An independent checker for the podcast feeds (and JSON chapters) radiokit writes.

The rules are written from the documentation, not from radiokit's code, so a test can hold the feed writer to them:

- RSS 2.0 specification (https://www.rssboard.org/rss-specification, cyber.harvard.edu/rss/rss.html);
- Apple's "A Podcaster's Guide to RSS" (help.apple.com/itc/podcasts_connect/#/itcb54353390, archived in
  podcastindex-org/podcast-namespace itunes_reference.md) and Apple's category list
  (podcasters.apple.com/support/1691-apple-podcasts-categories);
- the Podcasting 2.0 namespace (podcastindex-org/podcast-namespace docs/1.0.md, docs/tags/*.md, taxonomy.json,
  chapters/jsonChapters.md).

`check_feed` and `check_chapters` return one human-readable string per violation; an empty list means valid.
"""

from __future__ import annotations

import email.utils
import math
import re
import uuid
from collections.abc import Callable, Iterator
from typing import TypeGuard
from urllib.parse import urlsplit

from lxml import etree

__all__ = ["ITUNES", "PODCAST", "check_chapters", "check_feed"]

ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST = "https://podcastindex.org/namespace/1.0"
# docs/1.0.md: "Clients which recognize this namespace must also recognize ... as identical."
PODCAST_ALIAS = "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md"
PODCAST_NAMESPACES = frozenset({PODCAST, PODCAST_ALIAS})

Element = etree._Element
Rule = Callable[[Element, list[str]], None]

# ---------------------------------------------------------------------------------------------------------------------
# Reference data
# ---------------------------------------------------------------------------------------------------------------------

# Apple's categories and subcategories (podcasters.apple.com/support/1691-apple-podcasts-categories, the 2019 list
# that replaced "Games & Hobbies", "Government & Organizations", "News & Politics", ...). Exact, case-sensitive text.
APPLE_CATEGORIES: dict[str, frozenset[str]] = {
    name: frozenset(subs) for name, subs in {
        "Arts": ("Books", "Design", "Fashion & Beauty", "Food", "Performing Arts", "Visual Arts"),
        "Business": ("Careers", "Entrepreneurship", "Investing", "Management", "Marketing", "Non-Profit"),
        "Comedy": ("Comedy Interviews", "Improv", "Stand-Up"),
        "Education": ("Courses", "How To", "Language Learning", "Self-Improvement"),
        "Fiction": ("Comedy Fiction", "Drama", "Science Fiction"),
        "Government": (),
        "History": (),
        "Health & Fitness": ("Alternative Health", "Fitness", "Medicine", "Mental Health", "Nutrition", "Sexuality"),
        "Kids & Family": ("Education for Kids", "Parenting", "Pets & Animals", "Stories for Kids"),
        "Leisure": ("Animation & Manga", "Automotive", "Aviation", "Crafts", "Games", "Hobbies", "Home & Garden",
                    "Video Games"),
        "Music": ("Music Commentary", "Music History", "Music Interviews"),
        "News": ("Business News", "Daily News", "Entertainment News", "News Commentary", "Politics", "Sports News",
                 "Tech News"),
        "Religion & Spirituality": ("Buddhism", "Christianity", "Hinduism", "Islam", "Judaism", "Religion",
                                    "Spirituality"),
        "Science": ("Astronomy", "Chemistry", "Earth Sciences", "Life Sciences", "Mathematics", "Natural Sciences",
                    "Nature", "Physics", "Social Sciences"),
        "Society & Culture": ("Documentary", "Personal Journals", "Philosophy", "Places & Travel", "Relationships"),
        "Sports": ("Baseball", "Basketball", "Cricket", "Fantasy Sports", "Football", "Golf", "Hockey", "Rugby",
                   "Running", "Soccer", "Swimming", "Tennis", "Volleyball", "Wilderness", "Wrestling"),
        "Technology": (),
        "True Crime": (),
        "TV & Film": ("After Shows", "Film History", "Film Interviews", "Film Reviews", "TV Reviews"),
    }.items()
}

# Apple: "Apple Podcasts only supports values from the ISO 639 list (two-letter language codes, with some possible
# modifiers, such as "en-us")". The two-letter codes are ISO 639-1.
ISO_639_1 = frozenset("""
aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz ee el en eo
es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg
ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn
no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta
te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu
""".split())

# Apple's supported enclosure types (itunes_reference.md, <enclosure>: "The type values for the supported file
# formats are: audio/x-m4a, audio/mpeg, video/quicktime, video/mp4, video/x-m4v, and application/pdf").
APPLE_ENCLOSURE_TYPES = frozenset({"audio/x-m4a", "audio/mpeg", "video/quicktime", "video/mp4", "video/x-m4v",
                                   "application/pdf"})

# Apple: <itunes:explicit> is "true" or "false"; its older spec also took yes/explicit (explicit) and no/clean.
EXPLICIT_VALUES = frozenset({"true", "false"})
LEGACY_EXPLICIT_VALUES = frozenset({"yes", "no", "clean", "explicit"})

# The podcast:transcript types the docs name. docs/tags/transcript.md (current): text/plain, text/html, text/vtt,
# application/json, application/x-subrip. docs/1.0.md (earlier) listed application/srt instead of application/x-subrip.
TRANSCRIPT_TYPES = frozenset({"text/plain", "text/html", "text/vtt", "application/json", "application/x-subrip",
                              "application/srt"})
CHAPTERS_TYPE = "application/json+chapters"  # docs/tags/chapters.md

# podcast:guid: "The value is a UUIDv5" generated in this namespace (docs/tags/guid.md).
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")

# The Podcast Taxonomy (podcast-namespace taxonomy.json), group -> roles, lower-cased and stripped (the file has
# trailing spaces in several roles). "Translater" is the file's spelling; its description says "Translator", so both.
PERSON_TAXONOMY: dict[str, frozenset[str]] = {
    group: frozenset(roles) for group, roles in {
        "creative direction": ("director", "assistant director", "executive producer", "senior producer",
                               "producer", "associate producer", "development producer", "creative director"),
        "cast": ("host", "co-host", "guest host", "guest", "voice actor", "narrator", "announcer", "reporter"),
        "writing": ("author", "editorial director", "co-writer", "writer", "songwriter", "guest writer",
                    "story editor", "managing editor", "script editor", "script coordinator", "researcher", "editor",
                    "fact checker", "translater", "translator", "transcriber", "logger"),
        "audio production": ("studio coordinator", "technical director", "technical manager", "audio engineer",
                             "remote recording engineer", "post production engineer"),
        "audio post-production": ("audio editor", "sound designer", "foley artist", "composer", "theme music",
                                  "music production", "music contributor"),
        "administration": ("production coordinator", "booking coordinator", "production assistant",
                           "content manager", "marketing manager", "sales representative", "sales manager"),
        "visuals": ("graphic designer", "cover art designer"),
        "community": ("social media manager",),
        "misc.": ("consultant", "intern"),
        "video production": ("camera operator", "lighting designer", "camera grip", "assistant camera"),
        "video post-production": ("editor", "assistant editor"),
    }.items()
}
PERSON_ROLES = frozenset().union(*PERSON_TAXONOMY.values())

# Every tag documented in podcast-namespace docs/tags/ (and docs/1.0.md). Anything else in the namespace is reported.
PODCAST_TAGS = frozenset({
    "alternateEnclosure", "block", "chapters", "chat", "contentLink", "episode", "funding", "guid", "image", "images",
    "integrity", "license", "liveItem", "location", "locked", "medium", "person", "podping", "podroll", "publisher",
    "remoteItem", "season", "socialInteract", "soundbite", "source", "trailer", "transcript", "txt",
    "updateFrequency", "value", "valueRecipient", "valueTimeSplit",
})

MAX_NODE_CHARS = 128  # "Please do not exceed 128 characters for the node value" (funding, person, ...)

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+", re.ASCII)
_LANGUAGE = re.compile(r"([A-Za-z]{2})(?:-[A-Za-z0-9]{1,8})*", re.ASCII)
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*", re.ASCII)  # BCP 47-shaped, for transcripts
_SECONDS = re.compile(r"[0-9]+", re.ASCII)
_CLOCK = re.compile(r"(?:[0-9]+:)?[0-5]?[0-9]:[0-5][0-9]", re.ASCII)
_POSITIVE_INT = re.compile(r"[1-9][0-9]*", re.ASCII)
_NON_NEGATIVE_INT = re.compile(r"[0-9]+", re.ASCII)
_GEO_URI = re.compile(r"geo:-?[0-9]+(?:\.[0-9]+)?,-?[0-9]+(?:\.[0-9]+)?(?:,-?[0-9]+(?:\.[0-9]+)?)?(?:;.*)?",
                      re.ASCII)
# RFC 822 section 5 / RFC 2822 section 3.3: a date ends in its zone, a numeric offset ("-0000" included) or a name.
_ZONE = re.compile(r"[+-][0-9]{4}|UT|GMT|[ECMP][SD]T", re.ASCII)
_VERSION = re.compile(r"[0-9]+(?:\.[0-9]+)*", re.ASCII)

# ---------------------------------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------------------------------


def _is_podcast(element: Element) -> bool:
    return etree.QName(element).namespace in PODCAST_NAMESPACES


def _name(element: Element) -> str:
    """The element's name as the docs write it: itunes:x, podcast:x or a plain RSS name."""
    qname = etree.QName(element)
    if qname.namespace == ITUNES:
        return f"itunes:{qname.localname}"
    if qname.namespace in PODCAST_NAMESPACES:
        return f"podcast:{qname.localname}"
    return qname.localname if qname.namespace is None else qname.text


def _children(parent: Element, namespace: str | None, local: str) -> list[Element]:
    """Direct children named `local` in `namespace` (None: no namespace, as RSS 2.0's own elements are)."""
    found: list[Element] = []
    for child in parent.iterchildren(etree.Element):
        qname = etree.QName(child)
        in_namespace = (qname.namespace in PODCAST_NAMESPACES) if namespace == PODCAST else qname.namespace == namespace
        if in_namespace and qname.localname == local:
            found.append(child)
    return found


def _rss(parent: Element, local: str) -> list[Element]:
    return _children(parent, None, local)


def _itunes(parent: Element, local: str) -> list[Element]:
    return _children(parent, ITUNES, local)


def _text(element: Element) -> str:
    return (element.text or "").strip()


def _items(channel: Element) -> Iterator[tuple[str, Element]]:
    """Each item with a label naming it: its position, and its guid or title when it has one."""
    for index, item in enumerate(_rss(channel, "item"), start=1):
        ids = [_text(e) for e in _rss(item, "guid") + _rss(item, "title") if _text(e)]
        yield (f"item {index} ({ids[0]!r})" if ids else f"item {index}"), item


def _where(element: Element) -> str:
    """Where an element sits: 'channel', 'item N (...)', or its parent's name."""
    parent = element.getparent()
    if parent is None:
        return "document root"
    if _name(parent) == "item" and parent.getparent() is not None:
        for label, item in _items(parent.getparent()):
            if item is parent:
                return label
    return _name(parent)


def _is_url(value: str | None) -> bool:
    if not value:
        return False
    parts = urlsplit(value.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _tag(element: Element) -> str:
    return f"<{_name(element)}> in {_where(element)}"


def _podcast_elements(root: Element, local: str) -> list[Element]:
    return [e for e in root.iter(etree.Element) if _is_podcast(e) and etree.QName(e).localname == local]


# ---------------------------------------------------------------------------------------------------------------------
# RSS 2.0 (RSS 2.0 specification)
# ---------------------------------------------------------------------------------------------------------------------


def _rss_channel_elements(channel: Element, out: list[str]) -> None:
    """RSS 2.0 "Required channel elements": title, link, description, each once and not blank; link is a URL."""
    for local in ("title", "link", "description"):
        found = _rss(channel, local)
        if not found:
            out.append(f"channel has no <{local}> (RSS 2.0 required channel element)")
        elif len(found) > 1:
            out.append(f"channel has {len(found)} <{local}> elements; RSS 2.0 expects one")
        elif not _text(found[0]):
            out.append(f"channel <{local}> is empty (RSS 2.0 required channel element)")
    for link in _rss(channel, "link")[:1]:
        if _text(link) and not _is_url(_text(link)):
            out.append(f"channel <link> {_text(link)!r} is not an absolute http(s) URL (RSS 2.0)")


def _rss_item_title_or_description(channel: Element, out: list[str]) -> None:
    """RSS 2.0: "All elements of an item are optional, however at least one of title or description must be present"."""
    for label, item in _items(channel):
        if not any(_text(e) for e in _rss(item, "title") + _rss(item, "description")):
            out.append(f"{label} has neither <title> nor <description> (RSS 2.0)")


def _rss_guids(channel: Element, out: list[str]) -> None:
    """RSS 2.0 <guid> (isPermaLink "true"/"false"); radiokit always writes one; Apple: unique and never changing."""
    seen: dict[str, str] = {}
    for label, item in _items(channel):
        guids = _rss(item, "guid")
        if not guids:
            out.append(f"{label} has no <guid> (radiokit writes one for every item; Apple: each episode's is unique)")
            continue
        if len(guids) > 1:
            out.append(f"{label} has {len(guids)} <guid> elements; an item has one")
        guid = guids[0]
        value = _text(guid)
        if not value:
            out.append(f"{label}: <guid> is empty")
        permalink = guid.get("isPermaLink")
        if permalink is not None and permalink not in ("true", "false"):
            out.append(f"{label}: <guid> isPermaLink={permalink!r} is neither \"true\" nor \"false\" (RSS 2.0)")
        if (permalink is None or permalink == "true") and value and not _is_url(value):
            out.append(f"{label}: <guid> {value!r} is a permalink (isPermaLink absent or \"true\") but not a URL "
                       "(RSS 2.0: isPermaLink defaults to true)")
        if value and value in seen:
            out.append(f"{label}: <guid> {value!r} repeats the guid of {seen[value]} (guids are unique in a feed)")
        elif value:
            seen[value] = label


def _rss_enclosures(channel: Element, out: list[str]) -> None:
    """RSS 2.0 <enclosure>: url (an http URL), length (bytes) and type, all required; Apple: every episode has one,
    of a type it supports."""
    for label, item in _items(channel):
        enclosures = _rss(item, "enclosure")
        if not enclosures:
            out.append(f"{label} has no <enclosure> (Apple: a required episode tag)")
            continue
        if len(enclosures) > 1:
            out.append(f"{label} has {len(enclosures)} <enclosure> elements; Apple reads one per episode")
        for enclosure in enclosures:
            url, length, kind = enclosure.get("url"), enclosure.get("length"), enclosure.get("type")
            if url is None:
                out.append(f"{label}: <enclosure> has no url (RSS 2.0 required attribute)")
            elif not _is_url(url):
                out.append(f"{label}: <enclosure> url {url!r} is not an absolute http(s) URL (RSS 2.0)")
            if length is None:
                out.append(f"{label}: <enclosure> has no length (RSS 2.0 required attribute)")
            elif not _NON_NEGATIVE_INT.fullmatch(length):
                out.append(f"{label}: <enclosure> length {length!r} is not a non-negative whole number of bytes")
            if kind is None:
                out.append(f"{label}: <enclosure> has no type (RSS 2.0 required attribute)")
            elif kind not in APPLE_ENCLOSURE_TYPES:
                out.append(f"{label}: <enclosure> type {kind!r} is not one Apple supports "
                           f"({', '.join(sorted(APPLE_ENCLOSURE_TYPES))})")


def _rfc822_problem(value: str) -> str | None:
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return "is not an RFC 822/2822 date"
    if parsed is None:
        return "is not an RFC 822/2822 date"
    # parsedate_to_datetime reads a missing or unknown zone as "-0000", so the zone is checked as text.
    if not _ZONE.fullmatch(value.split()[-1]):
        return "does not end in a time zone (RFC 822/2822: \"+0500\", \"-0000\", \"GMT\", ...)"
    return None


def _rss_dates(channel: Element, out: list[str]) -> None:
    """RSS 2.0: pubDate and lastBuildDate are RFC 822 dates; Apple: RFC 2822 ("Wed, 15 Jun 2019 19:00:00 GMT")."""
    places = [("channel", channel, "pubDate"), ("channel", channel, "lastBuildDate")]
    places += [(label, item, "pubDate") for label, item in _items(channel)]
    for label, parent, local in places:
        for date in _rss(parent, local):
            problem = _rfc822_problem(_text(date))
            if problem:
                out.append(f"{label}: <{local}> {_text(date)!r} {problem}")


def _apple_item_title(channel: Element, out: list[str]) -> None:
    """Apple: <title> is a required episode tag (stricter than RSS 2.0's title-or-description)."""
    for label, item in _items(channel):
        if not any(_text(e) for e in _rss(item, "title")):
            out.append(f"{label} has no <title> (Apple: a required episode tag)")


# ---------------------------------------------------------------------------------------------------------------------
# iTunes namespace (Apple: A Podcaster's Guide to RSS; Apple Podcasts categories)
# ---------------------------------------------------------------------------------------------------------------------


def _show_tag_and_episodes(channel: Element, name: str, out: list[str]) -> list[tuple[str, Element]]:
    """An iTunes tag Apple requires once on the show and allows on episodes: a missing or repeated show tag is
    reported; every occurrence is returned with where it stands."""
    on_show = _itunes(channel, name)
    if not on_show:
        out.append(f"channel has no <itunes:{name}> (Apple: a required show tag)")
    elif len(on_show) > 1:
        out.append(f"channel has {len(on_show)} <itunes:{name}> elements; Apple reads one")
    return [("channel", tag) for tag in on_show] + [
        (label, tag) for label, item in _items(channel) for tag in _itunes(item, name)]


def _itunes_image(channel: Element, out: list[str]) -> None:
    """Apple: <itunes:image> is a required show tag, the artwork URL in its href; episode artwork the same way."""
    for label, image in _show_tag_and_episodes(channel, "image", out):
        href = image.get("href")
        if href is None:
            out.append(f"{label}: <itunes:image> has no href (Apple: the artwork URL is its href attribute)")
        elif not _is_url(href):
            out.append(f"{label}: <itunes:image> href {href!r} is not an absolute http(s) URL")


def _language(channel: Element, out: list[str]) -> None:
    """Apple: <language> is a required show tag, an ISO 639 two-letter code with possible modifiers ("en-us")."""
    languages = _rss(channel, "language")
    if len(languages) != 1:
        out.append(f"channel has {len(languages)} <language> elements; Apple requires exactly one")
    for language in languages:
        value = _text(language)
        match = _LANGUAGE.fullmatch(value)
        if not match or match.group(1).lower() not in ISO_639_1:
            out.append(f"channel <language> {value!r} is not an ISO 639 two-letter code (with modifiers, like "
                       "\"en-us\") as Apple requires")


def _itunes_categories(channel: Element, out: list[str]) -> None:
    """Apple: <itunes:category> is a required show tag; text from Apple's list, a nested one a subcategory of it."""
    categories = _itunes(channel, "category")
    if not categories:
        out.append("channel has no <itunes:category> (Apple: a required show tag)")
    for category in categories:
        text = category.get("text")
        if text is None or not text.strip():
            out.append("channel <itunes:category> has no text attribute (Apple names the category in text)")
        elif text not in APPLE_CATEGORIES:
            out.append(f"channel <itunes:category> text={text!r} is not one of Apple's categories")
        for sub in _itunes(category, "category"):
            sub_text = sub.get("text")
            if text not in APPLE_CATEGORIES:
                continue  # the parent is reported already; its subcategories cannot be judged
            allowed = APPLE_CATEGORIES[text]
            if sub_text is None or not sub_text.strip():
                out.append(f"<itunes:category> inside {text!r} has no text attribute")
            elif sub_text not in allowed:
                out.append(f"<itunes:category> text={sub_text!r} is not one of Apple's subcategories of {text!r}"
                           + (f" ({', '.join(sorted(allowed))})" if allowed else " (it has none)"))
            if _itunes(sub, "category"):
                out.append(f"<itunes:category> {sub_text!r} holds another <itunes:category>; Apple has two levels")
    root = channel.getroottree().getroot()
    for category in root.iter(f"{{{ITUNES}}}category"):
        parent = category.getparent()
        if parent is not None and _name(parent) not in ("channel", "itunes:category"):
            out.append(f"{_tag(category)}: Apple reads categories from <channel> only")


def _itunes_explicit(channel: Element, out: list[str]) -> None:
    """Apple: <itunes:explicit> is a required show tag, "true" or "false" (also on episodes); its older spec's
    yes/explicit/no/clean are tolerated."""
    for label, element in _show_tag_and_episodes(channel, "explicit", out):
        value = _text(element)
        if value.lower() not in EXPLICIT_VALUES | LEGACY_EXPLICIT_VALUES:
            out.append(f"{label}: <itunes:explicit> {value!r} is neither \"true\" nor \"false\" (Apple)")


def _itunes_owner(channel: Element, out: list[str]) -> None:
    """The owner contact (Apple's older spec; its current guide no longer lists it): at most one <itunes:owner>,
    holding an <itunes:email> and an <itunes:name>."""
    owners = _itunes(channel, "owner")
    if len(owners) > 1:
        out.append(f"channel has {len(owners)} <itunes:owner> elements; expected at most one")
    for owner in owners:
        emails, names = _itunes(owner, "email"), _itunes(owner, "name")
        if len(emails) != 1 or not _text(emails[0]):
            out.append("<itunes:owner> needs one non-empty <itunes:email>")
        elif not _EMAIL.fullmatch(_text(emails[0])):
            out.append(f"<itunes:owner> <itunes:email> {_text(emails[0])!r} is not an email address")
        if len(names) != 1 or not _text(names[0]):
            out.append("<itunes:owner> needs one non-empty <itunes:name>")


def _itunes_episode_fields(channel: Element, out: list[str]) -> None:
    """Apple episode tags: <itunes:duration> in seconds or [HH:]MM:SS; <itunes:episode> and <itunes:season> non-zero
    integers; <itunes:episodeType> full/trailer/bonus."""
    for label, item in _items(channel):
        for duration in _itunes(item, "duration"):
            value = _text(duration)
            if not (_SECONDS.fullmatch(value) or _CLOCK.fullmatch(value)):
                out.append(f"{label}: <itunes:duration> {value!r} is neither seconds nor [HH:]MM:SS")
        for local in ("episode", "season"):
            for number in _itunes(item, local):
                if not _POSITIVE_INT.fullmatch(_text(number)):
                    out.append(f"{label}: <itunes:{local}> {_text(number)!r} is not a non-zero whole number (Apple)")
        for kind in _itunes(item, "episodeType"):
            if _text(kind) not in ("full", "trailer", "bonus"):
                out.append(f"{label}: <itunes:episodeType> {_text(kind)!r} is not full, trailer or bonus (Apple)")


def _itunes_type(channel: Element, out: list[str]) -> None:
    """Apple: <itunes:type> is episodic or serial; a serial show gives every episode an <itunes:episode>."""
    for kind in _itunes(channel, "type"):
        value = _text(kind)
        if value not in ("episodic", "serial"):
            out.append(f"channel <itunes:type> {value!r} is neither episodic nor serial (Apple)")
        if value == "serial":
            for label, item in _items(channel):
                if not _itunes(item, "episode"):
                    out.append(f"{label} has no <itunes:episode>, which Apple requires in a serial show")


# ---------------------------------------------------------------------------------------------------------------------
# Podcasting 2.0 namespace (podcast-namespace docs/1.0.md and docs/tags/*.md)
# ---------------------------------------------------------------------------------------------------------------------


def _namespaces(channel: Element, out: list[str]) -> None:
    """A namespace URI that is nearly, but not exactly, Apple's or the podcast namespace hides every tag in it
    (Apple: "The namespace definition is case sensitive"; docs/1.0.md gives the podcast URI)."""
    root = channel.getroottree().getroot()
    uris = set()
    for element in root.iter(etree.Element):
        uris.update(uri for uri in element.nsmap.values() if uri)
        uris.add(etree.QName(element).namespace or "")
    for uri in sorted(uris):
        lowered = uri.lower()
        if "podcastindex" in lowered.replace("-", "") and uri not in PODCAST_NAMESPACES:
            out.append(f"namespace {uri!r} is not the Podcasting 2.0 namespace {PODCAST!r} (docs/1.0.md)")
        if "itunes.com/dtds" in lowered and uri != ITUNES:
            out.append(f"namespace {uri!r} is not Apple's {ITUNES!r} (case-sensitive)")


def _podcast_known_tags(channel: Element, out: list[str]) -> None:
    """Every element in the podcast namespace is one the docs define (docs/1.0.md, docs/tags/)."""
    for element in channel.getroottree().getroot().iter(etree.Element):
        if _is_podcast(element) and etree.QName(element).localname not in PODCAST_TAGS:
            out.append(f"{_tag(element)} is not a documented tag of the podcast namespace")


def _placed(elements: list[Element], parents: tuple[str, ...], single: bool, doc: str, out: list[str]) -> None:
    """Each element sits in an allowed parent and, when the docs say Count: Single, at most once there."""
    counts: dict[Element, int] = {}
    for element in elements:
        parent = element.getparent()
        parent_name = _name(parent) if parent is not None else "document root"
        if parent_name not in parents:
            allowed = " or ".join(f"<{p}>" for p in parents)
            out.append(f"{_tag(element)}: its parent must be {allowed} ({doc})")
        elif single and parent is not None:
            counts[parent] = counts.get(parent, 0) + 1
            if counts[parent] == 2:
                out.append(f"<{_name(element)}> appears more than once in {_where(element)} (Count: Single, {doc})")


def _podcast_guid(channel: Element, out: list[str]) -> None:
    """docs/tags/guid.md: in <channel>, once; the node value is a UUIDv5 (8-4-4-4-12, 36 characters)."""
    guids = _podcast_elements(channel.getroottree().getroot(), "guid")
    _placed(guids, ("channel",), True, "docs/tags/guid.md", out)
    for guid in guids:
        value = _text(guid)
        try:
            parsed = uuid.UUID(value)
        except ValueError:
            out.append(f"{_tag(guid)}: {value!r} is not a UUID (docs/tags/guid.md)")
            continue
        if str(parsed) != value.lower():
            out.append(f"{_tag(guid)}: {value!r} is not in the 36-character 8-4-4-4-12 form (docs/tags/guid.md)")
        if parsed.variant != uuid.RFC_4122 or parsed.version != 5:
            out.append(f"{_tag(guid)}: {value!r} is a version {parsed.version} UUID; the docs require a UUIDv5 "
                       "(docs/tags/guid.md)")


def _podcast_locked(channel: Element, out: list[str]) -> None:
    """docs/tags/locked.md: in <channel>, once; the node value is "yes" or "no"; owner (optional) is an email."""
    locks = _podcast_elements(channel.getroottree().getroot(), "locked")
    _placed(locks, ("channel",), True, "docs/tags/locked.md", out)
    for lock in locks:
        if _text(lock) not in ("yes", "no"):
            out.append(f"{_tag(lock)}: {_text(lock)!r} is neither \"yes\" nor \"no\" (docs/tags/locked.md)")
        owner = lock.get("owner")
        if owner is not None and not _EMAIL.fullmatch(owner.strip()):
            out.append(f"{_tag(lock)}: owner {owner!r} is not an email address (docs/tags/locked.md)")


def _podcast_funding(channel: Element, out: list[str]) -> None:
    """docs/tags/funding.md: in <channel> (docs/1.0.md) or <item>/<podcast:liveItem> (docs/tags); url required;
    node value at most 128 characters."""
    fundings = _podcast_elements(channel.getroottree().getroot(), "funding")
    _placed(fundings, ("channel", "item", "podcast:liveItem"), False, "docs/tags/funding.md", out)
    for funding in fundings:
        url = funding.get("url")
        if url is None:
            out.append(f"{_tag(funding)} has no url (required, docs/tags/funding.md)")
        elif not _is_url(url):
            out.append(f"{_tag(funding)}: url {url!r} is not an absolute http(s) URL")
        if len(_text(funding)) > MAX_NODE_CHARS:
            out.append(f"{_tag(funding)}: its text has {len(_text(funding))} characters; the docs ask for at most "
                       f"{MAX_NODE_CHARS} (docs/tags/funding.md)")


def _podcast_transcript(channel: Element, out: list[str]) -> None:
    """docs/tags/transcript.md: in <item>; url and type required, type a documented MIME type; language optional;
    rel, if present, "captions"."""
    transcripts = _podcast_elements(channel.getroottree().getroot(), "transcript")
    _placed(transcripts, ("item",), False, "docs/tags/transcript.md", out)
    for transcript in transcripts:
        url, kind, rel, language = (transcript.get(a) for a in ("url", "type", "rel", "language"))
        if url is None:
            out.append(f"{_tag(transcript)} has no url (required, docs/tags/transcript.md)")
        elif not _is_url(url):
            out.append(f"{_tag(transcript)}: url {url!r} is not an absolute http(s) URL")
        if kind is None:
            out.append(f"{_tag(transcript)} has no type (required, docs/tags/transcript.md)")
        elif kind not in TRANSCRIPT_TYPES:
            out.append(f"{_tag(transcript)}: type {kind!r} is not a documented transcript type "
                       f"({', '.join(sorted(TRANSCRIPT_TYPES))})")
        if rel is not None and rel != "captions":
            out.append(f"{_tag(transcript)}: rel {rel!r} is not \"captions\", its only documented value")
        if language is not None and not _LANGUAGE_TAG.fullmatch(language.strip()):
            out.append(f"{_tag(transcript)}: language {language!r} is not a language code")


def _podcast_chapters(channel: Element, out: list[str]) -> None:
    """docs/tags/chapters.md: in <item>, once; url and type required, type 'application/json+chapters'."""
    chapters = _podcast_elements(channel.getroottree().getroot(), "chapters")
    _placed(chapters, ("item",), True, "docs/tags/chapters.md", out)
    for element in chapters:
        url, kind = element.get("url"), element.get("type")
        if url is None:
            out.append(f"{_tag(element)} has no url (required, docs/tags/chapters.md)")
        elif not _is_url(url):
            out.append(f"{_tag(element)}: url {url!r} is not an absolute http(s) URL")
        if kind is None:
            out.append(f"{_tag(element)} has no type (required, docs/tags/chapters.md)")
        elif kind != CHAPTERS_TYPE:
            out.append(f"{_tag(element)}: type {kind!r} is not {CHAPTERS_TYPE!r} (docs/tags/chapters.md)")


def _podcast_person(channel: Element, out: list[str]) -> None:
    """docs/tags/person.md: in <channel> or <item>; a non-blank name of at most 128 characters; role and group
    optional, from the Podcast Taxonomy (case-insensitive, taxonomy.json); href and img optional URLs."""
    people = _podcast_elements(channel.getroottree().getroot(), "person")
    _placed(people, ("channel", "item", "podcast:liveItem"), False, "docs/tags/person.md", out)
    for person in people:
        name = _text(person)
        if not name:
            out.append(f"{_tag(person)} has no name (\"This value cannot be blank\", docs/tags/person.md)")
        elif len(name) > MAX_NODE_CHARS:
            out.append(f"{_tag(person)}: its name has {len(name)} characters; the docs ask for at most "
                       f"{MAX_NODE_CHARS}")
        role, group = person.get("role"), person.get("group")
        if role is not None and role.strip().lower() not in PERSON_ROLES:
            out.append(f"{_tag(person)}: role {role!r} is not a role of the Podcast Taxonomy (taxonomy.json)")
        if group is not None and group.strip().lower() not in PERSON_TAXONOMY:
            out.append(f"{_tag(person)}: group {group!r} is not a group of the Podcast Taxonomy (taxonomy.json)")
        for attribute in ("href", "img"):
            value = person.get(attribute)
            if value is not None and not _is_url(value):
                out.append(f"{_tag(person)}: {attribute} {value!r} is not an absolute http(s) URL")


FEED_RULES: tuple[Rule, ...] = (
    _rss_channel_elements, _rss_item_title_or_description, _rss_guids, _rss_enclosures, _rss_dates,
    _apple_item_title, _itunes_image, _language, _itunes_categories, _itunes_explicit, _itunes_owner,
    _itunes_episode_fields, _itunes_type,
    _namespaces, _podcast_known_tags, _podcast_guid, _podcast_locked, _podcast_funding, _podcast_transcript,
    _podcast_chapters, _podcast_person,
)


def check_feed(xml: bytes) -> list[str]:
    """Every violation of the rules above in a podcast feed, one human-readable string each ([] when valid)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as error:
        return [f"the feed is not well-formed XML: {error}"]
    problems: list[str] = []
    # RSS 2.0: "the top level is a <rss> element, with a mandatory attribute called version ... 2.0"
    if _name(root) != "rss":
        problems.append(f"the root element is <{_name(root)}>, not <rss> (RSS 2.0)")
    elif root.get("version") != "2.0":
        problems.append(f"<rss> version is {root.get('version')!r}, not \"2.0\" (RSS 2.0)")
    channels = _rss(root, "channel")
    if len(channels) != 1:
        problems.append(f"<rss> holds {len(channels)} <channel> elements; RSS 2.0 has exactly one")
    if channels:
        for rule in FEED_RULES:
            rule(channels[0], problems)
    return problems


# ---------------------------------------------------------------------------------------------------------------------
# JSON chapters (podcast-namespace chapters/jsonChapters.md, version 1.2)
# ---------------------------------------------------------------------------------------------------------------------


def _is_number(value: object) -> TypeGuard[int | float]:
    """A JSON number (not a boolean, which Python counts as an int), finite."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check_location(where: str, location: object, out: list[str]) -> None:
    """jsonChapters.md "The Location Object": name and geo (RFC 5870 geo URI) required, osm optional, all strings."""
    if not isinstance(location, dict):
        out.append(f"{where}: location is not an object")
        return
    for key in ("name", "geo"):
        if key not in location:
            out.append(f"{where}: location has no {key} (required)")
        elif not isinstance(location[key], str) or not location[key].strip():
            out.append(f"{where}: location {key} is not a non-empty string")
    geo = location.get("geo")
    if isinstance(geo, str) and geo.strip() and not _GEO_URI.fullmatch(geo):
        out.append(f"{where}: location geo {geo!r} is not a geo URI like \"geo:48.858093,2.294694\" (RFC 5870)")
    if "osm" in location and not isinstance(location["osm"], str):
        out.append(f"{where}: location osm is not a string")


def check_chapters(data: object) -> list[str]:
    """Every violation of the JSON chapters format (jsonChapters.md) in a parsed chapters file ([] when valid)."""
    if not isinstance(data, dict):
        return [f"the chapters file is a {type(data).__name__}, not a JSON object"]
    out: list[str] = []
    # "The chapters object is a simple JSON object with only 2 required properties": version and chapters.
    version = data.get("version")
    if "version" not in data:
        out.append("the chapters object has no version (required string)")
    elif not isinstance(version, str) or not _VERSION.fullmatch(version):
        out.append(f"version {version!r} is not a version string like \"1.2.0\"")
    for key in ("author", "title", "podcastName", "description", "fileName"):
        if key in data and not isinstance(data[key], str):
            out.append(f"{key} is not a string (optional string)")
    if "waypoints" in data and not isinstance(data["waypoints"], bool):
        out.append("waypoints is not a boolean")
    chapters = data.get("chapters")
    if "chapters" not in data:
        out.append("the chapters object has no chapters (required array)")
        return out
    if not isinstance(chapters, list):
        out.append("chapters is not an array")
        return out
    previous: float | None = None
    for index, chapter in enumerate(chapters, start=1):
        where = f"chapter {index}"
        if not isinstance(chapter, dict):
            out.append(f"{where} is not an object")
            continue
        start: float | None = None
        value = chapter.get("startTime")
        if "startTime" not in chapter:
            out.append(f"{where} has no startTime (the one required attribute)")
        elif not _is_number(value):
            out.append(f"{where}: startTime {value!r} is not a number of seconds")
        else:
            start = value
            if start < 0:
                out.append(f"{where}: startTime {start!r} is negative")
        if "endTime" in chapter:
            end = chapter["endTime"]
            if not _is_number(end):
                out.append(f"{where}: endTime {end!r} is not a number of seconds")
            elif start is not None and end <= start:
                out.append(f"{where}: endTime {end!r} is not after its startTime {start!r}")
        for key in ("title", "img", "url"):
            if key in chapter and not isinstance(chapter[key], str):
                out.append(f"{where}: {key} is not a string")
        for key in ("img", "url"):
            if isinstance(chapter.get(key), str) and not _is_url(chapter[key]):
                out.append(f"{where}: {key} {chapter[key]!r} is not an absolute http(s) URL")
        if "toc" in chapter and not isinstance(chapter["toc"], bool):
            out.append(f"{where}: toc {chapter['toc']!r} is not a boolean")
        if "location" in chapter:
            _check_location(where, chapter["location"], out)
        # "Chapter order is assumed to be in ascending order based on the startTime."
        if start is not None:
            if previous is not None and start <= previous:
                out.append(f"{where}: startTime {start!r} is not after the previous chapter's {previous!r} "
                           "(chapters are in ascending startTime order)")
            previous = start
    return out
