"""Daily digests on time in each channel's timezone, exactly once, and feed polling.

Jobs are derived from the database: one APScheduler job per distinct schedule
(local time, timezone, weekdays-only), so thousands of channels sharing 09:00
Europe/Madrid are one job that builds each distinct digest once and paces the
sends. A job's first run time is today's due time when today is not delivered
yet, so APScheduler's own misfire grace decides what a restarted bot still sends.
Story updates (``bot.updates``) go out on an interval job through the same claim, send
and record machinery (``LedgerRunner``), on their own ledger.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from bot import ledger, preferences, updates
from bot.core import Core
from bot.digest import Digest, build_digest, digest_reply
from bot.figures import spanish_names
from bot.llm.client import LLM
from bot.llm.summaries import Summarizer
from bot.metrics import Metrics
from bot.models import Subscription
from bot.ports import DeliveryError, Sender
from bot.reply import Reply

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
    # Taken over mid-send from a previous holder: found already posted, resent under the
    # platform's deduplication, or resent blind (a possible double).
    confirmed: int = 0
    deduplicated: int = 0
    possible_doubles: int = 0
    released: int = 0  # given back unsent at shutdown
    # Live claims of another worker left alone, and when the first of their leases ends.
    busy: int = 0
    retry_at: datetime | None = None
    errors: list[str] = field(default_factory=list)


Item = TypeVar("Item")
Built = TypeVar("Built")


@dataclass(slots=True)
class _Claim:
    """A claimed ledger row and what its send needs: ``key``, the send's idempotency key;
    ``thread``, where it goes (an update: its digest's thread); ``item``, what it is about."""

    sub: Subscription
    id: int
    key: str
    in_flight_since: datetime | None = None
    thread: str | None = None
    item: Any = None


class LedgerRunner(Generic[Item, Built]):
    """Claims, builds and delivers what a ``ledger.Book`` keeps once: digests, story updates.
    The only reader of the clock is ``clock``.

    Sends go out through one lane per rate limit (a Slack workspace, Discord's bot), each
    with its own workers and pacing, so no platform or workspace waits behind another.
    Claims are leased for ``lease`` and renewed every third of it while held; ``stop()``
    stops claiming, lets sends finish for a bounded time and releases the rest. A subclass
    says what is due (``_select``), its ledger key (``_pair``, ``_values``, ``_claim``), what
    is built once for many claims (``_build_all``) and how each is delivered (``_deliver``).
    """

    book = ledger.DIGESTS
    what = "digest"  # in logs
    metric = "digests"  # the ``Metrics`` counter of outcomes

    def __init__(
        self,
        *,
        core: Core,
        senders: Mapping[str, Sender],
        grace: timedelta = timedelta(hours=1),
        lease: timedelta = timedelta(seconds=15),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        rates: Mapping[str, float] | None = None,
        concurrency: int = 8,
        max_parallel: int = 64,
        retry_delays: tuple[float, ...] = (1.0, 4.0),
        worker: str | None = None,
        flush_every: int = 50,
        exclusive: bool = False,
        metrics: Metrics | None = None,
    ) -> None:
        self.core = core
        self.senders = dict(senders)
        self.grace = grace
        self.lease = lease
        self.clock = clock
        self.retry_delays = retry_delays
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}"
        self.exclusive = exclusive
        self.metrics = metrics
        self._rates = {**DEFAULT_RATES, **(rates or {})}
        self._limiters: dict[str, RateLimiter] = {}
        self._concurrency = max(1, concurrency)
        self._parallel = asyncio.Semaphore(max(1, max_parallel))
        self.flush_every = flush_every
        self._pending: list[dict[str, object]] = []
        self._writing = False
        self._starts: list[tuple[int, asyncio.Future[None]]] = []
        self._starting = False
        # Claims this runner holds (renewed by the heartbeat) until their outcome is written.
        self._held: set[int] = set()
        self._runs: set[asyncio.Task[object]] = set()
        self._heartbeat: asyncio.Task[None] | None = None
        self.stopping = False
        # A digest job and the catch-up sweep can run at once in this process, under one
        # worker name, and the ledger tells claims apart by worker: claim one run at a time.
        self._claiming = asyncio.Lock()

    # -- what a runner delivers ------------------------------------------------------------------

    def _select(self, now: datetime, key: ScheduleKey | None) -> list[Item]:
        raise NotImplementedError

    def _pair(self, item: Item) -> tuple[int, str]:
        """The item's ledger key: (subscription id, second key)."""
        raise NotImplementedError

    def _values(self, item: Item) -> dict[str, object]:
        """More columns of the item's ledger row."""
        return {}

    def _claim(self, item: Item, row: ledger.Claimed) -> _Claim:
        raise NotImplementedError

    def _build_all(self, claimed: list[_Claim], now: datetime) -> dict[int, Built]:
        raise NotImplementedError

    async def _deliver(
        self, claim: _Claim, built: Built, now: datetime, report: FanoutReport
    ) -> None:
        raise NotImplementedError

    # -- fan-out ------------------------------------------------------------------------------

    async def run_due(self, key: ScheduleKey | None = None) -> FanoutReport:
        """Deliver everything due now (digests: of one schedule, or all: the catch-up sweep)."""
        report = FanoutReport()
        if self.stopping:
            return report
        task = asyncio.current_task()
        if task is not None:
            self._runs.add(task)
        claimed: list[_Claim] = []
        try:
            now = self.clock()
            due = await asyncio.to_thread(self._select, now, key)
            report.due = len(due)
            if not due:
                return report
            async with self._claiming:
                if self.stopping:
                    return report
                busy: list[datetime] = []
                claimed = await asyncio.to_thread(self._claim_all, due, now, busy)
                self._held.update(c.id for c in claimed)
            report.busy, report.retry_at = len(busy), min(busy, default=None)
            report.claimed = len(claimed)
            if not claimed:
                return report
            self._ensure_heartbeat()
            built = await asyncio.to_thread(self._build_all, claimed, now)
            report.distinct_digests = len({id(d) for d in built.values()})
            lanes: dict[str, deque[_Claim]] = {}
            for claim in claimed:
                lanes.setdefault(self._lane(claim.sub), deque()).append(claim)
            await asyncio.gather(
                *(self._run_lane(lane, built, now, report) for lane in lanes.values())
            )
        finally:
            if task is not None:
                self._runs.discard(task)
            await self._flush()
            leftover = [c.id for c in claimed if c.id in self._held and not self._is_queued(c.id)]
            if leftover and self.stopping:
                report.released += await asyncio.to_thread(self._release, leftover)
        return report

    async def _run_lane(
        self,
        lane: deque[_Claim],
        built: Mapping[int, Built],
        now: datetime,
        report: FanoutReport,
    ) -> None:
        async def worker() -> None:
            while lane and not self.stopping:
                claim = lane.popleft()
                await self._deliver(claim, built[claim.id], now, report)

        await asyncio.gather(*(worker() for _ in range(min(self._concurrency, len(lane)))))

    def _claim_all(
        self, due: list[Item], now: datetime, busy: list[datetime] | None = None
    ) -> list[_Claim]:
        pairs = [self._pair(item) for item in due]
        with Session(self.core.engine) as session:
            rows = ledger.claim_many(
                session,
                pairs,
                now,
                self.worker,
                self.lease,
                held=set(self._held),
                exclusive=self.exclusive,
                busy=busy,
                book=self.book,
                values={pair: self._values(item) for pair, item in zip(pairs, due, strict=True)},
            )
            session.commit()
        return [
            self._claim(item, rows[pair])
            for item, pair in zip(due, pairs, strict=True)
            if pair in rows
        ]

    async def _post(
        self, claim: _Claim, reply: Reply, report: FanoutReport
    ) -> tuple[str, str | None]:
        """Post ``reply`` under ``claim``, retrying what may pass; a failure is recorded here.

        Returns the outcome, "sent", "confirmed" (a takeover found it posted already),
        "failed" or "released" (stopping before it began), and where replies to it go.
        """
        sub = claim.sub
        sender = self.senders[sub.platform]
        if claim.in_flight_since is not None:
            posted, thread = await self._already_posted(claim, claim.in_flight_since, report)
            if posted:
                return "confirmed", thread
        error: DeliveryError | None = None
        started = False
        thread = None
        began = self.clock()  # when the last try began
        for attempt, delay in enumerate((0.0, *self.retry_delays)):
            if delay:
                await asyncio.sleep(error.retry_after if error and error.retry_after else delay)
            if error is not None and error.maybe_delivered:  # the last try may have posted it
                posted, thread = await self._already_posted(claim, began, report)
                if posted:
                    return "confirmed", thread
            await self._limiter(sub).acquire()
            if self.stopping and not started:
                return "released", None  # not begun: released for the next holder
            if not started:
                await self._mark_started(claim.id)
                started = True
            try:
                began = self.clock()
                async with self._parallel:
                    thread = await sender.send(
                        sub.workspace,
                        sub.channel,
                        reply,
                        idempotency_key=claim.key,
                        **({"thread": claim.thread} if claim.thread else {}),
                    )
                error = None
                break
            except DeliveryError as exc:
                error = exc
                log.warning(
                    "%s for %s/%s failed (attempt %d): %s",
                    self.what,
                    sub.platform,
                    sub.channel,
                    attempt + 1,
                    exc.reason,
                )
                if exc.permanent or self.stopping:
                    break
        if error is None:
            self._count("sent")
            return "sent", thread
        report.failed += 1
        report.errors.append(f"{sub.platform}/{sub.channel}: {error.reason}")
        self._count("failed")
        await self._record(
            {
                "id": claim.id,
                "status": "failed",
                "error": error.reason,
                # a failure that may have posted is checked before the next try resends it
                "started_at": began if error.maybe_delivered else None,
            }
        )
        if error.permanent and await asyncio.to_thread(self._on_permanent, claim, error.reason):
            report.paused += 1
        return "failed", None

    def _on_permanent(self, claim: _Claim, reason: str) -> bool:
        """A send failed for good: True if the subscription was paused for it."""
        return False

    async def _already_posted(
        self, claim: _Claim, since: datetime, report: FanoutReport
    ) -> tuple[bool, str | None]:
        """A send that began at ``since`` and may have reached the platform (taken over
        mid-flight, or a try that failed after the request left): is it on the platform
        already (and where do replies to it go)? False: send it.

        Discord: inside its nonce window the resend carries the same nonce, and the platform
        answers it with the first message. Slack: the channel's history is searched for the
        bot's message with the key in its metadata (an update: in the digest's thread).
        Elsewhere it is resent once and counted as a possible double.
        """
        sub = claim.sub
        sender = self.senders[sub.platform]
        window = float(getattr(sender, "dedup_window", 0.0) or 0.0)
        age = (self.clock() - since).total_seconds()
        if window and age < window - self.lease.total_seconds():
            report.deduplicated += 1
            log.info("%s was in flight: resent under the platform's nonce", claim.key)
            return False, None
        find = getattr(sender, "find_digest", None)
        if find is not None:
            try:
                where = {"thread": claim.thread} if claim.thread else {}
                found = await find(sub.workspace, sub.channel, claim.key, since, **where)
            except Exception as exc:
                log.warning("could not check whether %s was posted: %s", claim.key, exc)
                found = None
            if found is True or isinstance(found, str):
                report.confirmed += 1
                self._count("confirmed")
                log.info("%s was in flight and had been posted: not resent", claim.key)
                return True, found if isinstance(found, str) else None
            if found is False:
                log.info("%s was in flight and is not posted: sending it", claim.key)
                return False, None
        report.possible_doubles += 1
        self._count("possible_double")
        log.warning(
            "%s was in flight (its sender stopped, or the answer was lost) and %s cannot "
            "tell whether it was posted: resending it (possibly a double)",
            claim.key,
            sub.platform,
        )
        return False, None

    def _count(self, result: str) -> None:
        if self.metrics is not None:
            getattr(self.metrics, self.metric).labels(result=result).inc()

    def _lane(self, sub: Subscription) -> str:
        return f"{sub.platform}:{sub.workspace}" if sub.platform in PER_WORKSPACE else sub.platform

    def _limiter(self, sub: Subscription) -> RateLimiter:
        key = self._lane(sub)
        if key not in self._limiters:
            self._limiters[key] = RateLimiter(self._rates.get(sub.platform, 100.0))
        return self._limiters[key]

    # -- the ledger -----------------------------------------------------------------------------

    async def _mark_started(self, delivery_id: int) -> None:
        """Write "send begun" before the post; concurrent sends share one write."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._starts.append((delivery_id, future))
        if not self._starting:
            self._starting = True
            try:
                while self._starts:
                    batch, self._starts = self._starts, []
                    try:
                        await asyncio.to_thread(self._write_starts, [i for i, _f in batch])
                    except Exception as exc:
                        for _i, f in batch:
                            if not f.done():
                                f.set_exception(exc)
                        continue
                    for _i, f in batch:
                        if not f.done():
                            f.set_result(None)
            finally:
                self._starting = False
        await future

    def _write_starts(self, ids: list[int]) -> None:
        with Session(self.core.engine) as session:
            ledger.mark_started(session, ids, self.worker, self.clock(), self.book)
            session.commit()

    async def _record(self, outcome: dict[str, object]) -> None:
        """Queue an outcome (``id``, ``status``, ...) for the ledger; one write at a time takes
        what is queued.

        Outcomes that come in while a write is under way go in the next one (group commit,
        at most ``flush_every`` per transaction), so big fan-outs need few ledger writes, yet
        a send is recorded about one write after the platform answered. A crash leaves
        "sending" (with ``started_at``) only what was in flight or not yet written; the next
        holder checks those on the platform before resending them.
        """
        sent_at = self.clock() if outcome["status"] in ledger.DONE else None
        self._pending.append({**outcome, "sent_at": sent_at})
        if self._writing:
            return  # the write under way takes this outcome next
        self._writing = True
        try:
            await self._flush()
        finally:
            self._writing = False

    def _is_queued(self, delivery_id: int) -> bool:
        return any(o["id"] == delivery_id for o in self._pending)

    async def _flush(self) -> None:
        while self._pending:
            batch = self._pending[: self.flush_every]
            del self._pending[: len(batch)]
            await asyncio.to_thread(self._write_outcomes, batch)
            self._held.difference_update(int(str(o["id"])) for o in batch)

    def _write_outcomes(self, batch: list[dict[str, object]]) -> None:
        with Session(self.core.engine) as session:
            ledger.finish_many(session, batch, self.book)
            session.commit()

    def _release(self, ids: list[int]) -> int:
        try:
            with Session(self.core.engine) as session:
                count = ledger.release(session, ids, self.worker, self.book)
                session.commit()
        except Exception as exc:  # the database is gone: the lease frees them instead
            log.warning("could not release %d %s claims: %s", len(ids), self.what, exc)
            return 0
        finally:
            self._held.difference_update(ids)
        if count:
            log.info("released %d unsent %s claims for the next scheduler", count, self.what)
        return count

    # -- leases and shutdown --------------------------------------------------------------------

    def _ensure_heartbeat(self) -> None:
        if self._heartbeat is None or self._heartbeat.done():
            self._heartbeat = asyncio.create_task(self._renew_forever(), name=f"{self.what}-lease")

    async def _renew_forever(self) -> None:
        period = max(0.05, self.lease.total_seconds() / 3)
        while True:
            await asyncio.sleep(period)
            if not self._held:
                if not self._runs:
                    self._heartbeat = None
                    return
                continue
            try:
                await asyncio.to_thread(self._renew, list(self._held))
            except Exception as exc:  # the database blinked: the next beat tries again
                log.warning("could not renew %s claims: %s", self.what, exc)

    def _renew(self, ids: list[int]) -> None:
        with Session(self.core.engine) as session:
            ledger.renew(session, ids, self.worker, self.clock(), self.book)
            session.commit()

    async def stop(self, timeout: float) -> None:
        """Stop claiming; let sends under way finish for up to ``timeout`` s; release the rest."""
        self.stopping = True
        runs = {t for t in self._runs if t is not asyncio.current_task()}
        if runs:
            _done, pending = await asyncio.wait(runs, timeout=max(0.0, timeout))
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=5)
        try:
            await self._flush()
        except Exception as exc:
            log.warning("could not record %s outcomes at shutdown: %s", self.what, exc)
        if self._held:
            await asyncio.to_thread(self._release, list(self._held))
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            self._heartbeat = None


@dataclass(slots=True)
class _Built:
    """A digest built once for its channels, and the newest article of each of its stories
    then: ``[(story id, article id)]``, what an update tells what came after (``bot.updates``)."""

    digest: Digest
    carried: list[tuple[int, int]]


class DigestRunner(LedgerRunner[tuple[Subscription, date], _Built]):
    """Daily digests: claimed per (subscription, local date), one build per distinct digest."""

    def _select(self, now: datetime, key: ScheduleKey | None) -> list[tuple[Subscription, date]]:
        return self.due_subscriptions(now, key)

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

    def _pair(self, item: tuple[Subscription, date]) -> tuple[int, str]:
        return (item[0].id or 0, item[1].isoformat())

    def _claim(self, item: tuple[Subscription, date], row: ledger.Claimed) -> _Claim:
        sub, day = item
        key = f"ainews-digest-{sub.id}-{day.isoformat()}"
        return _Claim(sub, row.id, key, row.in_flight_since)

    def _build_all(self, claimed: list[_Claim], now: datetime) -> dict[int, _Built]:
        """One digest per distinct (since, topics, language, minimum sources, timezone, and
        what the channel's votes taught its ranking: channels without votes share)."""
        built: dict[tuple[object, ...], Digest] = {}
        signatures: dict[int, tuple[object, ...]] = {}
        max_stories = self.core.settings.digest_max_stories
        names = spanish_names(self.core.settings.gazetteer_path)
        # One summarizer for the run: a story shared by several digests is asked once.
        llm = LLM.from_settings(self.core.settings)
        summarizer = Summarizer(self.core.engine, llm, self.metrics) if llm else None
        with Session(self.core.engine) as session:
            starts = ledger.last_until_many(session, [c.sub.id for c in claimed if c.sub.id])
            channels = [(c.sub.platform, c.sub.channel) for c in claimed]
            votes = preferences.load(
                session, channels, now, self.core.lexicon, self.core.settings.vote_half_life_days
            )
            for claim in claimed:
                sub = claim.sub
                assert sub.id is not None
                since = starts.get(sub.id) or now - timedelta(hours=24)
                prefs = votes[(sub.platform, sub.channel)]
                signature = (since, sub.topics, sub.lang, sub.min_sources, sub.timezone, prefs.key)
                if signature not in built:
                    built[signature] = build_digest(
                        session,
                        sub,
                        now,
                        since=since,
                        max_stories=max_stories,
                        names_es=names,
                        gazetteer=self.core.gazetteer,
                        preferences=prefs,
                    )
                    if summarizer is not None:
                        summarizer.apply(built[signature])
                signatures[claim.id] = signature
            stories = {s.story_id for d in built.values() for s in d.stories if s.story_id}
            newest = updates.carried(session, stories, now)
        packed = {
            signature: _Built(
                digest,
                [(s.story_id, newest[s.story_id]) for s in digest.stories if s.story_id in newest],
            )
            for signature, digest in built.items()
        }
        return {claim_id: packed[signature] for claim_id, signature in signatures.items()}

    async def _deliver(
        self, claim: _Claim, built: _Built, now: datetime, report: FanoutReport
    ) -> None:
        sub, digest = claim.sub, built.digest
        assert sub.id is not None
        if not digest.stories and sub.skip_empty:
            empty = {"id": claim.id, "status": "empty", "until": now, "stories": 0, "error": None}
            await self._record(empty)
            report.empty += 1
            return
        outcome, thread = await self._post(claim, digest_reply(digest), report)
        if outcome not in ("sent", "confirmed"):
            return
        await self._record(
            {
                "id": claim.id,
                "status": "sent",
                "until": now,
                "stories": len(digest.stories),
                "error": None,
                "thread": thread,
                "carried": built.carried,
            }
        )
        report.sent += 1

    def _on_permanent(self, claim: _Claim, reason: str) -> bool:
        """A channel that is gone (or shut to the bot) pauses its subscription."""
        with Session(self.core.engine) as session:
            ledger.pause(session, claim.sub.id or 0, reason)
            session.commit()
        return True


class UpdateRunner(LedgerRunner[updates.Change, Reply]):
    """Story updates (``bot.updates``) in the threads of the digests that carried the stories,
    each claimed per (subscription, change) as a digest is, so it is posted once."""

    book = ledger.UPDATES
    what = "story update"
    metric = "updates"

    def _select(self, now: datetime, key: ScheduleKey | None) -> list[updates.Change]:
        with Session(self.core.engine) as session:
            subs = session.execute(
                select(Subscription).where(
                    Subscription.paused == False,  # noqa: E712
                    Subscription.followups == True,  # noqa: E712
                )
            ).scalars()
            wanted = [sub for sub in subs if sub.platform in self.senders]
            return updates.pending(session, wanted, now)

    def _pair(self, item: updates.Change) -> tuple[int, str]:
        return (item.sub.id or 0, item.key)

    def _values(self, item: updates.Change) -> dict[str, object]:
        return {"story_id": item.story_id, "upto": item.upto, "delivery_id": item.delivery_id}

    def _claim(self, item: updates.Change, row: ledger.Claimed) -> _Claim:
        key = f"ainews-update-{item.sub.id}-{item.key}"
        return _Claim(item.sub, row.id, key, row.in_flight_since, item.thread, item)

    def _build_all(self, claimed: list[_Claim], now: datetime) -> dict[int, Reply]:
        names = spanish_names(self.core.settings.gazetteer_path)
        return {claim.id: updates.update_reply(claim.item, names) for claim in claimed}

    async def _deliver(
        self, claim: _Claim, reply: Reply, now: datetime, report: FanoutReport
    ) -> None:
        outcome, _thread = await self._post(claim, reply, report)
        if outcome in ("sent", "confirmed"):
            await self._record({"id": claim.id, "status": "sent", "error": None})
            report.sent += 1


class Scheduler:
    """APScheduler (asyncio) around the runners: digest jobs derived from the database, and
    an interval job each for feed polling and story updates."""

    def __init__(
        self,
        runner: DigestRunner,
        *,
        poll: Callable[[], object] | None = None,
        poll_interval: timedelta = timedelta(minutes=30),
        sync_interval: timedelta = timedelta(seconds=60),
        updates: UpdateRunner | None = None,
        update_interval: timedelta = timedelta(minutes=30),
    ) -> None:
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        self.runner = runner
        self.updates = updates
        self.update_interval = update_interval
        self.poll = poll
        self.poll_interval = poll_interval
        self.sync_interval = sync_interval
        self.aps = AsyncIOScheduler(timezone=UTC)

    def start(self) -> None:
        if self.poll is not None:
            self._every(self._poll, self.poll_interval, "poll", next_run_time=datetime.now(UTC))
        if self.updates is not None:
            self._every(self._updates, self.update_interval, "updates")
        self._every(self._sweep, self.sync_interval, "sync")
        self.sync_jobs()
        self.aps.start()

    def _every(
        self, job: Callable[[], object], interval: timedelta, job_id: str, **options: object
    ) -> None:
        """``job`` every ``interval``, one run at a time (a late run is not doubled)."""
        from apscheduler.triggers.interval import IntervalTrigger

        self.aps.add_job(
            job,
            IntervalTrigger(seconds=interval.total_seconds()),
            id=job_id,
            coalesce=True,
            max_instances=1,
            replace_existing=True,
            **options,
        )

    def shutdown(self) -> None:
        if self.aps.running:
            self.aps.shutdown(wait=False)

    async def stop(self, timeout: float) -> None:
        """Graceful: no new claims, sends under way finish (up to ``timeout`` s), the rest
        is released for the next leader; then the jobs stop."""
        try:
            stops = [self.runner.stop(timeout)]
            if self.updates is not None:
                stops.append(self.updates.stop(timeout))
            await asyncio.gather(*stops)
        finally:
            self.shutdown()

    def _retry_later(self, report: FanoutReport) -> None:
        """Claims of another worker were live: look again when the first lease ends."""
        from apscheduler.triggers.date import DateTrigger

        if report.retry_at is None or self.runner.stopping or not self.aps.running:
            return
        at = max(report.retry_at, datetime.now(UTC)) + timedelta(seconds=1)
        existing = self.aps.get_job("retry")
        if existing is not None and existing.next_run_time and existing.next_run_time <= at:
            return
        self.aps.add_job(self._retry, DateTrigger(run_date=at), id="retry", replace_existing=True)

    async def _retry(self) -> None:
        try:
            self._retry_later(await self.runner.run_due())
        except asyncio.CancelledError:
            log.info("digest retry interrupted by shutdown")

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
            self._retry_later(await self.runner.run_due())
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
            self._retry_later(await self.runner.run_due(key))
        except asyncio.CancelledError:  # claimed rows are released, or resent after the lease
            log.info("digest fan-out for %s interrupted by shutdown", key.job_id)

    async def _updates(self) -> None:
        """Every ``update_interval``: the story updates due, in their digests' threads."""
        if self.updates is None:
            return
        try:
            await self.updates.run_due()
        except asyncio.CancelledError:  # claimed rows are released, or resent after the lease
            log.info("story updates interrupted by shutdown")
