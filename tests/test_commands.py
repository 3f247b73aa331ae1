"""One grammar for every platform, in Spanish and English."""

from __future__ import annotations

import pytest

from bot.commands import parse
from bot.subscriptions import SubscribeError, parse_subscribe, validate_timezone


@pytest.mark.parametrize(
    ("text", "verb", "args", "lang"),
    [
        ("help", "help", "", "en"),
        ("ayuda", "help", "", "es"),
        ("buscar Nvidia", "search", "Nvidia", "es"),
        ("search descargas de Qwen", "search", "descargas de Qwen", "es"),
        ("Search Qwen downloads", "search", "Qwen downloads", "en"),
        ("preguntar ¿qué pasa con Qwen?", "ask", "¿qué pasa con Qwen?", "es"),
        ("ultimas 3", "latest", "3", "es"),
        ("últimas 3", "latest", "3", "es"),
        ("tendencias 14", "trending", "14", "es"),
        ("suscribir 08:30 Europe/Madrid", "subscribe", "08:30 Europe/Madrid", "es"),
        ("desuscribir", "unsubscribe", "", "es"),
        ("fuentes agregar https://x.y/feed", "sources", "agregar https://x.y/feed", "es"),
        ("lang es", "lang", "es", "es"),
        (
            "¿Cuántas descargas superaron los modelos Qwen?",
            "ask",
            "¿Cuántas descargas superaron los modelos Qwen?",
            "es",
        ),
        (
            "What share of downloads do Chinese developers have?",
            "ask",
            "What share of downloads do Chinese developers have?",
            "en",
        ),
        ("   ", "empty", "", "en"),
        ("/ainews", "ask", "/ainews", "en"),
    ],
)
def test_parse(text: str, verb: str, args: str, lang: str) -> None:
    command = parse(text)
    assert (command.verb, command.args, command.lang) == (verb, args, lang)


def test_subscribe_arguments() -> None:
    request = parse_subscribe("8:30 america/argentina/buenos_aires nvidia qwen laborables min=2")
    assert request.local_time == "08:30"
    assert request.timezone == "America/Argentina/Buenos_Aires"
    assert request.topics == ["nvidia", "qwen"]
    assert request.weekdays_only is True and request.min_sources == 2


@pytest.mark.parametrize("bad", ["25:00", "09:75", "2500", "9:5"])
def test_invalid_times(bad: str) -> None:
    with pytest.raises(SubscribeError) as info:
        parse_subscribe(bad)
    assert info.value.code == "invalid_time"


def test_invalid_timezone_suggests_close_names() -> None:
    with pytest.raises(SubscribeError) as info:
        validate_timezone("Europe/Madird")
    assert info.value.code == "invalid_timezone"
    assert "Europe/Madrid" in str(info.value.params["suggestions"])
    assert validate_timezone("utc") == "UTC"
    assert validate_timezone("asia/shanghai") == "Asia/Shanghai"
