"""The answer model's cost to ainews, against the local fake OpenAI-compatible server
(tests/fakes/llm.py) at a fixed model latency, through the real ``openai`` client.

1. ``ask``: what ainews adds around the model call (evidence from the database, prompt,
   the checks, the fallback) at p95, for answers that pass and answers that fail each check.
   The model call itself (client, HTTP, SSE parsing and the fixed latency) is timed apart.
2. Digest fan-out: model calls for 10,000 channels (2,000 with --quick) due at one minute,
   and for a second run over the same stories (the ``llm_cache``).

Run alone: ``python -m bench.llm`` (``--full`` for 10k channels).
"""

from __future__ import annotations

import dataclasses
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update

from bench.common import PROJECT_ROOT, Context, Result, percentile, print_result, summarize_ms
from bench.fanout import _setup as fanout_setup
from bot.answers import answer
from bot.core import Core
from bot.index.embedder import HashingEmbedder
from bot.ingest.files import iter_path
from bot.llm.ask import grounded_answer
from bot.llm.client import LLM
from bot.models import Article
from bot.scheduler import DigestRunner
from bot.settings import Settings, load_settings

sys.path.insert(0, str(PROJECT_ROOT / "tests"))
from fakes.llm import FakeModel, Say, grounded  # noqa: E402

NAME = "llm"
MODEL_LATENCY = 0.1  # seconds the fake model takes for every completion
QUESTIONS = [
    ("How many downloads do Qwen models have?", "en"),
    ("¿Cuántas descargas superaron los modelos Qwen?", "es"),
    ("What share of global model downloads do Chinese developers have?", "en"),
    ("Why are Chinese firms training AI abroad?", "en"),
    ("¿Por qué entrenan las empresas chinas en el sudeste asiático?", "es"),
]
#: What the fake answers, in turn: a grounded answer, then one breaking each check.
BEHAVIOURS = {
    "grounded": grounded,
    "invented number": lambda r: Say(f"It reached 987 million downloads [{min(r.passages)}]."),
    "unknown citation": lambda r: Say("It says so [9]."),
    "no citation": lambda r: Say("It says so."),
}


class TimedLLM(LLM):
    """The configured model, recording how long each call took (client + wire + model)."""

    spent: list[float]

    def complete(self, *args: Any, **kwargs: Any) -> str:
        started = time.perf_counter()
        try:
            return super().complete(*args, **kwargs)
        finally:
            self.spent.append(time.perf_counter() - started)


def _model_settings(settings: Settings, fake: FakeModel) -> Settings:
    return settings.model_copy(
        update={"llm_url": fake.base_url, "llm_model": fake.model, "llm_timeout_seconds": 10}
    )


def ask_overhead(folder: Path, rounds: int, result: Result) -> float:
    core = Core.build(
        load_settings(database_url=f"sqlite:///{folder / 'ask.db'}"), embedder=HashingEmbedder()
    )
    core.ingester.ingest(iter_path(str(PROJECT_ROOT / "seeds")))
    extractive = [answer(core, q, lang) for q, lang in QUESTIONS]
    extractive = [a for a in extractive if a.found]
    rows, all_overhead = [], []
    with FakeModel(latency=MODEL_LATENCY) as fake:
        base = LLM.from_settings(_model_settings(core.settings, fake))
        assert base is not None
        llm = TimedLLM(base.client, base.model, base.timeout, base.url)
        for name, behaviour in BEHAVIOURS.items():
            fake.responder = behaviour
            overhead, calls, modes = [], [], Counter[str]()
            for _ in range(rounds):
                for result_extractive in extractive:
                    llm.spent = []
                    started = time.perf_counter()
                    outcome = grounded_answer(core, llm, result_extractive)
                    total = time.perf_counter() - started
                    overhead.append(total - sum(llm.spent))
                    calls.append(sum(llm.spent))
                    modes[outcome.fallback_reason or outcome.mode] += 1
            all_overhead += overhead
            ms, call_ms = summarize_ms(overhead), summarize_ms(calls)
            shown = ", ".join(f"{k} {v}" for k, v in sorted(modes.items()))
            rows.append([name, ms["n"], ms["p50"], ms["p95"], call_ms["p50"], shown])
    core.engine.dispose()
    result.table(
        f"ask with a model (fake at {MODEL_LATENCY * 1000:.0f} ms): ainews overhead around "
        "the call (evidence, prompt, checks, fallback)",
        ["model reply", "n", "overhead p50 ms", "overhead p95 ms", "model call p50 ms", "outcome"],
        rows,
    )
    return percentile([s * 1000 for s in all_overhead], 95)


def fanout_calls(folder: Path, subscriptions: int, result: Result) -> tuple[int, int, int]:
    now = datetime(2026, 6, 10, 7, 0, tzinfo=UTC)  # 09:00 in Madrid (CEST)
    core = fanout_setup(folder, subscriptions, subscriptions // 20, now)
    with core.engine.begin() as conn:  # stored through the ORM's format: see the report
        conn.execute(update(Article).values(first_seen_at=now - timedelta(hours=3)))
    rows = []
    with FakeModel(latency=0.02) as fake:
        model_core = dataclasses.replace(core, settings=_model_settings(core.settings, fake))
        runner = DigestRunner(core=model_core, senders={"slack": object()}, clock=lambda: now)  # type: ignore[dict-item]
        claimed = runner._claim_all(runner.due_subscriptions(now), now)
        for run in ("first run", "second run (cached)"):
            before, started = fake.calls, time.perf_counter()
            digests = runner._build_all(claimed, now)
            seconds = time.perf_counter() - started
            pairs = {
                (story.lead_id, built.digest.lang)
                for built in {id(d): d for d in digests.values()}.values()
                for story in built.digest.stories
            }
            calls = fake.calls - before
            distinct = len({id(d) for d in digests.values()})
            rows.append([run, len(claimed), distinct, len(pairs), calls, round(seconds, 2)])
    core.engine.dispose()
    result.table(
        f"digest fan-out with a model: {subscriptions:,} channels due at 09:00 (fake at 20 ms)",
        ["run", "channels", "distinct digests", "distinct story+language", "model calls", "s"],
        rows,
    )
    return rows[0][4], rows[1][4], rows[0][3]


def run(ctx: Context) -> Result:
    result = Result(NAME)
    with tempfile.TemporaryDirectory() as tmp:
        p95 = ask_overhead(Path(tmp), 20 if ctx.full else 8, result)
        first, second, pairs = fanout_calls(Path(tmp), 10_000 if ctx.full else 2_000, result)
    result.check("ainews overhead around the model, p95 (ms)", round(p95, 2), 30.0, "<=")
    result.check(
        "first fan-out run: model calls per distinct story+language",
        round(first / max(1, pairs), 2),
        2.0,
        "<=",
    )
    result.check("second fan-out run: model calls", second, 0, "==")
    result.notes.append(
        f"First fan-out run: {first} model calls in all (at most two per distinct story and "
        "language: a summary, and a headline when the article's language differs)."
    )
    return result


if __name__ == "__main__":
    print_result(run(Context("full" if "--full" in sys.argv else "quick")))
