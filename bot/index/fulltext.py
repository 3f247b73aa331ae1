"""Full-text index over pre-stemmed terms: FTS5 BM25 on SQLite, tsvector + GIN on Postgres."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text

from bot.store import is_sqlite
from bot.text import index_terms

_DF_TTL = 600.0  # seconds a document count is reused: IDF moves slowly as articles arrive
_DF_CACHE = 50_000


@dataclass(frozen=True, slots=True)
class FtsQuery:
    """Alternatives to match: single stems and multi-stem phrases."""

    terms: tuple[str, ...]
    phrases: tuple[tuple[str, ...], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.terms or self.phrases)

    def fts5(self) -> str:
        parts = [f'"{t}"' for t in self.terms] + ['"' + " ".join(p) + '"' for p in self.phrases]
        return " OR ".join(parts)

    def tsquery_parts(self) -> list[str]:
        """One tsquery per alternative: ``'term'`` or ``'a' <-> 'b'``."""
        return [f"'{t}'" for t in self.terms] + [
            " <-> ".join(f"'{w}'" for w in p) for p in self.phrases
        ]

    def tsquery(self) -> str:
        return " | ".join(f"({p})" for p in self.tsquery_parts())


class FullTextIndex:
    """The same interface over both backends; callers never write backend SQL.

    SQLite ranks with FTS5's BM25. Postgres has no IDF in ``ts_rank``, so a query's
    common words outvote its rare, telling ones ("MIT" in "MIT study on open model
    downloads" lost to an article saying "downloads" ten times). There the score
    is BM25-shaped: each alternative's ``ts_rank_cd`` with normalization 32
    (``rank / (rank + 1)``, a saturating term frequency) weighted by its BM25 IDF,
    from document counts cached per process (``_DF_TTL``).
    """

    def __init__(self, engine: Engine, *, title_weight: float = 2.0) -> None:
        self.engine = engine
        self.sqlite = is_sqlite(engine)
        self.title_weight = title_weight
        self._df: dict[str, tuple[float, int]] = {}  # tsquery -> (when counted, documents)
        self._total: tuple[float, int] = (0.0, 0)

    def add(self, conn: Connection, rows: Sequence[tuple[int, str, str, str]]) -> None:
        """Index ``(article_id, title, body, lang)`` rows inside the caller's transaction."""
        if not rows:
            return
        params = [
            {"id": aid, "t": index_terms(title, lang), "b": index_terms(body, lang)}
            for aid, title, body, lang in rows
        ]
        if self.sqlite:
            sql = "INSERT INTO article_fts(rowid, title, body) VALUES (:id, :t, :b)"
        else:
            sql = (
                "INSERT INTO article_fts(article_id, tsv) VALUES (:id, "
                "setweight(to_tsvector('simple', :t), 'A') || "
                "setweight(to_tsvector('simple', :b), 'B')) ON CONFLICT DO NOTHING"
            )
        conn.execute(text(sql), params)

    def search(self, query: FtsQuery, limit: int = 100) -> list[tuple[int, float]]:
        """Best ``(article_id, score)`` first; higher score is better on both backends."""
        if not query:
            return []
        with self.engine.connect() as conn:
            if self.sqlite:
                rows = conn.execute(
                    text(
                        "SELECT rowid, -bm25(article_fts, :w, 1.0) AS s FROM article_fts "
                        "WHERE article_fts MATCH :q ORDER BY s DESC LIMIT :n"
                    ),
                    {"q": query.fts5(), "n": limit, "w": self.title_weight},
                )
            else:
                parts = query.tsquery_parts()
                idf = self._idf(conn, parts)
                params: dict[str, object] = {"q": query.tsquery(), "n": limit}
                terms = []
                for i, (part, weight) in enumerate(zip(parts, idf, strict=True)):
                    params[f"p{i}"], params[f"w{i}"] = part, weight
                    terms.append(f":w{i} * ts_rank_cd(tsv, to_tsquery('simple', :p{i}), 32)")
                rows = conn.execute(
                    text(
                        f"SELECT article_id, {' + '.join(terms)} AS s "
                        "FROM article_fts, to_tsquery('simple', :q) AS q "
                        "WHERE tsv @@ q ORDER BY s DESC LIMIT :n"
                    ),
                    params,
                )
            return [(int(r[0]), float(r[1])) for r in rows]

    def _idf(self, conn: Connection, parts: list[str]) -> list[float]:
        """BM25 IDF of each alternative, from (cached) document counts."""
        now = time.monotonic()
        if now - self._total[0] > _DF_TTL:
            total = conn.execute(text("SELECT count(*) FROM article_fts")).scalar_one()
            self._total = (now, int(total))
        n = self._total[1]
        out = []
        for part in parts:
            cached = self._df.get(part)
            if cached is None or now - cached[0] > _DF_TTL:
                df = conn.execute(
                    text("SELECT count(*) FROM article_fts WHERE tsv @@ to_tsquery('simple', :p)"),
                    {"p": part},
                ).scalar_one()
                if len(self._df) > _DF_CACHE:
                    self._df.clear()
                cached = self._df[part] = (now, int(df))
            df = cached[1]
            out.append(math.log(1.0 + (n - df + 0.5) / (df + 0.5)))
        return out
