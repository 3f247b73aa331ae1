"""The ``/ainews`` application command group: typed options that become one command line.

Every subcommand is turned back into the text grammar of ``bot.commands`` (``search Qwen``,
``suscribir 09:00 Europe/Madrid``), so mentions, slash commands, buttons and the console
share one parser and one service. A Spanish Discord client gets the Spanish verb, which makes
the reply Spanish unless the channel has a language set. Application commands carry their
own text, so they work without the Message Content intent.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from functools import cache
from typing import Any, Protocol
from zoneinfo import available_timezones

import discord
from discord import app_commands
from discord.app_commands import Choice, locale_str

from bot.text import fold

log = logging.getLogger(__name__)

SPANISH_VERBS = {
    "help": "ayuda",
    "search": "buscar",
    "ask": "preguntar",
    "latest": "ultimas",
    "trending": "tendencias",
    "story": "historia",
    "digest": "resumen",
    "subscribe": "suscribir",
    "unsubscribe": "desuscribir",
    "subscriptions": "suscripciones",
    "sources": "fuentes",
    "lang": "idioma",
}
# Shown first when the timezone field is still empty (the product's audience).
POPULAR_ZONES = (
    "UTC",
    "Europe/Madrid",
    "America/Mexico_City",
    "America/Bogota",
    "America/Argentina/Buenos_Aires",
    "America/Santiago",
    "America/Lima",
    "America/New_York",
    "America/Los_Angeles",
    "Europe/London",
)
MAX_CHOICES = 25
MAX_CHOICE_CHARS = 100


class SlashRunner(Protocol):
    """What the group needs from the client: run one command line for an interaction."""

    async def run_slash(self, interaction: discord.Interaction, verb: str, args: str) -> None: ...


def _(english: str, spanish: str) -> locale_str:
    return locale_str(english, es=spanish)


def command_text(verb: str, args: str, lang: str) -> str:
    """``search`` + ``Qwen`` -> ``search Qwen`` (``buscar Qwen`` for Spanish clients)."""
    word = SPANISH_VERBS.get(verb, verb) if lang == "es" else verb
    return " ".join(f"{word} {args}".split())


def subscribe_args(
    time: str | None = None,
    timezone: str | None = None,
    topics: str | None = None,
    weekdays: bool | None = None,
    min_sources: int | None = None,
    language: str | None = None,
    skip_empty: bool | None = None,
) -> str:
    """The ``subscribe`` arguments ``bot.subscriptions.parse_subscribe`` understands."""
    parts = [time or "", timezone or "", topics or ""]
    if weekdays:
        parts.append("weekdays")
    if min_sources is not None:
        parts.append(f"min={min_sources}")
    if language:
        parts.append(f"lang={language}")
    if skip_empty:
        parts.append("skip-empty")
    return " ".join(" ".join(parts).split())


def latest_args(n: int | None = None, topic: str | None = None) -> str:
    """The ``latest [n] [topic]`` arguments (``bot.commands.latest_parts`` reads them back)."""
    return " ".join(f"{'' if n is None else n} {topic or ''}".split())


# -- autocomplete ----------------------------------------------------------------------------


@cache
def _zones() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


def match_timezones(current: str, limit: int = MAX_CHOICES) -> list[str]:
    """IANA names for what was typed: prefix matches (also of the city) before substrings."""
    needle = current.strip().lower().replace(" ", "_")
    if not needle:
        return list(POPULAR_ZONES[:limit])
    starts = [
        z
        for z in _zones()
        if z.lower().startswith(needle) or z.lower().rsplit("/", 1)[-1].startswith(needle)
    ]
    seen = set(starts)
    contains = [z for z in _zones() if needle in z.lower() and z not in seen]
    return (starts + contains)[:limit]


def topic_names(entities: Iterable[Any]) -> list[str]:
    """Gazetteer names and aliases usable as topics: one word each, because a subscription's
    topics are whitespace-separated (``Hugging Face`` would become two loose topics)."""
    names = {n for e in entities for n in (e.name, *e.aliases) if n and " " not in n.strip()}
    return sorted(names, key=str.lower)


def match_topics(current: str, names: list[str], limit: int = MAX_CHOICES) -> list[str]:
    """Complete the last word of a space-separated topic list, keeping the words before it."""
    head, _sep, last = current.rpartition(" ")
    head = " ".join(head.split())
    chosen = {fold(word) for word in head.split()}
    needle = fold(last.strip())
    pool = [n for n in names if fold(n) not in chosen]
    starts = [n for n in pool if fold(n).startswith(needle)]
    seen = set(starts)
    contains = [n for n in pool if needle and needle in fold(n) and n not in seen]
    values = [f"{head} {n}".strip() for n in starts + contains]
    return [v for v in values if len(v) <= MAX_CHOICE_CHARS][:limit]


async def timezone_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[Choice[str]]:
    return [Choice(name=z, value=z) for z in match_timezones(current)]


async def topics_autocomplete(interaction: discord.Interaction, current: str) -> list[Choice[str]]:
    service = getattr(interaction.client, "service", None)
    if service is None:
        return []
    names = topic_names(service.core.gazetteer.entities.values())
    return [Choice(name=v, value=v) for v in match_topics(current, names)]


# -- the group -------------------------------------------------------------------------------

LANGUAGES = [Choice(name="Español", value="es"), Choice(name="English", value="en")]
SOURCE_ACTIONS = [
    Choice(name=_("list", "ver"), value="list"),
    Choice(name=_("add a feed or site", "añadir un feed o sitio"), value="add"),
    Choice(name=_("remove", "quitar"), value="remove"),
    Choice(name=_("import an OPML list (URL)", "importar una lista OPML (URL)"), value="import"),
]


class AinewsGroup(
    app_commands.Group,
    name="ainews",
    description=_(
        "AI-industry news: search, answers, digests",
        "Noticias de IA: búsqueda, respuestas, resúmenes",
    ),
):
    def __init__(self, runner: SlashRunner) -> None:
        super().__init__()
        self.runner = runner

    async def _run(self, interaction: discord.Interaction, verb: str, args: str = "") -> None:
        await self.runner.run_slash(interaction, verb, args)

    @app_commands.command(name="help", description=_("How to use ainews", "Cómo usar ainews"))
    async def help_(self, interaction: discord.Interaction) -> None:
        await self._run(interaction, "help")

    @app_commands.command(description=_("Search the news", "Buscar en las noticias"))
    @app_commands.describe(query=_("Words to look for", "Palabras a buscar"))
    async def search(
        self, interaction: discord.Interaction, query: app_commands.Range[str, 1, 500]
    ) -> None:
        await self._run(interaction, "search", query)

    @app_commands.command(
        description=_(
            "Ask a question; the answer cites its sources",
            "Pregunta; la respuesta cita sus fuentes",
        )
    )
    @app_commands.describe(question=_("Your question", "Tu pregunta"))
    async def ask(
        self, interaction: discord.Interaction, question: app_commands.Range[str, 1, 500]
    ) -> None:
        await self._run(interaction, "ask", question)

    @app_commands.command(description=_("The newest stories", "Las últimas historias"))
    @app_commands.describe(
        n=_("How many (1-20)", "Cuántas (1-20)"),
        topic=_("Only stories about this, e.g. Qwen", "Solo historias sobre esto, p. ej. Qwen"),
    )
    @app_commands.autocomplete(topic=topics_autocomplete)
    async def latest(
        self,
        interaction: discord.Interaction,
        n: app_commands.Range[int, 1, 20] | None = None,
        topic: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        await self._run(interaction, "latest", latest_args(n, topic))

    @app_commands.command(description=_("What is rising", "Qué está subiendo"))
    @app_commands.describe(
        days=_("Compare the last N days (1-90)", "Comparar los últimos N días (1-90)")
    )
    async def trending(
        self, interaction: discord.Interaction, days: app_commands.Range[int, 1, 90] | None = None
    ) -> None:
        await self._run(interaction, "trending", "" if days is None else str(days))

    @app_commands.command(
        description=_(
            "One story's articles and similar ones", "Los artículos de una historia y parecidos"
        )
    )
    @app_commands.describe(
        id=_("The story number shown with each story", "El número de la historia")
    )
    async def story(
        self, interaction: discord.Interaction, id: app_commands.Range[int, 1, None]
    ) -> None:
        await self._run(interaction, "story", str(id))

    @app_commands.command(
        description=_(
            "Preview this channel's daily digest", "Vista previa del resumen diario del canal"
        )
    )
    async def digest(self, interaction: discord.Interaction) -> None:
        await self._run(interaction, "digest")

    @app_commands.command(
        description=_(
            "Daily digest in this channel (Manage Channels)",
            "Resumen diario en este canal (Gestionar canales)",
        )
    )
    @app_commands.describe(
        time=_("Local time, HH:MM (default 09:00)", "Hora local, HH:MM (por defecto 09:00)"),
        timezone=_("IANA timezone, e.g. Europe/Madrid", "Zona horaria IANA, p. ej. Europe/Madrid"),
        topics=_(
            "Only these topics (space-separated)", "Solo estos temas (separados por espacios)"
        ),
        weekdays=_("Monday to Friday only", "Solo de lunes a viernes"),
        min_sources=_("Stories covered by at least N sources", "Historias con al menos N fuentes"),
        language=_("Digest language", "Idioma del resumen"),
        skip_empty=_("Post nothing on days without news", "No publicar los días sin noticias"),
    )
    @app_commands.choices(language=LANGUAGES)
    @app_commands.autocomplete(timezone=timezone_autocomplete, topics=topics_autocomplete)
    async def subscribe(
        self,
        interaction: discord.Interaction,
        time: app_commands.Range[str, 1, 5] | None = None,
        timezone: app_commands.Range[str, 1, 64] | None = None,
        topics: app_commands.Range[str, 1, 300] | None = None,
        weekdays: bool | None = None,
        min_sources: app_commands.Range[int, 1, 20] | None = None,
        language: Choice[str] | None = None,
        skip_empty: bool | None = None,
    ) -> None:
        args = subscribe_args(
            time,
            timezone,
            topics,
            weekdays,
            min_sources,
            language.value if language else None,
            skip_empty,
        )
        await self._run(interaction, "subscribe", args)

    @app_commands.command(
        description=_(
            "Stop this channel's digest (Manage Channels)",
            "Dejar de recibir el resumen (Gestionar canales)",
        )
    )
    async def unsubscribe(self, interaction: discord.Interaction) -> None:
        await self._run(interaction, "unsubscribe")

    @app_commands.command(
        description=_("Digest subscriptions in this server", "Suscripciones de este servidor")
    )
    async def subscriptions(self, interaction: discord.Interaction) -> None:
        await self._run(interaction, "subscriptions")

    @app_commands.command(
        description=_("List, add or remove news sources", "Ver, añadir o quitar fuentes")
    )
    @app_commands.describe(
        action=_(
            "What to do (add/remove need Manage Channels)",
            "Qué hacer (añadir/quitar requieren Gestionar canales)",
        ),
        target=_(
            "Feed/site URL to add, source id to remove, or OPML URL to import",
            "URL a añadir, id de la fuente a quitar, o URL del OPML a importar",
        ),
    )
    @app_commands.choices(action=SOURCE_ACTIONS)
    async def sources(
        self,
        interaction: discord.Interaction,
        action: Choice[str] | None = None,
        target: app_commands.Range[str, 1, 500] | None = None,
    ) -> None:
        verb = action.value if action else "list"
        args = "" if verb == "list" else f"{verb} {target or ''}"
        await self._run(interaction, "sources", args)

    @app_commands.command(
        name="lang",
        description=_(
            "Language of replies in this channel", "Idioma de las respuestas en este canal"
        ),
    )
    @app_commands.describe(language=_("Spanish or English", "Español o inglés"))
    @app_commands.choices(language=LANGUAGES)
    async def lang(self, interaction: discord.Interaction, language: Choice[str]) -> None:
        await self._run(interaction, "lang", language.value)


class SpanishTranslator(app_commands.Translator):
    """Spanish names for descriptions and choices (``locale_str(..., es=...)``)."""

    async def translate(
        self,
        string: locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        if locale in (discord.Locale.spain_spanish, discord.Locale.latin_american_spanish):
            spanish = string.extras.get("es")
            return str(spanish) if spanish else None
        return None


# -- registration ----------------------------------------------------------------------------

_COMPARED = {
    "name",
    "description",
    "type",
    "options",
    "required",
    "choices",
    "value",
    "autocomplete",
    "min_value",
    "max_value",
    "min_length",
    "max_length",
    "channel_types",
    "name_localizations",
    "description_localizations",
    "default_member_permissions",
    "nsfw",
}


def _canonical(value: Any) -> Any:
    """The parts of a command payload we set, without empty/default values."""
    if isinstance(value, dict):
        out = {k: _canonical(v) for k, v in value.items() if k in _COMPARED}
        return {k: v for k, v in out.items() if v not in (None, False, [], {}, "")}
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    return value


def same_commands(current: list[Any], wanted: list[Any]) -> bool:
    dump = json.dumps
    return dump(_canonical(current), sort_keys=True) == dump(_canonical(wanted), sort_keys=True)


async def sync_commands(tree: app_commands.CommandTree[Any], client: discord.Client) -> bool:
    """Register the global commands when they differ from what Discord has (restarts are
    frequent; command writes are rate limited). Returns whether a sync happened."""
    translator = tree.translator
    commands = tree.get_commands()
    wanted = [
        await c.get_translated_payload(tree, translator) if translator else c.to_dict(tree)
        for c in commands
    ]
    current: list[Any] | None = None
    if client.application_id is not None:
        try:
            current = list(await client.http.get_global_commands(client.application_id))
        except discord.HTTPException as exc:
            log.warning("could not list the registered commands (%s); syncing", exc)
    if current is not None and same_commands(current, wanted):
        log.info("application commands are up to date")
        return False
    await tree.sync()
    log.info("application commands registered: %s", ", ".join(c.name for c in commands))
    return True


__all__ = [
    "AinewsGroup",
    "SlashRunner",
    "SpanishTranslator",
    "command_text",
    "latest_args",
    "match_timezones",
    "match_topics",
    "subscribe_args",
    "sync_commands",
    "topic_names",
]
