"""Story clustering quality on the UCI News Aggregator stories, vs a title TF-IDF baseline.

``../shared/datasets/uci_news_stories.jsonl``: 6,366 English headlines from
March 2014, each labelled with the real story (``cluster_id``, 87 stories).

Every method is the same single pass, in publication order, that ingestion
runs: each headline joins its best story if the score reaches the threshold,
else starts a story. Methods:

* ``product``: ``bot.stories.StoryIndex`` with the bundled model (dense
  centroid + language-free keywords), i.e. what ingestion does for English;
* ``dense only`` and ``keywords only`` (the path Spanish articles take with
  the English-only model): the product's two signals alone;
* ``tfidf``: title TF-IDF (sklearn) cosine to the story's centroid.

Thresholds are chosen on one half of the stories (by a hash of the story id)
and the figures reported on the other half. UCI's 87 stories are topically far
apart (a Fed taper, a missing plane, a film release), so its best thresholds
are very low; AI news all shares one topic, so the same thresholds over-merge
it. The second table measures that on the 34 real AI feeds (no labels: the
share of distinct articles put in multi-article stories, and the largest
story). The third compares methods fairly: each at the lowest threshold whose
AI-feed over-merging stays within the product default's, scored on UCI half B.
Finally the whole dataset goes through the real ingest pipeline (``Ingester``
on SQLite) with the product defaults, next to a replay of ``StoryIndex`` alone
(they must agree). Metrics: pairwise precision, recall and F1 over all pairs of
headlines, and the adjusted Rand index.

Run: ``python -m bench --only clustering`` (if registered) or ``python -m bench.clustering``.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import DATASETS, Context, Result, log

NAME = "clustering"
DATASET = "uci_news_stories.jsonl"
GRID = [round(0.1 + 0.05 * i, 2) for i in range(17)]  # 0.10 .. 0.90 (e5's cosines sit high)
AI_FEEDS = "feeds/ai"
MATCH_GRID = [round(0.1 + 0.05 * i, 2) for i in range(17)]  # 0.10 .. 0.90


@dataclass(slots=True)
class Row:
    title: str
    when: datetime
    source: str
    label: str


def load_rows() -> list[Row]:
    rows = []
    with (DATASETS / DATASET).open(encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            when = datetime.fromisoformat(d["date"])
            rows.append(Row(d["title"].strip(), when, d.get("source") or "", d["cluster_id"]))
    rows.sort(key=lambda r: r.when)
    return rows


def half(label: str) -> str:
    return "A" if hashlib.sha1(label.encode()).digest()[0] % 2 == 0 else "B"


# ---------------------------------------------------------------------- metrics


def pair_counts(labels: list[str], pred: list[int]) -> tuple[int, int, int]:
    """(pairs in the same predicted story, same true story, both) without listing pairs."""

    def pairs(counts: Counter[Any]) -> int:
        return sum(c * (c - 1) // 2 for c in counts.values())

    both = pairs(Counter(zip(labels, pred, strict=True)))
    return pairs(Counter(pred)), pairs(Counter(labels)), both


def scores(labels: list[str], pred: list[int]) -> dict[str, float]:
    from sklearn.metrics import adjusted_rand_score

    predicted, true, both = pair_counts(labels, pred)
    return {
        **prf(both, predicted, true),
        "ari": round(float(adjusted_rand_score(labels, pred)), 3),
        "stories": len(set(pred)),
    }


def prf(both: int, predicted: int, true: int) -> dict[str, float]:
    """Precision, recall and F1 of ``both`` right out of ``predicted`` and ``true`` pairs."""
    precision = both / predicted if predicted else 1.0
    recall = both / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3)}


# ---------------------------------------------------------------------- methods


def run_product(feats: list[Any], params: Any) -> list[int]:
    """The product's single pass (``StoryIndex``), over precomputed features."""
    from bot.stories import StoryIndex, StoryState

    index = StoryIndex(params)
    out = []
    for feat in feats:
        slot, _ = index.best(feat)
        if slot is None:
            slot = index.add_story(StoryState.start(feat))
        else:
            index.join(slot, feat)
        out.append(slot)
    return out


def run_tfidf(matrix: Any, threshold: float) -> list[int]:
    """Single-pass centroid clustering on L2-normalized TF-IDF rows (scipy CSR).

    Story sums are dense rows; a headline has a handful of terms, so each
    comparison only reads those columns.
    """
    n, vocab = matrix.shape
    sums = np.zeros((n, vocab), dtype=np.float32)
    norms = np.ones(n, dtype=np.float32)
    stories = 0
    out = []
    for i in range(n):
        row = matrix[i]
        cols, data = row.indices, row.data.astype(np.float32)
        best = -1
        if stories and len(cols):
            sims = sums[:stories, cols] @ data / norms[:stories]
            j = int(np.argmax(sims))
            if sims[j] >= threshold:
                best = j
        if best < 0:
            best = stories
            stories += 1
        sums[best, cols] += data
        norms[best] = float(np.linalg.norm(sums[best])) or 1.0
        out.append(best)
    return out


def sweep(
    name: str, labels: list[str], run: Callable[[float], list[int]], grid: list[float]
) -> list[dict[str, Any]]:
    rows = []
    for threshold in grid:
        t0 = time.perf_counter()
        pred = run(threshold)
        rows.append({"method": name, "threshold": threshold, **scores(labels, pred)})
        log(f"  {name} @ {threshold}: {rows[-1]} ({time.perf_counter() - t0:.1f}s)")
    return rows


# ---------------------------------------------------------------------- main


def dense_languages(dense: bool) -> frozenset[str] | None:
    """Where the product trusts the configured model's cosines (``dense``), or nowhere."""
    from bot.settings import load_settings
    from bot.stories import calibration

    return calibration(load_settings().embedding_model).dense_languages if dense else frozenset()


def features(rows: list[Row], vectors: np.ndarray, dense: bool) -> list[Any]:
    from bot.entities import Gazetteer
    from bot.lexicon import Lexicon
    from bot.settings import load_settings
    from bot.stories import StoryClusterer

    settings = load_settings()
    clusterer = StoryClusterer(
        Gazetteer.load(settings.gazetteer_path),
        Lexicon.load(settings.lexicon_path),
        dense_languages=dense_languages(dense),
    )
    return [
        clusterer.features(r.title, r.title, "en", vectors[i], r.when, r.source)
        for i, r in enumerate(rows)
    ]


def encode(ctx: Context, rows: list[Row], ledes: list[Any] | None = None) -> np.ndarray:
    """What ingestion embeds: ``"{title}. {first passage}"`` (the title again if no body)."""
    from bench import corpus
    from bench.vcache import CachingEmbedder

    real = ctx.embedder()
    cached = CachingEmbedder(real, corpus.vector_cache(real.name))
    texts = [f"{r.title}. {r.title}" for r in rows]
    if ledes is not None:
        texts = [f"{t}. {lede}" for t, lede, *_ in ledes]
    vectors = cached.passages(texts)
    log(f"vectors: {cached.hits} cached, {cached.misses} encoded")
    return vectors


def warm(ctx: Context) -> None:
    """Encode (into the vector cache) what ``run`` encodes: for ``--prepare``."""
    encode(ctx, load_rows())
    ai = ai_feed_rows()
    encode(ctx, [Row(t, d or FEED_EPOCH, "", "") for t, _, _, d in ai], ai)


def end_to_end(ctx: Context, rows: list[Row], params: Any) -> dict[str, Any]:
    """All headlines through ``Core.build(...).ingester`` on SQLite; stories read back."""
    from sqlmodel import Session, select

    from bench import corpus
    from bench.vcache import CachingEmbedder
    from bot.core import Core
    from bot.ingest.files import Item
    from bot.ingest.types import RawArticle
    from bot.models import Article
    from bot.settings import load_settings

    real = ctx.embedder()
    cached = CachingEmbedder(real, corpus.vector_cache(real.name))
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "clustering.db"
        core = Core.build_store(
            load_settings(data_dir=Path(tmp), database_url=f"sqlite:///{db}"), embedder=cached
        )
        core.ingester.stories.params = params
        items = [
            Item(
                f"uci:{i}",
                RawArticle(
                    title=r.title,
                    body="",
                    url=f"https://uci.example/{i}",
                    published_at=r.when,
                    lang="en",
                    source_name=r.source,
                ),
            )
            for i, r in enumerate(rows)
        ]
        t0 = time.perf_counter()
        report = core.ingester.ingest(items)
        seconds = time.perf_counter() - t0
        label_of = {f"https://uci.example/{i}": r.label for i, r in enumerate(rows)}
        with Session(core.engine) as session:
            stored = session.execute(select(Article.url, Article.story_id)).all()
        core.engine.dispose()
    labels = [label_of[str(url)] for url, _ in stored]
    pred = [int(sid or 0) for _, sid in stored]
    out: dict[str, Any] = scores(labels, pred)
    out["articles"] = len(stored)
    out["duplicates"] = len(report.duplicates)
    out["seconds"] = round(seconds, 1)
    return out


def ai_feed_rows() -> list[tuple[str, str, str, datetime | None]]:
    """The 34 AI feeds' distinct items as ingestion sees them: (title, lede, lang, date)."""
    return [(t, lede, lang, when) for _ref, t, lede, lang, when in ai_feed_items()]


def ai_feed_items() -> list[tuple[str, str, str, str, datetime | None]]:
    """(ref, title, lede, lang, date) of each distinct AI-feed item; ``ref`` is
    ``feed:<xml file>#<guid, else link>`` as in bench/data."""
    from bot.ingest.feeds import parse_feed
    from bot.text import clean_whitespace, content_hash, detect_lang, split_passages

    out = []
    seen: set[str] = set()
    for path in sorted((DATASETS / AI_FEEDS).glob("*.xml")):
        for item in parse_feed(path.read_bytes(), url=f"http://feeds.example/{path.name}").items:
            title = clean_whitespace(item.title).replace("\n", " ")[:500]
            body = clean_whitespace(item.body)
            digest = content_hash(title, body)
            if digest in seen or (item.url or "") in seen:
                continue
            seen.update({digest, item.url or ""})
            lede = (split_passages(body or title, 600) or [title])[0]
            lang = item.lang or detect_lang(f"{title}\n{body}")
            ref = f"feed:{path.name}#{item.guid or item.url}"
            out.append((ref, title, lede, lang, item.published_at))
    return out


def merge_stats(pred: list[int]) -> dict[str, Any]:
    sizes = Counter(pred)
    merged = sum(n for n in sizes.values() if n > 1)
    return {
        "articles": len(pred),
        "in_multi_story_pct": round(100 * merged / len(pred), 1),
        "largest": max(sizes.values()),
        "stories": len(sizes),
    }


def run(ctx: Context) -> Result:
    from sklearn.feature_extraction.text import TfidfVectorizer

    import bot.stories
    from bench.story_pairs import product as product_clusterer

    result = Result(NAME)
    rows = load_rows()
    log(f"{len(rows)} headlines, {len({r.label for r in rows})} stories")
    vectors = encode(ctx, rows)
    dense_feats = features(rows, vectors, dense=True)
    keyword_feats = features(rows, vectors, dense=False)
    product = product_clusterer(bot.stories, ctx.embedder().name).params

    split: dict[str, list[int]] = {"A": [], "B": []}
    for i, r in enumerate(rows):
        split[half(r.label)].append(i)
    # --quick: the product against the TF-IDF baseline only; the ablations are --full
    weights = [0.0, 0.2, 0.3, 0.4] if ctx.full else [product.keyword_weight]

    def methods(ids: list[int]) -> dict[str, Callable[[float], list[int]]]:
        titles = [rows[i].title for i in ids]
        tfidf = TfidfVectorizer(sublinear_tf=True, stop_words="english").fit_transform(titles)
        df = [dense_feats[i] for i in ids]
        kf = [keyword_feats[i] for i in ids]
        out: dict[str, Callable[[float], list[int]]] = {
            "tfidf (title)": lambda t: run_tfidf(tfidf, t),
        }
        if ctx.full:
            out["keywords only"] = lambda t: run_product(kf, replace(product, keyword_threshold=t))
        for w in weights:
            name = "dense only" if w == 0 else f"product (keyword weight {w})"
            out[name] = lambda t, w=w: run_product(
                df, replace(product, threshold=t, keyword_weight=w)
            )
        return out

    defaults = {
        "keywords only": product.keyword_threshold,
        f"product (keyword weight {product.keyword_weight})": product.threshold,
    }
    table = []
    labels = {h: [rows[i].label for i in ids] for h, ids in split.items()}
    by_half = {h: methods(ids) for h, ids in split.items()}
    for name, fn in by_half["A"].items():
        log(f"calibrating {name} on half A")
        swept = sweep(name, labels["A"], fn, GRID if ctx.full else GRID[::2])
        best = max(swept, key=lambda s: (s["f1"], s["ari"]))
        result.figures[name] = {"sweep_A": swept}
        choices = [("best F1 on A", best["threshold"])]
        if name in defaults:
            choices.append(("product default", defaults[name]))
        for why, threshold in choices:
            held = scores(labels["B"], by_half["B"][name](threshold))
            result.figures[name][why] = {"threshold": threshold, "B": held}
            table.append(
                [name, why, threshold]
                + [held[k] for k in ("precision", "recall", "f1", "ari", "stories")]
            )
    result.table(
        "story clustering, UCI News headlines (threshold chosen on half A, figures on half B; "
        f"{len(split['B'])} headlines, {len(set(labels['B']))} true stories)",
        ["method", "threshold", "value", "P", "R", "F1", "ARI", "stories"],
        table,
    )

    # Over-merging where it matters: AI news all shares one topic. No labels: the share of
    # distinct articles put in multi-article stories (some are real: the same launch in two
    # feeds, release notes of one version) and the largest story.
    ai = ai_feed_rows()
    ai_vectors = encode(ctx, [Row(t, d or FEED_EPOCH, "", "") for t, _, _, d in ai], ai)
    ai_dense = ai_features(ai, ai_vectors, dense=True)
    ai_kw = ai_features(ai, ai_vectors, dense=False)
    ai_tfidf = TfidfVectorizer(sublinear_tf=True, stop_words="english").fit_transform(
        [t for t, *_ in ai]
    )
    best_product = result.figures[f"product (keyword weight {product.keyword_weight})"]
    best_tfidf = result.figures["tfidf (title)"]["best F1 on A"]["threshold"]
    ai_runs = [
        (f"product default ({product.threshold})", run_product(ai_dense, product)),
        (
            f"product at UCI-best ({best_product['best F1 on A']['threshold']})",
            run_product(
                ai_dense, replace(product, threshold=best_product["best F1 on A"]["threshold"])
            ),
        ),
        (f"tfidf at UCI-best ({best_tfidf})", run_tfidf(ai_tfidf, best_tfidf)),
    ]
    if "keywords only" in result.figures:
        best_kw = result.figures["keywords only"]["best F1 on A"]["threshold"]
        ai_runs[2:2] = [
            (f"keywords only default ({product.keyword_threshold})", run_product(ai_kw, product)),
            (
                f"keywords only at UCI-best ({best_kw})",
                run_product(ai_kw, replace(product, keyword_threshold=best_kw)),
            ),
        ]
    ai_rows = []
    for label, pred in ai_runs:
        stats = merge_stats(pred)
        result.figures.setdefault("ai_feeds", {})[label] = stats
        ai_rows.append([label, stats["articles"], stats["in_multi_story_pct"], stats["largest"]])
    result.table(
        "over-merging on the 34 AI feeds (title + lede, publication order, 3-day window)",
        ["method", "articles", "% in multi-article stories", "largest story"],
        ai_rows,
    )

    sim = scores([r.label for r in rows], run_product(dense_feats, product))
    e2e_rows = [
        ["StoryIndex replay", len(rows)]
        + [sim[k] for k in ("precision", "recall", "f1", "ari", "stories")]
        + [None]
    ]
    result.figures["end_to_end"] = {"params": str(product), "simulated_all": sim}
    if ctx.full:  # every headline through the real Ingester: ~30 s, --full only
        e2e = end_to_end(ctx, rows, product)
        result.figures["end_to_end"].update(e2e)
        e2e_rows.insert(
            0,
            ["Ingester (SQLite)", e2e["articles"]]
            + [e2e[k] for k in ("precision", "recall", "f1", "ari", "stories", "seconds")],
        )
    result.table(
        "end to end: all 6,366 headlines through the ingest pipeline with the product defaults",
        ["run", "articles", "P", "R", "F1", "ARI", "stories (true 87)", "seconds"],
        e2e_rows,
    )
    # The fair comparison: each method at the threshold where it over-merges the AI feeds no
    # more than the product default does, then its figures on the held-out UCI half.
    budget = result.figures["ai_feeds"][f"product default ({product.threshold})"]
    budget_pct = budget["in_multi_story_pct"]
    on_ai: dict[str, Callable[[float], list[int]]] = {
        "tfidf (title)": lambda t: run_tfidf(ai_tfidf, t),
        "keywords only": lambda t: run_product(ai_kw, replace(product, keyword_threshold=t)),
        "dense only": lambda t: run_product(
            ai_dense, replace(product, threshold=t, keyword_weight=0.0)
        ),
        f"product (keyword weight {product.keyword_weight})": lambda t: run_product(
            ai_dense, replace(product, threshold=t)
        ),
    }
    matched = []
    for name, fn in on_ai.items():
        if name not in by_half["A"]:  # an ablation --quick skips
            continue
        threshold = next(
            (t for t in MATCH_GRID if merge_stats(fn(t))["in_multi_story_pct"] <= budget_pct),
            MATCH_GRID[-1],
        )
        held = scores(labels["B"], by_half["B"][name](threshold))
        result.figures[name]["matched budget"] = {"threshold": threshold, "B": held}
        matched.append(
            [name, threshold] + [held[k] for k in ("precision", "recall", "f1", "ari", "stories")]
        )
    result.table(
        f"same over-merge budget: lowest threshold putting <= {budget_pct}% of the AI-feed "
        "articles in multi-article stories; UCI half B",
        ["method", "threshold", "P", "R", "F1", "ARI", "stories"],
        matched,
    )
    f1 = {row[0]: row[4] for row in matched}
    product_name = f"product (keyword weight {product.keyword_weight})"
    result.check(
        "matched budget: product F1 >= tfidf F1", f1[product_name], f1["tfidf (title)"], ">="
    )
    product_b = best_product["product default"]["B"]
    result.check("product default precision (B)", product_b["precision"], 0.9, ">=")
    result.notes.append(f"product defaults: {product}")
    return result


FEED_EPOCH = datetime(2025, 1, 1, tzinfo=UTC)


def ai_features(
    rows: list[tuple[str, str, str, datetime | None]], vectors: Any, dense: bool
) -> Any:
    from bot.entities import Gazetteer
    from bot.lexicon import Lexicon
    from bot.settings import load_settings
    from bot.stories import StoryClusterer

    settings = load_settings()
    clusterer = StoryClusterer(
        Gazetteer.load(settings.gazetteer_path),
        Lexicon.load(settings.lexicon_path),
        dense_languages=dense_languages(dense),
    )
    feats = [
        clusterer.features(t, lede, lang, vectors[i], when or FEED_EPOCH, "")
        for i, (t, lede, lang, when) in enumerate(rows)
    ]
    order = sorted(range(len(feats)), key=lambda i: feats[i].when)
    return [feats[i] for i in order]


if __name__ == "__main__":
    from bench.common import render_table

    outcome = run(Context(mode="full" if "--full" in sys.argv else "quick"))
    for tbl in outcome.tables:
        print(render_table(tbl["title"], tbl["headers"], tbl["rows"]))
    for c in outcome.checks:
        print(c.as_dict())
