"""``python -m bench [--quick|--full] [--only NAME ...] [--json PATH] [--prepare]``.

Runs the benchmarks in ``BENCHMARKS`` order, prints each one's tables and the
targets (PASS/FAIL), and writes everything to JSON. A benchmark is a module in
this package with ``NAME`` and ``run(ctx: Context) -> Result``; add new ones
(story clustering, digest fan-out, cold start, ...) to ``BENCHMARKS``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from bench.common import (
    RESULTS_DIR,
    Context,
    Result,
    loadavg,
    log,
    machine_info,
    render_table,
)

BENCHMARKS = (
    "quality",
    "latency",
    "ingest",
    "ingest_scale",
    "rss",
    "coldstart",
    "ask",
    "fanout",
    "clustering",
    "langid",
    "answers",
    "llm",
    "votes",
)


# Left out of a plain --quick run, to keep it under 3 minutes: why each may go.
FULL_ONLY = {
    "rss": "coldstart already reports the peak RSS of ainews run at 10k",
}


def prepare(ctx: Context) -> None:
    """Fill the vector cache and build the cached databases for this mode, measuring nothing."""
    from bench import corpus
    from bench.vcache import CachingEmbedder

    real = ctx.embedder()
    cached = CachingEmbedder(real, corpus.vector_cache(real.name))
    from bench.quality import quality_db

    corpus.warm_vectors(cached, corpus.time_ir_items("none"), "time_ir")
    corpus.warm_vectors(cached, corpus.seed_items() + corpus.es_news_items(), "crosslang")
    quality_db(ctx, "time_ir-none")
    quality_db(ctx, "crosslang")
    from bench import clustering

    clustering.warm(ctx)
    from bench import answers

    answers.answers_db(ctx)
    base = corpus.scale_base()
    corpus.warm_vectors(cached, base[:11_000], "scale corpus (10k prefix)", chunk=1000)
    for size in (1_000, 10_000):
        corpus.build_scale_db(size, real)
    if ctx.full:
        corpus.warm_vectors(cached, base, "scale corpus (all)", chunk=1000)
        corpus.warm_vectors(cached, corpus.time_ir_items("derived"), "time_ir (derived titles)")
        quality_db(ctx, "time_ir-derived")
        corpus.build_scale_db(100_000, real)
    log(f"prepared: {cached.misses} passages encoded, {cached.hits} already cached")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", dest="mode", action="store_const", const="quick")
    size.add_argument("--full", dest="mode", action="store_const", const="full")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=BENCHMARKS,
        metavar="NAME",
        help=f"run only these ({', '.join(BENCHMARKS)})",
    )
    parser.add_argument("--json", type=Path, default=RESULTS_DIR / "latest.json")
    parser.add_argument(
        "--prepare",
        action="store_true",
        help="only fill the vector cache and build the cached databases",
    )
    parser.add_argument(
        "--rebuild",
        action="store_true",
        help="rebuild the cached databases this run uses (the vector cache is kept)",
    )
    parser.add_argument(
        "--no-shipped-vectors",
        action="store_true",
        help="encode every passage the vector cache lacks instead of reading bench/data's",
    )
    parser.add_argument(
        "--export-vectors",
        action="store_true",
        help="after the run, write the passage vectors it used to bench/data (to ship them)",
    )
    args = parser.parse_args(argv)
    ctx = Context(mode=args.mode or "quick", serving=not args.prepare)
    from bench import corpus

    corpus.REBUILD = args.rebuild
    corpus.SKIP_SHIPPED = args.no_shipped_vectors
    if args.prepare:
        prepare(ctx)
    else:
        status = run(ctx, args)
    if args.export_vectors:
        from bench.vcache import VectorCache

        name = ctx.embedder().name
        path = corpus.shipped_vectors(name)
        count = VectorCache(name).export(path, VectorCache.used)
        log(f"exported {count:,} vectors to {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0 if args.prepare else status


def run(ctx: Context, args: argparse.Namespace) -> int:
    """Run the chosen benchmarks, print their tables and targets, and write the JSON."""
    started = time.perf_counter()
    machine = machine_info()
    results: dict[str, Result] = {}
    failed: list[str] = []
    for name in args.only or BENCHMARKS:
        if name in FULL_ONLY and not ctx.full and not args.only:
            log(f"skipping {name} in --quick ({FULL_ONLY[name]}); --only {name} runs it")
            continue
        module = importlib.import_module(f"bench.{name}")
        log(f"running {name} ({ctx.mode})")
        t0 = time.perf_counter()
        load_before = loadavg()
        try:
            result: Result = module.run(ctx)
        except Exception:  # one broken benchmark must not hide the others' figures
            traceback.print_exc()
            failed.append(name)
            continue
        result.seconds = time.perf_counter() - t0
        result.load = {"before": load_before, "after": loadavg()}
        results[name] = result
        print(
            f"\n=== {name} ({result.seconds:.0f}s; load average before {load_before}, "
            f"after {result.load['after']}) ==="
        )
        for table in result.tables:
            print()
            print(render_table(table["title"], table["headers"], table["rows"]))
        for note in result.notes:
            print(f"  note: {note}")

    rows = [
        [name, c.name, c.value, f"{c.op} {c.target}", c.passed]
        for name, result in results.items()
        for c in result.checks
    ]
    if rows:
        print()
        print(
            render_table("=== targets ===", ["bench", "figure", "value", "target", "result"], rows)
        )
    total = time.perf_counter() - started
    print(
        f"\ntotal {total:.0f}s ({ctx.mode}){'; errors in: ' + ', '.join(failed) if failed else ''}"
    )
    machine["torch_threads"] = machine_info().get("torch_threads")
    payload = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": ctx.mode,
        "argv": sys.argv[1:],
        "seconds": round(total, 1),
        "machine": machine,
        "errors": failed,
        "results": {name: r.as_dict() for name, r in results.items()},
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(payload, indent=1, default=str))
    log(f"wrote {args.json}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
