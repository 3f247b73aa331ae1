"""Ingest cost past the model, at scale: 2,000 more articles into the cached 10k database.

Vectors come from the bench's vector cache, so what is timed is everything the
ingester does besides encoding: duplicate checks, rows, full text, entities,
figures and story clustering against the stories already stored. pyinstrument
says where the time goes; this is the profile that found the story-index
rebuild per batch, the flat-alternation lexicon regex and the per-entity
SAVEPOINTs (docs/benchmarks.md, "Profiles: before / after").
"""

from __future__ import annotations

import itertools
import shutil
import time

from bench import corpus
from bench.common import Context, Result, log, profile_rows
from bench.vcache import CachingEmbedder

NAME = "ingest_scale"
BASE = 10_000
MORE = 2_000  # --quick: a quarter


def run(ctx: Context) -> Result:
    from pyinstrument import Profiler

    from bot.core import Core

    result = Result(NAME)
    real = ctx.embedder()
    more = MORE if ctx.full else MORE // 4
    db = corpus.build_scale_db(BASE, real)
    folder = corpus.scratch_dir("ingest-scale-")
    try:
        copy = folder / "scale.db"
        shutil.copy(db, copy)
        embedder = CachingEmbedder(real, corpus.vector_cache(real.name))
        core = Core.build_store(corpus.bench_settings(copy), embedder=embedder)
        stream = corpus.scale_stream(corpus.scale_base())
        items = list(itertools.islice(stream, BASE, BASE + more))
        log(f"ingesting {more:,} more articles into a copy of the {BASE:,}-article database")
        profiler = Profiler(interval=0.001)
        profiler.start()
        start = time.perf_counter()
        report = core.ingester.ingest(items)
        seconds = time.perf_counter() - start
        profiler.stop()
        core.engine.dispose()
    finally:
        corpus.drop_scratch(folder)
    new = len(report.new)
    result.table(
        f"ingest_scale: {more:,} articles into {BASE:,} (cached vectors: no encoding)",
        ["articles stored", "seconds", "articles/s", "ms per article"],
        [[new, seconds, new / seconds, 1000 * seconds / max(new, 1)]],
    )
    result.table(
        "where it goes (pyinstrument)",
        ["by", "frame", "s", "%"],
        profile_rows(profiler.last_session, 8),
    )
    result.figures = {"articles": new, "seconds": round(seconds, 2), "encoded": embedder.misses}
    return result
