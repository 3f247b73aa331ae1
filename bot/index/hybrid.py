"""Hybrid search: BM25 over stemmed terms + dense passage vectors, fused by reciprocal rank.

Full text ranks in a thread while this one embeds the query (tantivy and the model
both release the GIL), so the fused search costs little more than embedding the query,
which is the floor.
"""

from __future__ import annotations

import functools
import math
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import Engine

from bot.entities import Gazetteer
from bot.i18n import UserError
from bot.index.embedder import Embedder
from bot.index.fulltext import FtsQuery, FullTextIndex
from bot.index.vectors import VectorIndex
from bot.lexicon import Lexicon
from bot.store import select_in
from bot.text import fold, is_stopword, phrase_stems, query_terms, tokens
from bot.utc import aware

Mode = Literal["hybrid", "bm25", "dense"]
RRF_K = 60
#: Reciprocal-rank fusion ties (each list's first is the other's second) are common with
#: two lists; they go to the full-text side, which holds the query's exact names. Small
#: enough never to reorder anything that is not a tie (recency moves ranks, this does not).
LEXICAL_TIE_BREAK = 0.02
_ARTICLE_ROWS = (
    "SELECT id, title, url, source_name, published_at, lang, story_id "
    "FROM article WHERE id IN ({ids})"
)
_PASSAGES = "SELECT id, article_id, text FROM passage WHERE article_id IN ({ids}) ORDER BY id"


def _datetime(value: datetime | str | None) -> datetime | None:
    """A stored timestamp, aware: psycopg gives datetimes, sqlite3 the text SQLAlchemy wrote."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return None if value is None else aware(value)


class QueryError(UserError):
    """A query we refuse (empty, too long)."""


@dataclass(slots=True)
class SearchHit:
    article_id: int
    title: str
    url: str | None
    source: str
    published_at: datetime | None
    lang: str
    story_id: int | None
    score: float = 0.0
    snippet: str = ""
    passage_id: int | None = None


def validate_query(query: str, max_chars: int) -> str:
    cleaned = " ".join(query.split())
    if not any(ch.isalnum() for ch in cleaned):  # empty, or only punctuation
        raise QueryError("empty_query")
    if len(cleaned) > max_chars:
        raise QueryError("query_too_long", length=len(cleaned), limit=max_chars)
    return cleaned


@dataclass
class QueryExpander:
    """Builds the full-text query: the query's own stems plus ES<->EN and entity-alias variants."""

    lexicon: Lexicon
    gazetteer: Gazetteer

    def variants(self, query: str) -> list[str]:
        out = dict.fromkeys(self.lexicon.expand(query))
        for name in self.gazetteer.find(query):
            out.update(dict.fromkeys(self.gazetteer.aliases(name)))
        return list(out)

    def build(self, query: str, *, expand: bool = True) -> FtsQuery:
        terms = dict.fromkeys(query_terms(query))
        phrases: dict[tuple[str, ...], None] = {}
        for variant in self.variants(query) if expand else []:
            if sum(not is_stopword(w) for w in tokens(variant)) > 1:
                # a phrase, as each language's stemmer would have indexed it
                phrases.update(dict.fromkeys(phrase_stems(variant, lang) for lang in ("es", "en")))
            else:
                terms.update(dict.fromkeys(query_terms(variant)))
        return FtsQuery(tuple(t for t in terms if t), tuple(phrases))


@dataclass(kw_only=True, eq=False)
class HybridSearcher:
    """Answers ``search`` over articles; one instance per process, thread-safe."""

    engine: Engine
    embedder: Embedder
    vectors: VectorIndex
    fulltext: FullTextIndex
    expander: QueryExpander
    max_query_chars: int = 500
    recency_weight: float = 0.05
    recency_half_life_days: float = 30.0
    candidates: int = 100
    dense_languages: frozenset[str] | None = None
    min_dense_score: float = 0.0

    def __post_init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="fts")
        # The query's embedding; ``ask`` reuses the one its search just made.
        self.query_vector = functools.lru_cache(maxsize=32)(self.embedder.query)

    def search(
        self, query: str, *, limit: int = 10, mode: Mode = "hybrid", expand: bool = True
    ) -> list[SearchHit]:
        return self.search_with_lexical(query, limit=limit, mode=mode, expand=expand)[0]

    def search_with_lexical(
        self, query: str, *, limit: int = 10, mode: Mode = "hybrid", expand: bool = True
    ) -> tuple[list[SearchHit], list[int]]:
        """``search``'s hits, and full text's own ranking of the articles it fused (ids,
        best first): ``ask`` also reads what fusion drops, without a second full-text query."""
        query = validate_query(query, self.max_query_chars)
        # beside the query embedding, on the other core
        ranked = self._pool.submit(self._lexical, query, expand) if mode != "dense" else None
        dense: list[tuple[int, float, int]] = []
        if mode != "bm25":
            vector = self.query_vector(query)
            dense = self.vectors.search(vector, self.candidates, langs=self.dense_languages)
        lexical = ranked.result() if ranked else []
        if mode == "hybrid":  # weak semantic-only matches are noise to a reader
            matched = {aid for aid, _ in lexical}
            dense = [d for d in dense if d[0] in matched or d[1] >= self.min_dense_score]

        fused: dict[int, float] = {}
        for rank, (aid, _score) in enumerate(lexical):
            fused[aid] = fused.get(aid, 0.0) + (1.0 + LEXICAL_TIE_BREAK) / (RRF_K + rank + 1)
        for rank, (aid, _score, _pid) in enumerate(dense):
            fused[aid] = fused.get(aid, 0.0) + 1.0 / (RRF_K + rank + 1)
        lexical_ids = [aid for aid, _score in lexical]
        if not fused:
            return [], lexical_ids
        best_passage = {aid: pid for aid, _s, pid in dense}
        shortlist = sorted(fused, key=fused.__getitem__, reverse=True)[: max(limit * 3, 30)]
        found = self._articles(shortlist)
        now = datetime.now(UTC)
        # Only a real publication date earns the prior: an undated article's first-seen
        # time is when *we* fetched it, and would make every bulk import look brand new.
        score = {
            aid: fused[aid] * (1.0 + self._recency(found[aid].published_at, now))
            for aid in shortlist
            if aid in found
        }
        hits = [found[aid] for aid in sorted(score, key=score.__getitem__, reverse=True)[:limit]]
        for hit in hits:
            hit.score = round(score[hit.article_id], 6)
            hit.passage_id = best_passage.get(hit.article_id)
        self._add_snippets(hits, query)
        return hits, lexical_ids

    def _lexical(self, query: str, expand: bool) -> list[tuple[int, float]]:
        return self.fulltext.search(self.expander.build(query, expand=expand), self.candidates)

    def _recency(self, when: datetime | None, now: datetime) -> float:
        if when is None or self.recency_weight <= 0:
            return 0.0
        age_days = max(0.0, (now - when).total_seconds() / 86400)
        return self.recency_weight * math.pow(0.5, age_days / self.recency_half_life_days)

    def _articles(self, ids: list[int]) -> dict[int, SearchHit]:
        """The articles as hits, their score, passage and snippet still to fill in."""
        rows = select_in(self.engine, _ARTICLE_ROWS, ids)
        return {
            int(aid): SearchHit(int(aid), title, url, source, _datetime(published), lang, story)
            for aid, title, url, source, published, lang, story in rows
        }

    def _add_snippets(self, hits: list[SearchHit], query: str) -> None:
        rows = select_in(self.engine, _PASSAGES, [hit.article_id for hit in hits])
        stems = set(query_terms(query))
        by_article: dict[int, dict[int, str]] = {}
        for pid, aid, passage in rows:
            by_article.setdefault(int(aid), {})[int(pid)] = passage
        for hit in hits:
            passages = by_article.get(hit.article_id, {})
            # the dense hit's passage; for a lexical-only hit, the one sharing most query stems
            chosen = passages.get(hit.passage_id or 0) or max(
                passages.values(), key=lambda p: _overlap(p, stems), default=""
            )
            hit.snippet = make_snippet(chosen, stems)


def _overlap(passage: str, stems: set[str]) -> int:
    folded = fold(passage)
    return sum(stem in folded for stem in stems)


def make_snippet(passage: str, stems: set[str], width: int = 240) -> str:
    """About ``width`` characters of the passage, starting near the first query term."""
    if len(passage) <= width:
        return passage
    folded = fold(passage)
    starts = [
        m.start() for s in stems if len(s) > 2 for m in [re.search(re.escape(s), folded)] if m
    ]
    start = max(0, min(starts) - 60) if starts else 0
    if start:
        start = passage.find(" ", start) + 1
    piece = passage[start : start + width].rsplit(" ", 1)[0]
    return ("…" if start else "") + piece + "…"
