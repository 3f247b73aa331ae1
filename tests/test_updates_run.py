"""Issue 24, acceptance 2 and 3, as a user runs it: ``ainews run`` against the fake Slack API.

A channel subscribes (``/ainews subscribe HH:MM UTC``) for the current minute, a time that has just
passed today, so the digest with the seeds' Qwen story goes out at once (README, "Downtime": a due
time within the grace window is caught up); waiting for a coming minute would add half a minute on
average to each run and prove nothing more. Then an article about Qwen passing one billion downloads
(it had 700 million) is ingested from the CLI (``ainews ingest FILE``) into the same database, with
the bot running or while it is stopped (a restart between the two steps). Within two minutes exactly
one reply naming the new figure is posted in the digest message's thread, and none after.

``AINEWS_FOLLOWUP_INTERVAL_MINUTES`` is a tenth of a minute here, so "none after" spans
several checks in seconds; with 1 (or the default 30) only the wait grows. Two replicas
racing for the same update are in tests/test_updates.py (both backends), on the same code.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fakes.slack import CHANNEL_ID, FakeSlackAPI
from fakes.slack import slash_command_body as slash
from test_slack_e2e import QWEN_TITLE, Running, _post, bot_env, kill, start_bot

pytestmark = [pytest.mark.model, pytest.mark.slow]

STORIES = Path(__file__).parent / "data" / "stories"
INTERVAL_MINUTES = 0.1
POST = "chat.postMessage"


def _wait(fake: FakeSlackAPI, bot: Running, what: str, check: Any, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := check()):
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} within {timeout:.0f} s:\n" + "".join(bot.output[-60:]))
        time.sleep(0.2)
    return found


def _posts(fake: FakeSlackAPI) -> list[Any]:
    return [c for c in fake.calls(POST) if c.ok and c.params.get("channel") == CHANNEL_ID]


@pytest.mark.parametrize(
    ("article", "restart"),
    [
        ("qwen_billion_en.md", False),  # acceptance 2: the English article, the bot running
        ("qwen_billion_es.md", True),  # acceptance 3: another outlet's, across a restart
    ],
)
def test_a_story_that_grows_after_the_digest_gets_one_reply_in_its_thread(
    tmp_path: Path, article: str, restart: bool
) -> None:
    extra = {
        "AINEWS_FOLLOWUP_INTERVAL_MINUTES": str(INTERVAL_MINUTES),
        "AINEWS_POLL_INTERVAL_MINUTES": "1440",  # no feeds in this test
    }
    with FakeSlackAPI() as fake:
        bot = start_bot(tmp_path, fake, **extra)
        try:
            due = datetime.now(UTC).replace(second=0, microsecond=0)
            body = slash(f"subscribe {due:%H:%M} UTC", response_url=fake.response_url("sub"))
            assert _post(bot.url, body)[0] == 200
            fake.wait_for(lambda c: c.response_url_name == "sub", timeout=30)
            (digest,) = _wait(fake, bot, "digest", lambda: _posts(fake), 30)
            assert QWEN_TITLE in str(digest.params["blocks"])
            assert "thread_ts" not in digest.params
            ts = digest.response["ts"]

            if restart:
                bot.process.send_signal(signal.SIGTERM)
                assert bot.process.wait(timeout=30) == 0, "".join(bot.output)
            ingest = subprocess.run(
                [str(Path(sys.executable).with_name("ainews")), "ingest", str(STORIES / article)],
                cwd=tmp_path,
                env=bot_env(tmp_path, fake, **extra),
                capture_output=True,
                text=True,
                timeout=180,
            )
            assert ingest.returncode == 0, ingest.stdout + ingest.stderr
            assert "1 new" in ingest.stdout, ingest.stdout
            ingested = time.monotonic()
            if restart:
                bot = start_bot(tmp_path, fake, **extra)

            def replies() -> list[Any]:
                return [c for c in _posts(fake) if c.params.get("thread_ts") == ts]

            (reply,) = _wait(fake, bot, "reply in the digest's thread", replies, 120)
            assert time.monotonic() - ingested < 120
            text = reply.params["text"]
            assert text.startswith("Update: Qwen passed 1 billion downloads (was 700 million)")
            assert "1 new source" in text
            time.sleep(INTERVAL_MINUTES * 60 * 2)  # two more checks
            assert replies() == [reply], "none after"
            assert len(_posts(fake)) == 2, "no new top-level post"
            bot.process.send_signal(signal.SIGTERM)
            assert bot.process.wait(timeout=30) == 0, "".join(bot.output)
            assert "Traceback" not in "".join(bot.output)
        finally:
            kill(bot)
