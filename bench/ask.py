"""``ask`` latency, warm, on the 10k-article index: the whole extractive answer path.

Questions are built from Reuters/HuffPost titles ("What about <3-6 title words>?"),
so most have an answer in the index; the found rate is reported beside the timings.
"""

from __future__ import annotations

import time

from bench import corpus
from bench.common import Context, Result, log, summarize_ms
from bot.answers import answer
from bot.core import Core

NAME = "ask"
N_QUESTIONS = 200


def run(ctx: Context) -> Result:
    result = Result(NAME)
    real = ctx.embedder()
    path = corpus.build_scale_db(10_000, real)
    core = Core.build(corpus.bench_settings(path), embedder=real)
    base = corpus.scale_base()[:2000]
    n = N_QUESTIONS if ctx.full else N_QUESTIONS // 2  # --quick: under 3 minutes in all
    topics = corpus.title_queries(base, n + 20, seed=7)
    questions = [f"What about {topic}?" for topic in topics]
    for question in questions[:20]:
        answer(core, question, "en")
    timings: list[float] = []
    embed: list[float] = []
    found = 0
    for question in questions[20:]:
        t0 = time.perf_counter()
        core.embedder.query(question)
        embed.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        found += answer(core, question, "en").found
        timings.append(time.perf_counter() - t0)
    stats = summarize_ms(timings)
    floor = summarize_ms(embed)
    log(f"ask p95 {stats['p95']:.1f} ms over {len(timings)} questions")
    result.table(
        f"ask latency, warm, {len(core.vectors):,} passages / 10,000 articles",
        ["path", "p50 ms", "p95 ms", "mean ms"],
        [
            [
                "ask (search + sentence scoring + citations)",
                stats["p50"],
                stats["p95"],
                stats["mean"],
            ],
            ["query embedding alone (floor)", floor["p50"], floor["p95"], floor["mean"]],
        ],
    )
    result.table("answers", ["figure", "value"], [["found", f"{found}/{len(timings)}"]])
    result.check("ask p95 ms at 10k", round(stats["p95"], 1), 150.0, "<=")
    core.engine.dispose()
    return result
