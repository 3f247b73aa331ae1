"""Commands end to end through the service, with the real model over the seeds."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.core import Core
from bot.models import Subscription
from bot.reply import plain_text as render
from bot.service import Context, Service

pytestmark = pytest.mark.model


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "You didn't type a command"),
        ("serch", "Did you mean `search`"),
        ("buscr", "¿Quisiste decir `buscar`"),  # a typo of the Spanish verb: Spanish reply
        (
            "buscar " + "palabra " * 80,
            "La búsqueda es demasiado larga (639 caracteres; máximo 500)",
        ),
        ("subscribe 25:00", "“25:00” is not a valid time"),
        ("suscribir 25:00", "«25:00» no es una hora válida"),
        ("subscribe 09:00 Mars/Olympus", "“Mars/Olympus” is not an IANA timezone"),
        ("suscribir 09:00 Marte/Olimpo", "«Marte/Olimpo» no es una zona horaria IANA"),
        ("latest 500", "Give a number between 1 and 20"),
        ("story abc", "Usage: `story <id>`"),
        ("lang fr", "Usage: `lang es` or `lang en`"),
    ],
)
def test_bad_input_gets_a_short_helpful_message(service: Service, text: str, expected: str) -> None:
    reply = service.handle_text(text)
    assert expected in reply.text
    assert len(reply.text) < 300


def test_ask_answers_with_the_qwen_figure(service: Service) -> None:
    reply = service.handle_text("¿Cuántas descargas superaron los modelos Qwen?")
    assert reply.lang == "es" and not reply.error
    assert "700 millones de descargas" in reply.text
    assert reply.cards[0].url and reply.cards[0].url.endswith("004_cfe0271cdde873fb.txt")
    assert reply.buttons and reply.buttons[0].action == "more_like_this"


def test_search_in_spanish_and_english(service: Service) -> None:
    es = service.handle_text("buscar Nvidia")
    assert es.text.startswith("Resultados para «Nvidia»") and es.ephemeral
    assert es.cards[0].url and es.cards[0].url.endswith("000_f061253b2aa8fe13.txt")
    en = service.handle_text("search Qwen downloads")
    assert en.text.startswith("Results for") and en.cards[0].title.startswith("Alibaba")


def test_subscribe_and_channel_language(service: Service, seeded_core: Core) -> None:
    ctx = Context(platform="slack", workspace="T1", channel="C1", user="U1")
    reply = service.handle_text("suscribir 08:30 America/Argentina/Buenos_Aires nvidia qwen", ctx)
    assert "08:30 (America/Argentina/Buenos_Aires)" in reply.text
    with Session(seeded_core.engine) as session:
        sub = session.exec(select(Subscription)).one()
    assert (sub.local_time, sub.timezone, sub.topics, sub.lang) == (
        "08:30",
        "America/Argentina/Buenos_Aires",
        "nvidia qwen",
        "es",
    )
    assert service.handle_text("lang en", ctx).text == "I'll answer in English in this channel."
    assert service.handle_text("ayuda", ctx).text.startswith("*ainews* — AI-industry news")
    assert "not subscribed" not in service.handle_text("unsubscribe", ctx).text
    assert service.handle_text("unsubscribe", ctx).text == "This channel is not subscribed."


def test_refusals_say_why(service: Service) -> None:
    ctx = Context(can_manage=False, refusal="needs_manage_channels")
    assert "Manage Channels" in service.handle_text("subscribe 09:00 UTC", ctx).text
    assert "Gestionar canales" in service.handle_text("suscribir 09:00 UTC", ctx).text


def test_story_shows_its_articles_and_related_ones(service: Service) -> None:
    reply = service.handle_text("search Qwen")
    story = reply.cards[0].story_id
    shown = service.handle_text(f"story {story}")
    assert shown.cards[0].title.startswith("Alibaba se dispara")
    assert len(shown.cards) >= 2


def test_console_rendering_is_plain_text(service: Service) -> None:
    text = render(service.handle_text("latest 2"))
    assert text.startswith("The 2 latest stories:") and "\n1. Alibaba se dispara" in text


def test_a_spanish_digest_names_figure_subjects_in_spanish(seeded_core: Core) -> None:
    from datetime import UTC, datetime, timedelta

    from bot.digest import build_digest
    from bot.figures import spanish_names

    names = spanish_names(seeded_core.settings.gazetteer_path)
    now = datetime.now(UTC)
    with Session(seeded_core.engine) as session:
        figures = {
            lang: [
                f
                for story in build_digest(
                    session,
                    Subscription(platform="slack", workspace="T", channel="C", lang=lang),
                    now,
                    since=now - timedelta(days=3650),
                    names_es=names,
                ).stories
                for f in story.figures
            ]
            for lang in ("es", "en")
        }
    assert any("(Estados Unidos)" in f for f in figures["es"]), figures
    assert not any("(United States)" in f for f in figures["es"])
    assert any("(United States)" in f for f in figures["en"]), figures
