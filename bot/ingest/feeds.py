"""Parse RSS, Atom and JSON Feed documents into :class:`RawArticle` items.

Feeds in the wild are messy: wrong encodings, invalid dates, relative links,
escaped HTML, items without GUIDs, teasers instead of full text. This module
smooths all of that over so that callers get clean plain text and stable
GUIDs, and it refuses hostile input (XML entity expansion) before any XML
parser sees it.
"""

from __future__ import annotations

import calendar
import hashlib
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit
from xml.etree.ElementTree import ParseError

import feedparser
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as defused_fromstring
from lxml import etree, html

from bot.ingest import safejson
from bot.ingest.types import IngestError, RawArticle
from bot.text import clean_text
from bot.utc import aware

#: Bodies shorter than this are probably a teaser; the caller may fetch the page.
TEASER_MAX_CHARS = 400

#: ``RawArticle.extra`` key set on every feed item: its GUID is its identity within its
#: source, and the fragment of its link is kept (``page#2.3.15`` names one entry of a
#: changelog page). The ingest pipeline keys feed items by both.
FEED_ITEM = "feed_item"

_BLOCK_TAGS = frozenset(
    "address article aside blockquote dd details div dl dt figcaption figure footer form "
    "h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table tbody thead "
    "tfoot tr ul".split()
)
_DROP_TAGS = frozenset("script style noscript template head iframe object embed svg".split())

_READ_MORE = re.compile(
    r"(\.\.\.|…|\[\s*(?:\.\.\.|…)\s*\]|\(\s*(?:\.\.\.|…)\s*\)"
    r"|read\s+more|continue\s+reading|keep\s+reading|more\s*»|»"
    r"|leer\s+m[aá]s|seguir\s+leyendo|sigue\s+leyendo|ver\s+m[aá]s)\W*$",
    re.IGNORECASE,
)
_ROOT_TAG = re.compile(rb"<\s*(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")
_PROLOG_NOISE = re.compile(rb"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^\[>]*(?:\[.*?\])?\s*>", re.S | re.I)
_ENTITY_DECL = re.compile(rb"<!ENTITY", re.I)
_CDATA_OR_COMMENT = re.compile(rb"<!\[CDATA\[.*?\]\]>|<!--.*?-->", re.S)
_WS = re.compile(r"[ \t\r\f\v\n]+")
_C1 = re.compile("[\x80-\x9f]")
_LANG3 = {"eng": "en", "spa": "es", "fra": "fr", "fre": "fr", "deu": "de", "ger": "de"}


class FeedError(IngestError):
    """The content is not a feed we can read; ``str(err)`` says why."""


@dataclass(slots=True)
class ParsedFeed:
    """A feed's own metadata plus its items, ready for dedup and storage."""

    title: str | None
    link: str | None
    items: list[RawArticle]
    format: str


def parse_feed(content: bytes, *, url: str, content_type: str | None = None) -> ParsedFeed:
    """Parse ``content`` fetched from ``url`` (used to resolve relative links).

    Raises :class:`FeedError` for HTML pages, garbage and hostile XML. An
    empty but valid feed yields zero items rather than an error, because a
    new blog with no posts yet is not broken.
    """
    if not content.strip():
        raise FeedError("not a feed: the response was empty")
    if _looks_like_json(content, content_type):
        return _parse_json_feed(content, url=url)
    reject_entity_declarations(content)
    return _parse_xml_feed(content, url=url, content_type=content_type)


# --------------------------------------------------------------------------- sniffing


def to_ascii_view(content: bytes, limit: int | None = None) -> bytes:
    """Return ``content`` re-encoded as UTF-8 if it is UTF-16/32, so byte regexes work.

    Sniffing and the entity check use byte patterns; a UTF-16 document would
    hide ``<!ENTITY`` behind NUL bytes, so it is decoded first.
    """
    head = content[:4]
    encoding = None
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        encoding = "utf-32"
    elif head.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif head.startswith(b"\x00\x00\x00<") or head.startswith(b"<\x00\x00\x00"):
        encoding = "utf-32-be" if head[0] == 0 else "utf-32-le"
    elif head.startswith(b"\x00<") or head.startswith(b"<\x00"):
        encoding = "utf-16-be" if head[0] == 0 else "utf-16-le"
    if encoding is None:
        view = content
    else:
        view = content.decode(encoding, errors="replace").encode("utf-8")
    view = view.removeprefix(b"\xef\xbb\xbf")
    return view if limit is None else view[:limit]


def root_element(content: bytes) -> str | None:
    """Local name of the document's first element (``rss``, ``feed``, ``html``...), lowercased.

    Skips the XML declaration, comments, processing instructions and the
    DOCTYPE. Returns ``"html"`` for an HTML5 ``<!doctype html>`` page too.
    """
    head = to_ascii_view(content, 16384).lstrip()
    if re.match(rb"<!doctype\s+html", head, re.I):
        return "html"
    match = _ROOT_TAG.search(_PROLOG_NOISE.sub(b"", head))
    return match.group(1).decode("ascii", "replace").lower() if match else None


def _looks_like_json(content: bytes, content_type: str | None) -> bool:
    """The bytes decide; the header only breaks the tie for content that is neither."""
    head = to_ascii_view(content, 64).lstrip()
    if head.startswith(b"{"):
        return True
    return not head.startswith(b"<") and "json" in (content_type or "").lower()


def reject_entity_declarations(content: bytes) -> None:
    """Refuse XML whose DOCTYPE declares entities ("billion laughs", external entities).

    Feeds have no business declaring entities, and letting a parser expand
    them can blow memory up exponentially or read local files. A byte search
    (outside CDATA sections and comments) covers malformed documents, which
    expat would stop reading before the DOCTYPE; defusedxml covers encodings
    the byte search cannot see.
    """
    view = to_ascii_view(content)
    if _ENTITY_DECL.search(view) and _ENTITY_DECL.search(_CDATA_OR_COMMENT.sub(b"", view)):
        raise FeedError(_ENTITY_MESSAGE)
    if b"<!DOCTYPE" not in view[:65536].upper():
        return
    try:
        defused_fromstring(content, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise FeedError(_ENTITY_MESSAGE) from exc
    except (ParseError, ValueError):
        return  # malformed XML is for feedparser's lenient parser to judge


_ENTITY_MESSAGE = (
    "refused: the feed declares XML entities in its DOCTYPE "
    "(possible entity-expansion attack, e.g. 'billion laughs')"
)


# --------------------------------------------------------------------------- XML feeds


def _parse_xml_feed(content: bytes, *, url: str, content_type: str | None) -> ParsedFeed:
    headers = {"content-location": url}
    if content_type and "charset=" in content_type.lower():
        # Only a declared charset is worth passing: a bare "text/xml" would make
        # feedparser assume US-ASCII (RFC 3023) and mangle UTF-8 feeds.
        headers["content-type"] = content_type
    # Leading whitespace before "<?xml" is common and makes the strict parser give up.
    parsed = feedparser.parse(content.lstrip(b" \t\r\n"), response_headers=headers)
    version = parsed.get("version") or ""
    entries = parsed.get("entries") or []
    if not version and not entries:
        if root_element(content) == "html":
            raise FeedError("not a feed: the URL returned an HTML page")
        reason = parsed.get("bozo_exception")
        detail = f" ({_short(str(reason))})" if reason else ""
        raise FeedError(f"not a feed: could not parse it as RSS, Atom or JSON Feed{detail}")

    feed = parsed.get("feed", {})
    feed_title = _clean_detail(feed.get("title_detail")) or None
    feed_link = _absolute(feed.get("link"), url)
    feed_lang = normalize_lang(feed.get("language"))
    items = [
        item
        for entry in entries
        if (item := _xml_item(entry, url=url, feed_title=feed_title, feed_lang=feed_lang))
    ]
    return ParsedFeed(feed_title, feed_link, _unique_guids(items), version or "unknown")


def _xml_item(
    entry: Mapping[str, Any], *, url: str, feed_title: str | None, feed_lang: str | None
) -> RawArticle | None:
    title = _clean_detail(entry.get("title_detail")) or _clean_text(entry.get("title"))
    bodies = [_clean_detail(c) for c in entry.get("content") or []]
    bodies.append(_clean_detail(entry.get("summary_detail")) or _clean_html(entry.get("summary")))
    body = max(bodies, key=len)
    if not title and not body:
        return None
    link = _absolute(entry.get("link"), url)
    guid = str(entry.get("id") or "").strip() or link or _hash_guid(title, body)
    details = [
        *(entry.get("content") or []),
        entry.get("summary_detail"),
        entry.get("title_detail"),
    ]
    item_lang = next((normalize_lang(d.get("language")) for d in details if d), None)
    extra = {}
    if author := _clean_text(entry.get("author")):
        extra["author"] = author
    tags = [_clean_text(t.get("term")) for t in entry.get("tags") or [] if t.get("term")]
    if tags:
        extra["tags"] = ", ".join(dict.fromkeys(t for t in tags if t))
    return _article(
        title=title,
        body=body,
        url=link,
        published_at=_entry_date(entry),
        lang=item_lang or feed_lang,
        source_name=feed_title,
        guid=guid,
        extra=extra,
    )


def _entry_date(entry: Mapping[str, Any]) -> datetime | None:
    """Publication time from the first *valid* date field, else ``None``.

    feedparser is lenient enough to turn garbage like a bare Unix timestamp
    into a wrong date, so the raw string is sanity-checked first.
    """
    for key in ("published", "updated", "created"):
        raw = entry.get(key)
        parsed = entry.get(f"{key}_parsed")
        if not raw or not parsed or not _plausible_date_string(str(raw)):
            continue
        try:
            return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
        except (OverflowError, ValueError, OSError):
            continue
    return None


def _plausible_date_string(raw: str) -> bool:
    raw = raw.strip()
    if raw.isdigit():
        return len(raw) in (8, 14)  # YYYYMMDD or YYYYMMDDhhmmss, never epoch seconds
    return bool(re.search(r"\d", raw))


# --------------------------------------------------------------------------- JSON Feed


def _parse_json_feed(content: bytes, *, url: str) -> ParsedFeed:
    try:
        data = safejson.loads(content)
    except (ValueError, UnicodeDecodeError, IngestError) as exc:
        raise FeedError(f"not a feed: could not parse the JSON ({_short(str(exc))})") from exc
    version = data.get("version") if isinstance(data, dict) else None
    if not isinstance(version, str) or "jsonfeed.org/version/" not in version:
        raise FeedError("not a feed: JSON without a JSON Feed 'version' field")
    base = _absolute(data.get("feed_url"), url) or url
    feed_title = _clean_text(data.get("title")) or None
    feed_lang = normalize_lang(data.get("language"))
    raw_items = data.get("items") or []
    if not isinstance(raw_items, list):
        raise FeedError("not a feed: the JSON Feed 'items' field is not a list")
    items = [
        item
        for raw in raw_items
        if isinstance(raw, dict)
        and (item := _json_item(raw, base=base, feed_title=feed_title, feed_lang=feed_lang))
    ]
    fmt = "json11" if version.rstrip("/").endswith("1.1") else "json10"
    return ParsedFeed(
        feed_title, _absolute(data.get("home_page_url"), base), _unique_guids(items), fmt
    )


def _json_item(
    raw: dict[str, Any], *, base: str, feed_title: str | None, feed_lang: str | None
) -> RawArticle | None:
    title = _clean_text(_str(raw.get("title")))
    bodies = [
        _clean_html(_str(raw.get("content_html"))),
        _clean_plain(_str(raw.get("content_text"))),
        _clean_html(_str(raw.get("summary"))),
    ]
    body = max(bodies, key=len)
    if not title and not body:
        return None
    link = _absolute(_str(raw.get("url")) or _str(raw.get("external_url")), base)
    guid = _str(raw.get("id")).strip() or link or _hash_guid(title, body)
    published = _iso_date(raw.get("date_published")) or _iso_date(raw.get("date_modified"))
    extra = {}
    authors = raw.get("authors") or ([raw["author"]] if isinstance(raw.get("author"), dict) else [])
    names = [_clean_text(_str(a.get("name"))) for a in authors if isinstance(a, dict)]
    if names := [n for n in names if n]:
        extra["author"] = ", ".join(names)
    tags = raw.get("tags")
    if isinstance(tags, list) and (terms := [_clean_text(_str(t)) for t in tags if t]):
        extra["tags"] = ", ".join(t for t in terms if t)
    return _article(
        title=title,
        body=body,
        url=link,
        published_at=published,
        lang=normalize_lang(_str(raw.get("language"))) or feed_lang,
        source_name=feed_title,
        guid=guid,
        extra=extra,
    )


def _iso_date(value: object) -> datetime | None:
    """RFC 3339 dates as JSON Feed requires; anything else is treated as missing."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError:
        return None
    return aware(parsed)


def _str(value: object) -> str:
    """A JSON value as text, made safe (``\\u0000`` and lone surrogates decode fine)."""
    if isinstance(value, str):
        return clean_text(_fix_c1(value))
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


# --------------------------------------------------------------------------- shared item logic


def _article(
    *,
    title: str,
    body: str,
    url: str | None,
    published_at: datetime | None,
    lang: str | None,
    source_name: str | None,
    guid: str,
    extra: dict[str, str],
) -> RawArticle:
    if not title:
        title = _title_from_body(body)
    # A link with a fragment points into a page shared with other entries (a changelog):
    # fetching it would give the whole page, not this item's full text.
    if is_teaser(body) and not (url and urlsplit(url).fragment):
        extra["teaser"] = "1"
    extra[FEED_ITEM] = "1"
    return RawArticle(
        title=clean_text(title),
        body=clean_text(body),
        url=clean_text(url) if url else url,
        published_at=published_at,
        lang=lang,
        source_name=source_name,
        guid=clean_text(guid),
        extra=extra,
    )


def is_teaser(body: str) -> bool:
    """True when ``body`` is probably an excerpt and the full page is worth fetching."""
    text = body.strip()
    return len(text) < TEASER_MAX_CHARS or bool(_READ_MORE.search(text[-60:]))


def _title_from_body(body: str, limit: int = 100) -> str:
    first = body.strip().split("\n", 1)[0]
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"


def _hash_guid(title: str, body: str) -> str:
    digest = hashlib.sha256(f"{title}\n{body}".encode()).hexdigest()
    return f"sha256:{digest[:32]}"


def _unique_guids(items: list[RawArticle]) -> list[RawArticle]:
    """Make GUIDs unique within one feed, dropping items that are exact repeats.

    Some generators emit the same entry twice (drop the copy) or reuse one
    GUID for different entries, e.g. changelog releases on different dates.
    Those get a suffix derived from their own title and date, so the GUID is
    stable from one fetch to the next whatever the item order.
    """
    counts = Counter(item.guid for item in items)
    seen: set[str] = set()
    unique: list[RawArticle] = []
    for item in items:
        assert item.guid is not None
        if counts[item.guid] > 1:
            stamp = item.published_at.isoformat() if item.published_at else ""
            digest = hashlib.sha256(f"{item.title}\n{stamp}".encode()).hexdigest()[:12]
            item.guid = f"{item.guid}#{digest}"
        if item.guid in seen:
            continue
        seen.add(item.guid)
        unique.append(item)
    return unique


def _absolute(link: object, base: str) -> str | None:
    """Resolve ``link`` against ``base``; keep only http(s) URLs (no ``javascript:``, ``tag:``)."""
    if not isinstance(link, str) or not link.strip():
        return None
    resolved = urljoin(base, link.strip())
    return resolved if urlsplit(resolved).scheme in ("http", "https") else None


def normalize_lang(tag: object) -> str | None:
    """``"en-US"`` -> ``"en"``, ``"es_ES"`` -> ``"es"``, ``"spa"`` -> ``"es"``; junk -> ``None``."""
    if not isinstance(tag, str):
        return None
    primary = re.split(r"[-_\s]", tag.strip().lower(), maxsplit=1)[0]
    if len(primary) == 2 and primary.isalpha() and primary.isascii():
        return primary
    return _LANG3.get(primary)


# --------------------------------------------------------------------------- text cleaning


def _clean_detail(detail: Mapping[str, Any] | None) -> str:
    """Clean a feedparser ``*_detail`` dict according to its declared type."""
    if not detail:
        return ""
    value = detail.get("value") or ""
    kind = str(detail.get("type") or "text/html").lower()
    return _clean_html(value) if "html" in kind else _clean_plain(value)


def _clean_text(value: object) -> str:
    """One-line text (titles, names): strip tags if any, collapse all whitespace."""
    if not isinstance(value, str):
        return ""
    value = clean_text(_fix_c1(value))
    text = _clean_html(value) if "<" in value or "&" in value else value
    return _WS.sub(" ", _fix_c1(text)).strip()


def _clean_plain(value: str) -> str:
    """Plain text keeps paragraph breaks; other whitespace runs become one space."""
    text = clean_text(_fix_c1(value.replace("\r\n", "\n").replace("\xa0", " ")))
    paragraphs = (_WS.sub(" ", p).strip() for p in re.split(r"\n\s*\n", text))
    return "\n\n".join(p for p in paragraphs if p)


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment: no scripts or styles, entities decoded.

    Block elements become paragraph breaks ("\\n\\n") and ``<br>`` a line
    break, so passages can later be split on paragraphs.
    """
    if not markup or not markup.strip():
        return ""
    markup = clean_text(_fix_c1(markup))  # lxml refuses NULs; lone surrogates cannot be encoded
    try:
        root = html.document_fromstring(markup)
    except ValueError:  # str with an XML encoding declaration
        root = html.document_fromstring(markup.encode("utf-8"), parser=_UTF8_PARSER)
    except etree.ParserError:
        return ""
    parts: list[str] = []
    pre_depth = 0
    walker = etree.iterwalk(root, events=("start", "end", "comment", "pi"))
    for event, el in walker:
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if event in ("comment", "pi"):
            _append(parts, el.tail, pre_depth)
            continue
        if event == "start":
            if tag in _DROP_TAGS:
                walker.skip_subtree()
                continue
            if tag in _BLOCK_TAGS:
                parts.append("\n\n")
            if tag == "pre":
                pre_depth += 1
            _append(parts, el.text, pre_depth)
        else:
            if tag == "br":
                parts.append("\n")
            elif tag in _BLOCK_TAGS:
                parts.append("\n\n")
            if tag == "pre":
                pre_depth -= 1
            _append(parts, el.tail, pre_depth)
    text = "".join(parts).replace("\xa0", " ")
    text = re.sub(r"[ \t]*\n[ \t]*", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return _fix_c1(text).strip()


_UTF8_PARSER = html.HTMLParser(encoding="utf-8")


def _append(parts: list[str], text: str | None, pre_depth: int) -> None:
    if text:
        parts.append(text if pre_depth else _WS.sub(" ", text))


def _clean_html(value: str | None) -> str:
    return html_to_text(value) if value else ""


def _fix_c1(text: str) -> str:
    """Map stray C1 control characters to the Windows-1252 glyphs they almost always are.

    Feeds often declare ISO-8859-1 but contain Windows-1252 curly quotes and
    dashes, which a strict Latin-1 decode turns into invisible control codes.
    """
    return _C1.sub(_cp1252_char, text) if _C1.search(text) else text


def _cp1252_char(match: re.Match[str]) -> str:
    try:
        return match.group(0).encode("latin-1").decode("cp1252")
    except UnicodeDecodeError:
        return ""


def _short(text: str, limit: int = 120) -> str:
    text = _WS.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"
