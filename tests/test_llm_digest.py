"""Digest summaries and translated headlines from a model, and ``ask``/``digest`` on the
command line with a model: the real ``openai`` client against the local fake server."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import SEEDS
from fakes.llm import FakeModel, Request, Say, grounded
from sqlmodel import Session, delete

from bot.core import Core
from bot.metrics import Metrics
from bot.models import LLMCache
from bot.service import Context, Service

pytestmark = pytest.mark.model
AINEWS = str(Path(sys.executable).with_name("ainews"))


@pytest.fixture
def fake() -> Iterator[FakeModel]:
    with FakeModel() as model:
        yield model


def with_model(core: Core, fake: FakeModel) -> Service:
    with Session(core.engine) as session:  # the seeded core is shared: start uncached
        session.execute(delete(LLMCache))
        session.commit()
    settings = core.settings.model_copy(
        update={"llm_url": fake.base_url, "llm_model": fake.model, "llm_timeout_seconds": 5.0}
    )
    return Service(dataclasses.replace(core, settings=settings), metrics=Metrics())


def test_an_english_channel_gets_english_summaries_once(seeded_core: Core, fake: FakeModel) -> None:
    service = with_model(seeded_core, fake)
    service.handle_text("lang en", Context(channel="news-en"))
    reply = service.handle_text("digest", Context(channel="news-en"))
    assert reply.cards, reply.text
    for card in reply.cards:
        assert card.snippet.startswith("The story is about"), card.snippet
        assert card.title.endswith(": the news in English")
    kinds = sorted("Summarise" in r.system for r in fake.requests)
    assert len(fake.requests) == 2 * len(reply.cards), kinds  # a summary and a headline each

    again = service.handle_text("digest", Context(channel="another-en"))
    assert [c.snippet for c in again.cards] == [c.snippet for c in reply.cards]
    assert len(fake.requests) == 2 * len(reply.cards)  # cached per story, language, model


def test_a_spanish_channel_keeps_spanish_headlines_and_gets_summaries(
    seeded_core: Core, fake: FakeModel
) -> None:
    service = with_model(seeded_core, fake)
    plain = Service(seeded_core).handle_text("resumen", Context(channel="noticias"))
    reply = service.handle_text("resumen", Context(channel="noticias"))
    assert reply.lang == "es" and [c.title for c in reply.cards] == [
        c.title for c in plain.cards
    ]  # no translation
    assert all(c.snippet.startswith("La noticia trata sobre") for c in reply.cards)
    assert len(fake.requests) == len(reply.cards)


def test_a_summary_with_an_invented_figure_keeps_the_lede(
    seeded_core: Core, fake: FakeModel
) -> None:
    service = with_model(seeded_core, fake)
    plain = Service(seeded_core).handle_text("resumen", Context(channel="noticias"))

    def inventive(request: Request) -> Say:
        if "Summarise" in request.system:
            return Say("La noticia cuenta que Qwen llegó a 900 millones de descargas.")
        return grounded(request)

    fake.responder = inventive
    reply = service.handle_text("resumen", Context(channel="noticias"))
    assert reply.lang == "es" and len(fake.requests) == len(reply.cards)
    assert [c.snippet for c in reply.cards] == [c.snippet for c in plain.cards]
    assert all("900" not in c.snippet for c in reply.cards)


def run(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "AINEWS_DATA_DIR": str(cwd / "data"), "HF_HUB_OFFLINE": "1", **env}
    full.pop("AINEWS_DATABASE_URL", None)
    return subprocess.run(
        [AINEWS, *args], cwd=cwd, env=full, capture_output=True, text=True, timeout=240
    )


def test_the_command_line_with_a_model(tmp_path: Path, fake: FakeModel) -> None:
    shutil.copytree(SEEDS, tmp_path / "seeds")
    assert run(tmp_path, "ingest", "seeds/").returncode == 0
    model = {"AINEWS_LLM_URL": fake.base_url, "AINEWS_LLM_MODEL": fake.model}

    plain = json.loads(
        run(tmp_path, "ask", "How many downloads do Qwen models have?", "--json").stdout
    )
    assert plain["mode"] == "extractive" and "fallback_reason" not in plain
    asked = run(tmp_path, "ask", "How many downloads do Qwen models have?", "--json", **model)
    payload = json.loads(asked.stdout)
    assert payload["mode"] == "generated", payload
    assert "700 million" in payload["answer"]
    assert payload["citations"][0]["url"].endswith("004_cfe0271cdde873fb.txt")

    fake.script(Say("Qwen has 900 million downloads [1]."))
    payload = json.loads(
        run(tmp_path, "ask", "How many downloads do Qwen models have?", "--json", **model).stdout
    )
    assert payload["mode"] == "extractive" and payload["fallback_reason"] == "ungrounded_number"
    assert "900" not in payload["answer"]

    before = fake.calls
    args = ("digest", "--since", "2025-11-01T00:00:00Z", "--lang", "en", "--json")
    first = json.loads(run(tmp_path, *args, **model).stdout)
    stories = first["stories"]
    assert len(stories) >= 2
    for story in stories:
        assert story["mode"] == "generated" and story["summary"].startswith("The story is about")
        assert story["headline"].endswith("the news in English")
    assert fake.calls - before == 2 * len(stories)  # a summary and a headline per story

    second = json.loads(run(tmp_path, *args, **model).stdout)
    assert second == first and fake.calls - before == 2 * len(stories)  # all from the cache

    spanish = json.loads(run(tmp_path, *args[:-3], "--lang", "es", "--json", **model).stdout)
    assert all(s["summary"].startswith("La noticia trata sobre") for s in spanish["stories"])
