"""Cross-language story pairs: does a Spanish article join its English feed item's story?

``bench/data/story_pairs_xl.jsonl`` (described in bench/data/README.md): 44 pairs of an
AI-feed item and a Spanish article about the same event, and 88 hard negatives (the same
company's item about another event). Scoring is realistic, not pairwise in a vacuum: every
distinct item of the 34 AI feeds and the 44 Spanish articles go through one single pass in
publication order (``bench.clustering.run_product``, the product's ``StoryIndex``), so a
Spanish article competes with every story of its window. A pair counts as merged when both
ends land in the same story. Precision = merged positives / all merged pairs; recall =
merged positives / positives; per half (``dev``, ``heldout``).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from dataclasses import dataclass, replace
from datetime import datetime
from types import ModuleType
from typing import Any

from bench.common import DATA_DIR, log

PAIRS = DATA_DIR / "story_pairs_xl.jsonl"


@dataclass(frozen=True, slots=True)
class Pair:
    id: str
    split: str
    label: int
    feed_ref: str
    es_id: str


@dataclass(frozen=True, slots=True)
class Spanish:
    id: str
    title: str
    lede: str
    when: datetime
    source: str


def load() -> tuple[list[Pair], list[Spanish]]:
    """The pairs and their distinct Spanish articles (title and first passage, as ingested)."""
    from bot.text import split_passages

    pairs: list[Pair] = []
    articles: dict[str, Spanish] = {}
    with PAIRS.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            es = row["es"]
            pairs.append(Pair(row["id"], row["split"], row["label"], row["feed"]["ref"], es["id"]))
            if es["id"] not in articles:
                lede = (split_passages(es["body"], 600) or [es["title"]])[0]
                when = datetime.fromisoformat(es["date"])
                articles[es["id"]] = Spanish(es["id"], es["title"], lede, when, es["source"])
    return pairs, list(articles.values())


def score(pairs: list[Pair], story_of: dict[str, int], split: str) -> dict[str, Any]:
    """Precision, recall and F1 of the merged pairs of one half."""
    chosen = [p for p in pairs if p.split == split]
    merged = [p for p in chosen if story_of[p.feed_ref] == story_of[p.es_id]]
    from bench.clustering import prf

    tp = sum(p.label for p in merged)
    positives = sum(p.label for p in chosen)
    return {
        **prf(tp, len(merged), positives),
        "positives merged": f"{tp}/{positives}",
        "negatives merged": f"{len(merged) - tp}/{len(chosen) - positives}",
    }


# ---------------------------------------------------------------------- the runs


def stories_module(path: str | None) -> ModuleType:
    """``bot.stories``, or an earlier version of it saved to a file (the "before" figures)."""
    if path is None:
        import bot.stories

        return bot.stories
    spec = importlib.util.spec_from_file_location("stories_under_test", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def product(module: ModuleType, model: str) -> Any:
    """The clusterer ``Core.build_store`` makes for ``model`` with the default settings."""
    from bot.entities import Gazetteer
    from bot.lexicon import Lexicon
    from bot.settings import E5_MODEL, load_settings

    settings = load_settings()
    gazetteer, lexicon = (
        Gazetteer.load(settings.gazetteer_path),
        Lexicon.load(settings.lexicon_path),
    )
    if hasattr(module, "calibration"):
        return module.StoryClusterer.from_settings(settings, gazetteer, lexicon, model=model)
    # before issue 24: MiniLM's threshold from the settings; e5 clustered on keywords alone
    settings = load_settings(story_threshold=0.5)
    dense = frozenset() if model == E5_MODEL else frozenset({"en"})
    return module.StoryClusterer.from_settings(settings, gazetteer, lexicon, dense_languages=dense)


def single_pass(module: ModuleType, feats: list[Any], params: Any) -> list[int]:
    """Each article joins its best story or starts one, in the order given."""
    index = module.StoryIndex(params)
    out = []
    for feat in feats:
        slot, _ = index.best(feat)
        if slot is None:
            slot = index.add_story(module.StoryState.start(feat))
        else:
            index.join(slot, feat)
        out.append(slot)
    return out


@dataclass
class Workload:
    """Features of the three sets, made once; the runs vary only the parameters."""

    uci_labels: list[str]
    uci_half: list[str]
    uci: list[Any]
    feeds: list[Any]  # AI-feed items in time order
    mixed: list[Any]  # AI-feed items and the Spanish articles in time order
    mixed_keys: list[str]  # feed ref or Spanish id of each of ``mixed``
    pairs: list[Pair]


def workload(ctx: Any, clusterer: Any) -> Workload:
    from bench import clustering, corpus
    from bench.vcache import CachingEmbedder

    real = ctx.embedder()
    cached = CachingEmbedder(real, corpus.vector_cache(real.name))
    rows = clustering.load_rows()
    vectors = cached.passages([f"{r.title}. {r.title}" for r in rows])
    uci = [
        clusterer.features(r.title, r.title, "en", vectors[i], r.when, r.source)
        for i, r in enumerate(rows)
    ]
    pairs, spanish = load()
    items = clustering.ai_feed_items()
    texts = [f"{t}. {lede}" for _, t, lede, _, _ in items] + [
        f"{s.title}. {s.lede}" for s in spanish
    ]
    vectors = cached.passages(texts)
    log(f"vectors: {cached.hits} cached, {cached.misses} encoded")
    tagged = [
        (
            ref,
            clusterer.features(
                t, lede, lang, vectors[i], when or clustering.FEED_EPOCH, ref.split("#")[0]
            ),
        )
        for i, (ref, t, lede, lang, when) in enumerate(items)
    ]
    tagged += [
        (s.id, clusterer.features(s.title, s.lede, "es", vectors[len(items) + i], s.when, s.source))
        for i, s in enumerate(spanish)
    ]
    tagged.sort(key=lambda kf: kf[1].when)
    return Workload(
        uci_labels=[r.label for r in rows],
        uci_half=[clustering.half(r.label) for r in rows],
        uci=uci,
        feeds=[f for k, f in tagged if not k.startswith("es:")],
        mixed=[f for _, f in tagged],
        mixed_keys=[k for k, _ in tagged],
        pairs=pairs,
    )


def evaluate(module: ModuleType, work: Workload, params: Any) -> dict[str, Any]:
    """UCI (each half on its own), the pair set (each half) and the AI-feed over-merge."""
    from bench import clustering

    out: dict[str, Any] = {}
    for half in ("A", "B"):
        ids = [i for i, h in enumerate(work.uci_half) if h == half]
        pred = single_pass(module, [work.uci[i] for i in ids], params)
        out[f"UCI {half}"] = clustering.scores([work.uci_labels[i] for i in ids], pred)
    pred = single_pass(module, work.mixed, params)
    story_of = dict(zip(work.mixed_keys, pred, strict=True))
    for split in ("dev", "heldout"):
        out[f"pairs {split}"] = score(work.pairs, story_of, split)
    out["AI feeds"] = clustering.merge_stats(single_pass(module, work.feeds, params))
    return out


def main(argv: list[str]) -> None:
    from bench.common import Context, render_table

    parser = argparse.ArgumentParser(prog="python -m bench.story_pairs", description=__doc__)
    parser.add_argument("--module", help="a saved bot/stories.py to measure instead (before)")
    parser.add_argument("--sweep", action="store_true", help="tune: UCI half A and pairs dev")
    args = parser.parse_args(argv)
    ctx = Context(mode="quick")
    module = stories_module(args.module)
    clusterer = product(module, ctx.embedder().name)
    work = workload(ctx, clusterer)
    params = clusterer.params
    log(f"params: {params}")
    result = evaluate(module, work, params)
    rows = [
        [name]
        + [
            figures.get(k, "")
            for k in ("precision", "recall", "f1", "positives merged", "negatives merged")
        ]
        for name, figures in result.items()
        if name != "AI feeds"
    ]
    print(
        render_table(f"stories: {params}", ["set", "P", "R", "F1", "positives", "negatives"], rows)
    )
    ai = result["AI feeds"]
    print(
        f"AI feeds: {ai['articles']} articles, {ai['in_multi_story_pct']} % in multi-article "
        f"stories, largest {ai['largest']}"
    )
    if not args.sweep:
        return
    # Tuning looks at UCI half A, the pairs' dev half and the AI feeds only.
    sweep = []
    for threshold in (0.66, 0.68, 0.7, 0.72, 0.74, 0.76):
        for cross in (0.6, 0.62, 0.64, 0.66, 0.68):
            tried = replace(params, threshold=threshold, cross_threshold=cross)
            got = evaluate(module, work, tried)
            a, dev, ai = got["UCI A"], got["pairs dev"], got["AI feeds"]
            sweep.append(
                [
                    threshold,
                    cross,
                    a["precision"],
                    a["recall"],
                    a["f1"],
                    dev["precision"],
                    dev["recall"],
                    dev["f1"],
                    ai["in_multi_story_pct"],
                    ai["largest"],
                ]
            )
    for margin in (0.0, 0.03, 0.05):  # follow-ups past the window, at the chosen thresholds
        tried = replace(params, followup_margin=margin)
        got = evaluate(module, work, tried)
        a, dev, ai = got["UCI A"], got["pairs dev"], got["AI feeds"]
        sweep.append(
            [f"{params.threshold} (follow-up +{margin})", params.cross_threshold]
            + [a[k] for k in ("precision", "recall", "f1")]
            + [dev[k] for k in ("precision", "recall", "f1")]
            + [ai["in_multi_story_pct"], ai["largest"]]
        )
    print(
        render_table(
            "sweep (UCI half A, pairs dev, AI feeds)",
            [
                "threshold",
                "cross",
                "UCI A P",
                "UCI A R",
                "UCI A F1",
                "dev P",
                "dev R",
                "dev F1",
                "AI % multi",
                "AI largest",
            ],
            sweep,
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
