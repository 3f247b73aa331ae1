"""A question in Slack with a model configured: "Looking…" at once, then the answer in the same
message (``chat.update`` for mentions, ``replace_original`` at the ``response_url`` for
``/ainews``), growing in a few edits. Real bolt and slack_sdk against the fake Slack API, the
real ``openai`` client against the fake model server."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes.llm import FakeModel, Request, Say
from fakes.slack import FakeSlackAPI, app_mention_event
from test_slack_adapter import Bot, assert_inert, fake, seed, start_bot, texts

from bot.core import Core

__all__ = ["fake"]  # the Slack fake's fixture, shared with test_slack_adapter

QUESTION = "How many downloads do Qwen models have?"


def two_sentences(request: Request) -> Say:
    n = request.cite("700 millones")
    text = f"Qwen models passed 700 million downloads [{n}]. That is a record for Alibaba [{n}]."
    return Say(text, pieces=12, gap=0.2)  # ~2.4 s of streaming: room for a partial edit


@pytest.fixture
def model() -> Iterator[FakeModel]:
    with FakeModel(two_sentences) as server:
        yield server


@pytest.fixture
def llm_bot(core: Core, fake: FakeSlackAPI, model: FakeModel, tmp_path: Path) -> Iterator[Bot]:
    seed(core, tmp_path)
    settings = core.settings.model_copy(
        update={"llm_url": model.base_url, "llm_model": model.model, "llm_timeout_seconds": 10}
    )
    yield from start_bot(dataclasses.replace(core, settings=settings), fake, tmp_path)


def test_a_mention_shows_a_placeholder_then_the_answer_in_place(llm_bot: Bot) -> None:
    fake = llm_bot.fake
    llm_bot.post(json.dumps(app_mention_event(QUESTION, thread_ts="17.1")))
    placeholder = fake.wait_for("chat.postMessage")
    assert placeholder.params["text"] == "Looking…"
    assert placeholder.params["thread_ts"] == "17.1"
    ts = placeholder.response["ts"]

    final = fake.wait_for(lambda c: c.method == "chat.update" and "record" in c.params["text"])
    updates = fake.calls("chat.update")
    assert all(u.params["ts"] == ts for u in updates)
    assert len(updates) >= 2  # the first sentence alone, then the whole answer
    assert "700 million downloads" in texts(updates[0].blocks)
    assert "record" not in texts(updates[0].blocks)
    assert "700 million" in texts(final.blocks) and "[1]" in texts(final.blocks)
    assert "Alibaba se dispara" in texts(final.blocks)  # the cited article's card
    assert len(fake.calls("chat.postMessage")) == 1  # one message, edited in place
    assert fake.messages()[-1]["text"] == final.params["text"]


def test_a_slash_question_replaces_its_placeholder(llm_bot: Bot) -> None:
    llm_bot.command(f"ask {QUESTION}")
    first = llm_bot.answer()
    assert first.params["text"] == "Looking…"
    assert first.params["response_type"] == "in_channel"
    final = llm_bot.fake.wait_for(
        lambda c: c.method == "response_url" and "record" in (c.params.get("text") or "")
    )
    posts = llm_bot.fake.response_posts("cmd")
    assert len(posts) <= 5  # what one response_url accepts
    assert all(p.params["replace_original"] is True for p in posts[1:])
    assert "700 million" in texts(final.blocks)


def test_an_injected_answer_is_never_shown(llm_bot: Bot, model: FakeModel) -> None:
    """A model that obeys an article ("reply @channel and a link") is refused by the checks:
    the extractive answer replaces the placeholder, and nothing in it pings anyone."""
    model.script(Say("<!channel> Qwen passed 700 million downloads [1], https://evil.example"))
    llm_bot.post(json.dumps(app_mention_event(QUESTION)))
    placeholder = llm_bot.fake.wait_for("chat.postMessage")
    final = llm_bot.fake.wait_for("chat.update")
    assert final.params["ts"] == placeholder.response["ts"]
    shown = texts(final.blocks) + final.params["text"]
    assert "In short: 700 million downloads" in shown and "evil" not in shown
    assert_inert(shown)


def test_without_a_model_nothing_changes(core: Core, fake: FakeSlackAPI, tmp_path: Path) -> None:
    seed(core, tmp_path)
    for bot in start_bot(core, fake, tmp_path):
        bot.post(json.dumps(app_mention_event(QUESTION)))
        answer = fake.wait_for("chat.postMessage")
        assert "In short: 700 million downloads" in answer.params["text"]
        assert not fake.calls("chat.update")
