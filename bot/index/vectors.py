"""Passage vectors held in memory as one contiguous matrix, searched exactly or in two stages.

``bot.index.local`` fills it from its files on disk and from the database. The coarse
stage (below) is derived from the vectors in memory: a process fits it when it opens the
index (a sample's covariance, then every row's codes: about a second at 150k passages).

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
from dataclasses import dataclass
from typing import Any

import numpy as np
import simsimd
from numpy.typing import DTypeLike, NDArray

Vectors = NDArray[np.float32]
Stored = NDArray[np.float32] | NDArray[np.float16]
Codes = NDArray[np.int8]
#: What a row holds besides its vector.
ROW = np.dtype([("passage", "<i8"), ("article", "<i8"), ("lang", "<U8")])


def row_dtype(dim: int) -> np.dtype[Any]:
    """One passage as ``add`` takes it, and as ``bot.index.local`` stores it on disk."""
    return np.dtype([*ROW.descr, ("vector", "<f4", (dim,))])


COARSE_MIN_ROWS = 50_000
# 151k passages, the 200 bench queries, int8 codes: 128 dims / 1,500 candidates search in
# ~2.4 ms p50 at recall@100 0.995; 128 / 1,000: 2.2 ms, 0.992; 96 / 2,000: 2.3 ms, 0.987
COARSE_DIMS = 128
COARSE_CANDIDATES = 1_500
_FIT_SAMPLE = 20_000


@dataclass(eq=False)
class _Projection:
    """A PCA basis (``dim x COARSE_DIMS``) and the rows projected on it, as int8 codes.

    Each projected dimension has its own quantization step (``steps``), from the
    largest value the fitted rows reach there: the leading components spread far
    wider than the trailing ones, and one step for all would spend the int8
    range on the first few. Values of later rows beyond the fitted range clip.
    """

    mean: Vectors
    basis: Vectors
    steps: Vectors
    fitted_rows: int
    rows: Codes

    @classmethod
    def fit(cls, matrix: Stored, capacity: int) -> _Projection:
        """PCA of an evenly spaced sample of at most ``_FIT_SAMPLE`` rows (a 384x384
        covariance: fast enough to fit again whenever the process opens the index), then
        every row's codes."""
        sample = matrix[:: -(-len(matrix) // _FIT_SAMPLE)].astype(np.float64)
        mean = sample.mean(axis=0)
        _values, vectors = np.linalg.eigh(np.cov(sample, rowvar=False))  # ascending
        basis = np.ascontiguousarray(vectors[:, ::-1][:, :COARSE_DIMS], dtype=np.float32)
        reach = np.abs((sample - mean) @ basis).max(axis=0)
        steps = (np.maximum(reach, 1e-12) / 127).astype(np.float32)
        codes = np.zeros((capacity, COARSE_DIMS), dtype=np.int8)
        projection = cls(mean.astype(np.float32), basis, steps, len(matrix), codes)
        for start in range(0, len(matrix), _FIT_SAMPLE):  # chunks: no full-size temporaries
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


class VectorIndex:
    """Append-only matrix of L2-normalized passage vectors, with each row's ``ROW`` fields."""

    def __init__(self, dim: int) -> None:
        self._matrix: Stored = np.zeros((0, dim), dtype=np.float32)
        self._rows = np.zeros(0, dtype=ROW)
        self._coarse: _Projection | None = None
        self._bulk = False
        self._size = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self._size

    @property
    def last_passage_id(self) -> int:
        return int(self._rows["passage"][self._size - 1]) if self._size else 0

    @property
    def nbytes(self) -> int:
        coarse = self._coarse.rows.nbytes if self._coarse is not None else 0
        return int(self._matrix.nbytes + self._rows.nbytes + coarse)

    def _reserve(self, extra: int, *, exact: bool = False) -> None:
        needed = self._size + extra
        if needed <= len(self._matrix):
            return
        capacity = needed if exact else max(needed, int(len(self._matrix) * 1.5), 1024)
        # Two-stage search scores only its candidates exactly, and float16 serves that (top-100
        # overlap 0.995 with float32), at half the memory: 116 MB less at 151k passages.
        half = self._coarse is not None or (exact and needed >= COARSE_MIN_ROWS)
        self._matrix = _grown(self._matrix, capacity, np.float16 if half else np.float32)
        self._rows = _grown(self._rows, capacity)
        if self._coarse is not None:
            self._coarse.rows = _grown(self._coarse.rows, capacity)

    def add(self, records: NDArray[Any]) -> None:
        """Append ``row_dtype`` records; passages at or below ``last_passage_id`` are skipped
        (already present)."""
        with self._lock:
            new = records[records["passage"] > self.last_passage_id]
            if not len(new):
                return
            self._reserve(len(new))
            start, end = self._size, self._size + len(new)
            self._matrix[start:end] = new["vector"]
            self._rows[start:end] = new[["passage", "article", "lang"]]  # the ROW fields
            if self._coarse is not None:
                self._coarse.rows[start:end] = self._coarse.encode(new["vector"])
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

    def _fit_if_due(self) -> None:
        """(Re)fit the coarse projection past the threshold and at each doubling."""
        size, coarse = self._size, self._coarse
        if size >= COARSE_MIN_ROWS and (coarse is None or size >= 2 * coarse.fitted_rows):
            self._coarse = _Projection.fit(self._matrix[:size], len(self._matrix))
            if self._matrix.dtype != np.float16:
                self._matrix = self._matrix.astype(np.float16)

    def vectors_of(self, passage_ids: list[int]) -> dict[int, Vectors]:
        """Stored vectors by passage id (ids are ascending, so a binary search finds them)."""
        held = self._rows["passage"][: self._size]
        at = np.searchsorted(held, passage_ids)
        return {
            pid: self._matrix[i].astype(np.float32)
            for pid, i in zip(passage_ids, at, strict=True)
            if i < len(held) and held[i] == pid
        }

    def search(
        self, query: Vectors, k: int = 100, *, langs: frozenset[str] | None = None
    ) -> list[tuple[int, float, int]]:
        """Top ``(article_id, cosine, best_passage_id)`` for one normalized query vector.

        ``langs`` keeps only passages in those languages: the ones the model understands.
        """
        size, matrix, coarse = self._size, self._matrix, self._coarse
        query = query.reshape(-1)
        banned = None if langs is None else ~np.isin(self._rows["lang"][:size], list(langs))
        if coarse is not None and size > COARSE_CANDIDATES:
            rough = coarse.scores(query, size)
            if banned is not None:
                rough[banned] = -np.inf
            rows = _top(rough, COARSE_CANDIDATES)
            rows = rows[rough[rows] > -np.inf]
            scores = _cosines(matrix[rows], query)
        else:
            rows = np.arange(size)
            scores = _cosines(matrix[:size], query)
            if banned is not None:
                scores[banned] = -np.inf
        top = _top(scores, k * 3)
        top = top[np.argsort(-scores[top])]
        top = top[scores[top] > -np.inf]
        # each article once, at its best passage (``top`` is best first; unique keeps the first)
        picked = self._rows[rows[top]]
        _, first = np.unique(picked["article"], return_index=True)
        first = np.sort(first)[:k]
        articles, passages = picked["article"][first].tolist(), picked["passage"][first].tolist()
        return list(zip(articles, scores[top[first]].tolist(), passages, strict=True))


def _grown(array: NDArray[Any], capacity: int, dtype: DTypeLike | None = None) -> NDArray[Any]:
    """``array`` copied into a zeroed one of ``capacity`` rows (in ``dtype``, if given)."""
    out = np.zeros((capacity, *array.shape[1:]), dtype=dtype or array.dtype)
    out[: len(array)] = array
    return out


def _top(scores: Vectors, n: int) -> NDArray[np.intp]:
    """Indexes of the ``n`` largest scores, in no order (numpy 2's SIMD partition: ~0.2 ms
    over 151k coarse scores, ~1.5 ms over 1M)."""
    return np.arange(len(scores)) if n >= len(scores) else np.argpartition(scores, -n)[-n:]


def _cosines(vectors: Stored, query: Vectors) -> Vectors:
    """Each row's cosine with ``query``, in float32 whatever the rows are stored as.

    float16 rows are scored by simsimd's float16 kernel (0.14 ms for 1,500 x 384 on this
    machine under load; numpy's widening 8 ms, torch's 0.3 ms alone but 20-30 ms under
    load, and importing torch cost the first search ~1 s and ~200 MB). The query is
    rounded to float16 too: cosines move by up to ~2e-4, enough to swap near-ties (all
    float16, TIME's hybrid MRR@10 fell 0.741 -> 0.728), so the exact scan keeps float32.
    """
    if vectors.dtype != np.float16:
        return (vectors @ query).astype(np.float32, copy=False)
    if not len(vectors):  # no candidate in the wanted languages (simsimd refuses none)
        return np.zeros(0, dtype=np.float32)
    out = simsimd.cdist(query.astype(np.float16)[None], vectors, metric="dot", out_dtype="float32")
    return np.asarray(out, dtype=np.float32).reshape(-1)
