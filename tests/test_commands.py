"""One grammar for every platform, in Spanish and English."""

from __future__ import annotations

import pytest

from bot.commands import latest_parts, parse
from bot.subscriptions import SubscribeError, parse_subscribe, validate_timezone
from bot.topics import Topics


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


@pytest.mark.parametrize(
    ("text", "args", "lang"),
    [
        ("latest", "", "en"),
        ("latest 3 anthropic", "3 anthropic", "en"),
        ("latest 5 news on Qwen", "5 Qwen", "en"),
        ("ultimas 5 sobre Qwen", "5 Qwen", "es"),
        ("últimas noticias", "", "es"),
        ("noticias de hoy", "", "es"),
        ("noticias sobre la IA", "IA", "es"),
        ("latest on Mistral?", "Mistral", "en"),
        ("latest 2025 models", "2025 models", "en"),
        ("latest 500", "500", "en"),
    ],
)
def test_latest_carries_count_and_topic(text: str, args: str, lang: str) -> None:
    """``latest [n] [topic]``: connectors ("on", "sobre"), "news" and articles are dropped."""
    command = parse(text)
    assert (command.verb, command.args, command.lang) == ("latest", args, lang)


@pytest.mark.parametrize(
    ("args", "parts"),
    [
        ("", ("", "")),
        ("3", ("3", "")),
        ("3 Qwen", ("3", "Qwen")),
        ("Hugging Face", ("", "Hugging Face")),
        ("500", ("500", "")),  # a bad count stays a count: the handler explains the range
        ("2025 models", ("", "2025 models")),  # not a count: part of the topic
        ("0 Qwen", ("", "0 Qwen")),
    ],
)
def test_latest_parts(args: str, parts: tuple[str, str]) -> None:
    assert latest_parts(args) == parts


@pytest.mark.parametrize(
    ("text", "verb", "args"),
    [
        ("story 12", "story", "12"),
        ("story #12", "story", "#12"),
        ("more 12", "story", "12"),
        ("noticia 4", "story", "4"),
        ("story abc", "story", "abc"),  # the verb and one word: its usage explains ids
        ("trending 14 days", "trending", "14"),
        ("trending topics in AI", "trending", ""),
        ("idioma español", "lang", "es"),
        ("language en", "lang", "en"),
        ("cancelar la suscripción", "unsubscribe", ""),
        ("resumen de hoy", "digest", ""),
        ("subscribe to Qwen", "subscribe", "Qwen"),
        ("suscribir este canal 08:30 UTC nvidia", "subscribe", "08:30 UTC nvidia"),
        ("sources list", "sources", "list"),
        ("help search", "help", "search"),
    ],
)
def test_commands_whose_arguments_fit(text: str, verb: str, args: str) -> None:
    command = parse(text)
    assert (command.verb, command.args) == (verb, args)


@pytest.mark.parametrize(
    "text",
    [
        "story of DeepSeek's founding",
        "more people use Qwen than Llama?",
        "history of OpenAI",
        "language models from China?",
        "cancelar es lo que hizo OpenAI con Sora?",
        "resumen del informe del MIT",
        "sources say OpenAI is raising money?",
        "subscribe me to what?",
        "news is overrated, right?",
        "noticias falsas sobre IA son un problema?",
        "trending topics in AI regulation and policy",
        "help me understand Qwen's license?",
    ],
)
def test_sentences_that_do_not_fit_their_verb_are_questions(text: str) -> None:
    command = parse(text)
    assert (command.verb, command.args) == ("ask", text)


def test_subscribe_arguments() -> None:
    request = parse_subscribe("8:30 america/argentina/buenos_aires nvidia qwen laborables min=2")
    assert request.local_time == "08:30"
    assert request.timezone == "America/Argentina/Buenos_Aires"
    assert request.topics == Topics(("nvidia", "qwen"))
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
