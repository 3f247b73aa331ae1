"""OPML, the format feed readers exchange subscription lists in: export and import sources.

An export lists every feed source as ``<outline type="rss" text title xmlUrl>`` (plus
``language`` and ``fullText`` when set), so another reader, or another ainews, imports it.
An import reads any reader's OPML: outlines with an ``xmlUrl``, nested in folders or not.
OPML comes from anywhere, so it is parsed with defusedxml (no DTD, no entity expansion, no
external references) and bounded in size and outline count; every refused entry is named.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from xml.etree.ElementTree import Element, SubElement, indent, tostring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError
from defusedxml.ElementTree import fromstring as defused_fromstring

from bot.i18n import UserError
from bot.models import Source
from bot.sources import Added, FeedSpec, add_specs

if TYPE_CHECKING:
    from bot.core import Core

#: Larger files are refused before parsing (a reader's export of 1,000 feeds is ~200 KB).
MAX_OPML_BYTES = 5_000_000
#: More outlines than this are refused: nobody follows that many feeds.
MAX_OUTLINES = 5_000
MAX_NAME_CHARS = 200


class OpmlError(UserError):
    """An OPML document we cannot read (``opml_bad``, ``opml_too_large``, ``opml_empty``)."""


@dataclass
class OpmlFeeds:
    """What an OPML document lists: the feeds, and the outlines skipped (label, i18n code)."""

    feeds: list[FeedSpec] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def export_opml(sources: list[Source], now: datetime | None = None) -> bytes:
    """An OPML 2.0 document listing the feed sources (UTF-8, with declaration)."""
    root = Element("opml", version="2.0")
    head = SubElement(root, "head")
    SubElement(head, "title").text = "ainews sources"
    SubElement(head, "dateCreated").text = (now or datetime.now(UTC)).strftime(
        "%a, %d %b %Y %H:%M:%S GMT"
    )
    body = SubElement(root, "body")
    for source in sources:
        if source.kind != "feed":
            continue
        attrs = {"type": "rss", "text": source.name, "title": source.name, "xmlUrl": source.url}
        if source.lang:
            attrs["language"] = source.lang
        if source.full_text:
            attrs["fullText"] = "true"
        SubElement(body, "outline", attrs)
    indent(root)
    return tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def export_feeds(core: Core, now: datetime | None = None) -> tuple[bytes, int]:
    """Every feed source of the database as OPML, and how many there are."""
    from bot.sources import list_sources

    feeds = [s for s in list_sources(core) if s.kind == "feed"]
    return export_opml(feeds, now), len(feeds)


def parse_opml(data: bytes) -> OpmlFeeds:
    """The feeds an OPML document lists; raises :class:`OpmlError` when it is not OPML."""
    if len(data) > MAX_OPML_BYTES:
        raise OpmlError("opml_too_large", limit=MAX_OPML_BYTES // 1_000_000)
    try:
        root = defused_fromstring(data, forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise OpmlError("opml_bad", reason=_reason(exc)) from None
    if _local(root.tag) != "opml":
        raise OpmlError("opml_bad", reason=f"the root element is <{_local(root.tag)[:40]}>")
    outlines = [e for e in root.iter() if _local(e.tag) == "outline"]
    if len(outlines) > MAX_OUTLINES:
        raise OpmlError("opml_too_many", count=len(outlines), limit=MAX_OUTLINES)
    found = OpmlFeeds()
    for number, outline in enumerate(outlines, start=1):
        attrs = {_local(k).lower(): v.strip() for k, v in outline.attrib.items()}
        url = attrs.get("xmlurl", "")
        name = (attrs.get("title") or attrs.get("text") or "").strip()[:MAX_NAME_CHARS]
        if not url:
            if not len(outline):  # a folder has children; a leaf without xmlUrl is refused
                found.skipped.append((f"outline {number} ({name or '?'})", "opml_no_url"))
            continue
        lang = attrs.get("language", "").lower()[:2] or None
        found.feeds.append(
            FeedSpec(
                url,
                name,
                lang if lang in ("es", "en") else None,
                attrs.get("fulltext", "").lower() == "true",
            )
        )
    if not found.feeds and not found.skipped:
        raise OpmlError("opml_empty")
    return found


def import_opml(core: Core, given: str, *, files: bool) -> tuple[Added, list[tuple[str, str]]]:
    """Add the feeds of the OPML at ``given``: an http(s) URL, fetched with the feed
    fetcher's limits, or (``files``: the CLI, never chat) a local file. Returns what was
    added, and the outlines skipped (label, i18n code)."""
    if given.lower().startswith(("http://", "https://")):
        data = _fetch(core, given)
    elif files:
        data = Path(given).read_bytes()
    else:
        raise OpmlError("opml_url_only")
    found = parse_opml(data)
    return add_specs(core, found.feeds), found.skipped


def _fetch(core: Core, url: str) -> bytes:
    from bot.ingest.poller import make_fetcher
    from bot.ingest.types import IngestError

    with make_fetcher(core.settings) as fetcher:
        try:
            return fetcher.fetch(url).content
        except IngestError as exc:
            raise OpmlError("opml_fetch_failed", url=url[:200], reason=str(exc)) from None


def _local(tag: str) -> str:
    """A tag or attribute name without its ``{namespace}``."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _reason(exc: Exception) -> str:
    if isinstance(exc, DefusedXmlException):
        return "it declares a DTD or entities, which are not allowed"
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
