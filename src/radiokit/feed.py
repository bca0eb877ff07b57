"""A podcast feed per language (docs/distribution.md): RSS 2.0 with the iTunes and Podcasting 2.0 namespaces,
one item per published episode, written from the episodes' manifests alone.

Every link is absolute, under the web address the published folder is served at. Each item also carries
`radiokit:package`, the episode's manifest relative to the feed with its sha256: what `radiokit fetch`
follows, over whatever protocol it read the feed with, and the anchor of every checksum after it.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

from radiokit import __version__
from radiokit.manifest import COVER, Manifest, companion_files
from radiokit.remote import join_url
from radiokit.script import PERSON_ROLES

ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST = "https://podcastindex.org/namespace/1.0"
ATOM = "http://www.w3.org/2005/Atom"
RADIOKIT = "urn:radiokit:feed:1"
# Podcasting 2.0's namespace for podcast:guid, a UUIDv5 of the feed's URL without its scheme
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
for _prefix, _uri in (("itunes", ITUNES), ("podcast", PODCAST), ("atom", ATOM), ("radiokit", RADIOKIT)):
    ET.register_namespace(_prefix, _uri)


@dataclass(frozen=True)
class Published:
    """One episode as it stands at the destination."""

    manifest: Manifest
    folder: str  # its files' folder, relative to the feed's
    manifest_sha256: str
    published: dt.datetime  # when this version went up: the item's pubDate


def feed_name(language: str) -> str:
    return f"feed-{language}.xml"


def item_guid(slug: str, language: str) -> str:
    """Stable for an episode in a language: a corrected build keeps it, so clients replace, not add."""
    return f"radiokit:{slug}:{language}"


def podcast_guid(feed_url: str) -> str:
    """Podcasting 2.0's podcast:guid: UUIDv5 of the URL with its scheme and trailing slashes taken off."""
    bare = feed_url.split("://", 1)[-1].rstrip("/")
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, bare))


def feed_xml(language: str, episodes: Sequence[Published], base_url: str) -> bytes:
    """The feed of one language: `episodes` newest first (those without this language are left out); the
    channel's settings are the newest episode's."""
    mine = [e for e in episodes if any(entry.language == language for entry in e.manifest.languages)]
    if not mine:
        raise ValueError(f"no episode in {language}")
    newest = mine[0].manifest
    settings, programme = newest.feed, newest.programme
    feed_url = join_url(base_url, feed_name(language))
    rss = ET.Element("rss", {"version": "2.0"})
    channel = ET.SubElement(rss, "channel")
    title = settings.title.get(language) or programme.series
    _text(channel, "title", title)
    _text(channel, "link", settings.url or base_url)
    publisher = programme.publisher or programme.series
    _text(channel, "description", settings.description.get(language) or f"{programme.series} ({publisher})")
    _text(channel, "language", language)
    _text(channel, "generator", f"radiokit {__version__}")
    _text(channel, "lastBuildDate", email.utils.format_datetime(max(e.published for e in mine)))
    ET.SubElement(channel, f"{{{ATOM}}}link", {"href": feed_url, "rel": "self", "type": "application/rss+xml"})
    cover = next((join_url(base_url, f"{e.folder}/{path}") for e in mine for path in _cover(e.manifest)), None)
    if cover:
        ET.SubElement(channel, f"{{{ITUNES}}}image", {"href": cover})
    category = ET.SubElement(channel, f"{{{ITUNES}}}category", {"text": settings.category})
    if settings.subcategory:
        ET.SubElement(category, f"{{{ITUNES}}}category", {"text": settings.subcategory})
    _text(channel, f"{{{ITUNES}}}explicit", "true" if settings.explicit else "false")
    _text(channel, f"{{{ITUNES}}}author", settings.author or publisher)
    if settings.owner_email:
        owner = ET.SubElement(channel, f"{{{ITUNES}}}owner")
        _text(owner, f"{{{ITUNES}}}name", settings.owner_name or publisher)
        _text(owner, f"{{{ITUNES}}}email", settings.owner_email)
    _text(channel, f"{{{PODCAST}}}guid", settings.guid or podcast_guid(settings.url or feed_url))
    _text(channel, f"{{{PODCAST}}}locked", "yes" if settings.locked else "no",
          {"owner": settings.owner_email} if settings.owner_email else {})
    if settings.funding_url:
        funding = settings.funding_text.get(language) or programme.text("funder", language) or title
        _text(channel, f"{{{PODCAST}}}funding", funding[:128], {"url": settings.funding_url})
    for episode in mine:
        _item(channel, episode, language, base_url)
    ET.indent(rss)
    return ET.tostring(rss, encoding="utf-8", xml_declaration=True) + b"\n"


def _item(channel: ET.Element, episode: Published, language: str, base_url: str) -> None:
    manifest = episode.manifest
    programme, settings = manifest.programme, manifest.feed
    entry = next(e for e in manifest.languages if e.language == language)
    sizes = {record.path: record.size for record in manifest.files}

    def url(path: str) -> str:
        return join_url(base_url, f"{episode.folder}/{path}")

    item = ET.SubElement(channel, "item")
    _text(item, "title", programme.text("title", language) or programme.series)
    description = programme.text("description", language)
    if description:
        _text(item, "description", description)
    _text(item, "guid", item_guid(manifest.slug, language), {"isPermaLink": "false"})
    _text(item, "pubDate", email.utils.format_datetime(episode.published))
    ET.SubElement(item, "enclosure", {"url": url(entry.file), "length": str(sizes[entry.file]), "type": "audio/mpeg"})
    _text(item, f"{{{ITUNES}}}duration", str(round(entry.duration_s)))
    if programme.episode and programme.episode.isdigit() and int(programme.episode) > 0:
        _text(item, f"{{{ITUNES}}}episode", str(int(programme.episode)))
    _text(item, f"{{{ITUNES}}}explicit", "true" if settings.explicit else "false")
    files = companion_files(language)
    if files["vtt"] in sizes:
        ET.SubElement(item, f"{{{PODCAST}}}transcript", {"url": url(files["vtt"]), "type": "text/vtt",
                                                         "language": language, "rel": "captions"})
    if files["text"] in sizes:
        ET.SubElement(item, f"{{{PODCAST}}}transcript", {"url": url(files["text"]), "type": "text/plain",
                                                         "language": language})
    if files["chapters"] in sizes:
        ET.SubElement(item, f"{{{PODCAST}}}chapters", {"url": url(files["chapters"]),
                                                       "type": "application/json+chapters"})
    presenter = programme.text("presenter", language)
    if presenter:
        _text(item, f"{{{PODCAST}}}person", presenter[:128], {"role": "host", "group": "cast"})
    for person in settings.guests:
        name = person.name.get(language) or next(iter(person.name.values()), "")
        if name:
            attributes = {"role": person.role, "group": PERSON_ROLES.get(person.role, "cast")}
            attributes.update({key: value for key, value in (("href", person.href), ("img", person.img)) if value})
            _text(item, f"{{{PODCAST}}}person", name[:128], attributes)
    ET.SubElement(item, f"{{{RADIOKIT}}}package", {"manifest": f"{episode.folder}/manifest.json",
                                                   "sha256": episode.manifest_sha256})



def _cover(manifest: Manifest) -> list[str]:
    return [record.path for record in manifest.files if record.path.rsplit(".", 1)[0] == COVER]


def _text(parent: ET.Element, tag: str, text: str, attributes: dict[str, str] | None = None) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes or {})
    element.text = text
    return element
