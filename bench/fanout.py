"""Digest fan-out: 10,000 subscriptions due at the same minute, delivered to a fake platform.

Measures claiming the ledger rows, building the distinct digests, and pacing
delivery (Slack: 20 messages/s per workspace), plus peak memory. The platform
answers after a simulated network round trip.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import Context, Result, peak_rss_mb
from bot.core import Core
from bot.index.embedder import HashingEmbedder
from bot.ingest.files import Item
from bot.ingest.types import RawArticle
from bot.models import Subscription
from bot.ports import DeliveryError
from bot.reply import Reply
from bot.scheduler import DigestRunner
from bot.settings import load_settings

NAME = "fanout"
TOPICS = ["", "", "", "", "nvidia", "openai", "qwen", "deepseek", "anthropic", "google"]


class PlatformStub:
    """Accepts every message after ``rtt`` seconds; counts them."""

    platform = "slack"

    def __init__(self, rtt: float) -> None:
        self.rtt = rtt
        self.count = 0

    async def send(
        self, workspace: str, channel: str, reply: Reply, *, idempotency_key: str | None = None
    ) -> None:
        await asyncio.sleep(self.rtt)
        if not reply.text:
            raise DeliveryError("empty", permanent=True)
        self.count += 1


def _setup(folder: Path, subscriptions: int, workspaces: int, now: datetime) -> Core:
    core = Core.build_store(
        load_settings(database_url=f"sqlite:///{folder / 'fanout.db'}"), embedder=HashingEmbedder()
    )
    names = ["Nvidia", "OpenAI", "Qwen", "DeepSeek", "Anthropic", "Google", "Mistral", "Meta"]
    items = [
        Item(
            f"a{n}",
            RawArticle(
                title=f"{names[n % len(names)]} announces update number {n}",
                body=f"{names[n % len(names)]} said on day {n} that its new system improves "
                f"results by {n % 40} percent for customers in {n % 17} countries.",
                url=f"https://news.example/{n}",
                source_name=f"Outlet {n % 12}",
            ),
        )
        for n in range(300)
    ]
    core.ingester.ingest(items)
    with core.engine.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE article SET first_seen_at = ?", ((now - timedelta(hours=3)).isoformat(),)
        )
        conn.execute(
            Subscription.__table__.insert(),  # type: ignore[attr-defined]
            [
                {
                    "platform": "slack",
                    "workspace": f"T{n % workspaces:04d}",
                    "channel": f"C{n:05d}",
                    "local_time": "09:00",
                    "timezone": "Europe/Madrid",
                    "lang": "es" if n % 3 == 0 else "en",
                    "topics": TOPICS[n % len(TOPICS)],
                    "weekdays_only": False,
                    "min_sources": 1,
                    "skip_empty": False,
                    "paused": False,
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(subscriptions)
            ],
        )
    return core


def run(ctx: Context) -> Result:
    result = Result(NAME)
    subscriptions = 10_000 if ctx.full else 2_000  # --quick: a fifth, under 3 minutes in all
    workspaces = subscriptions // 20  # 20 channels per workspace
    now = datetime(2026, 6, 10, 7, 0, tzinfo=UTC)  # 09:00 in Madrid (CEST)
    with tempfile.TemporaryDirectory() as tmp:
        core = _setup(Path(tmp), subscriptions, workspaces, now)
        stub = PlatformStub(rtt=0.02)
        runner = DigestRunner(
            core=core, senders={"slack": stub}, clock=lambda: now, concurrency=256
        )
        t0 = time.perf_counter()
        due = runner.due_subscriptions(now)
        t1 = time.perf_counter()
        claimed = runner._claim_all(due, now)
        t2 = time.perf_counter()
        digests = runner._build_all(claimed, now)
        t3 = time.perf_counter()
        distinct = len({id(d) for d in digests.values()})

        async def deliver() -> None:
            semaphore = asyncio.Semaphore(256)
            from bot.scheduler import FanoutReport

            report = FanoutReport()

            async def one(claim: Any) -> None:
                async with semaphore:
                    await runner._deliver(claim, digests[claim.id], now, report)

            await asyncio.gather(*(one(c) for c in claimed))

        asyncio.run(deliver())
        t4 = time.perf_counter()
        again = asyncio.run(runner.run_due())
    rows = [
        ["select due subscriptions", round(t1 - t0, 2), len(due)],
        ["claim ledger rows", round(t2 - t1, 2), len(claimed)],
        ["build digests", round(t3 - t2, 2), distinct],
        ["deliver (20 msg/s per workspace, 20 ms RTT)", round(t4 - t3, 2), stub.count],
        ["total", round(t4 - t0, 2), ""],
    ]
    result.table(
        f"fan-out: {subscriptions:,} subscriptions at 09:00 Europe/Madrid, {workspaces} workspaces",
        ["step", "seconds", "count"],
        rows,
    )
    rate = stub.count / (t4 - t3) if t4 > t3 else 0.0
    result.table(
        "fan-out figures",
        ["figure", "value"],
        [
            ["messages delivered", stub.count],
            ["messages / s", round(rate, 1)],
            ["distinct digests built", distinct],
            ["second run same minute: claimed", again.claimed],
            ["peak RSS (MB)", round(peak_rss_mb(), 1)],
        ],
    )
    result.check("every subscription delivered once", stub.count == subscriptions, True, "==")
    result.check("second run sends nothing", again.claimed == 0, True, "==")
    result.notes.append(
        f"Delivery is bounded by the platform's pacing: {workspaces} workspaces x 20 channels "
        "at 20 msg/s per workspace is at least 1 s of pacing per workspace; workspaces run "
        "in parallel."
    )
    return result
