"""Digest topics as people write them: quoted phrases, exclusions, entity aliases.

``subscribe 09:00 Europe/Madrid "Hugging Face" Qwen -crypto -"stock price"`` keeps two
topics and drops two: an article is in the digest when it is about any kept topic (or there
are none) and about no dropped one. Quotes may be straight or typographic (“…”, «…»).

A term names a known entity when it is one of the gazetteer's aliases ("EE.UU.", "US",
"Estados Unidos" are all United States); then an article tagged with that entity at ingest
matches, whatever alias it used. Any term also matches as words in the title or body
(accent- and case-folded, at a word start). Short aliases such as "US" are matched only
through the entity tags, never as text, so "us" in "told us" matches nothing.

``str(Topics)`` is the canonical form stored in ``Subscription.topics`` and shown back in
the confirmation: multi-word terms quoted, exclusions prefixed with ``-``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.entities import Gazetteer
from bot.text import fold

MAX_TERMS = 20
MAX_TERM_CHARS = 100
_OPEN_CLOSE = {'"': '"', "“": "”", "”": "”", "«": "»", "„": "“"}
_EDGE = ",;"


class TopicsError(ValueError):
    """Unbalanced quotes, an empty term, or too many terms; ``code`` is an i18n key."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True, slots=True)
class Topics:
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.include or self.exclude)

    def __str__(self) -> str:
        return " ".join([*map(quote, self.include), *("-" + quote(t) for t in self.exclude)])


def quote(term: str) -> str:
    return f'"{term}"' if " " in term or term.startswith("-") else term


def tokens(text: str) -> list[tuple[str, bool]]:
    """``(token, quoted)`` pairs; a quoted phrase keeps its spaces and may follow a ``-``."""
    out: list[tuple[str, bool]] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        start = i
        minus = text[i] == "-" and i + 1 < n and text[i + 1] in _OPEN_CLOSE
        if minus:
            i += 1
        if text[i] in _OPEN_CLOSE:
            close = _OPEN_CLOSE[text[i]]
            end = min((j for j in (text.find(c, i + 1) for c in {close, '"'}) if j > 0), default=-1)
            if end < 0:
                raise TopicsError("topics_unbalanced_quote", text=text[start:][:60])
            phrase = " ".join(text[i + 1 : end].split())
            out.append((("-" if minus else "") + phrase, True))
            i = end + 1
            continue
        while i < n and not text[i].isspace():
            i += 1
        out.append((text[start:i], False))
    return out


def parse_topics(words: list[tuple[str, bool]]) -> Topics:
    """Terms from ``tokens`` output (already stripped of times, zones and options)."""
    include: list[str] = []
    exclude: list[str] = []
    for token, quoted in words:
        excluded = token.startswith("-")
        term = token[1:] if excluded else token
        term = term if quoted else term.strip(_EDGE)
        term = " ".join(term.split())
        if not term:
            raise TopicsError("topics_empty_term", term=token[:60] or '""')
        if len(term) > MAX_TERM_CHARS:
            raise TopicsError("topics_term_too_long", limit=MAX_TERM_CHARS)
        bucket = exclude if excluded else include
        if fold(term) not in {fold(t) for t in bucket}:
            bucket.append(term)
    if len(include) + len(exclude) > MAX_TERMS:
        raise TopicsError("topics_too_many", limit=MAX_TERMS)
    return Topics(tuple(include), tuple(exclude))


def from_stored(text: str) -> Topics:
    """A subscription's stored topics (older rows are plain space-separated words)."""
    try:
        return parse_topics(tokens(text))
    except TopicsError:
        return parse_topics([(w, False) for w in text.replace('"', " ").split()])


@dataclass(frozen=True, slots=True)
class _Term:
    text: str  # folded, for the word-start text match ("" = entity tags only)
    entities: frozenset[str]  # folded canonical names the term is an alias of


class TopicMatcher:
    """Decides whether an article is wanted by a set of topics."""

    def __init__(self, topics: Topics, gazetteer: Gazetteer | None = None) -> None:
        self.topics = topics
        self._include = [_term(t, gazetteer) for t in topics.include]
        self._exclude = [_term(t, gazetteer) for t in topics.exclude]

    def wants(self, title: str, body: str, entity_names: set[str]) -> bool:
        if not self.topics:
            return True
        text = " " + " ".join(fold(f"{title} {body}").split())
        names = {fold(n) for n in entity_names}
        if any(_hits(term, text, names) for term in self._exclude):
            return False
        return not self._include or any(_hits(term, text, names) for term in self._include)


def _term(term: str, gazetteer: Gazetteer | None) -> _Term:
    folded = " ".join(fold(term).split())
    entities: set[str] = {folded}
    short = False
    if gazetteer is not None:
        for name, start, end in gazetteer.positions(term):
            if start == 0 and end >= len(term.rstrip(".")):  # the whole term is an alias
                entities.add(fold(name))
                short = len(re.sub(r"\W", "", folded)) <= 3
    return _Term("" if short else folded, frozenset(entities))


def _hits(term: _Term, text: str, names: set[str]) -> bool:
    if term.entities & names:
        return True
    return bool(term.text) and re.search(r"(?<!\w)" + re.escape(term.text), text) is not None


def topic_list(stored: str) -> list[str]:
    """Stored topics as a JSON-friendly list: kept terms, then ``-``-prefixed dropped ones."""
    topics = from_stored(stored)
    return [*topics.include, *("-" + t for t in topics.exclude)]


def topic_word(item: str) -> str:
    """One ``topic_list`` item as ``subscribe`` reads it (quoted when it has spaces; an item
    written with its own quotes, ``"Hugging Face"``, keeps one pair)."""
    minus = "-" if item.startswith("-") else ""
    body = item.removeprefix(minus).strip().strip('"“”«»')
    return minus + quote(body)
