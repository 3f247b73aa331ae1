"""The in-memory vector index: exact below the coarse threshold, two-stage above it."""

from __future__ import annotations

import numpy as np
import pytest

import bot.index.vectors as vectors_module
from bot.index.vectors import VectorIndex, row_dtype


def _clustered(n: int, dim: int = 64, seed: int = 0) -> np.ndarray:
    """Unit vectors around 40 topics: the shape real passage embeddings have."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(40, dim))
    rows = centers[rng.integers(0, 40, n)] + 0.6 * rng.normal(size=(n, dim))
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    return rows.astype(np.float32)


def _index(rows: np.ndarray, langs: list[str] | None = None, chunk: int = 1000) -> VectorIndex:
    index = VectorIndex(rows.shape[1])
    records = np.zeros(len(rows), row_dtype(rows.shape[1]))
    records["passage"] = records["article"] = np.arange(1, len(rows) + 1)
    records["vector"], records["lang"] = rows, langs or ""
    for start in range(0, len(rows), chunk):
        index.add(records[start : start + chunk])
    return index


def test_exact_search_ranks_by_cosine() -> None:
    rows = _clustered(500)
    index = _index(rows, ["en"] * 500)
    query = rows[42]
    hits = index.search(query, 5)
    assert hits[0][0] == 43 and hits[0][2] == 43
    assert [h[1] for h in hits] == sorted((h[1] for h in hits), reverse=True)


def _two_stage_from(monkeypatch: pytest.MonkeyPatch, rows: int, *, dims: int) -> None:
    """Small indexes take the coarse PCA stage (the product waits for 50k rows)."""
    monkeypatch.setattr(vectors_module, "COARSE_MIN_ROWS", rows)
    monkeypatch.setattr(vectors_module, "COARSE_DIMS", dims)


def test_language_filter_keeps_only_those_passages() -> None:
    rows = _clustered(300)
    langs = ["en" if i % 2 else "es" for i in range(300)]
    index = _index(rows, langs)
    hits = index.search(rows[10], 50, langs=frozenset({"en"}))
    assert hits and all(aid % 2 == 0 for aid, _s, _p in hits)  # id = row + 1
    assert index.search(rows[10], 5, langs=frozenset({"fr"})) == []
    assert VectorIndex(64).search(rows[10], 5) == []  # nothing indexed yet


def test_two_stage_search_with_no_passage_in_the_wanted_languages(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _two_stage_from(monkeypatch, 4_000, dims=24)
    rows = _clustered(5_000)
    index = _index(rows, ["en"] * 5_000)
    assert index._coarse is not None
    assert index.search(rows[10], 5, langs=frozenset({"es"})) == []


def test_two_stage_search_matches_exact_search(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the threshold the coarse PCA stage keeps the exact top results."""
    _two_stage_from(monkeypatch, 4_000, dims=24)
    monkeypatch.setattr(vectors_module, "COARSE_CANDIDATES", 400)
    rows = _clustered(12_000)
    langs = ["en"] * 12_000
    index = _index(rows, langs)
    assert index._coarse is not None and index._coarse.fitted_rows >= 8_000  # refitted at 2x
    monkeypatch.setattr(vectors_module, "COARSE_MIN_ROWS", 10**9)
    exact = _index(rows, langs)
    assert exact._coarse is None
    rng = np.random.default_rng(1)
    overlap = []
    for q in rows[rng.choice(12_000, 30, replace=False)]:
        got = index.search(q, 10, langs=frozenset({"en"}))
        want = exact.search(q, 10, langs=frozenset({"en"}))
        # the same best article and passage; two-stage scores come from float16 vectors
        assert (got[0][0], got[0][2]) == (want[0][0], want[0][2])
        assert got[0][1] == pytest.approx(want[0][1], abs=2e-3)
        overlap.append(len({h[0] for h in got} & {h[0] for h in want}) / 10)
    assert np.mean(overlap) >= 0.95


def test_int8_coarse_scores_rank_like_the_float_projection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Quantizing the projection (and the query's) to int8 keeps the candidates it picks."""
    _two_stage_from(monkeypatch, 4_000, dims=32)
    rows = _clustered(6_000)
    index = _index(rows)
    coarse = index._coarse
    assert coarse is not None and coarse.rows.dtype == np.int8
    projected = (rows - coarse.mean) @ coarse.basis
    rng = np.random.default_rng(2)
    kept = []
    for q in rows[rng.choice(6_000, 20, replace=False)]:
        wanted = set(np.argsort(-(projected @ (q @ coarse.basis)))[:100].tolist())
        picked = set(np.argsort(-coarse.scores(q, len(index)))[:110].tolist())
        kept.append(len(wanted & picked) / 100)
    assert np.mean(kept) >= 0.995  # a 20x coarser step: 0.92


@pytest.mark.parametrize("n", [1, 300, 2_000, 9_999])
def test_top_picks_the_n_largest_scores(n: int) -> None:
    """The n largest scores, masked rows included, and every row when n exceeds them."""
    rng = np.random.default_rng(n)
    scores = rng.permutation(50_000).astype(np.float32)
    masked = scores.copy()
    masked[rng.random(50_000) < 0.9] = -np.inf
    for case in (scores, masked):
        got = vectors_module._top(case, n)
        assert len(got) == n
        assert np.array_equal(np.sort(case[got]), np.sort(case)[-n:])
    assert np.array_equal(np.sort(vectors_module._top(scores[:50], 80)), np.arange(50))
