"""Main text and metadata of one web page, and the feed-or-page decision for a URL.

Feeds often carry only a teaser, and users also paste plain article links;
both cases end here. Extraction is trafilatura's job (boilerplate removal),
given HTML we fetched ourselves so that it never touches the network.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import trafilatura
from lxml.html import HtmlElement
from trafilatura.utils import load_html

from bot.ingest import safejson
from bot.ingest.feeds import normalize_lang, root_element, to_ascii_view
from bot.ingest.types import IngestError, RawArticle
from bot.text import clean_text
from bot.utc import aware

FEED_CONTENT_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/feed+json",
        "application/x-rss+xml",
        "application/x-atom+xml",
    }
)
_FEED_ROOTS = frozenset({"rss", "feed", "rdf", "channel"})

#: Less text than this is a menu or an app shell, not an article (trafilatura
#: falls back to whatever text it finds, e.g. the navigation bar).
MIN_ARTICLE_CHARS = 40

# Meta tags that carry a full publication timestamp (trafilatura keeps only the day).
_DATE_META = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "article.published",
    "parsely-pub-date",
    "sailthru.date",
    "publish_date",
    "publishdate",
    "pubdate",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date",
    "dcterms.created",
    "date",
)


def extract_article(html: bytes | str, *, url: str) -> RawArticle:
    """Extract the article in ``html`` (fetched from ``url``) as a :class:`RawArticle`.

    Raises :class:`IngestError` when the page has no recognisable article
    text (a login wall, an index page, an app shell rendered by JavaScript).
    """
    if isinstance(html, str):
        html = clean_text(html)  # lxml refuses NULs in text
    tree = load_html(html)
    if tree is None:
        raise IngestError(f"no article text found at {url}")
    # Read metadata first: trafilatura prunes the tree it is given.
    published = _published_at(tree)
    lang = _page_lang(tree)
    doc = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    text = _text_of(getattr(doc, "text", None) if doc is not None else None)
    if len(text) < MIN_ARTICLE_CHARS:
        raise IngestError(f"no article text found at {url}")
    title = _clean_line(getattr(doc, "title", None))
    if title and text.startswith(title):
        text = text[len(title) :].lstrip() or text  # trafilatura repeats the <h1>
    if not title:
        title = text.split("\n", 1)[0][:100]

    extra: dict[str, str] = {}
    for key in ("author", "sitename", "description"):
        if value := _clean_line(getattr(doc, key, None)):
            extra[key] = value
    canonical = getattr(doc, "url", None)
    if isinstance(canonical, str) and canonical.startswith("http") and canonical != url:
        extra["canonical_url"] = canonical
    return RawArticle(
        title=title,
        body=text,
        url=url,
        published_at=published or _day(getattr(doc, "date", None)),
        lang=lang or normalize_lang(getattr(doc, "language", None)),
        source_name=extra.get("sitename"),
        guid=url,
        extra=extra,
    )


def looks_like_feed(content: bytes, content_type: str | None) -> bool:
    """True if ``content`` is an RSS/Atom/JSON feed rather than a web page.

    The bytes are trusted over the header: servers label feeds ``text/xml``,
    ``text/plain`` or even ``text/html``, and sometimes serve HTML error
    pages under a feed content type.
    """
    head = to_ascii_view(content, 4096).lstrip()
    if head.startswith(b"{"):
        return b"jsonfeed.org/version" in head
    root = root_element(content)
    if root in _FEED_ROOTS:
        return True
    if root is not None:
        return False
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    return mime in FEED_CONTENT_TYPES


# ---------------------------------------------------------------------- metadata helpers


def _published_at(tree: HtmlElement) -> datetime | None:
    """Publication time from meta tags or JSON-LD, if the page states one precisely."""
    for element in tree.iter("meta"):
        key = (
            element.get("property") or element.get("name") or element.get("itemprop") or ""
        ).lower()
        if key in _DATE_META and (parsed := _parse_datetime(element.get("content"))):
            return parsed
    for script in tree.iter("script"):
        if (script.get("type") or "").lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = safejson.loads(script.text)
        except (ValueError, IngestError):  # invalid, or nested too deep to parse safely
            continue
        if parsed := _parse_datetime(_find_key(data, "datePublished")):
            return parsed
    return None


def _find_key(data: Any, key: str, depth: int = 0) -> str | None:
    if depth > 6:
        return None
    if isinstance(data, dict):
        if isinstance(data.get(key), str):
            return str(data[key])
        children: Any = list(data.values())
    elif isinstance(data, list):
        children = data
    else:
        return None
    for child in children:
        if found := _find_key(child, key, depth + 1):
            return found
    return None


def _parse_datetime(value: str | None) -> datetime | None:
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    return aware(parsed)


def _day(value: object) -> datetime | None:
    """trafilatura's ``YYYY-MM-DD`` as midnight UTC."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value[:10], "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None


def _page_lang(tree: HtmlElement) -> str | None:
    candidates = [tree.get("lang"), tree.get("{http://www.w3.org/XML/1998/namespace}lang")]
    for element in tree.iter("meta"):
        key = (element.get("http-equiv") or element.get("property") or "").lower()
        if key in ("content-language", "og:locale"):
            candidates.append(element.get("content"))
    for candidate in candidates:
        if lang := normalize_lang(candidate):
            return lang
    return None


def _text_of(text: object) -> str:
    """trafilatura puts one paragraph per line; make them ``\\n\\n``-separated like feeds."""
    if not isinstance(text, str):
        return ""
    lines = (re.sub(r"\s+", " ", line).strip() for line in clean_text(text).splitlines())
    return "\n\n".join(line for line in lines if line)


def _clean_line(value: object) -> str:
    return re.sub(r"\s+", " ", clean_text(value)).strip() if isinstance(value, str) else ""
