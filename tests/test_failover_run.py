"""Replicas for real: two ``ainews run`` processes on one Postgres, the leader SIGKILLed.

Each replica is the real console script (Slack HTTP mode, the bundled model) on its own
port and data folder, both on one fresh Postgres database and one fake Slack Web API
(tests/fakes/slack.py). Digests run at real wall-clock minutes (the schedule is HH:MM and
the process reads the real clock), so the scenario waits for two minute boundaries; it is one
test, not two, to keep that wait out of the suite's time once.

What the product promises (README "Daily digests" and "Operations", bot/ledger.py):

* one replica at a time runs the scheduled jobs; when it dies (even SIGKILL) its advisory
  lock goes with its connection and another replica takes over within
  ``AINEWS_SUPERVISE_SECONDS``;
* one ledger row per (subscription, local date) is claimed before the send, so neither the
  other replica nor a restart sends a digest twice;
* a digest whose sender died mid-send is resent once its claim's lease expires, "with the
  same idempotency key, which platforms that deduplicate honour". Slack's
  ``chat.postMessage`` has no idempotency key (adapters/slack/app.py), so on Slack a
  message that was in flight when the process died may arrive twice; nothing that Slack had
  already answered before the death may.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import SEEDS, fresh_postgres_database, make_settings
from fakes.slack import TEAM_ID, FakeSlackAPI, http_request, sign_request
from fakes.slack import slash_command_body as slash
from sqlalchemy import create_engine
from sqlmodel import Session, select

from bot.core import Core
from bot.index.embedder import HashingEmbedder
from bot.ingest.files import iter_path
from bot.models import Delivery, Subscription
from bot.reply import Reply
from bot.scheduler import DigestRunner, ScheduleKey

pytestmark = pytest.mark.postgres

AINEWS = str(Path(sys.executable).with_name("ainews"))
SECRET = "failover-signing-secret"
TOKEN = "xoxb-failover-token"
SUPERVISE_SECONDS = 0.5
LISTENING = re.compile(r"ainews http listening on (http://\S+)")
POST = "chat.postMessage"


# -------------------------------------------------------------------------------- fixtures


@pytest.fixture
def pg_database(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh, empty database on the session's Postgres server, dropped afterwards.

    Empty, not a copy of the migrated template: the first replica migrates and seeds it,
    as on a first deploy."""
    with fresh_postgres_database(request, migrated=False) as url:
        yield url


class SlowSlack(FakeSlackAPI):
    """The fake Slack, answering ``chat.postMessage`` one at a time after ``post_delay``.

    A post is stored when its answer goes out (``Call.time``), so a request the bot sent
    just before it died is still posted, like Slack would: that is a message in flight.
    """

    def __init__(self, post_delay: float = 0.0) -> None:
        super().__init__()
        self.post_delay = post_delay
        self._serial = threading.Lock()
        self.in_flight = 0

    def start(self) -> SlowSlack:
        super().start()
        server = self._server
        assert server is not None
        report = server.handle_error

        def handle_error(request: Any, client_address: Any) -> None:
            # Answers to a SIGKILLed bot have nobody to go to: not an error of the fake.
            if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
                report(request, client_address)

        server.handle_error = handle_error  # type: ignore[method-assign]
        return self

    def _handle(self, http_method: str, raw_path: str, headers: dict[str, str], body: bytes) -> Any:
        if not (self.post_delay and raw_path.startswith(f"/api/{POST}")):
            return super()._handle(http_method, raw_path, headers, body)
        with self._cond:
            self.in_flight += 1
        try:
            with self._serial:
                time.sleep(self.post_delay)
                return super()._handle(http_method, raw_path, headers, body)
        finally:
            with self._cond:
                self.in_flight -= 1


@dataclass
class Replica:
    name: str
    process: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)
    url: str = ""

    @property
    def pid(self) -> int:
        return self.process.pid

    def health(self) -> dict[str, Any]:
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=10) as response:
                return dict(json.loads(response.read()))
        except urllib.error.HTTPError as exc:  # 503 still carries the report
            return dict(json.loads(exc.read()))

    def leads(self) -> bool:
        return bool(self.health()["scheduler_leader"])

    def log(self) -> str:
        return f"--- {self.name} (pid {self.pid}) ---\n" + "".join(self.output[-80:])


class Cluster:
    """Starts replicas of ``ainews run`` on one database and one fake Slack; kills them all."""

    def __init__(self, tmp: Path, database_url: str, slack: FakeSlackAPI) -> None:
        self.tmp = tmp
        self.database_url = database_url
        self.slack = slack
        self.replicas: list[Replica] = []

    def start(self, name: str) -> Replica:
        home = self.tmp / name
        home.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "AINEWS_"))}
        env.pop("DISCORD_TOKEN", None)
        env.update(
            SLACK_BOT_TOKEN=TOKEN,
            SLACK_SIGNING_SECRET=SECRET,
            AINEWS_SLACK_API_URL=self.slack.base_url,
            AINEWS_DATABASE_URL=self.database_url,
            AINEWS_HTTP_HOST="127.0.0.1",
            AINEWS_HTTP_PORT="0",
            AINEWS_DATA_DIR=str(home / "data"),
            AINEWS_SEEDS_DIR=str(SEEDS),
            AINEWS_CONFIG=str(home / "none.toml"),  # no developer config leaks in
            AINEWS_SUPERVISE_SECONDS=str(SUPERVISE_SECONDS),
            AINEWS_POLL_INTERVAL_MINUTES="1440",
            HF_HUB_OFFLINE="1",
            PYTHONUNBUFFERED="1",
        )
        process = subprocess.Popen(
            [AINEWS, "run"],
            cwd=home,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        replica = Replica(name, process)
        self.replicas.append(replica)
        lines: queue.Queue[str] = queue.Queue()

        def pump() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                replica.output.append(line)
                lines.put(line)

        threading.Thread(target=pump, daemon=True).start()
        deadline = time.monotonic() + 180
        while not replica.url:
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"{name} never said where it listens\n{replica.log()}")
                continue
            if found := LISTENING.search(line):
                replica.url = found.group(1)
        return replica

    def kill_all(self) -> None:
        for replica in self.replicas:
            if replica.process.poll() is None:
                replica.process.kill()
            try:
                replica.process.wait(timeout=20)
            except subprocess.TimeoutExpired:  # pragma: no cover - nothing more we can do
                pass

    def logs(self) -> str:
        return "\n".join(r.log() for r in self.replicas)


@pytest.fixture
def slack() -> Iterator[SlowSlack]:
    fake = SlowSlack().start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def cluster(tmp_path: Path, pg_database: str, slack: SlowSlack) -> Iterator[Cluster]:
    """Two replicas, the first seeding the empty database before the second starts."""
    running = Cluster(tmp_path, pg_database, slack)
    try:
        running.start("r1")
        running.start("r2")
        yield running
    finally:
        running.kill_all()


# -------------------------------------------------------------------------------- helpers


def wait_until(what: str, check: Any, timeout: float, cluster: Cluster, poll: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}\n{cluster.logs()}")
        time.sleep(poll)


def the_leader(cluster: Cluster) -> tuple[Replica, Replica]:
    """Waits until exactly one of the two replicas leads; returns (leader, follower)."""
    a, b = cluster.replicas

    def exactly_one() -> tuple[Replica, Replica] | None:
        leading = (a.leads(), b.leads())
        if leading == (True, False):
            return a, b
        if leading == (False, True):
            return b, a
        return None

    pair: tuple[Replica, Replica] = wait_until("exactly one leader", exactly_one, 60, cluster)
    time.sleep(3 * SUPERVISE_SECONDS)  # and it stays that way over a few supervision beats
    assert exactly_one() == pair, "leadership flapped"
    return pair


def subscribe(
    cluster: Cluster, replica: Replica, channels: list[str], local_time: str, zone: str = "UTC"
) -> None:
    """``/ainews subscribe HH:MM zone`` in each channel, sent to ``replica`` as Slack signs it."""
    slack = cluster.slack
    for channel in channels:
        body = slash(
            f"subscribe {local_time} {zone}",
            channel_id=channel,
            response_url=slack.response_url(f"sub-{channel}"),
        )
        res = http_request(
            replica.url + "/slack/events", body=body, headers=sign_request(SECRET, body)
        )
        assert res.status == 200, (res.status, cluster.logs())
    for channel in channels:
        name = f"sub-{channel}"
        try:
            answer = slack.wait_for(lambda c: c.response_url_name == name, 30)  # noqa: B023
        except TimeoutError:
            pytest.fail(f"no subscribe confirmation for {channel}\n{cluster.logs()}")
        assert f"{local_time} ({zone})" in answer.params["text"], answer.params


def next_minute(at_least: float) -> datetime:
    """The first whole UTC minute at least ``at_least`` seconds from now."""
    soon = datetime.now(UTC) + timedelta(seconds=at_least)
    return soon.replace(second=0, microsecond=0) + timedelta(minutes=1)


def wall(call_time: float) -> datetime:
    """A fake-Slack ``Call.time`` (monotonic) as a UTC datetime."""
    return datetime.now(UTC) - timedelta(seconds=time.monotonic() - call_time)


def posts(slack: FakeSlackAPI) -> list[Any]:
    return [c for c in slack.calls(POST) if c.ok]


def per_channel(slack: FakeSlackAPI) -> Counter[str]:
    return Counter(str(c.params["channel"]) for c in posts(slack))


def ledger(pg_database: str) -> dict[str, Delivery]:
    """The delivery ledger, by channel."""
    engine = create_engine(pg_database)
    try:
        with Session(engine) as session:
            rows = session.execute(select(Delivery, Subscription.channel).join(Subscription)).all()
            for delivery, _channel in rows:
                session.expunge(delivery)
    finally:
        engine.dispose()
    return {channel: delivery for delivery, channel in rows}


# -------------------------------------------------------------------------------- the tests


CHANNELS = [f"C0FAN{n:05d}" for n in range(50)]
NEXT = "C0FAILBBBB"
# A Slack answer older than this at the kill has been written to the ledger (outcomes are
# written as they come in); only younger ones, or unanswered requests, were "in flight".
IN_FLIGHT_WINDOW = 2.0


@pytest.mark.slow
def test_sigkill_the_leader_mid_fanout_the_survivor_runs_the_next_digest_and_finishes(
    cluster: Cluster, slack: SlowSlack, pg_database: str
) -> None:
    """One scenario, two minutes of wall clock (digests are minute-granular):

    * at ``due`` the leader fans out to 50 channels and is SIGKILLed after ~30 answers;
    * the survivor leads within ``AINEWS_SUPERVISE_SECONDS`` and takes over the dead
      leader's claims at once (their holder is gone), finishing within 30 s of the kill;
    * at ``due + 1 min`` the survivor delivers the next digest, on time, once;
    * no digest is lost, and only posts in flight at the kill may be doubled (Slack has
      no idempotency key).
    """
    leader, survivor = the_leader(cluster)
    due = next_minute(at_least=12)  # room for the 51 subscribe commands below
    due_next = due + timedelta(minutes=1)
    subscribe(cluster, leader, CHANNELS, due.strftime("%H:%M"))
    subscribe(cluster, leader, [NEXT], due_next.strftime("%H:%M"))
    assert not posts(slack), "nothing is due yet"
    # Slack answers one post at a time, 10 a second: the fan-out of 50 takes ~5 s.
    slack.post_delay = 0.1

    timeout = (due - datetime.now(UTC)).total_seconds() + 30
    wait_until(
        "the fan-out to be under way", lambda: len(posts(slack)) >= 30, timeout, cluster, 0.02
    )
    first = min(c.time for c in posts(slack))
    assert due <= wall(first) < due + timedelta(seconds=10), "the fan-out starts on time"
    killed = time.monotonic()
    os.kill(leader.pid, signal.SIGKILL)
    assert leader.process.wait(timeout=10) == -signal.SIGKILL
    answered_before = {str(c.params["channel"]) for c in posts(slack) if c.time < killed}
    assert 30 <= len(answered_before) < len(CHANNELS), "killed in the middle of the fan-out"
    wait_until("the survivor to lead", survivor.leads, 30, cluster, poll=0.05)
    took = time.monotonic() - killed
    # README: another replica takes over within AINEWS_SUPERVISE_SECONDS; allow for a busy box.
    assert took < SUPERVISE_SECONDS + 5, f"takeover took {took:.1f} s"
    at_kill = ledger(pg_database)
    assert set(at_kill) == set(CHANNELS), "the dead leader had claimed every due channel"

    # The dead leader's lock is gone, so the survivor takes over its claims at once rather
    # than after a lease (issue 25): the rest of the fan-out leaves within seconds.
    def fanout_done() -> bool:
        rows = ledger(pg_database)
        return all(rows[ch].status == "sent" for ch in CHANNELS)

    wait_until("the survivor to finish the fan-out", fanout_done, 30, cluster, poll=0.2)
    assert time.monotonic() - killed < 30, "the survivor finished within 30 s of the kill"

    # The next digest: the survivor runs it on time.
    timeout = (due_next - datetime.now(UTC)).total_seconds() + 30
    wait_until("the next digest", lambda: per_channel(slack)[NEXT], timeout, cluster)
    next_call = next(c for c in posts(slack) if c.params["channel"] == NEXT)
    assert due_next <= wall(next_call.time) < due_next + timedelta(seconds=10), "on time"

    def all_sent() -> bool:
        rows = ledger(pg_database)
        return len(rows) == len(CHANNELS) + 1 and all(r.status == "sent" for r in rows.values())

    wait_until("every digest sent", all_sent, 150, cluster, poll=0.5)
    time.sleep(2)  # room for a wrong extra post to show up
    counts = per_channel(slack)
    assert set(counts) == {*CHANNELS, NEXT}, "no digest lost"
    assert counts[NEXT] == 1, "the next digest once"
    assert max(counts.values()) <= 2
    doubled = {ch for ch, n in counts.items() if n == 2}
    first_answer: dict[str, float] = {}
    for call in posts(slack):
        first_answer.setdefault(str(call.params["channel"]), call.time)
    settled = {
        ch for ch, at in first_answer.items() if ch != NEXT and at < killed - IN_FLIGHT_WINDOW
    }
    assert settled, "some answers are older than the in-flight window"
    assert not doubled & settled, (
        f"{len(doubled & settled)} digests that Slack had answered more than "
        f"{IN_FLIGHT_WINDOW} s before the kill were posted again"
    )
    unrecorded = {ch for ch in settled if at_kill[ch].status != "sent"}
    assert not unrecorded, f"{len(unrecorded)} answered posts were not in the ledger at the kill"
    rows = ledger(pg_database)
    resent = {ch for ch, r in rows.items() if r.claimed_by.endswith(f":{survivor.pid}")}
    assert doubled <= resent, "a second post only ever comes from the takeover"
    assert NEXT in resent, "the survivor ran the next digest"
    assert rows[NEXT].attempts == 1
    assert all(r.local_date == due.date().isoformat() for ch, r in rows.items() if ch != NEXT)
    assert rows[NEXT].local_date == due_next.date().isoformat()
    assert survivor.process.poll() is None and survivor.health()["ok"] is True
    assert "Traceback" not in "".join(survivor.output), survivor.log()
    print(
        f"takeover {took:.2f} s after SIGKILL; fan-out of {len(CHANNELS)}: "
        f"{len(answered_before)} answered before the kill, {len(settled)} of them more than "
        f"{IN_FLIGHT_WINDOW} s before; {len(resent) - 1} resent by the survivor, "
        f"{len(doubled)} doubled (in flight at the kill); next digest "
        f"{wall(next_call.time) - due_next} after due"
    )


# -------------------------------------------------------------------------------- in-process


class SlackLikeSender:
    """Posts every message it is given, like ``chat.postMessage`` (no idempotency key)."""

    platform = "slack"

    def __init__(self) -> None:
        self.posted: Counter[str] = Counter()

    async def send(
        self, workspace: str, channel: str, reply: Reply, *, idempotency_key: str | None = None
    ) -> None:
        await asyncio.sleep(0)
        self.posted[channel] += 1


async def test_a_digest_job_and_the_catch_up_sweep_overlapping_in_the_leader_send_once(
    pg_database: str, tmp_path: Path
) -> None:
    """The leader's minute sweep runs ``run_due()`` while a digest job may be fanning out
    the same schedule (a long fan-out, or a job the sweep itself just added for a time that
    already passed today): both claim in the same process, under the same worker name."""
    core = Core.build(make_settings(tmp_path, database_url=pg_database), embedder=HashingEmbedder())
    try:
        core.ingester.ingest(iter_path(str(SEEDS)))
        local_time = (datetime.now(UTC) - timedelta(minutes=5)).strftime("%H:%M")
        with Session(core.engine) as session:
            for n in range(200):
                session.add(
                    Subscription(
                        platform="slack",
                        workspace=TEAM_ID,
                        channel=f"C{n:04d}",
                        local_time=local_time,
                        timezone="UTC",
                    )
                )
            session.commit()
        sender = SlackLikeSender()
        runner = DigestRunner(core=core, senders={"slack": sender}, rates={"slack": 1e6})
        job, sweep = await asyncio.gather(
            runner.run_due(ScheduleKey(local_time, "UTC", False)), runner.run_due()
        )
        assert job.claimed + sweep.claimed == 200
        assert len(sender.posted) == 200 and set(sender.posted.values()) == {1}
    finally:
        core.engine.dispose()
