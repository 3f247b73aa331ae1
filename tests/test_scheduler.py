"""Daily digests: on time in each channel's timezone, exactly once, across restarts and crashes."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fakeplatform import FakeSender, PlatformServer
from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.core import Core
from bot.ingest.files import Item
from bot.ingest.types import RawArticle
from bot.models import Article, Delivery, Subscription
from bot.scheduler import DigestRunner, ScheduleKey, Scheduler, due_at, latest_due

MADRID = "Europe/Madrid"


def subscribe(
    core: Core, channel: str, *, time_: str = "09:00", tz: str = MADRID, **kw: object
) -> int:
    with Session(core.engine) as session:
        sub = Subscription(
            platform="slack",
            workspace="T1",
            channel=channel,
            local_time=time_,
            timezone=tz,
            lang="en",
            **kw,
        )
        session.add(sub)
        session.commit()
        assert sub.id is not None
        return sub.id


def add_article(
    core: Core, title: str, seen: datetime, source: str = "Example", body: str | None = None
) -> None:
    body = body or f"{title}. Nvidia and OpenAI said something new about {title.lower()} today."
    report = core.ingester.ingest(
        [
            Item(
                title,
                RawArticle(
                    title=title,
                    body=body,
                    source_name=source,
                    url=f"https://news.example/{hash(title)}",
                ),
            )
        ]
    )
    with Session(core.engine) as session:
        session.execute(
            update(Article).where(col(Article.title) == title).values(first_seen_at=seen)
        )
        session.commit()
    assert report.new


def local(day: date, hh: int, mm: int = 0, tz: str = MADRID) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=ZoneInfo(tz)).astimezone(UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def runner_for(core: Core, clock: Clock, sender: FakeSender, **kw: object) -> DigestRunner:
    return DigestRunner(
        core=core,
        senders={"slack": sender},
        clock=clock,
        rates={"slack": 1000.0},
        retry_delays=(0.01, 0.01),
        **kw,
    )  # type: ignore[arg-type]


def titles(reply) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(card.title for card in reply.cards)


DAY = date(2026, 6, 10)  # a Wednesday


async def test_one_digest_at_nine_with_exactly_the_new_stories(core: Core) -> None:
    subscribe(core, "C1")
    add_article(core, "Old story from yesterday", local(DAY, 7) - timedelta(days=1, hours=2))
    add_article(core, "Alpha launch", local(DAY, 7))
    add_article(core, "Beta results", local(DAY, 8, 30))
    clock, sender = Clock(local(DAY, 8, 59)), FakeSender()
    runner = runner_for(core, clock, sender)
    assert (await runner.run_due()).due == 0, "not yet 09:00 in Madrid"
    clock.now = local(DAY, 9)
    report = await runner.run_due()
    assert report.sent == 1
    assert titles(sender.messages["C1"][0]) == ["Alpha launch", "Beta results"]
    assert (await runner.run_due()).claimed == 0, "a second run the same day sends nothing"
    add_article(core, "Gamma after the digest", local(DAY, 11))
    clock.now = local(DAY + timedelta(days=1), 9)
    await runner.run_due()
    assert len(sender.messages["C1"]) == 2
    assert titles(sender.messages["C1"][1]) == ["Gamma after the digest"], "nothing sent before"


@pytest.mark.parametrize(
    ("tz", "day", "utc_hour"),
    [
        (MADRID, date(2026, 10, 24), 7),  # CEST, the day before the October change
        (MADRID, date(2026, 10, 26), 8),  # CET after it
        (MADRID, date(2026, 3, 28), 8),  # CET before the March change
        (MADRID, date(2026, 3, 30), 7),  # CEST after it
        ("America/Argentina/Buenos_Aires", date(2026, 6, 10), 12),
        ("Asia/Shanghai", date(2026, 6, 10), 1),
    ],
)
def test_nine_local_across_dst_and_zones(tz: str, day: date, utc_hour: int) -> None:
    instant = due_at("09:00", tz, day)
    assert (instant.hour, instant.minute) == (utc_hour, 0)
    from zoneinfo import ZoneInfo

    from apscheduler.triggers.cron import CronTrigger

    trigger = CronTrigger(hour=9, minute=0, timezone=ZoneInfo(tz))
    fire = trigger.get_next_fire_time(
        None, datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(tz))
    )
    assert fire is not None and fire.astimezone(UTC) == instant


async def test_down_through_nine_within_grace_sends_once_late(core: Core) -> None:
    subscribe(core, "C1")
    add_article(core, "Overnight news", local(DAY, 6))
    sender = FakeSender()
    runner = runner_for(core, Clock(local(DAY, 9, 20)), sender, grace=timedelta(hours=1))
    assert (await runner.run_due()).sent == 1
    assert (await runner.run_due()).sent == 0
    assert len(sender.messages["C1"]) == 1


async def test_down_past_the_grace_skips_and_next_day_covers_both(core: Core) -> None:
    sub_id = subscribe(core, "C1")
    with Session(core.engine) as session:  # a digest went out the day before
        session.add(
            Delivery(
                subscription_id=sub_id,
                local_date=(DAY - timedelta(days=1)).isoformat(),
                status="sent",
                until=local(DAY - timedelta(days=1), 9),
            )
        )
        session.commit()
    # Two different events (the default body would make them one story: same words, same day).
    add_article(core, "Day one news", local(DAY, 6), body="Nvidia ships the H20 to China again.")
    clock, sender = Clock(local(DAY, 11)), FakeSender()
    runner = runner_for(core, clock, sender, grace=timedelta(hours=1))
    assert (await runner.run_due()).due == 0, "11:00 is past the one-hour grace"
    add_article(
        core,
        "Day two news",
        local(DAY + timedelta(days=1), 7),
        body="Mistral opens an office in Madrid and hires forty engineers.",
    )
    clock.now = local(DAY + timedelta(days=1), 9)
    await runner.run_due()
    assert titles(sender.messages["C1"][0]) == ["Day one news", "Day two news"]


async def test_weekdays_only_skips_the_weekend(core: Core) -> None:
    subscribe(core, "C1", weekdays_only=True)
    saturday = date(2026, 6, 13)
    runner = runner_for(core, Clock(local(saturday, 9, 5)), FakeSender())
    assert (await runner.run_due()).due == 0
    assert latest_due(ScheduleKey("09:00", MADRID, True), local(saturday, 9, 5))[0] == date(
        2026, 6, 12
    )  # type: ignore[index]


async def test_a_deleted_channel_pauses_its_subscription_and_others_go_on(core: Core) -> None:
    gone = subscribe(core, "GONE")
    for n in range(3):
        subscribe(core, f"C{n}")
    add_article(core, "News", local(DAY, 8))
    sender = FakeSender(dead={"GONE"})
    report = await runner_for(core, Clock(local(DAY, 9)), sender).run_due()
    assert (report.sent, report.failed, report.paused) == (3, 1, 1)
    assert sender.attempts == 4, "a permanent error is not retried"
    with Session(core.engine) as session:
        sub = session.get(Subscription, gone)
        assert sub is not None and sub.paused and sub.paused_reason == "channel_not_found"
    assert (
        await runner_for(core, Clock(local(DAY + timedelta(days=1), 9)), sender).run_due()
    ).due == 3


async def test_channels_sharing_a_minute_share_one_digest_build(core: Core) -> None:
    for n in range(50):
        subscribe(core, f"C{n}")
    subscribe(core, "TOPIC", topics="gamma")
    add_article(core, "Alpha", local(DAY, 8))
    report = await runner_for(core, Clock(local(DAY, 9)), FakeSender()).run_due()
    assert report.sent == 51 and report.distinct_digests == 2


async def test_restart_through_apscheduler_misfire_grace(core: Core) -> None:
    """Jobs derived from the database: a job due 20 min ago runs once; one due 2 h ago does not."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    late = (now - timedelta(minutes=20)).strftime("%H:%M")
    missed = (now - timedelta(hours=2)).strftime("%H:%M")
    subscribe(core, "LATE", time_=late, tz="UTC")
    subscribe(core, "MISSED", time_=missed, tz="UTC")
    add_article(core, "Fresh", now - timedelta(hours=3))
    sender = FakeSender()
    runner = DigestRunner(core=core, senders={"slack": sender}, grace=timedelta(hours=1))
    scheduler = Scheduler(runner, sync_interval=timedelta(hours=1))
    scheduler.start()
    try:
        for _ in range(100):
            if sender.messages:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
        assert set(sender.messages) == {"LATE"} and len(sender.messages["LATE"]) == 1
        jobs = {job.id: job for job in scheduler.aps.get_jobs()}
        assert jobs[f"digest:{missed}:UTC:0"].next_run_time > now, "skipped to tomorrow"
        scheduler.sync_jobs()  # re-deriving jobs changes nothing and sends nothing
        await asyncio.sleep(0.2)
        assert len(sender.messages["LATE"]) == 1
    finally:
        scheduler.shutdown()


@pytest.mark.slow
def test_sigkill_mid_fanout_then_restart_gives_every_channel_exactly_one(
    core: Core, tmp_path: Path
) -> None:
    channels = 1000
    with Session(core.engine) as session:
        for n in range(channels):
            session.add(
                Subscription(
                    platform="slack",
                    workspace="T1",
                    channel=f"C{n:04d}",
                    local_time="09:00",
                    timezone=MADRID,
                    lang="en",
                )
            )
        session.commit()
    add_article(core, "Big news", local(DAY, 8))
    worker = Path(__file__).with_name("fanout_worker.py")
    url = str(core.settings.resolved_database_url)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with PlatformServer(delay=0.01) as platform:
        first = subprocess.Popen(
            [sys.executable, str(worker), url, platform.url, local(DAY, 9).isoformat()],
            env=env,
            stdout=subprocess.PIPE,
        )
        deadline = time.monotonic() + 120
        while len(platform.posts) < 300 and time.monotonic() < deadline:
            time.sleep(0.02)
        first.send_signal(signal.SIGKILL)
        first.wait()
        killed_at = len(platform.channels())
        assert 0 < killed_at < channels, "killed in the middle of the fan-out"
        # Restarted after the claim lease (3 min) and inside the grace window.
        second = subprocess.run(
            [sys.executable, str(worker), url, platform.url, local(DAY, 9, 4).isoformat()],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert second.returncode == 0, second.stderr
        counts = platform.channels()
    assert len(counts) == channels and set(counts.values()) == {1}
    with Session(core.engine) as session:
        statuses = session.execute(select(Delivery.status)).scalars().all()
    assert len(statuses) == channels and set(statuses) == {"sent"}
