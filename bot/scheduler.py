"""Daily digests on time in each channel's timezone, exactly once, and feed polling.

Jobs are derived from the database: one APScheduler job per distinct schedule
(local time, timezone, weekdays-only), so thousands of channels sharing 09:00
Europe/Madrid are one job that builds each distinct digest once and paces the
sends. A job's first run time is today's due time when today is not delivered
yet, so APScheduler's own misfire grace decides what a restarted bot still sends.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from bot import ledger
from bot.core import Core
from bot.digest import Digest, build_digest
from bot.models import Subscription
from bot.ports import DeliveryError, Sender
from bot.service import digest_reply

log = logging.getLogger(__name__)
# Messages per second. Slack limits posting per workspace token, Discord per bot (global).
DEFAULT_RATES = {"slack": 20.0, "discord": 40.0}
PER_WORKSPACE = {"slack"}


@dataclass(frozen=True, slots=True)
class ScheduleKey:
    local_time: str
    timezone: str
    weekdays_only: bool

    @property
    def job_id(self) -> str:
        return f"digest:{self.local_time}:{self.timezone}:{int(self.weekdays_only)}"


def key_of(sub: Subscription) -> ScheduleKey:
    return ScheduleKey(sub.local_time, sub.timezone, sub.weekdays_only)


def due_at(local_time: str, timezone: str, day: date) -> datetime:
    """``HH:MM`` on ``day`` in ``timezone``, as UTC. A time skipped by DST maps forward."""
    hour, minute = map(int, local_time.split(":"))
    tz = ZoneInfo(timezone)
    local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)
    # Round-trip through UTC normalizes nonexistent wall times (spring-forward gap).
    return local.astimezone(UTC)


def latest_due(key: ScheduleKey, now: datetime) -> tuple[date, datetime] | None:
    """The most recent scheduled (local date, instant) at or before ``now``."""
    local_today = now.astimezone(ZoneInfo(key.timezone)).date()
    for day in (local_today, local_today - timedelta(days=1), local_today - timedelta(days=2)):
        if key.weekdays_only and day.weekday() >= 5:
            continue
        instant = due_at(key.local_time, key.timezone, day)
        if instant <= now:
            return day, instant
    return None


class RateLimiter:
    """Paces sends per platform (token bucket) to stay inside its published limits."""

    def __init__(self, rate: float, burst: int | None = None) -> None:
        self.rate = rate
        self.capacity = float(burst or max(1, int(rate)))
        self.tokens = self.capacity
        self.updated = time.monotonic()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
                self.updated = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    return
                await asyncio.sleep((1 - self.tokens) / self.rate)


@dataclass
class FanoutReport:
    due: int = 0
    claimed: int = 0
    sent: int = 0
    empty: int = 0
    failed: int = 0
    paused: int = 0
    distinct_digests: int = 0
    errors: list[str] = field(default_factory=list)


class DigestRunner:
    """Claims, builds and delivers digests. The only reader of the clock is ``clock``."""

    def __init__(
        self,
        *,
        core: Core,
        senders: Mapping[str, Sender],
        grace: timedelta = timedelta(hours=1),
        lease: timedelta = timedelta(minutes=10),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        rates: Mapping[str, float] | None = None,
        concurrency: int = 32,
        retry_delays: tuple[float, ...] = (1.0, 4.0),
        worker: str | None = None,
        flush_every: int = 50,
    ) -> None:
        self.core = core
        self.senders = dict(senders)
        self.grace = grace
        self.lease = lease
        self.clock = clock
        self.retry_delays = retry_delays
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}"
        self._rates = {**DEFAULT_RATES, **(rates or {})}
        self._limiters: dict[str, RateLimiter] = {}
        self._concurrency = concurrency
        self.flush_every = flush_every
        self._pending: list[dict[str, object]] = []
        self._writing = False
        # A digest job and the catch-up sweep can run at once in this process, under one
        # worker name, and the ledger tells claims apart by worker: claim one run at a time.
        self._claiming = asyncio.Lock()

    # -- selection ----------------------------------------------------------------------------

    def due_subscriptions(
        self, now: datetime, key: ScheduleKey | None = None
    ) -> list[tuple[Subscription, date]]:
        """Active subscriptions whose latest due time is within the grace window."""
        with Session(self.core.engine) as session:
            query = select(Subscription).where(Subscription.paused == False)  # noqa: E712
            if key is not None:
                query = query.where(
                    Subscription.local_time == key.local_time,
                    Subscription.timezone == key.timezone,
                    Subscription.weekdays_only == key.weekdays_only,
                )
            subs = list(session.execute(query).scalars())
        out = []
        for sub in subs:
            if sub.platform not in self.senders:
                continue
            found = latest_due(key_of(sub), now)
            if found and now - found[1] <= self.grace:
                out.append((sub, found[0]))
        return out

    # -- fan-out ------------------------------------------------------------------------------

    async def run_due(self, key: ScheduleKey | None = None) -> FanoutReport:
        """Deliver every digest due now (one schedule, or all: the catch-up sweep)."""
        now = self.clock()
        report = FanoutReport()
        due = self.due_subscriptions(now, key)
        report.due = len(due)
        if not due:
            return report
        async with self._claiming:
            claimed = await asyncio.to_thread(self._claim_all, due, now)
        report.claimed = len(claimed)
        digests = await asyncio.to_thread(self._build_all, claimed, now)
        report.distinct_digests = len({id(d) for d in digests.values()})
        semaphore = asyncio.Semaphore(self._concurrency)

        async def deliver(sub: Subscription, local_date: date, delivery_id: int) -> None:
            async with semaphore:
                await self._deliver(sub, local_date, delivery_id, digests[delivery_id], now, report)

        try:
            await asyncio.gather(*(deliver(s, d, i) for s, d, i in claimed))
        finally:
            await self._flush()
        return report

    def _claim_all(
        self, due: list[tuple[Subscription, date]], now: datetime
    ) -> list[tuple[Subscription, date, int]]:
        wanted = [(sub.id, day.isoformat()) for sub, day in due if sub.id is not None]
        with Session(self.core.engine) as session:
            ids = ledger.claim_many(session, wanted, now, self.worker, self.lease)
            session.commit()
        return [
            (sub, day, ids[(sub.id, day.isoformat())])
            for sub, day in due
            if sub.id is not None and (sub.id, day.isoformat()) in ids
        ]

    def _build_all(
        self, claimed: list[tuple[Subscription, date, int]], now: datetime
    ) -> dict[int, Digest]:
        """One digest per distinct (since, topics, language, minimum sources, timezone)."""
        built: dict[tuple[object, ...], Digest] = {}
        out: dict[int, Digest] = {}
        max_stories = self.core.settings.digest_max_stories
        with Session(self.core.engine) as session:
            starts = ledger.last_until_many(session, [s.id for s, _d, _i in claimed if s.id])
            for sub, _day, delivery_id in claimed:
                assert sub.id is not None
                since = starts.get(sub.id) or now - timedelta(hours=24)
                signature = (since, sub.topics, sub.lang, sub.min_sources, sub.timezone)
                if signature not in built:
                    built[signature] = build_digest(
                        session, sub, now, since=since, max_stories=max_stories
                    )
                out[delivery_id] = built[signature]
        return out

    async def _deliver(
        self,
        sub: Subscription,
        local_date: date,
        delivery_id: int,
        digest: Digest,
        now: datetime,
        report: FanoutReport,
    ) -> None:
        assert sub.id is not None
        if not digest.stories and sub.skip_empty:
            await self._record(delivery_id, "empty", now, 0, None)
            report.empty += 1
            return
        reply = digest_reply(digest)
        sender = self.senders[sub.platform]
        key = f"ainews-digest-{sub.id}-{local_date.isoformat()}"
        error: DeliveryError | None = None
        for attempt, delay in enumerate((0.0, *self.retry_delays)):
            if delay:
                await asyncio.sleep(error.retry_after if error and error.retry_after else delay)
            await self._limiter(sub).acquire()
            try:
                await sender.send(sub.workspace, sub.channel, reply, idempotency_key=key)
                error = None
                break
            except DeliveryError as exc:
                error = exc
                log.warning(
                    "digest for %s/%s failed (attempt %d): %s",
                    sub.platform,
                    sub.channel,
                    attempt + 1,
                    exc.reason,
                )
                if exc.permanent:
                    break
        if error is None:
            await self._record(delivery_id, "sent", now, len(digest.stories), None)
            report.sent += 1
            return
        report.failed += 1
        report.errors.append(f"{sub.platform}/{sub.channel}: {error.reason}")
        await self._record(delivery_id, "failed", now, 0, error.reason)
        if error.permanent:
            await asyncio.to_thread(self._pause, sub.id, error.reason)
            report.paused += 1

    def _limiter(self, sub: Subscription) -> RateLimiter:
        key = f"{sub.platform}:{sub.workspace}" if sub.platform in PER_WORKSPACE else sub.platform
        if key not in self._limiters:
            self._limiters[key] = RateLimiter(self._rates.get(sub.platform, 100.0))
        return self._limiters[key]

    async def _record(
        self, delivery_id: int, status: str, now: datetime, stories: int, error: str | None
    ) -> None:
        """Queue an outcome for the ledger; one write at a time takes what is queued.

        Outcomes that come in while a write is under way go in the next one (group commit,
        at most ``flush_every`` per transaction), so big fan-outs need few ledger writes, yet
        a digest is recorded about one write after the platform answered. A crash leaves
        "sending" only what was in flight or not yet written; those rows are resent after
        the lease with the same idempotency key (Slack has none: those few may show twice).
        """
        sent_at = self.clock() if status in ledger.DONE else None
        self._pending.append(
            {
                "id": delivery_id,
                "status": status,
                "sent_at": sent_at,
                "until": now,
                "stories": stories,
                "error": error,
            }
        )
        if self._writing:
            return  # the write under way takes this outcome next
        self._writing = True
        try:
            await self._flush()
        finally:
            self._writing = False

    async def _flush(self) -> None:
        while self._pending:
            batch = self._pending[: self.flush_every]
            del self._pending[: len(batch)]
            await asyncio.to_thread(self._write_outcomes, batch)

    def _write_outcomes(self, batch: list[dict[str, object]]) -> None:
        with Session(self.core.engine) as session:
            ledger.finish_many(session, batch)
            session.commit()

    def _pause(self, sub_id: int, reason: str) -> None:
        with Session(self.core.engine) as session:
            ledger.pause(session, sub_id, reason)
            session.commit()


class Scheduler:
    """APScheduler (asyncio) around the runner: digest jobs derived from the database."""

    def __init__(
        self,
        runner: DigestRunner,
        *,
        poll: Callable[[], object] | None = None,
        poll_interval: timedelta = timedelta(minutes=30),
        sync_interval: timedelta = timedelta(seconds=60),
    ) -> None:
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        self.runner = runner
        self.poll = poll
        self.poll_interval = poll_interval
        self.sync_interval = sync_interval
        self.aps = AsyncIOScheduler(timezone=UTC)

    def start(self) -> None:
        from apscheduler.triggers.interval import IntervalTrigger

        if self.poll is not None:
            self.aps.add_job(
                self._poll,
                IntervalTrigger(seconds=self.poll_interval.total_seconds()),
                id="poll",
                coalesce=True,
                max_instances=1,
                replace_existing=True,
                next_run_time=datetime.now(UTC),
            )
        self.aps.add_job(
            self._sweep,
            IntervalTrigger(seconds=self.sync_interval.total_seconds()),
            id="sync",
            coalesce=True,
            max_instances=1,
            replace_existing=True,
        )
        self.sync_jobs()
        self.aps.start()

    def shutdown(self) -> None:
        if self.aps.running:
            self.aps.shutdown(wait=False)

    def sync_jobs(self) -> None:
        """Make the digest jobs match the subscriptions in the database (add, change, remove)."""
        from apscheduler.triggers.cron import CronTrigger

        now = self.runner.clock()
        grace = int(self.runner.grace.total_seconds())
        with Session(self.runner.core.engine) as session:
            subs = (
                session.execute(
                    select(Subscription).where(Subscription.paused == False)  # noqa: E712
                )
                .scalars()
                .all()
            )
        wanted: dict[str, ScheduleKey] = {}
        for sub in subs:
            if sub.platform in self.runner.senders:
                wanted[key_of(sub).job_id] = key_of(sub)
        existing = {job.id for job in self.aps.get_jobs() if job.id.startswith("digest:")}
        for job_id in existing - set(wanted):
            self.aps.remove_job(job_id)
        for job_id, key in wanted.items():
            if job_id in existing:
                continue
            hour, minute = map(int, key.local_time.split(":"))
            trigger = CronTrigger(
                hour=hour,
                minute=minute,
                timezone=ZoneInfo(key.timezone),
                day_of_week="mon-fri" if key.weekdays_only else "*",
            )
            latest = latest_due(key, now)
            first_run = latest[1] if latest and now - latest[1] <= self.runner.grace else None
            self.aps.add_job(
                self._digests,
                trigger,
                args=[key],
                id=job_id,
                misfire_grace_time=grace,
                coalesce=True,
                max_instances=1,
                replace_existing=True,
                **({"next_run_time": first_run} if first_run else {}),
            )

    async def _sweep(self) -> None:
        """Every minute: pick up subscription changes (any replica) and anything still due."""
        self.sync_jobs()
        try:
            await self.runner.run_due()
        except asyncio.CancelledError:
            log.info("catch-up sweep interrupted by shutdown")

    async def _poll(self) -> None:
        if self.poll is None:
            return
        try:
            await asyncio.to_thread(self.poll)
        except asyncio.CancelledError:  # shutdown mid-poll: the next poll redoes the work
            log.info("feed poll interrupted by shutdown")

    async def _digests(self, key: ScheduleKey) -> None:
        try:
            await self.runner.run_due(key)
        except asyncio.CancelledError:  # claimed rows are resent after the lease
            log.info("digest fan-out for %s interrupted by shutdown", key.job_id)
