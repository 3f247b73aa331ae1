"""Passage vectors held in memory as one contiguous float32 matrix.

The database stores every embedding; this index mirrors it and catches up with
``refresh()`` (rows with a larger id), which is how other replicas' new
articles become searchable within seconds without a vector database.
"""

from __future__ import annotations

import threading

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Engine, text

Vectors = NDArray[np.float32]


class VectorIndex:
    """Append-only matrix of L2-normalized passage vectors with their article ids."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self._matrix: Vectors = np.zeros((0, dim), dtype=np.float32)
        self._articles = np.zeros(0, dtype=np.int64)
        self._passages = np.zeros(0, dtype=np.int64)
        self._langs = np.zeros(0, dtype="<U2")
        self._size = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self._size

    @property
    def last_passage_id(self) -> int:
        return int(self._passages[self._size - 1]) if self._size else 0

    @property
    def nbytes(self) -> int:
        return int(self._matrix.nbytes + self._articles.nbytes + self._passages.nbytes)

    def _reserve(self, extra: int) -> None:
        needed = self._size + extra
        if needed <= len(self._matrix):
            return
        capacity = max(needed, int(len(self._matrix) * 1.5), 1024)
        matrix = np.zeros((capacity, self.dim), dtype=np.float32)
        matrix[: self._size] = self._matrix[: self._size]
        articles = np.zeros(capacity, dtype=np.int64)
        articles[: self._size] = self._articles[: self._size]
        passages = np.zeros(capacity, dtype=np.int64)
        passages[: self._size] = self._passages[: self._size]
        langs = np.zeros(capacity, dtype="<U2")
        langs[: self._size] = self._langs[: self._size]
        self._matrix, self._articles, self._passages = matrix, articles, passages
        self._langs = langs

    def add(
        self,
        passage_ids: list[int],
        article_ids: list[int],
        vectors: Vectors,
        langs: list[str] | None = None,
    ) -> None:
        """Append rows; ids at or below ``last_passage_id`` are skipped (already present)."""
        with self._lock:
            keep = [i for i, pid in enumerate(passage_ids) if pid > self.last_passage_id]
            if not keep:
                return
            self._reserve(len(keep))
            end = self._size + len(keep)
            self._matrix[self._size : end] = vectors[keep]
            self._articles[self._size : end] = np.asarray(article_ids, dtype=np.int64)[keep]
            self._passages[self._size : end] = np.asarray(passage_ids, dtype=np.int64)[keep]
            if langs is not None:
                self._langs[self._size : end] = np.asarray(langs, dtype="<U2")[keep]
            self._size = end

    def refresh(self, engine: Engine, *, chunk: int = 20_000) -> int:
        """Load passages newer than the last one held; returns how many were added."""
        added = 0
        while True:
            with engine.connect() as conn:
                rows = conn.execute(
                    text(
                        "SELECT p.id, p.article_id, p.embedding, a.lang FROM passage p "
                        "JOIN article a ON a.id = p.article_id WHERE p.id > :last "
                        "ORDER BY p.id LIMIT :n"
                    ),
                    {"last": self.last_passage_id, "n": chunk},
                ).all()
            if not rows:
                return added
            blob = b"".join(bytes(r[2]) for r in rows)
            vectors = np.frombuffer(blob, dtype=np.float32).reshape(len(rows), self.dim)
            self.add(
                [int(r[0]) for r in rows],
                [int(r[1]) for r in rows],
                vectors,
                [str(r[3]) for r in rows],
            )
            added += len(rows)
            if len(rows) < chunk:
                return added

    def vectors_of(self, passage_ids: list[int]) -> dict[int, Vectors]:
        """Stored vectors by passage id (ids are ascending, so a binary search finds them)."""
        size = self._size
        held = self._passages[:size]
        wanted = np.asarray(passage_ids, dtype=np.int64)
        at = np.searchsorted(held, wanted)
        out: dict[int, Vectors] = {}
        for pid, i in zip(passage_ids, at, strict=True):
            if i < size and held[i] == pid:
                out[pid] = self._matrix[i]
        return out

    def search(
        self, query: Vectors, k: int = 100, *, langs: frozenset[str] | None = None
    ) -> list[tuple[int, float, int]]:
        """Top ``(article_id, cosine, best_passage_id)`` for one normalized query vector.

        ``langs`` keeps only passages in those languages: the ones the model understands.
        """
        size = self._size
        if size == 0:
            return []
        matrix, articles, passages = self._matrix, self._articles, self._passages
        scores = matrix[:size] @ query.reshape(-1)
        if langs is not None:
            scores[~np.isin(self._langs[:size], list(langs))] = -np.inf
        take = min(size, k * 3)
        top = np.argpartition(-scores, take - 1)[:take] if take < size else np.arange(size)
        top = top[np.argsort(-scores[top])]
        best: dict[int, tuple[float, int]] = {}
        for i in top:
            if scores[i] == -np.inf:
                break
            aid = int(articles[i])
            if aid not in best:
                best[aid] = (float(scores[i]), int(passages[i]))
                if len(best) >= k:
                    break
        return [(aid, score, pid) for aid, (score, pid) in best.items()]
