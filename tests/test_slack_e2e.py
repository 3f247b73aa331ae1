"""End to end, as a new user runs it: ``ainews run`` in HTTP mode against the fake Slack API.

The bot is a real subprocess with the real bundled model; it seeds itself on first run.
Requests are signed exactly as Slack signs them and sent over HTTP.
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
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import SEEDS
from fakes.slack import CHANNEL_ID, TEAM_ID, FakeSlackAPI, http_request, sign_request
from fakes.slack import slash_command_body as slash
from sqlalchemy import create_engine
from sqlmodel import Session, select

from bot.models import Subscription

pytestmark = [pytest.mark.model, pytest.mark.slow]

SECRET = "e2e-signing-secret"
TOKEN = "xoxb-e2e-token"
QWEN_TITLE = "Alibaba se dispara en bolsa"
# Slack's routes are served by the process's HTTP server ("ainews http listening on ...")
# when the composition root mounts them there, else by the adapter's own server.
LISTENING = re.compile(r"ainews (?:slack|http) listening on (http://\S+)")


@dataclass
class Running:
    process: subprocess.Popen[str]
    url: str
    output: list[str]


def _pump(stream: object, lines: queue.Queue[str], keep: list[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        keep.append(line)
        lines.put(line)


def bot_env(tmp_path: Path, fake: FakeSlackAPI, **extra: str) -> dict[str, str]:
    """The environment of an ``ainews`` process on ``tmp_path``'s data against ``fake``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "AINEWS_"))}
    env.update(
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        AINEWS_SLACK_API_URL=fake.base_url,
        AINEWS_HTTP_HOST="127.0.0.1",
        AINEWS_HTTP_PORT="0",
        AINEWS_DATA_DIR=str(tmp_path / "data"),
        AINEWS_SEEDS_DIR=str(SEEDS),
        AINEWS_CONFIG=str(tmp_path / "none.toml"),  # no developer config leaks in
        HF_HUB_OFFLINE="1",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def start_bot(tmp_path: Path, fake: FakeSlackAPI, **extra: str) -> Running:
    """``ainews run`` (Slack HTTP mode), once it says where it listens."""
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("ainews")), "run"],
        cwd=tmp_path,
        env=bot_env(tmp_path, fake, **extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    output: list[str] = []
    threading.Thread(target=_pump, args=(process.stdout, lines, output), daemon=True).start()
    deadline = time.monotonic() + 120
    url = None
    while url is None:
        try:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            process.kill()
            pytest.fail("no listening line within 120 s:\n" + "".join(output))
        found = LISTENING.search(line)
        url = found.group(1) if found else None
    return Running(process, url, output)


def kill(bot: Running) -> None:
    if bot.process.poll() is None:
        bot.process.kill()
        bot.process.wait(timeout=10)


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[Running, FakeSlackAPI]]:
    with FakeSlackAPI() as fake:
        bot = start_bot(tmp_path, fake)
        try:
            yield bot, fake
        finally:
            kill(bot)


def _post(url: str, body: str) -> tuple[int, float]:
    started = time.monotonic()
    res = http_request(url + "/slack/events", body=body, headers=sign_request(SECRET, body))
    return res.status, time.monotonic() - started


def test_ainews_run_answers_slash_commands_and_stops_on_sigterm(
    running: tuple[Running, FakeSlackAPI], tmp_path: Path
) -> None:
    bot, fake = running

    status, took = _post(bot.url, slash("search Qwen", response_url=fake.response_url("search")))
    assert (status, took < 3.0) == (200, True), took
    answer = fake.wait_for(lambda c: c.response_url_name == "search", timeout=30)
    assert QWEN_TITLE in str(answer.blocks)
    assert answer.params["response_type"] == "ephemeral"

    body = slash("subscribe 09:00 Europe/Madrid", response_url=fake.response_url("sub"))
    status, took = _post(bot.url, body)
    assert (status, took < 3.0) == (200, True), took
    confirmed = fake.wait_for(lambda c: c.response_url_name == "sub", timeout=30)
    assert "09:00 (Europe/Madrid)" in confirmed.params["text"]
    engine = create_engine(f"sqlite:///{tmp_path / 'data' / 'ainews.db'}")
    with Session(engine) as session:
        sub = session.exec(select(Subscription)).one()
    engine.dispose()
    assert (sub.platform, sub.workspace, sub.channel) == ("slack", TEAM_ID, CHANNEL_ID)
    assert (sub.local_time, sub.timezone) == ("09:00", "Europe/Madrid")

    bot.process.send_signal(signal.SIGTERM)
    assert bot.process.wait(timeout=30) == 0, "".join(bot.output)
    assert "Traceback" not in "".join(bot.output)


def test_ainews_run_threads_dms_app_home_and_votes(
    running: tuple[Running, FakeSlackAPI], tmp_path: Path
) -> None:
    """Issue 23, acceptance 1, as a new user runs it: a root mention is answered in a thread
    under it, a DM in the DM, the App Home is published, and a 👎 on the answer is counted
    once (a second click changes it), as ``ainews feedback --json`` shows."""
    import json

    from fakes.slack import app_mention_event, block_actions_body, event_callback

    bot, fake = running
    mention = app_mention_event("How many downloads do Qwen models have?")
    assert _post(bot.url, json.dumps(mention))[0] == 200
    answer = fake.wait_for("chat.postMessage", timeout=60)
    assert answer.params["thread_ts"] == mention["event"]["ts"]
    assert "700" in answer.params["text"]
    values = {
        e["action_id"]: e["value"]
        for block in answer.blocks or []
        for e in block.get("elements") or []
        if e.get("action_id", "").startswith("ainews_vote_")
    }
    assert set(values) == {"ainews_vote_up", "ainews_vote_down"}

    dm = {"type": "message", "channel": "D0ALICE0001", "user": "U0ALICE001", "ts": "600.1"}
    dm.update(text="latest 1", event_ts="600.1", channel_type="im")
    since = len(fake.calls())
    assert _post(bot.url, json.dumps(event_callback(dm)))[0] == 200
    in_dm = fake.wait_for("chat.postMessage", timeout=30, since=since)
    assert in_dm.params["channel"] == "D0ALICE0001" and "thread_ts" not in in_dm.params

    home = {"type": "app_home_opened", "user": "U0ALICE001", "tab": "home", "event_ts": "1.2"}
    assert _post(bot.url, json.dumps(event_callback(home)))[0] == 200
    published = fake.wait_for("views.publish", timeout=30)
    assert published.ok and published.params["user_id"] == "U0ALICE001"

    def votes() -> list[dict[str, object]]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "AINEWS_"))}
        env.update(AINEWS_DATA_DIR=str(tmp_path / "data"), AINEWS_CONFIG=str(tmp_path / "x"))
        out = subprocess.run(
            [str(Path(sys.executable).with_name("ainews")), "feedback", "--json"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return list(json.loads(out.stdout)["votes"])

    for action, name in (("ainews_vote_down", "down"), ("ainews_vote_up", "up")):
        click = block_actions_body(action, values[action], response_url=fake.response_url(name))
        status, took = _post(bot.url, click)
        assert (status, took < 3.0) == (200, True), took
        fake.wait_for(lambda c, n=name: c.response_url_name == n, timeout=30)
        (row,) = votes()
        expected = (1, 0) if name == "up" else (0, 1)
        assert (row["kind"], row["channel"], row["up"], row["down"]) == (
            "answer",
            CHANNEL_ID,
            *expected,
        )
