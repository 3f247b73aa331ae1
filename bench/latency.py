"""Search latency, warm, at 1k / 10k (quick) and 100k (full) articles, beside its references.

Per size, for each of 200 distinct title-derived queries (3-6 words of a
Reuters/HuffPost title), in rotating order so CPU noise hits every column alike:

- ``embed``: ``embedder.query(q)``, the floor any dense search pays;
- ``rank_bm25``: ``BM25Okapi.get_scores`` + top-10 over the same stemmed terms
  the full-text index holds (title + body per article);
- ``st_search``: ``sentence_transformers.util.semantic_search`` (top 100) over
  the same passage vectors as a torch tensor, query vector given;
  compare ``embed + st_search`` with ``dense``;
- ``hybrid`` / ``bm25`` / ``dense``: ``core.searcher.search(q, mode=...)`` on a core
  built as ``ainews run`` builds it (``Core.build``: the local index, full text on
  tantivy in a thread beside the query embedding).

Then the hybrid search's parts are timed alone, and at the largest size the
hybrid search is profiled with pyinstrument.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from bench import corpus
from bench.common import Context, Result, log, profile_rows, ratio, summarize_ms
from bot.core import Core
from bot.index.hybrid import validate_query
from bot.text import index_terms, query_terms

NAME = "latency"
N_QUERIES = 200
N_WARMUP = 20


def make_queries() -> tuple[list[str], list[str]]:
    """200 measured queries and 20 warm-up queries, all distinct, from the first 2,000 titles."""
    base = corpus.scale_base()[:2000]
    measured = corpus.title_queries(base, N_QUERIES)
    warm = [q for q in corpus.title_queries(base, N_QUERIES + 60, seed=99) if q not in measured]
    return measured, warm[:N_WARMUP]


def bm25_reference(core: Core) -> tuple[Any, float]:
    """``rank_bm25.BM25Okapi`` over the stemmed title + body terms of every article."""
    from rank_bm25 import BM25Okapi
    from sqlalchemy import text

    start = time.perf_counter()
    docs = []
    with core.engine.connect() as conn:
        for title, body, lang in conn.execute(
            text("SELECT title, body, lang FROM article ORDER BY id")
        ):
            docs.append(f"{index_terms(title, lang)} {index_terms(body, lang)}".split())
    model = BM25Okapi(docs)
    return model, time.perf_counter() - start


def time_ops(
    ops: dict[str, Callable[[str, Any], Any]], queries: list[str], vectors: dict[str, Any]
) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in ops}
    names = list(ops)
    for i, q in enumerate(queries):
        order = names[i % len(names) :] + names[: i % len(names)]
        for name in order:
            start = time.perf_counter()
            ops[name](q, vectors[q])
            times[name].append(time.perf_counter() - start)
    return times


def parts(core: Core, queries: list[str], vectors: dict[str, Any]) -> dict[str, list[float]]:
    """The hybrid search's steps, each timed alone (sequentially, no thread pool)."""
    s = core.searcher
    out: dict[str, list[float]] = {
        k: []
        for k in (
            "fts query build",
            "fulltext.search",
            "vectors.search",
            "vectors.search (no lang filter)",
            "_articles",
            "_add_snippets",
        )
    }
    for raw in queries:
        q = validate_query(raw, s.max_query_chars)
        vec = vectors[raw]
        t0 = time.perf_counter()
        fq = s.expander.build(q)
        t1 = time.perf_counter()
        lexical = s.fulltext.search(fq, s.candidates)
        t2 = time.perf_counter()
        dense = s.vectors.search(vec, s.candidates, langs=s.dense_languages)
        t3 = time.perf_counter()
        s.vectors.search(vec, s.candidates)
        t4 = time.perf_counter()
        ids = list(dict.fromkeys([a for a, _ in lexical] + [a for a, _, _ in dense]))[:30]
        found = s._articles(ids)
        t5 = time.perf_counter()
        best = {a: p for a, _, p in dense}
        hits = [found[a] for a in ids[:10] if a in found]
        for hit in hits:
            hit.passage_id = best.get(hit.article_id)
        s._add_snippets(hits, q)
        t6 = time.perf_counter()
        for key, dt in zip(
            out, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5), strict=True
        ):
            out[key].append(dt)
    return out


def thread_experiment(
    core: Core, real: Any, queries: list[str], *, busy: bool = False
) -> dict[str, dict[str, float]]:
    """Query embedding and hybrid search with torch on 1 vs 2 (default) intra-op threads.

    The hybrid search runs full text in a pool thread while torch encodes, so on
    2 cores three threads compete; OpenMP's barrier spinning is sensitive to that.
    ``busy=True`` runs a one-core busy loop in a child process meanwhile: what a
    concurrent ingest, another service or a noisy neighbour does to the query path.
    """
    import subprocess
    import sys

    import torch

    default = torch.get_num_threads()
    times: dict[str, list[float]] = {}
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if busy else None
    try:
        time.sleep(0.5 if busy else 0)
        for i, q in enumerate(queries):
            for threads in (default, 1) if i % 2 else (1, default):
                torch.set_num_threads(threads)
                for name, fn in (
                    ("embed", lambda q=q: real.query(q)),
                    ("hybrid", lambda q=q: core.searcher.search(q, limit=10, mode="hybrid")),
                ):
                    start = time.perf_counter()
                    fn()
                    key = f"{name}, torch threads={threads}{', 1 core busy' if busy else ''}"
                    times.setdefault(key, []).append(time.perf_counter() - start)
    finally:
        torch.set_num_threads(default)
        if hog is not None:
            hog.kill()
            hog.wait()
    return {k: summarize_ms(v) for k, v in times.items()}


def vector_experiment(core: Core, vectors: dict[str, Any]) -> dict[str, dict[str, float]]:
    """The dense side alone: the product's search vs its matrix-vector product (numpy, torch)."""
    import torch

    index = core.vectors
    n = len(index)
    matrix = np.asarray(index._matrix[:n], dtype=np.float32)  # float16 past the coarse threshold
    tensor = torch.from_numpy(matrix)
    half = tensor.to(torch.float16)
    langs = core.searcher.dense_languages
    ops: dict[str, Callable[[Any], Any]] = {
        "VectorIndex.search(k=100, langs)": lambda v: index.search(v, 100, langs=langs),
        "VectorIndex.search(k=100)": lambda v: index.search(v, 100),
        "numpy matrix @ q": lambda v: matrix @ v,
        "torch.mv(matrix, q)": lambda v: torch.mv(tensor, torch.from_numpy(v)),
        "torch.mv(float16 matrix, q)": lambda v: torch.mv(half, torch.from_numpy(v).half()),
        "np.isin(langs) mask": lambda v: np.isin(index._rows["lang"][:n], ["en"]),
    }
    coarse = index._coarse
    if coarse is not None:  # the coarse stage: int8 codes vs the float32 projection it replaced
        wide = coarse.rows[:n].astype(np.float32) * coarse.steps
        ops["coarse scan: int8 codes (simsimd)"] = lambda v: coarse.scores(v, n)
        ops["coarse scan: float32 projection (numpy, before)"] = lambda v: wide @ (v @ coarse.basis)
    times: dict[str, list[float]] = {k: [] for k in ops}
    for vec in vectors.values():
        for name, fn in ops.items():
            start = time.perf_counter()
            fn(vec)
            times[name].append(time.perf_counter() - start)
    out = {k: summarize_ms(v) for k, v in times.items()}
    overlap = []
    for vec in list(vectors.values())[:50]:
        a = set(np.argsort(-(matrix @ vec))[:100].tolist())
        h = torch.mv(half, torch.from_numpy(vec).half()).float().numpy()
        overlap.append(len(a & set(np.argsort(-h)[:100].tolist())) / 100)
    out["float16 top-100 passage overlap with float32"] = {
        "mean": round(float(np.mean(overlap)), 4)
    }
    return out


def profile_hybrid(core: Core, queries: list[str]) -> list[list[Any]]:
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)
    profiler.start()
    for q in queries:
        core.searcher.search(q, limit=10, mode="hybrid")
    return profile_rows(profiler.stop(), 5)


def run(ctx: Context, sizes: list[int] | None = None) -> Result:
    result = Result(NAME)
    real = ctx.embedder()
    from sentence_transformers import util

    queries, warmup = make_queries()
    if not ctx.full:  # --quick: half the queries, for a run under 3 minutes in all
        queries, warmup = queries[: N_QUERIES // 2], warmup[: N_WARMUP // 2]
    sizes = sizes or [1_000, 10_000] + ([100_000] if ctx.full else [])
    summary_rows = []
    for size in sizes:
        path = corpus.build_scale_db(size, real)
        gc.collect()
        t0 = time.perf_counter()
        core = Core.build(corpus.bench_settings(path), embedder=real)  # as served
        load_s = time.perf_counter() - t0
        import torch

        matrix = np.asarray(core.vectors._matrix[: len(core.vectors)], dtype=np.float32)
        corpus_tensor = torch.from_numpy(np.ascontiguousarray(matrix))
        bm25, bm25_build = bm25_reference(core)
        log(f"{size:,}: {len(core.vectors):,} passages; rank_bm25 built in {bm25_build:.1f}s")

        def op_embed(q: str, v: Any) -> Any:
            return real.query(q)

        def op_rank_bm25(q: str, v: Any, bm25: Any = bm25) -> Any:
            scores = bm25.get_scores(query_terms(q))
            top = np.argpartition(-scores, 10)[:10]
            return top[np.argsort(-scores[top])]

        def op_st(q: str, v: Any, ct: Any = corpus_tensor) -> Any:
            return util.semantic_search(torch.from_numpy(v).reshape(1, -1), ct, top_k=100)

        def mode_op(mode: str, core: Core = core) -> Callable[[str, Any], Any]:
            return lambda query, v: core.searcher.search(query, limit=10, mode=mode)  # type: ignore[arg-type]

        ops = {
            "embed": op_embed,
            "rank_bm25": op_rank_bm25,
            "st_search": op_st,
            "hybrid": mode_op("hybrid"),
            "bm25": mode_op("bm25"),
            "dense": mode_op("dense"),
        }
        vectors = {q: real.query(q) for q in queries + warmup}
        time_ops(ops, warmup, vectors)  # warm caches, allocator, model
        times = time_ops(ops, queries, vectors)
        stats = {name: summarize_ms(t) for name, t in times.items()}
        part_stats = {name: summarize_ms(t) for name, t in parts(core, queries, vectors).items()}
        rows = [[name, s["p50"], s["p95"], s["p99"], s["mean"]] for name, s in stats.items()]
        rows += [
            [f"  part: {name}", s["p50"], s["p95"], s["p99"], s["mean"]]
            for name, s in part_stats.items()
        ]
        result.table(
            f"latency @ {size:,} articles ({len(core.vectors):,} passages), "
            f"{len(queries)} warm queries, ms (core build {load_s:.1f}s)",
            ["operation", "p50", "p95", "p99", "mean"],
            rows,
        )
        hyb, emb = stats["hybrid"]["p95"], stats["embed"]["p95"]
        summary_rows.append(
            [
                f"{size:,}",
                emb,
                hyb,
                ratio(hyb, emb),
                ratio(stats["hybrid"]["p50"], stats["embed"]["p50"]),
                stats["bm25"]["p95"],
                stats["dense"]["p95"],
                stats["rank_bm25"]["p95"],
                stats["st_search"]["p95"],
            ]
        )
        result.check(f"hybrid p95 / embed p95 @ {size:,}", ratio(hyb, emb), 1.5, "<=")
        if size == sizes[-1]:
            result.check(
                f"hybrid p95 ms @ {size:,}",
                hyb,
                50.0,
                "<=",
                note="" if size == 100_000 else "target is for 100k (--full)",
            )
        if size == sizes[-1] and ctx.full:  # what-ifs and the profile: --full only
            threads = thread_experiment(core, real, queries[:100])
            threads.update(thread_experiment(core, real, queries[100:], busy=True))
            dense_parts = vector_experiment(core, vectors)
            result.table(
                f"what-if @ {size:,}: torch intra-op threads (interleaved; 100 queries idle, "
                "100 with a one-core busy loop running), and the dense side alone (ms)",
                ["operation", "p50", "p95", "p99", "mean"],
                [[k, s["p50"], s["p95"], s["p99"], s["mean"]] for k, s in threads.items()]
                + [
                    [k, s.get("p50"), s.get("p95"), s.get("p99"), s["mean"]]
                    for k, s in dense_parts.items()
                ],
            )
            result.figures["threads"] = threads
            result.figures["dense_parts"] = dense_parts
            log(f"profiling {len(queries)} hybrid searches at {size:,}")
            result.table(
                f"pyinstrument, {len(queries)} hybrid searches @ {size:,}: top 5 frames by self "
                "time, then bot/ functions incl. the library calls they make (main thread "
                "only: full text runs in a pool thread and shows as waiting in result())",
                ["by", "frame", "s", "% time"],
                profile_hybrid(core, queries),
            )
        result.figures[str(size)] = {
            "passages": len(core.vectors),
            "vector_index_mb": round(core.vectors.nbytes / 1e6, 1),
            "core_build_s": round(load_s, 2),
            "rank_bm25_build_s": round(bm25_build, 1),
            "db_meta": corpus.db_meta(f"scale-{size}"),
            "ops": stats,
            "parts": part_stats,
        }
        core.close()
        del core, bm25, corpus_tensor, matrix
        gc.collect()
    result.table(
        "latency summary (ms, p95 unless noted)",
        [
            "articles",
            "embed",
            "hybrid",
            "hyb/emb p95",
            "hyb/emb p50",
            "bm25",
            "dense",
            "rank_bm25",
            "st_search",
        ],
        summary_rows,
    )
    if ctx.full:
        meta = corpus.db_meta("scale-100000")
        result.notes.append(
            "100k index: 30.8k unique Reuters+HuffPost rows ingested by core.ingester, then "
            "replicas (body + ' ~rK~', url ?replica=K) ingested the same way; passage vectors "
            f"from the vector cache of the original text ({meta.get('encoded_vectors', '?')} "
            f"encoded while building, {meta.get('cached_vectors', '?')} from cache)."
        )
    return result
