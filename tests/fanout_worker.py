"""Subprocess for the crash test: deliver every due digest at a given instant, then exit."""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from fakeplatform import HttpSender  # noqa: E402

from bot.core import Core  # noqa: E402
from bot.index.embedder import HashingEmbedder  # noqa: E402
from bot.scheduler import DigestRunner  # noqa: E402
from bot.settings import load_settings  # noqa: E402


async def main(database_url: str, platform_url: str, now_iso: str) -> None:
    now = datetime.fromisoformat(now_iso)
    core = Core.build_store(load_settings(database_url=database_url), embedder=HashingEmbedder())
    runner = DigestRunner(
        core=core,
        senders={"slack": HttpSender(platform_url)},
        clock=lambda: now,
        rates={"slack": 10_000.0},
        concurrency=8,
        lease=timedelta(minutes=3),
    )
    report = await runner.run_due()
    print(f"sent={report.sent} claimed={report.claimed} due={report.due}", flush=True)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
