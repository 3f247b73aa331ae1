"""A question in Discord with a model configured: "Looking…" at once, then the answer in the
same message (the reply is edited for mentions, the deferred interaction's original response
for ``/ainews ask``). Real discord.py against the fake Discord, the real ``openai`` client
against the fake model server."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fakes.discord import APPLICATION_ID, CHANNEL_ID, FakeDiscord, interaction_create_slash
from fakes.llm import FakeModel, Request, Say
from test_discord_adapter import adapter_for, fake, mention, running, service, text_of

from bot.service import Service

__all__ = ["fake", "service"]  # fixtures shared with test_discord_adapter

QUESTION = "How many downloads do Qwen models have?"
MESSAGES = f"/channels/{CHANNEL_ID}/messages"


def two_sentences(request: Request) -> Say:
    n = request.cite("700 millones")
    text = f"Qwen models passed 700 million downloads [{n}]. That is a record for Alibaba [{n}]."
    return Say(text, pieces=12, gap=0.2)


@pytest.fixture
async def model() -> AsyncIterator[FakeModel]:
    with FakeModel(two_sentences) as server:
        yield server


def with_model(service: Service, model: FakeModel) -> Service:
    settings = service.core.settings.model_copy(
        update={"llm_url": model.base_url, "llm_model": model.model, "llm_timeout_seconds": 10}
    )
    return Service(dataclasses.replace(service.core, settings=settings))


async def test_a_mention_shows_a_placeholder_then_the_answer_in_place(
    service: Service, fake: FakeDiscord, model: FakeModel, tmp_path: Path
) -> None:
    async with running(adapter_for(with_model(service, model), fake, tmp_path)):
        placeholder = await mention(fake, QUESTION)
        assert placeholder.json["content"] == "Looking…"
        assert placeholder.json["allowed_mentions"]["parse"] == []
        edited = f"{MESSAGES}/{placeholder.response['id']}"
        final = await fake.wait_for(
            lambda c: c.method == "PATCH" and c.path == edited and "record" in text_of(c.json),
            timeout=15,
        )
        edits = fake.calls("PATCH", edited)
        assert len(edits) >= 2 and "record" not in text_of(edits[0].json)
        assert "700 million downloads" in text_of(edits[0].json)
        assert final.json["content"] is None or final.json["content"] == ""
        assert "Alibaba se dispara" in text_of(final.json)  # the cited article's card
        assert len(fake.calls("POST", MESSAGES)) == 1  # one message, edited in place


async def test_a_slash_question_edits_the_deferred_response(
    service: Service, fake: FakeDiscord, model: FakeModel, tmp_path: Path
) -> None:
    async with running(adapter_for(with_model(service, model), fake, tmp_path)):
        payload = interaction_create_slash(
            "ainews", "ask", {"question": QUESTION}, command_id=fake.command_id("ainews")
        )
        await fake.dispatch("INTERACTION_CREATE", payload)
        original = f"/webhooks/{APPLICATION_ID}/{payload['token']}/messages/@original"
        first = await fake.wait_for(lambda c: c.method == "PATCH" and c.path == original)
        assert first.json["content"] == "Looking…"
        await fake.wait_for(
            lambda c: c.method == "PATCH" and c.path == original and "record" in text_of(c.json),
            timeout=15,
        )
        assert not fake.calls("POST", f"/webhooks/{APPLICATION_ID}/{payload['token']}")


async def test_without_a_model_a_mention_is_answered_as_before(
    service: Service, fake: FakeDiscord, tmp_path: Path
) -> None:
    async with running(adapter_for(service, fake, tmp_path)):
        answer = await mention(fake, QUESTION)
        assert "In short: 700 million downloads" in text_of(answer.json)
        assert not fake.calls("PATCH", MESSAGES)
