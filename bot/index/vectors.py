"""Passage vectors held in memory as one contiguous matrix, searched exactly or in two stages.

``bot.index.local`` fills it from its files on disk and from the database, and saves
the coarse projection (below) beside them, so a restart neither re-reads the vectors
from the database nor refits.

Past ``COARSE_MIN_ROWS`` passages an exact scan costs more than embedding the
query (220k passages: ~20 ms on one core, memory-bound), so search becomes
two-stage: a scan of a PCA projection to ``COARSE_DIMS`` dimensions, quantized
to int8, picks ``COARSE_CANDIDATES`` rows, which are then scored exactly. The
projection is fitted on a sample when the index crosses the threshold and
refitted each time it doubles; rows added in between are projected on arrival.
From then on the full vectors are held as float16: only the candidates are
scored on them.

The int8 scan runs in simsimd's SIMD kernels (VNNI where the CPU has it): at
151k passages 1.4 ms p50 against 4.4 ms for numpy's float32 product over the same
projection (``python -m bench --full --only latency``, what-if rows), at a quarter
of its memory (so it also evicts less of the CPU cache the steps after it use),
with the same recall as the float32 projection.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import simsimd
from numpy.typing import NDArray

Vectors = NDArray[np.float32]
Stored = NDArray[np.float32] | NDArray[np.float16]
Codes = NDArray[np.int8]

COARSE_MIN_ROWS = 50_000
# 151k passages, the 200 bench queries, int8 codes: 128 dims / 1,500 candidates search in
# ~2.4 ms p50 at recall@100 0.995; 128 / 1,000: 2.2 ms, 0.992; 96 / 2,000: 2.3 ms, 0.987
# (the float32 projection at 96 / 2,000, before: ~7 ms, 0.987)
COARSE_DIMS = 128
COARSE_CANDIDATES = 1_500
_FIT_SAMPLE = 20_000


class _Projection:
    """A PCA basis (``dim x COARSE_DIMS``) and the rows projected on it, as int8 codes.

    Each projected dimension has its own quantization step (``steps``), from the
    largest value the fitted rows reach there: the leading components spread far
    wider than the trailing ones, and one step for all would spend the int8
    range on the first few. Values of later rows beyond the fitted range clip.
    """

    def __init__(
        self, mean: Vectors, basis: Vectors, steps: Vectors, fitted_rows: int, rows: Codes
    ) -> None:
        self.mean = mean
        self.basis = basis
        self.steps = steps
        self.fitted_rows = fitted_rows
        self.rows = rows

    @classmethod
    def fit(cls, matrix: Stored, capacity: int) -> _Projection:
        # PCA from the covariance, accumulated in chunks: a 384x384 matrix instead of an SVD
        # of a sample (which held ~250 MB of float64 temporaries at 150k passages).
        dim = matrix.shape[1]
        total = np.zeros(dim, dtype=np.float64)
        gram = np.zeros((dim, dim), dtype=np.float64)
        for start in range(0, len(matrix), _FIT_SAMPLE):
            wide = matrix[start : start + _FIT_SAMPLE].astype(np.float64)
            total += wide.sum(axis=0)
            gram += wide.T @ wide
        n = max(len(matrix), 1)
        center = total / n
        covariance = gram / n - np.outer(center, center)
        mean = center.astype(np.float32)
        _values, vectors = np.linalg.eigh(covariance)  # ascending eigenvalues
        basis = np.ascontiguousarray(vectors[:, ::-1][:, :COARSE_DIMS], dtype=np.float32)
        reach = np.zeros(COARSE_DIMS, dtype=np.float32)
        for start in range(0, len(matrix), _FIT_SAMPLE):  # chunks: no full-size temporaries
            part = (matrix[start : start + _FIT_SAMPLE].astype(np.float32) - mean) @ basis
            reach = np.maximum(reach, np.abs(part).max(axis=0))
        steps = np.maximum(reach, 1e-12) / 127
        projection = cls(
            mean,
            basis,
            steps.astype(np.float32),
            len(matrix),
            np.zeros((capacity, COARSE_DIMS), dtype=np.int8),
        )
        for start in range(0, len(matrix), _FIT_SAMPLE):
            chunk = matrix[start : start + _FIT_SAMPLE]
            projection.rows[start : start + len(chunk)] = projection.encode(chunk)
        return projection

    def encode(self, vectors: Stored) -> Codes:
        """Rows as int8 codes: projected, divided by the step, rounded, clipped."""
        centered = vectors.astype(np.float32) - self.mean
        scaled = np.rint((centered @ self.basis) / self.steps)
        return np.clip(scaled, -127, 127).astype(np.int8)

    def scores(self, query: Vectors, size: int) -> Vectors:
        """Each row's approximate dot product with ``query``, up to one positive factor
        (ranks are what the coarse stage needs): the integer dot products of the codes
        with the query's projection, weighted by the steps and quantized in turn."""
        weights = (query @ self.basis) * self.steps
        top = float(np.abs(weights).max()) or 1.0
        probe = np.rint(weights * (127 / top)).astype(np.int8)
        out = simsimd.cdist(probe[None], self.rows[:size], metric="dot", out_dtype="float32")
        return np.asarray(out).reshape(-1)

    def grow(self, capacity: int, size: int) -> None:
        rows = np.zeros((capacity, COARSE_DIMS), dtype=np.int8)
        rows[:size] = self.rows[:size]
        self.rows = rows


class VectorIndex:
    """Append-only matrix of L2-normalized passage vectors with their article ids."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self._matrix: Stored = np.zeros((0, dim), dtype=np.float32)
        self._articles = np.zeros(0, dtype=np.int64)
        self._passages = np.zeros(0, dtype=np.int64)
        self._langs = np.zeros(0, dtype=np.uint8)  # codes into self._lang_codes
        self._lang_codes: dict[str, int] = {}
        self._coarse: _Projection | None = None
        self._bulk = False
        self._size = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self._size

    @property
    def last_passage_id(self) -> int:
        return int(self._passages[self._size - 1]) if self._size else 0

    @property
    def lang_codes(self) -> dict[str, int]:
        return dict(self._lang_codes)

    @property
    def nbytes(self) -> int:
        coarse = self._coarse.rows.nbytes if self._coarse is not None else 0
        return int(self._matrix.nbytes + self._articles.nbytes + self._passages.nbytes + coarse)

    def _reserve(self, extra: int, *, exact: bool = False) -> None:
        needed = self._size + extra
        if needed <= len(self._matrix):
            return
        capacity = needed if exact else max(needed, int(len(self._matrix) * 1.5), 1024)
        # Two-stage search scores only its candidates exactly, and float16 serves that (top-100
        # overlap 0.995 with float32), at half the memory: 116 MB less at 151k passages.
        half = self._coarse is not None or (exact and needed >= COARSE_MIN_ROWS)
        matrix = np.zeros((capacity, self.dim), dtype=np.float16 if half else np.float32)
        matrix[: self._size] = self._matrix[: self._size]
        articles = np.zeros(capacity, dtype=np.int64)
        articles[: self._size] = self._articles[: self._size]
        passages = np.zeros(capacity, dtype=np.int64)
        passages[: self._size] = self._passages[: self._size]
        langs = np.zeros(capacity, dtype=np.uint8)
        langs[: self._size] = self._langs[: self._size]
        if self._coarse is not None:
            self._coarse.grow(capacity, self._size)
        self._matrix, self._articles, self._passages = matrix, articles, passages
        self._langs = langs

    def _code(self, lang: str) -> int:
        code = self._lang_codes.get(lang)
        if code is None:
            code = self._lang_codes[lang] = min(len(self._lang_codes) + 1, 255)
        return code

    def add(
        self,
        passage_ids: list[int],
        article_ids: list[int],
        vectors: Vectors,
        langs: list[str] | None = None,
        coarse_codes: Codes | None = None,
    ) -> None:
        """Append rows; ids at or below ``last_passage_id`` are skipped (already present).
        ``coarse_codes``: the rows' codes under the current projection, if saved with them."""
        with self._lock:
            keep = np.flatnonzero(np.asarray(passage_ids, dtype=np.int64) > self.last_passage_id)
            if not len(keep):
                return
            self._reserve(len(keep))
            end = self._size + len(keep)
            self._matrix[self._size : end] = vectors[keep]
            self._articles[self._size : end] = np.asarray(article_ids, dtype=np.int64)[keep]
            self._passages[self._size : end] = np.asarray(passage_ids, dtype=np.int64)[keep]
            if langs is not None:
                codes = np.asarray([self._code(lang) for lang in langs], dtype=np.uint8)
                self._langs[self._size : end] = codes[keep]
            if self._coarse is not None:
                rows = self._coarse.rows
                picked = coarse_codes[keep] if coarse_codes is not None else None
                rows[self._size : end] = (
                    picked if picked is not None else self._coarse.encode(vectors[keep])
                )
            self._size = end
            if not self._bulk:
                self._fit_if_due()

    @contextmanager
    def bulk(self, rows: int) -> Iterator[None]:
        """Around adding ``rows`` rows at once (a load): the arrays are sized once, with no
        1.5x growth copies, and the projection is fitted once, after the load."""
        with self._lock:
            self._reserve(rows, exact=self._size == 0)
            self._bulk = True
        try:
            yield
        finally:
            with self._lock:
                self._bulk = False
                self._fit_if_due()

    def coarse_codes(self, start: int, end: int) -> Codes | None:
        """Rows ``[start, end)`` as the coarse stage holds them, if it is on."""
        return None if self._coarse is None else self._coarse.rows[start:end]

    @property
    def projection(self) -> dict[str, NDArray[np.float32]] | None:
        """The coarse projection's parameters (``use_projection`` takes them back)."""
        coarse = self._coarse
        if coarse is None:
            return None
        fitted = np.array(coarse.fitted_rows, dtype=np.float32)
        return {"mean": coarse.mean, "basis": coarse.basis, "steps": coarse.steps, "fitted": fitted}

    def use_projection(self, saved: dict[str, NDArray[np.float32]]) -> None:
        """Project the rows about to be added with a saved projection instead of fitting one
        (fitting reads every row: seconds at 100k articles). Only on an empty index."""
        if self._size or saved["basis"].shape[1] != COARSE_DIMS:
            return
        fitted = int(saved["fitted"])
        empty = np.zeros((0, COARSE_DIMS), dtype=np.int8)
        self._coarse = _Projection(saved["mean"], saved["basis"], saved["steps"], fitted, empty)

    def _fit_if_due(self) -> None:
        """(Re)fit the coarse projection past the threshold and at each doubling."""
        size, coarse = self._size, self._coarse
        if size >= COARSE_MIN_ROWS and (coarse is None or size >= 2 * coarse.fitted_rows):
            self._coarse = _Projection.fit(self._matrix[:size], len(self._matrix))
            if self._matrix.dtype != np.float16:
                self._matrix = self._matrix.astype(np.float16)

    def _allowed(self, langs: frozenset[str] | None) -> NDArray[np.bool_] | None:
        """A lookup table by language code (``table[codes]`` is ~20x faster than ``np.isin``)."""
        if langs is None:
            return None
        table = np.zeros(256, dtype=bool)
        table[[self._lang_codes[lang] for lang in langs if lang in self._lang_codes]] = True
        return table

    def vectors_of(self, passage_ids: list[int]) -> dict[int, Vectors]:
        """Stored vectors by passage id (ids are ascending, so a binary search finds them)."""
        size = self._size
        held = self._passages[:size]
        wanted = np.asarray(passage_ids, dtype=np.int64)
        at = np.searchsorted(held, wanted)
        out: dict[int, Vectors] = {}
        for pid, i in zip(passage_ids, at, strict=True):
            if i < size and held[i] == pid:
                out[pid] = self._matrix[i].astype(np.float32)
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
        query = query.reshape(-1)
        allowed = self._allowed(langs)
        coarse = self._coarse
        take = min(size, k * 3)
        if coarse is not None and size > COARSE_CANDIDATES:
            rough = coarse.scores(query, size)
            rows = _top(rough, COARSE_CANDIDATES)
            if allowed is not None:  # filter the candidates, not the whole index (~1 ms)
                rows = rows[allowed[self._langs[rows]]]
                if len(rows) < take:  # most of the index is in other languages: mask it
                    rough[~allowed[self._langs[:size]]] = -np.inf
                    rows = _top(rough, COARSE_CANDIDATES)
                    rows = rows[rough[rows] > -np.inf]
            scores = _exact_scores(matrix, rows, query)
            take = min(len(rows), take)
        else:
            rows = np.arange(size)
            scores = matrix[:size] @ query
            if allowed is not None:
                scores[~allowed[self._langs[:size]]] = -np.inf
        top = _top(scores, take)
        top = top[np.argsort(-scores[top])]
        if not len(top):
            return []
        top = top[scores[top] > -np.inf]
        # each article once, at its best passage (``top`` is best first; unique keeps the first)
        owners = articles[rows[top]]
        _, first = np.unique(owners, return_index=True)
        first = np.sort(first)[:k]
        chosen = rows[top[first]]
        return list(
            zip(
                articles[chosen].tolist(),
                scores[top[first]].astype(float).tolist(),
                passages[chosen].tolist(),
                strict=True,
            )
        )


_SAMPLE_STRIDE = 16


def _top(scores: Vectors, n: int) -> NDArray[np.intp]:
    """Indexes of the ``n`` largest scores, in no order: the set ``argpartition`` picks.

    ``argpartition`` over 151k coarse scores costs ~2.2 ms, as long as the scan that
    made them. A threshold taken from every ``_SAMPLE_STRIDE``-th score, one that about
    1.5 n scores pass, costs ~0.1 ms, and only the scores that pass are partitioned.
    If fewer than ``n`` pass (an unlucky sample), the whole array is partitioned.
    """
    size = len(scores)
    if n >= size:
        return np.arange(size)
    sample = scores[::_SAMPLE_STRIDE]
    want = (3 * n) // (2 * _SAMPLE_STRIDE) + 1
    if len(sample) > 4 * want:
        threshold = np.partition(sample, len(sample) - want)[len(sample) - want]
        passed = np.flatnonzero(scores >= threshold)
        if len(passed) >= n:
            return passed[np.argpartition(-scores[passed], n - 1)[:n]]
    return np.argpartition(-scores, n - 1)[:n]


def _exact_scores(matrix: Stored, rows: NDArray[np.intp], query: Vectors) -> Vectors:
    """Cosines of the candidate rows, in float32 whatever the rows are stored as.

    float16 rows are scored by simsimd's float16 kernel (0.14 ms for 1,500 x 384 on this
    machine under load; numpy's widening 8 ms, torch's 0.3 ms alone but 20-30 ms under
    load, and importing torch cost the first search ~1 s and ~200 MB). The query is
    rounded to float16 too: cosines move by ~1e-3.
    """
    picked = matrix[rows]
    if picked.dtype != np.float16:
        return (picked @ query).astype(np.float32, copy=False)
    probe = query.astype(np.float16)[None]
    out = simsimd.cdist(probe, picked, metric="dot", out_dtype="float32")
    return np.asarray(out, dtype=np.float32).reshape(-1)
