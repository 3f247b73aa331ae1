"""Scheduled digests with a model: each distinct story and language costs one model call
(two with a translated headline) however many channels get it, and none once cached."""

from __future__ import annotations

import dataclasses

from fakeplatform import FakeSender
from fakes.llm import FakeModel
from sqlalchemy import update
from sqlmodel import Session, col
from test_scheduler import DAY, Clock, add_article, local, runner_for, subscribe

from bot.core import Core
from bot.models import Subscription


async def test_a_fan_out_asks_once_per_story_and_language(core: Core) -> None:
    add_article(core, "Alpha launch", local(DAY, 7))
    add_article(core, "Beta results", local(DAY, 8, 30))
    for n in range(4):
        subscribe(core, f"EN{n}")
    spanish = [subscribe(core, f"ES{n}") for n in range(3)]
    with Session(core.engine) as session:
        session.execute(
            update(Subscription).where(col(Subscription.id).in_(spanish)).values(lang="es")
        )
        session.commit()
    with FakeModel() as fake:
        settings = core.settings.model_copy(
            update={"llm_url": fake.base_url, "llm_model": fake.model}
        )
        model_core = dataclasses.replace(core, settings=settings)
        clock, sender = Clock(local(DAY, 9)), FakeSender()
        report = await runner_for(model_core, clock, sender).run_due()
        assert report.sent == 7
        # two English stories: a summary each in English; in Spanish also the headline
        assert fake.calls == 2 + 2 * 2
        for n in range(4):
            (reply,) = sender.messages[f"EN{n}"]
            assert {c.title for c in reply.cards} == {"Alpha launch", "Beta results"}
            assert all(c.snippet.startswith("The story is about") for c in reply.cards)
        for n in range(3):
            (reply,) = sender.messages[f"ES{n}"]
            assert all(c.title.endswith(": la noticia") for c in reply.cards)
            assert all(c.snippet.startswith("La noticia trata sobre") for c in reply.cards)

        subscribe(core, "LATE", time_="09:05")
        clock.now = local(DAY, 9, 5)
        assert (await runner_for(model_core, clock, sender).run_due()).sent == 1
        assert fake.calls == 6  # the same stories, from llm_cache
        (late,) = sender.messages["LATE"]
        assert all(c.snippet.startswith("The story is about") for c in late.cards)
