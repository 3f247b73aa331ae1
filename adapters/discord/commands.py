"""The ``/ainews`` application command group, derived from the command catalog.

Each ``bot.commands`` ``Spec`` becomes a subcommand whose typed options are the spec's
``Option``s, described by the same i18n strings as the help text. What a user picks is turned
back into the text grammar (``search Qwen``, ``suscribir 09:00 Europe/Madrid``), so mentions,
slash commands, buttons and the console share one parser and one service. A Spanish Discord
client gets the Spanish verb, which makes the reply Spanish unless the channel has a language
set. Application commands carry their own text, so they work without the Message Content
intent.
"""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import Iterable
from functools import cache
from typing import Any, Optional, Protocol
from zoneinfo import available_timezones

import discord
from discord import app_commands
from discord.app_commands import Choice, locale_str

from bot.commands import CATALOG, Option, Spec, verb_word
from bot.i18n import t
from bot.text import fold

log = logging.getLogger(__name__)

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


def command_text(verb: str, args: str, lang: str) -> str:
    """``search`` + ``Qwen`` -> ``search Qwen`` (``buscar Qwen`` for Spanish clients)."""
    return " ".join(f"{verb_word(verb, lang)} {args}".split())


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


def _(key: str) -> locale_str:
    """An i18n string as Discord text: English, with the Spanish for the translator."""
    return locale_str(t(key, "en"), es=t(key, "es"))


_AUTOCOMPLETE = {"timezone": timezone_autocomplete, "topics": topics_autocomplete}


def _annotation(option: Option) -> Any:
    if option.choices:
        kind: Any = Choice[str]
    elif option.kind is bool:
        kind = bool
    elif option.low is not None or option.high is not None:
        kind = app_commands.Range[option.kind, option.low, option.high]
    else:
        kind = option.kind
    return kind if option.required else Optional[kind]  # noqa: UP045  (a runtime object)


def description(spec: Spec) -> locale_str:
    """The spec's help line, plus the permission it needs when it always needs one."""
    if spec.manage is True:
        return locale_str(
            f"{t(spec.help, 'en')} {t('discord_needs_manage', 'en')}",
            es=f"{t(spec.help, 'es')} {t('discord_needs_manage', 'es')}",
        )
    return _(spec.help)


def subcommand(spec: Spec, runner: SlashRunner) -> app_commands.Command[Any, ..., None]:
    """``/ainews <spec.name>`` with the spec's options; running it runs the command text."""

    async def callback(interaction: discord.Interaction, **values: Any) -> None:
        await runner.run_slash(interaction, spec.name, spec.args(values))

    first = inspect.Parameter("interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD)
    callback.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            first.replace(annotation=discord.Interaction),
            *(
                inspect.Parameter(
                    o.name,
                    inspect.Parameter.KEYWORD_ONLY,
                    annotation=_annotation(o),
                    default=inspect.Parameter.empty if o.required else None,
                )
                for o in spec.options
            ),
        ]
    )
    command: app_commands.Command[Any, ..., None] = app_commands.Command(
        name=spec.name, description=description(spec), callback=callback
    )
    if spec.options:
        app_commands.describe(**{o.name: _(o.help) for o in spec.options})(command)
    choices = {
        o.name: [Choice(name=_(label), value=value) for value, label in o.choices]
        for o in spec.options
        if o.choices
    }
    if choices:
        app_commands.choices(**choices)(command)
    completes = {o.name: _AUTOCOMPLETE[o.complete] for o in spec.options if o.complete}
    if completes:
        app_commands.autocomplete(**completes)(command)
    return command


class AinewsGroup(app_commands.Group):
    """``/ainews``: one subcommand per declared command."""

    def __init__(self, runner: SlashRunner) -> None:
        super().__init__(name="ainews", description=_("discord_group"))
        self.runner = runner
        for spec in CATALOG:
            self.add_command(subcommand(spec, runner))


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
    "match_timezones",
    "match_topics",
    "subcommand",
    "sync_commands",
    "topic_names",
]
