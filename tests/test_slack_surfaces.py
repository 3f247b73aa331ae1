"""Slack the way its users expect (issue 23): DMs, the App Home, the assistant surface, and
👍/👎 that cannot be forged or replayed. Real bolt and slack_sdk against the fake Slack API,
over signed HTTP (the harness of tests/test_slack_adapter.py)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import make_settings
from fakes.slack import (
    CHANNEL_ID,
    TEAM_ID,
    USER_ID,
    block_actions_body,
    event_callback,
    sign_request,
)
from test_doctor import BOT_TOKEN, SIGNING_SECRET
from test_slack_adapter import SECRET, Bot, seed, start_bot, texts

from adapters.slack.scopes import BOT_SCOPES
from bot.core import Core
from bot.doctor import Doctor
from bot.feedback import Feedback

DM = "D0ALICE0001"
OTHER_USER = "U0BOB00001"


@pytest.fixture
def bot(core: Core, tmp_path: Path) -> Iterator[Bot]:
    from fakes.slack import FakeSlackAPI

    seed(core, tmp_path)
    with FakeSlackAPI() as fake:
        yield from start_bot(core, fake, tmp_path)


def _event(event: dict[str, Any]) -> str:
    return json.dumps(event_callback(event))


def _dm(text: str, ts: str, thread_ts: str | None = None) -> str:
    event = {
        "type": "message",
        "channel": DM,
        "user": USER_ID,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "team": TEAM_ID,
        "channel_type": "im",
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return _event(event)


def test_a_dm_is_answered_in_that_dm(bot: Bot) -> None:
    assert bot.post(_dm("latest 1", ts="300.1")).status == 200
    answer = bot.fake.wait_for("chat.postMessage", timeout=20)
    assert answer.params["channel"] == DM and "thread_ts" not in answer.params
    assert "latest" in answer.params["text"]


def test_app_home_shows_the_users_channels_sources_and_buttons(bot: Bot) -> None:
    bot.fake.join_user(USER_ID, CHANNEL_ID)
    assert bot.command("subscribe 08:30 Europe/Madrid Qwen -crypto").status == 200
    bot.answer()
    other = "C0OTHER0001"
    bot.fake.add_channel(other, is_private=True)  # subscribed, but Alice is not in it
    bot.command("subscribe 07:00 UTC", channel_id=other, name="other")
    bot.answer("other")
    home = {"type": "app_home_opened", "user": USER_ID, "channel": DM, "tab": "home"}
    home["event_ts"] = "400.1"
    assert bot.post(_event(home)).status == 200
    published = bot.fake.wait_for("views.publish", timeout=20)
    assert published.ok, published.response
    assert published.params["user_id"] == USER_ID
    view = bot.fake.published_views[USER_ID]
    shown = texts(view["blocks"])
    assert f"<#{CHANNEL_ID}> · 08:30 Europe/Madrid · Qwen -crypto" in shown
    assert other not in shown  # not one of Alice's channels
    assert "Sources" in shown and "Preview" in shown
    kinds = {b.get("accessory", {}).get("type") for b in view["blocks"]}
    assert {"button", "conversations_select"} <= kinds
    assert "Feedback" in shown  # AINEWS_SLACK_MANAGERS=anyone: everyone manages

    # "Preview" for her channel goes to her DM; a forged one for a channel she is not in
    # is refused.
    since = len(bot.fake.calls())
    preview = block_actions_body("ainews_home_preview", CHANNEL_ID)
    assert bot.post(preview).status == 200
    sent = bot.fake.wait_for("chat.postMessage", timeout=20, since=since)
    assert sent.params["channel"] == USER_ID and f"<#{CHANNEL_ID}>" in texts(sent.blocks)
    since = len(bot.fake.calls())
    assert bot.post(block_actions_body("ainews_home_preview", other)).status == 200
    refused = bot.fake.wait_for("chat.postMessage", timeout=20, since=since)
    assert "channels you are in" in refused.params["text"]


def test_assistant_threads_get_prompts_in_both_languages_and_a_thinking_status(
    bot: Bot,
) -> None:
    started = {
        "type": "assistant_thread_started",
        "assistant_thread": {
            "user_id": USER_ID,
            "context": {"channel_id": CHANNEL_ID, "team_id": TEAM_ID, "enterprise_id": None},
            "channel_id": DM,
            "thread_ts": "500.1",
        },
        "event_ts": "500.2",
    }
    assert bot.post(_event(started)).status == 200
    prompts = bot.fake.wait_for("assistant.threads.setSuggestedPrompts", timeout=20)
    messages = [p["message"] for p in json.loads(json.dumps(prompts.params["prompts"]))]
    assert "What's new in AI?" in messages and "¿Qué hay de nuevo en IA?" in messages
    since = len(bot.fake.calls())
    assert bot.post(_dm("¿qué hay de nuevo?", ts="500.3", thread_ts="500.1")).status == 200
    status = bot.fake.wait_for("assistant.threads.setStatus", timeout=20, since=since)
    assert status.params["status"] == "está pensando…"
    answer = bot.fake.wait_for("chat.postMessage", timeout=20, since=since)
    assert answer.params["thread_ts"] == "500.1" and answer.params["channel"] == DM
    order = [c.method for c in bot.fake.calls()[since:]]
    assert order.index("assistant.threads.setStatus") < order.index("chat.postMessage")


def _vote_button(blocks: list[dict[str, Any]], action_id: str) -> str:
    for block in blocks:
        for element in block.get("elements") or []:
            if element.get("action_id") == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} button")


def test_votes_are_signed_counted_once_and_cannot_be_forged_or_replayed(
    bot: Bot, core: Core
) -> None:
    assert bot.command("search Qwen", name="search").status == 200
    results = bot.answer("search")
    down = _vote_button(results.blocks or [], "ainews_vote_down")
    feedback = Feedback(core.engine)

    started = time.monotonic()
    click = block_actions_body("ainews_vote_down", down, response_url=bot.fake.response_url("v1"))
    headers = sign_request(SECRET, click)
    assert bot.post(click, headers).status == 200
    assert time.monotonic() - started < 3.0
    assert "recorded" in bot.answer("v1").params["text"]
    assert [(r.kind, r.up, r.down) for r in feedback.summary()] == [("result", 0, 1)]

    # Replayed (the same signed request) or unsigned/forged: refused before bolt.
    assert bot.post(click, headers).status == 401
    assert bot.post(click, sign_request("not-the-secret", click)).status == 401
    # Signed by Slack, but the button's value was edited, or it is clicked elsewhere.
    target, tag = down.split(" ")[0].split(".")
    for value, channel in ((f"r:999999.{tag} en", CHANNEL_ID), (down, "C0ELSEWHERE1")):
        forged = block_actions_body(
            "ainews_vote_up", value, channel_id=channel, response_url=bot.fake.response_url("f")
        )
        assert bot.post(forged).status == 200
        assert "not valid" in bot.answer("f").params["text"]
        bot.fake.clear_calls()
    assert [(r.up, r.down) for r in feedback.summary()] == [(0, 1)]

    # The same user again: the vote changes, no second one; another user adds one.
    up = block_actions_body(
        "ainews_vote_up", down, response_url=bot.fake.response_url("v2")
    )  # 👍 carries the same token as 👎
    assert bot.post(up).status == 200
    assert "now 👍" in bot.answer("v2").params["text"]
    bob = block_actions_body(
        "ainews_vote_down", down, user_id=OTHER_USER, response_url=bot.fake.response_url("v3")
    )
    assert bot.post(bob).status == 200
    bot.answer("v3")
    assert [(r.up, r.down) for r in feedback.summary()] == [(1, 1)]


def test_doctor_names_the_scopes_the_installed_app_lacks(tmp_path: Path) -> None:
    from fakes.slack import FakeSlackAPI

    with FakeSlackAPI() as fake:
        settings = make_settings(
            tmp_path,
            slack_bot_token=BOT_TOKEN,  # doctor refuses tokens that cannot be real
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=fake.base_url,
        )
        fake.default_workspace.scopes = tuple(
            s for s in BOT_SCOPES if s not in {"channels:read", "assistant:write"}
        )
        slack = Doctor(settings, commands=set()).check_slack()
        assert slack.status == "warn"
        assert "channels:read, assistant:write" in " ".join(slack.hints)
        fake.default_workspace.scopes = tuple(BOT_SCOPES)
        assert Doctor(settings, commands=set()).check_slack().status == "ok"
