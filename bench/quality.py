"""Search quality: TIME test collection (MRR, nDCG@10, recall@10) and a cross-language set.

The documents are indexed with the real model (vectors from the bench cache, so
they are the model's vectors, computed once). Every query runs in the three
modes of the product's ``HybridSearcher``. The fusion "what-if" sweeps re-fuse
the *same* candidate lists outside ``bot/`` with one knob changed at a time;
with the product's defaults the re-fusion reproduces ``HybridSearcher.search``
(checked and reported as ``refusion_agreement``).
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bench import corpus
from bench.common import DATA_DIR, DATASETS, Context, Result, ratio
from bench.vcache import CachingEmbedder
from bot.core import Core
from bot.index.hybrid import HybridSearcher, validate_query
from bot.ingest.files import Item

NAME = "quality"
MODES = ("hybrid", "bm25", "dense")
METRICS = ("mrr", "ndcg10", "recall10")


# --- metrics --------------------------------------------------------------------------------


def score_ranking(ranked: Sequence[int], relevant: set[int], k: int = 10) -> dict[str, float]:
    top = list(ranked)[:k]
    rr = next((1.0 / (i + 1) for i, a in enumerate(top) if a in relevant), 0.0)
    dcg = sum(1.0 / math.log2(i + 2) for i, a in enumerate(top) if a in relevant)
    idcg = sum(1.0 / math.log2(i + 2) for i in range(min(len(relevant), k)))
    found = len(set(top) & relevant)
    return {
        "mrr": rr,
        "ndcg10": dcg / idcg if idcg else 0.0,
        "recall10": found / len(relevant) if relevant else 0.0,
    }


def mean_metrics(per_query: Sequence[dict[str, float]]) -> dict[str, float]:
    n = max(len(per_query), 1)
    return {m: round(sum(q[m] for q in per_query) / n, 4) for m in METRICS}


def beats(a: dict[str, float], b: dict[str, float]) -> bool:
    return all(a[m] > b[m] for m in METRICS)


# --- index ----------------------------------------------------------------------------------


QUALITY_CORPORA: dict[str, Callable[[], list[Item]]] = {
    "time_ir-none": lambda: corpus.time_ir_items("none"),
    "time_ir-derived": lambda: corpus.time_ir_items("derived"),
    "crosslang": lambda: corpus.seed_items() + corpus.es_news_items(300),
}


def quality_db(ctx: Context, name: str) -> Path:
    return corpus.build_items_db(name, QUALITY_CORPORA[name], ctx.embedder())


def open_core(ctx: Context, name: str, folder: Path) -> Core:
    """A Core over a private copy of the cached database (query vectors via the cache)."""
    import shutil

    db = folder / "quality.db"
    shutil.copyfile(quality_db(ctx, name), db)
    real = ctx.embedder()
    embedder = CachingEmbedder(real, corpus.vector_cache(real.name))
    return Core.build(corpus.bench_settings(db), embedder=embedder)


def article_ids(core: Core) -> tuple[dict[str, int], dict[str, int]]:
    from sqlalchemy import text

    with core.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, guid, url FROM article")).all()
    return (
        {str(r.guid): int(r.id) for r in rows if r.guid},
        {str(r.url): int(r.id) for r in rows if r.url},
    )


def searcher_variant(
    core: Core, cls: type[HybridSearcher] = HybridSearcher, **changes: Any
) -> HybridSearcher:
    """A ``HybridSearcher`` over the same indexes with some constructor arguments changed."""
    s = core.searcher
    args: dict[str, Any] = {
        "engine": s.engine,
        "embedder": s.embedder,
        "vectors": s.vectors,
        "fulltext": s.fulltext,
        "expander": s.expander,
        "max_query_chars": s.max_query_chars,
        "recency_weight": s.recency_weight,
        "recency_half_life_days": s.recency_half_life_days,
        "candidates": s.candidates,
        "dense_languages": s.dense_languages,
        "min_dense_score": s.min_dense_score,
    }
    args.update(changes)
    return cls(**args)


# --- TIME collection ------------------------------------------------------------------------


def load_time_ir() -> tuple[dict[str, str], dict[str, set[str]]]:
    folder = DATASETS / "time_ir"
    queries = {}
    for line in (folder / "queries.jsonl").read_text().splitlines():
        if line.strip():
            row = json.loads(line)
            queries[str(row["qid"])] = row["query"]
    qrels: dict[str, set[str]] = {}
    for line in (folder / "qrels.tsv").read_text().splitlines()[1:]:
        qid, doc, rel = line.split("\t")
        if int(rel) > 0:
            qrels.setdefault(qid, set()).add(doc)
    return queries, qrels


@dataclass(frozen=True)
class Fusion:
    """The knobs of reciprocal-rank fusion as ``HybridSearcher`` applies them."""

    k: float = 60.0
    depth: int = 100
    w_lex: float = 1.0
    w_dense: float = 1.0
    min_dense: float = 0.25
    title_weight: float = 2.0

    def label(self, base: Fusion) -> str:
        diff = [
            f"{name}={getattr(self, name):g}"
            for name in ("k", "depth", "w_lex", "w_dense", "min_dense", "title_weight")
            if getattr(self, name) != getattr(base, name)
        ]
        return ", ".join(diff) or "product defaults"


class Candidates:
    """Lexical and dense candidate lists per query, per depth and title weight (computed once)."""

    def __init__(
        self,
        core: Core,
        queries: dict[str, str],
        depths: Sequence[int],
        title_weights: Sequence[float],
    ) -> None:
        self.lex: dict[tuple[str, int, float], list[tuple[int, float]]] = {}
        self.dense: dict[tuple[str, int], list[tuple[int, float, int]]] = {}
        searcher = core.searcher
        # The title weight is built into the index (a title is indexed twice): only the
        # product's weight can be asked for.
        indexes = {tw: core.fulltext for tw in title_weights if tw == Fusion.title_weight}
        for qid, raw in queries.items():
            query = validate_query(raw, searcher.max_query_chars)
            fts_query = searcher.expander.build(query)
            vector = core.embedder.query(query)
            for depth in depths:
                for tw, index in indexes.items():
                    self.lex[qid, depth, tw] = index.search(fts_query, depth)
                self.dense[qid, depth] = core.vectors.search(
                    vector, depth, langs=searcher.dense_languages
                )

    def fuse(self, qid: str, f: Fusion, limit: int = 10) -> list[int]:
        lexical = [(a, f.w_lex) for a, _ in self.lex[qid, f.depth, f.title_weight]]
        matched = {a for a, _ in lexical}
        dense = [
            (a, f.w_dense)
            for a, s, _ in self.dense[qid, f.depth]
            if a in matched or s >= f.min_dense
        ]
        fused: dict[int, float] = {}
        for ranked in (lexical, dense):
            for rank, (aid, weight) in enumerate(ranked):
                fused[aid] = fused.get(aid, 0.0) + weight / (f.k + rank + 1)
        return sorted(fused, key=fused.__getitem__, reverse=True)[:limit]


def evaluate(
    rank: Callable[[str], list[int]], qids: Sequence[str], qrels: dict[str, set[int]]
) -> dict[str, float]:
    return mean_metrics([score_ranking(rank(q), qrels[q]) for q in qids])


def time_ir(ctx: Context, result: Result, titles: str) -> None:
    queries, qrels_docs = load_time_ir()
    folder = corpus.scratch_dir("quality-")
    try:
        core = open_core(ctx, f"time_ir-{titles}", folder)
        by_guid, _ = article_ids(core)
        qrels = {q: {by_guid[d] for d in docs if d in by_guid} for q, docs in qrels_docs.items()}
        qids = [q for q in queries if qrels.get(q)]
        tag = f"time_ir[titles={titles}]"
        lexicon = len(core.lexicon)
        hits: dict[str, dict[str, list[int]]] = {m: {} for m in MODES}
        for qid in qids:
            for mode in MODES:
                found = core.searcher.search(queries[qid], limit=10, mode=mode)  # type: ignore[arg-type]
                hits[mode][qid] = [h.article_id for h in found]
        scores = {m: evaluate(lambda q, m=m: hits[m][q], qids, qrels) for m in MODES}
        rows: list[list[Any]] = [[m, *(scores[m][x] for x in METRICS)] for m in MODES]
        rows.append(
            ["hybrid / bm25", *(ratio(scores["hybrid"][x], scores["bm25"][x]) for x in METRICS)]
        )
        rows.append(
            ["hybrid / dense", *(ratio(scores["hybrid"][x], scores["dense"][x]) for x in METRICS)]
        )
        result.table(
            f"{tag}: {len(core.vectors)} passages, {len(qids)} queries with judgments, "
            f"expand=True (lexicon entries: {lexicon})",
            ["mode", "MRR@10", "nDCG@10", "recall@10"],
            rows,
        )
        result.figures[tag] = {"queries": len(qids), "scores": scores}
        if titles == "none":
            for other in ("bm25", "dense"):
                for metric in METRICS:
                    result.check(
                        f"hybrid/{other} {metric}",
                        scores["hybrid"][metric] / max(scores[other][metric], 1e-9),
                        1.0,
                        ">",
                    )

        # What-if fusion sweeps on the same candidates.
        base = Fusion()
        depths = (10, 20, 30, 50, 100, 200)
        tws = (Fusion.title_weight,)
        cands = Candidates(core, {q: queries[q] for q in qids}, depths, tws)
        agree = sum(cands.fuse(q, base) == hits["hybrid"][q] for q in qids) / len(qids)
        result.figures[tag]["refusion_agreement"] = round(agree, 3)
        variants = [base]
        variants += [replace(base, k=k) for k in (1, 5, 10, 20, 30, 100)]
        variants += [replace(base, depth=d) for d in depths if d != base.depth]
        variants += [replace(base, w_dense=w) for w in (0.25, 0.5, 0.75, 1.5, 2.0)]
        variants += [replace(base, min_dense=s) for s in (0.0, 0.1, 0.2, 0.3, 0.35, 0.4, 0.5, 1.01)]
        variants += [replace(base, title_weight=tw) for tw in tws if tw != base.title_weight]
        sweep_rows = []
        for v in variants:
            s = evaluate(lambda q, v=v: cands.fuse(q, v), qids, qrels)
            sweep_rows.append(
                [
                    v.label(base),
                    *(s[m] for m in METRICS),
                    beats(s, scores["bm25"]),
                    beats(s, scores["dense"]),
                ]
            )
        result.table(
            f"{tag}: hybrid with one fusion knob changed (re-fused outside bot/; "
            f"defaults reproduce the product on {agree:.0%} of queries; "
            "min_dense=1.01 = no dense-only hits)",
            ["variant", "MRR@10", "nDCG@10", "recall@10", "beats bm25", "beats dense"],
            sweep_rows,
        )
        result.figures[tag]["sweep"] = [
            dict(zip(["variant", *METRICS, "beats_bm25", "beats_dense"], r, strict=True))
            for r in sweep_rows
        ]
        if titles == "none" and ctx.full:  # the grid: full mode only
            tune(result, tag, cands, qids, qrels, scores, base, hits)
        core.engine.dispose()
    finally:
        corpus.drop_scratch(folder)


def tune(
    result: Result,
    tag: str,
    cands: Candidates,
    qids: list[str],
    qrels: dict[str, set[int]],
    scores: dict[str, dict[str, float]],
    base: Fusion,
    hits: dict[str, dict[str, list[int]]],
) -> None:
    """Grid over (k, depth, dense weight, min_dense); best on all queries, and 2-fold held-out."""
    grid = [
        Fusion(k=k, depth=d, w_dense=w, min_dense=s)
        for k in (5, 10, 20, 30, 60)
        for d in (20, 30, 50, 100)
        for w in (0.5, 0.75, 1.0, 1.5)
        for s in (0.0, 0.25, 0.35, 1.01)
    ]

    def margin(
        s: dict[str, float], sub_bm25: dict[str, float], sub_dense: dict[str, float]
    ) -> float:
        return min(s[m] - max(sub_bm25[m], sub_dense[m]) for m in METRICS)

    def run_modes(sub: list[str]) -> dict[str, dict[str, float]]:
        return {m: evaluate(lambda q, m=m: hits[m][q], sub, qrels) for m in ("bm25", "dense")}

    full = {v: evaluate(lambda q, v=v: cands.fuse(q, v), qids, qrels) for v in grid}
    best = max(
        grid, key=lambda v: (margin(full[v], scores["bm25"], scores["dense"]), full[v]["ndcg10"])
    )
    rows: list[list[Any]] = [
        [
            "all queries: best of grid",
            best.label(base),
            *(full[best][m] for m in METRICS),
            beats(full[best], scores["bm25"]),
            beats(full[best], scores["dense"]),
        ]
    ]
    # Honest estimate: choose on half the queries, score on the other half.
    rng = random.Random(7)
    shuffled = qids[:]
    rng.shuffle(shuffled)
    folds = [shuffled[::2], shuffled[1::2]]
    for i, (train, test) in enumerate([(folds[0], folds[1]), (folds[1], folds[0])]):
        tr_modes, te_modes = run_modes(train), run_modes(test)
        tr = {v: evaluate(lambda q, v=v: cands.fuse(q, v), train, qrels) for v in grid}
        pick = max(
            grid,
            key=lambda v: (margin(tr[v], tr_modes["bm25"], tr_modes["dense"]), tr[v]["ndcg10"]),
        )
        te = evaluate(lambda q, v=pick: cands.fuse(q, v), test, qrels)
        te_base = evaluate(lambda q: cands.fuse(q, base), test, qrels)
        rows.append(
            [
                f"fold {i + 1}: tuned, held-out half",
                pick.label(base),
                *(te[m] for m in METRICS),
                beats(te, te_modes["bm25"]),
                beats(te, te_modes["dense"]),
            ]
        )
        rows.append(
            [
                f"fold {i + 1}: defaults, same half",
                "product defaults",
                *(te_base[m] for m in METRICS),
                beats(te_base, te_modes["bm25"]),
                beats(te_base, te_modes["dense"]),
            ]
        )
        rows.append(
            [
                f"fold {i + 1}: bm25 / dense, same half",
                "",
                *(f"{te_modes['bm25'][m]:.3f} / {te_modes['dense'][m]:.3f}" for m in METRICS),
                "",
                "",
            ]
        )
    result.table(
        f"{tag}: grid of {len(grid)} fusion settings (k x depth x w_dense x min_dense); "
        "'beats' = better than bm25-only / dense-only on all three metrics",
        ["selection", "setting", "MRR@10", "nDCG@10", "recall@10", "beats bm25", "beats dense"],
        rows,
    )
    result.figures[tag]["tuned_best"] = {"setting": best.label(base), **full[best]}


# --- cross-language set ---------------------------------------------------------------------


def crosslang(ctx: Context, result: Result) -> None:
    queries = [
        json.loads(x)
        for x in (DATA_DIR / "crosslang_queries.jsonl").read_text().splitlines()
        if x.strip()
    ]
    folder = corpus.scratch_dir("crosslang-")
    try:
        core = open_core(ctx, "crosslang", folder)
        by_guid, by_url = article_ids(core)

        def target(expected: str) -> int:
            if expected in by_guid:
                return by_guid[expected]
            return next(aid for url, aid in by_url.items() if url.endswith(expected))

        no_recency = searcher_variant(core, recency_weight=0.0)
        all_langs = searcher_variant(core, dense_languages=None, recency_weight=0.0)
        configs: list[tuple[str, HybridSearcher, str, bool]] = []
        for tag, searcher in (("", core.searcher), (", no recency**", no_recency)):
            for mode in MODES:
                for expand in (False, True):
                    if mode == "dense" and (expand or tag):
                        continue  # expansion only feeds the full-text side
                    name = mode if mode == "dense" else f"{mode} expand={expand}"
                    configs.append((name + tag, searcher, mode, expand))
        small = searcher_variant(core, recency_weight=0.02)
        configs.append(("hybrid expand=True, recency_weight=0.02**", small, "hybrid", True))
        configs.append(("dense, all languages*, no recency**", all_langs, "dense", False))
        configs.append(
            ("hybrid expand=True, dense all languages*, no recency**", all_langs, "hybrid", True)
        )
        langs = sorted({q["lang"] for q in queries})
        rows = []
        figures: dict[str, Any] = {}
        for label, searcher, mode, expand in configs:
            per_lang: dict[str, list[dict[str, float]]] = {lang: [] for lang in langs}
            misses = []
            for q in queries:
                found = [
                    h.article_id
                    for h in searcher.search(q["query"], limit=10, mode=mode, expand=expand)
                ]  # type: ignore[arg-type]
                s = score_ranking(found, {target(q["expected"])})
                per_lang[q["lang"]].append(s)
                if mode == "hybrid" and expand and s["mrr"] < 1.0:
                    misses.append(
                        f"{q['query']} (rank {round(1 / s['mrr']) if s['mrr'] else '>10'})"
                    )
            row: list[Any] = [label]
            figures[label] = {}
            for lang in langs:
                m = mean_metrics(per_lang[lang])
                row += [m["mrr"], m["recall10"]]
                figures[label][lang] = m
            overall = mean_metrics([s for lang in langs for s in per_lang[lang]])
            row += [overall["mrr"], overall["recall10"]]
            figures[label]["all"] = overall
            rows.append(row)
            if label.startswith("hybrid expand=True"):
                figures[f"misses: {label}"] = misses
        counts = {lang: sum(q["lang"] == lang for q in queries) for lang in langs}
        headers = ["config"]
        for lang in langs:
            headers += [f"{lang} MRR ({counts[lang]}q)", f"{lang} R@10"]
        headers += ["all MRR", "all R@10"]
        result.table(
            f"crosslang: {len(queries)} queries over 3 seeds + 300 es_news (all Spanish), "
            f"lexicon entries: {len(core.lexicon)}, "
            f"gazetteer entities: {len(core.gazetteer.entities)}",
            headers,
            rows,
        )
        result.notes.append(
            "crosslang *: not the product configuration; the product embeds only "
            f"{sorted(core.searcher.dense_languages or ['*'])} passages into dense search "
            "(settings.embedding_languages), so dense-only mode finds no Spanish article."
        )
        result.notes.append(
            "crosslang **: recency_weight=0. The product multiplies the fused score by up to "
            f"1 + {core.searcher.recency_weight}, by age from published_at (an undated article "
            "gets none): the seeds (Nov 2025-Jan 2026) count as old; with RRF k=60 a 15% boost "
            "outweighs ~9 ranks (61/70)."
        )
        for key in ("hybrid expand=True", "hybrid expand=True, no recency**"):
            if figures.get(f"misses: {key}"):
                result.notes.append(
                    f"crosslang {key}, not at rank 1: " + "; ".join(figures[f"misses: {key}"])
                )
        result.figures["crosslang"] = figures
        result.figures["crosslang"]["lexicon_entries"] = len(core.lexicon)
        result.figures["crosslang"]["gazetteer_entities"] = len(core.gazetteer.entities)
        core.engine.dispose()
    finally:
        corpus.drop_scratch(folder)


def run(ctx: Context) -> Result:
    result = Result(NAME)
    time_ir(ctx, result, "none")
    if ctx.full:
        time_ir(ctx, result, "derived")
    crosslang(ctx, result)
    return result
