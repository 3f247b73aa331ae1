"""Digest fault suite (#25): replicas killed or stopped mid send-out, on Postgres.

Each replica is ``bot.app.serve`` (tests/digest_worker.py: the product's adapters, leader
election, scheduler and shutdown, with the hashing embedder so it starts fast), posting to
the fake Slack Web API and the fake Discord REST + gateway (tests/fakes), both answering
each post after ``POST_DELAY``. Subscriptions are due a minute ago, so a replica's
scheduler sends them the moment it leads. ``N`` subscriptions, half on each platform (the
issue's figures, 1,000, come from ``python -m bench --only faults``).
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import fresh_postgres_database
from fakes.discord import DiscordThread
from fakes.slack import FakeSlackAPI
from sqlalchemy import create_engine, text

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

WORKER = str(Path(__file__).with_name("digest_worker.py"))
N = int(os.environ.get("AINEWS_FAULTS_N", "1000"))
POST_DELAY = 0.02
SUPERVISE = 0.5
SLACK_WORKSPACES = 5
LISTENING = re.compile(r"ainews http listening on (http://\S+)")


@dataclass
class Replica:
    process: subprocess.Popen[str]
    started: float
    output: list[str] = field(default_factory=list)
    url: str = ""

    def leads(self) -> bool:
        import json

        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=5) as response:
                return bool(json.loads(response.read())["scheduler_leader"])
        except Exception as exc:  # 503 still carries the report
            body = getattr(exc, "read", lambda: b"{}")()
            return bool(json.loads(body or b"{}").get("scheduler_leader"))


@dataclass
class Rig:
    database_url: str
    slack: FakeSlackAPI
    discord: DiscordThread
    tmp: Path
    replicas: list[Replica] = field(default_factory=list)

    def start(self) -> Replica:
        home = self.tmp / f"r{len(self.replicas)}"
        home.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "AINEWS_"))}
        env.update(
            SLACK_BOT_TOKEN="xoxb-faults",
            SLACK_SIGNING_SECRET="faults-secret",
            DISCORD_TOKEN="faults-discord-token",
            AINEWS_SLACK_API_URL=self.slack.base_url,
            AINEWS_DISCORD_API_URL=self.discord.fake.api_base,
            AINEWS_DATABASE_URL=self.database_url,
            AINEWS_HTTP_HOST="127.0.0.1",
            AINEWS_HTTP_PORT="0",
            AINEWS_DATA_DIR=str(home / "data"),
            AINEWS_SEEDS_DIR=str(home / "no-seeds"),
            AINEWS_CONFIG=str(home / "none.toml"),
            AINEWS_SUPERVISE_SECONDS=str(SUPERVISE),
            AINEWS_POLL_INTERVAL_MINUTES="1440",
            AINEWS_DIGEST_LEASE_SECONDS="6",
            AINEWS_SHUTDOWN_SECONDS="5",
            PYTHONUNBUFFERED="1",
            PYTHONPATH=os.pathsep.join(sys.path),
        )
        process = subprocess.Popen(
            [sys.executable, WORKER],
            cwd=home,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        replica = Replica(process, time.monotonic())
        self.replicas.append(replica)
        lines: queue.Queue[str] = queue.Queue()

        def pump() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                replica.output.append(line)
                lines.put(line)

        threading.Thread(target=pump, daemon=True).start()
        deadline = time.monotonic() + 60
        while not replica.url:
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("replica never listened\n" + "".join(replica.output[-60:]))
                continue
            if found := LISTENING.search(line):
                replica.url = found.group(1)
        return replica

    def logs(self) -> str:
        return "\n".join("".join(r.output[-40:]) for r in self.replicas)

    # -- what the platforms received -----------------------------------------------------

    def slack_posts(self) -> list[Any]:
        return [c for c in self.slack.calls("chat.postMessage") if c.ok]

    def discord_posts(self) -> list[dict[str, Any]]:
        messages = list(self.discord.fake.messages.values())
        return [m for m in messages if m.get("nonce")]

    def delivered(self) -> Counter[str]:
        counts: Counter[str] = Counter(str(c.params["channel"]) for c in self.slack_posts())
        counts.update(str(m["channel_id"]) for m in self.discord_posts())
        return counts

    def ledger(self) -> Counter[str]:
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as conn:
                rows = conn.execute(text("SELECT status, count(*) FROM delivery GROUP BY 1"))
                return Counter({status: n for status, n in rows})
        finally:
            engine.dispose()

    def wait(self, what: str, check: Any, timeout: float) -> float:
        start = time.monotonic()
        while not check():
            if time.monotonic() - start > timeout:
                pytest.fail(f"timed out after {timeout:.0f} s: {what}\n{self.logs()}")
            time.sleep(0.05)
        return time.monotonic()


@pytest.fixture
def rig(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Rig]:
    slack = FakeSlackAPI().start()
    slack.post_delay = POST_DELAY
    server = slack._server
    assert server is not None
    report = server.handle_error

    def handle_error(request: Any, client_address: Any) -> None:
        # Answers to a SIGKILLed replica have nobody to go to: not an error of the fake.
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            report(request, client_address)

    server.handle_error = handle_error  # type: ignore[method-assign]
    discord = DiscordThread()
    discord.fake.post_delay = POST_DELAY
    try:
        with fresh_postgres_database(request) as url:
            channels = [discord.fake.add_channel(f"news-{n}") for n in range(N // 2)]
            _subscribe(url, [c["id"] for c in channels], discord.fake.guild["id"])
            built = Rig(url, slack, discord, tmp_path)
            try:
                yield built
            finally:
                for replica in built.replicas:
                    if replica.process.poll() is None:
                        replica.process.kill()
                    replica.process.wait(timeout=20)
    finally:
        slack.stop()
        discord.stop()


def _subscribe(url: str, discord_channels: list[str], guild: str) -> None:
    """N subscriptions due a minute ago: half Slack (over a few workspaces), half Discord."""
    due = (datetime.now(UTC) - timedelta(minutes=1)).strftime("%H:%M")
    now = datetime.now(UTC)
    rows = [
        {
            "platform": "slack",
            "workspace": f"T{n % SLACK_WORKSPACES:04d}",
            "channel": f"C{n:07d}",
        }
        for n in range(N - len(discord_channels))
    ] + [{"platform": "discord", "workspace": guild, "channel": c} for c in discord_channels]
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO subscription (platform, workspace, channel, local_time, "
                    "timezone, lang, topics, weekdays_only, min_sources, skip_empty, paused, "
                    "created_by, created_at, updated_at) VALUES (:platform, :workspace, "
                    ":channel, :due, 'UTC', 'en', '', false, 1, false, false, 'faults', "
                    ":now, :now)"
                ),
                [{**r, "due": due, "now": now} for r in rows],
            )
    finally:
        engine.dispose()


def _at_fraction(rig: Rig, fraction: float) -> float:
    return rig.wait(
        f"{fraction:.0%} delivered", lambda: sum(rig.delivered().values()) >= fraction * N, 120
    )


def _all_sent(rig: Rig) -> bool:
    return rig.ledger().get("sent", 0) == N


def _check_no_loss(rig: Rig, max_doubles: int) -> int:
    time.sleep(1)  # room for a wrong extra post to show up
    counts = rig.delivered()
    assert len(counts) == N, f"{N - len(counts)} channels got nothing"
    doubles = sum(n - 1 for n in counts.values())
    assert doubles <= max_doubles, _doubles_report(rig, counts, doubles)
    return doubles


def _doubles_report(rig: Rig, counts: Counter[str], doubles: int) -> str:
    """The channels posted twice and the replicas' log lines about them and about takeovers."""
    twice = sorted(channel for channel, n in counts.items() if n > 1)
    lines = [
        line
        for r in rig.replicas
        for line in r.output
        if any(channel in line for channel in twice) or "was in flight" in line
    ]
    return f"{doubles} digests posted twice: {twice}\n" + "".join(lines[-40:])


def _first_wall_gap(rig: Rig) -> float:
    """Seconds between the first Slack post and the first Discord post."""
    first_slack = min(c.time for c in rig.slack_posts())
    slack_wall = datetime.now(UTC) - timedelta(seconds=time.monotonic() - first_slack)
    first_discord = min(datetime.fromisoformat(m["timestamp"]) for m in rig.discord_posts())
    return abs((first_discord - slack_wall).total_seconds())


def test_kill_9_of_the_only_replica_then_a_restart_delivers_everything_once(rig: Rig) -> None:
    first = rig.start()
    _at_fraction(rig, 0.4)
    gap = _first_wall_gap(rig)
    assert gap < 2.0, f"the first Discord digest left {gap:.2f} s after the first Slack one"
    first.process.send_signal(signal.SIGKILL)
    first.process.wait(10)
    killed_at = sum(rig.delivered().values())
    second = rig.start()
    done = rig.wait("every digest sent after the restart", lambda: _all_sent(rig), 90)
    took = done - second.started
    doubles = _check_no_loss(rig, max_doubles=1)
    print(
        f"kill -9 at {killed_at}/{N}; restart delivered the rest in {took:.1f} s; "
        f"doubles {doubles}; first Discord vs first Slack {gap:.2f} s; "
        f"discord nonce answers {rig.discord.fake.nonce_hits}"
    )
    assert took < 60


def test_two_replicas_the_leader_killed_the_survivor_finishes(rig: Rig) -> None:
    a, b = rig.start(), rig.start()
    rig.wait("one leader", lambda: a.leads() != b.leads(), 30)
    leader, survivor = (a, b) if a.leads() else (b, a)
    _at_fraction(rig, 0.4)
    leader.process.send_signal(signal.SIGKILL)
    killed = time.monotonic()
    leader.process.wait(10)
    done = rig.wait("the survivor to finish", lambda: _all_sent(rig), 60)
    doubles = _check_no_loss(rig, max_doubles=1)
    print(f"survivor finished {done - killed:.1f} s after the kill; doubles {doubles}")
    assert done - killed < 30
    assert survivor.process.poll() is None


def test_sigterm_exits_quickly_and_the_next_process_sends_the_rest(rig: Rig) -> None:
    first = rig.start()
    _at_fraction(rig, 0.4)
    first.process.send_signal(signal.SIGTERM)
    stopped = time.monotonic()
    code = first.process.wait(15)
    exit_took = time.monotonic() - stopped
    assert code == 0, rig.logs()
    at_exit = sum(rig.delivered().values())
    second = rig.start()
    done = rig.wait("the next process to send the rest", lambda: _all_sent(rig), 90)
    doubles = _check_no_loss(rig, max_doubles=0)
    print(
        f"SIGTERM at ~40 %: exit in {exit_took:.1f} s with {at_exit}/{N} delivered; the next "
        f"process sent the rest in {done - second.started:.1f} s; doubles {doubles}"
    )
    assert exit_took < 10
    assert done - second.started < 60


async def test_catch_up_checks_fail_no_insert_and_log_no_error(
    request: pytest.FixtureRequest, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """20 one-minute checks (an injected clock) after a send-out of N: nothing is claimed
    again, no statement fails (client side or in the Postgres server's log), no ERROR."""
    from conftest import make_settings
    from fakeplatform import FakeSender
    from sqlalchemy import event

    from bot.core import Core
    from bot.index.embedder import HashingEmbedder
    from bot.scheduler import DigestRunner

    with fresh_postgres_database(request) as url:
        _subscribe(url, [str(10**17 + n) for n in range(N // 2)], "G1")
        core = Core.build_store(
            make_settings(tmp_path, database_url=url), embedder=HashingEmbedder()
        )
        try:
            with core.engine.connect() as conn:
                data = conn.execute(text("SHOW data_directory")).scalar()
            server_log = Path(str(data)).parent / "postgres.log"
            offset = server_log.stat().st_size if server_log.is_file() else None
            failed: list[Any] = []
            event.listen(core.engine, "handle_error", failed.append)
            now = [datetime.now(UTC)]
            senders = {"slack": FakeSender("slack"), "discord": FakeSender("discord")}
            runner = DigestRunner(
                core=core,
                senders=senders,
                clock=lambda: now[0],
                rates={"slack": 1e6, "discord": 1e6},
                exclusive=True,
            )
            first = await runner.run_due()
            assert first.sent == N
            took = []
            for _ in range(20):
                now[0] += timedelta(minutes=1)
                start = time.perf_counter()
                report = await runner.run_due()
                took.append(time.perf_counter() - start)
                assert (report.due, report.claimed) == (N, 0)
            await runner.stop(1)
        finally:
            core.engine.dispose()
    assert not failed, f"{len(failed)} statements failed: {failed[:1]}"
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
    if offset is not None:
        with server_log.open("rb") as fh:
            fh.seek(offset)
            lines = [line for line in fh.read().decode(errors="replace").splitlines()]
        errors = [line for line in lines if "ERROR" in line and url.rsplit("/", 1)[-1] in line]
        errors = errors or [line for line in lines if "duplicate key" in line]
        assert not errors, errors[:3]
    print(f"20 catch-up checks of {N}: {max(took):.3f} s at most, 0 failed statements")
