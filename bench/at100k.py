"""``python -m bench.at100k``: the 100k figures only, one run each, on the cached database.

Search latency (the quick query count), the cold start of ``ainews run`` (first build of the
local index, then a cold start on it) and a fresh process's peak RSS. ``python -m bench
--full --only latency coldstart rss`` measures the same with three runs and the what-ifs.
"""

from __future__ import annotations

import json

from bench import coldstart, corpus, latency, rss
from bench.common import Context, render_table
from bench.latency import make_queries


def main() -> None:
    ctx = Context(mode="quick", serving=True)
    result = latency.run(ctx, sizes=[100_000])
    for table in result.tables:
        print(render_table(table["title"], table["headers"], table["rows"]))
    for check in result.checks:
        print("CHECK", check.name, check.value, check.op, check.target, check.passed)
    db = corpus.build_scale_db(100_000, ctx.embedder())
    queries = make_queries()[0]
    scratch = corpus.scratch_dir("coldstart-100000-")
    try:
        print("COLDSTART first build", json.dumps(coldstart.one_run(db, scratch, queries)))
        print("COLDSTART cold start", json.dumps(coldstart.one_run(db, scratch, queries)))
    finally:
        corpus.drop_scratch(scratch)
    print("RSS", json.dumps(rss.measure(db, queries[: rss.N_SEARCHES])))


if __name__ == "__main__":
    main()
