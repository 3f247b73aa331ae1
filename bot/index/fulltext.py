"""Full-text index over pre-stemmed terms: FTS5 BM25 on SQLite, tsvector + GIN on Postgres."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text

from bot.store import is_sqlite
from bot.text import index_terms


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

    def tsquery(self) -> str:
        parts = [f"'{t}'" for t in self.terms] + [
            " <-> ".join(f"'{w}'" for w in p) for p in self.phrases
        ]
        return " | ".join(f"({p})" for p in parts)


class FullTextIndex:
    """The same interface over both backends; callers never write backend SQL."""

    def __init__(self, engine: Engine, *, title_weight: float = 2.0) -> None:
        self.engine = engine
        self.sqlite = is_sqlite(engine)
        self.title_weight = title_weight

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
                rows = conn.execute(
                    text(
                        "SELECT article_id, ts_rank_cd(tsv, q, 1) AS s "
                        "FROM article_fts, to_tsquery('simple', :q) AS q "
                        "WHERE tsv @@ q ORDER BY s DESC LIMIT :n"
                    ),
                    {"q": query.tsquery(), "n": limit},
                )
            return [(int(r[0]), float(r[1])) for r in rows]
