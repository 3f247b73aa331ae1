"""One grammar for every platform, in Spanish and English, from one declaration."""

from __future__ import annotations

import asyncio
from typing import Any

import discord
import pytest
from discord import app_commands
from discord.app_commands import Choice

from adapters.discord.commands import AinewsGroup, SpanishTranslator, command_text
from bot.commands import (
    CATALOG,
    SPECS,
    VERBS,
    Option,
    help_text,
    latest_parts,
    needs_manage,
    parse,
    usage,
)
from bot.i18n import MESSAGES, t
from bot.subscriptions import SubscribeError, parse_subscribe, validate_timezone
from bot.text import fold
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


def test_discord_subscribe_options_write_back_the_typed_arguments() -> None:
    # thread is yes, no or left as it was (a false boolean must still say "thread=no").
    spec = SPECS["subscribe"]
    assert spec.args({"thread": True}) == "thread=yes"
    assert spec.args({"thread": False}) == "thread=no"
    assert spec.args({"thread": None, "weekdays": False, "topics": '"Hugging Face" -crypto'}) == (
        '"Hugging Face" -crypto'
    )
    assert parse_subscribe(spec.args({"thread": False})).thread is False


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


# -- one declaration, everything derived from it ---------------------------------------------


def _sample(option: Option) -> object:
    """A value a Discord user could pick for ``option``."""
    if option.choices:
        value = option.choices[-1][0]
        return Choice(name=value, value=value)
    if option.kind is bool:
        return True
    if option.kind is int:
        return option.low or 1
    return {"time": "08:30", "timezone": "Europe/Madrid"}.get(option.name, "Qwen")


async def _discord_tree() -> tuple[dict[str, Any], AinewsGroup, list[tuple[str, str]]]:
    ran: list[tuple[str, str]] = []

    class Runner:
        async def run_slash(self, interaction: Any, verb: str, args: str) -> None:
            ran.append((verb, args))

    client = discord.Client(intents=discord.Intents.none())
    tree: app_commands.CommandTree[Any] = app_commands.CommandTree(client)
    group = AinewsGroup(Runner())
    tree.add_command(group)
    payload = await group.get_translated_payload(tree, SpanishTranslator())
    return payload, group, ran


def test_every_declared_command_is_parsed_helped_and_on_discord_in_both_languages() -> None:
    payload, group, ran = asyncio.run(_discord_tree())
    subcommands = {o["name"]: o for o in payload["options"]}
    assert list(subcommands) == [spec.name for spec in CATALOG]
    assert len(subcommands) <= 25  # Discord's limit of subcommands in a group
    for spec in CATALOG:
        # The parser knows every alias, and the command's own words in both languages.
        for lang in ("en", "es"):
            assert VERBS[fold(spec.word(lang))][0] == spec.name
        assert all(VERBS[fold(a)][0] == spec.name for a in (*spec.en, *spec.es, *spec.either))
        # The help text has its line, in each language, in that language's words.
        for lang in ("en", "es"):
            assert spec.help in MESSAGES and set(MESSAGES[spec.help]) == {"es", "en"}
            line = f"• `{usage(spec, lang)}` — {t(spec.help, lang)}"
            assert line in help_text(lang).splitlines(), (spec.name, lang)
        # Discord: the same description, in English and Spanish, and every option typed.
        sub = subcommands[spec.name]
        assert sub["description"].startswith(t(spec.help, "en"))
        assert sub["description_localizations"]["es-ES"].startswith(t(spec.help, "es"))
        assert len(sub["description"]) <= 100
        assert len(sub["description_localizations"]["es-ES"]) <= 100
        options = {o["name"]: o for o in sub.get("options", [])}
        assert list(options) == [o.name for o in spec.options]
        for option in spec.options:
            got = options[option.name]
            assert got["description"] == t(option.help, "en")
            assert got["description_localizations"]["es-ES"] == t(option.help, "es")
            assert got.get("required", False) == option.required
            kind = {bool: 5, int: 4, str: 3}[option.kind]
            assert got["type"] == kind
            bounds = (
                ("min_value", "max_value") if option.kind is int else ("min_length", "max_length")
            )
            assert (got.get(bounds[0]), got.get(bounds[1])) == (option.low, option.high)
            assert [c["value"] for c in got.get("choices", [])] == [v for v, _ in option.choices]
            for choice, (_value, label) in zip(got.get("choices", []), option.choices, strict=True):
                assert choice["name"] == t(label, "en")
                assert choice["name_localizations"]["es-ES"] == t(label, "es")
            assert bool(got.get("autocomplete")) == bool(option.complete)
        # Running the subcommand writes command text that parses back to the command.
        command = group.get_command(spec.name)
        assert isinstance(command, app_commands.Command)
        values = {o.name: _sample(o) for o in spec.options}
        asyncio.run(command.callback(None, **values))  # type: ignore[arg-type]
        verb, args = ran.pop()
        assert verb == spec.name
        for lang in ("en", "es"):
            parsed = parse(command_text(verb, args, lang))
            assert (parsed.verb, parsed.args) == (spec.name, args), (spec.name, lang, args)


def test_manage_permission_is_declared_once_for_every_platform() -> None:
    assert needs_manage(parse("subscribe 09:00")) and needs_manage(parse("cancelar"))
    assert needs_manage(parse("fuentes agregar https://example.com/feed"))
    assert needs_manage(parse("sources remove 3"))
    assert not needs_manage(parse("sources")) and not needs_manage(parse("fuentes ver"))
    assert not any(needs_manage(parse(text)) for text in ("search Qwen", "latest", "help"))
