"""Parse article text copied from news pages, as the seed files came.

The raw form carries page furniture: a section label (``INTELIGENCIA
ARTIFICIAL``), a ``Publicado dd/mm/yyyy`` or inline ``date yyyy-mm-dd`` line,
share buttons (``Compartir por Facebook ...``), blank NBSP lines, and a lede the
page prints twice. Some pages have no headline; one is derived from the first
sentence.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from bot.ingest.types import IngestError, RawArticle
from bot.text import clean_whitespace, detect_lang, split_sentences

_BOILERPLATE = re.compile(
    r"^(?:(?:compartir|share)(?: (?:por|en|on|via|with) [\w. ]+?)?\s*)+$"
    r"|^(?:leer más|read more|seguir leyendo|continue reading)\W*$",
    re.IGNORECASE,
)
_PUBLISHED = re.compile(
    r"^(?:publicado|actualizado|published|updated)(?: el| on)?:?\s+"
    r"(\d{1,2})/(\d{1,2})/(\d{4})(?:\s*[-,]?\s*\d{1,2}:\d{2})?\s*$",
    re.IGNORECASE,
)
_INLINE_DATE = re.compile(r"^\s*(?:date|fecha)[:\s]+(\d{4})-(\d{2})-(\d{2})\b\s*", re.IGNORECASE)
_MAX_TITLE = 120


def _is_section_label(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return (
        bool(letters)
        and line.upper() == line
        and len(line) <= 40
        and len(line.split()) <= 5
        and not line.endswith((".", ":", "?", "!"))
    )


def _looks_like_headline(line: str) -> bool:
    return 15 <= len(line) <= 200 and not line.endswith((".", ":")) and not line.islower()


def derive_title(body: str) -> str:
    """A headline from the first sentence: cut at its colon or dash, else at a word boundary."""
    sentences = split_sentences(body)
    if not sentences:
        raise IngestError("no text to take a title from")
    first = sentences[0].rstrip(".")
    if len(first) <= _MAX_TITLE:
        return first
    for sep in (": ", " — ", " – ", "; "):
        head = first.split(sep, 1)[0]
        if 30 <= len(head) <= _MAX_TITLE:
            return head
    cut = first[:_MAX_TITLE].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def _date(year: str, month: str, day: str) -> datetime:
    try:
        return datetime(int(year), int(month), int(day), tzinfo=UTC)
    except ValueError as exc:
        raise IngestError(f"invalid date {day}/{month}/{year}") from exc


def parse_page_text(text: str, *, url: str | None = None) -> RawArticle:
    """Recover section, date, title, clean body and language from page text."""
    lines = [line for line in clean_whitespace(text).split("\n")]
    section: str | None = None
    published: datetime | None = None
    title: str | None = None

    # Header: [SECTION] [Publicado dd/mm/yyyy] [headline], each optional, blank lines between.
    content = [line for line in lines if line]
    i = 0
    if i < len(content) and _is_section_label(content[i]) and len(content) > i + 1:
        section, i = content[i], i + 1
    if i < len(content) and (m := _PUBLISHED.match(content[i])):
        published, i = _date(m.group(3), m.group(2), m.group(1)), i + 1
    if i < len(content) and (m := _INLINE_DATE.match(content[i])):
        published = _date(m.group(1), m.group(2), m.group(3))
        content[i] = content[i][m.end() :]
    if i + 1 < len(content) and _looks_like_headline(content[i]):
        title, i = content[i], i + 1

    paragraphs: list[str] = []
    seen: set[str] = set()
    for line in content[i:]:
        if _BOILERPLATE.match(line) or line in seen:
            continue  # share buttons, and the lede the page prints twice
        seen.add(line)
        paragraphs.append(line)
    body = "\n\n".join(paragraphs)
    if not body:
        raise IngestError("no article text found")
    return RawArticle(
        title=title or derive_title(body),
        body=body,
        url=url,
        published_at=published,
        lang=detect_lang(body),
        section=section,
    )
