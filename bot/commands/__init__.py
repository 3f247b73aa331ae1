"""Every command, declared once, and the one way to run it.

A command is a ``Spec`` (``bot.commands.spec``): its verbs and Spanish/English aliases, the
shape of its arguments (``bot.commands.grammar``), its typed options, whether it needs the
platform's manage permission, whether its reply is private, and its help-text key. From the
catalog below come the parser (``parse``), the permission rule (``needs_manage``, which the
service enforces and Slack uses to decide whether to ask Slack who the user is), the help
text (``help_text``), and Discord's ``/ainews`` subcommands with their options
(``adapters.discord.commands``). Slack and the console send text, which ``parse`` reads.

How to add a command, e.g. ``feedback <text>``:

1. In the module of its kind (``reading``: what the news says; ``channel``: a channel's
   settings), write the handler ``def feedback(host, args, lang, ctx) -> Reply`` and add
   ``Spec("feedback", feedback, "help_feedback", en=("feedback",), es=("opinion",),
   options=(Option("text", "opt_feedback_text", required=True, low=1, high=500),))``
   to its ``SPECS``. ``shape`` defaults to any text; see ``grammar`` for the others.
   Raise ``bot.i18n.UserError`` for bad input.
2. In ``bot/i18n.py``: ``help_feedback`` (one line, at most 100 characters: it is also
   Discord's description), ``help_feedback_usage`` (its arguments as typed, e.g.
   ``<texto>``/``<text>``; leave it out when there are none), and each option's key.

``tests/test_commands.py`` checks that every declared command reaches the parser, the help
text and the Discord tree in both languages.
"""

from __future__ import annotations

import difflib

from bot.commands import channel, grammar, reading
from bot.commands.grammar import LATEST_MAX, Command, latest_parts
from bot.commands.spec import Context, Handler, Host, Option, Spec
from bot.i18n import MESSAGES, t
from bot.reply import Reply
from bot.text import fold


def _help(host: Host, args: str, lang: str, ctx: Context) -> Reply:
    return Reply(text=help_text(lang), lang=lang)


HELP = Spec(
    "help",
    _help,
    "help_help",
    en=("help",),
    es=("ayuda",),
    either=("?",),
    shape=grammar.help_topic,
    private=True,
)
#: Every command, in the order the help text lists them.
CATALOG: tuple[Spec, ...] = (*reading.SPECS, *channel.SPECS, HELP)
SPECS: dict[str, Spec] = {spec.name: spec for spec in CATALOG}


def _aliases(spec: Spec) -> list[tuple[str, str]]:
    """``(alias, implied language)``, the command's own name first."""
    pairs = [(a, "en") for a in spec.en] + [(a, "es") for a in spec.es]
    pairs += [(a, "") for a in spec.either]
    return sorted(pairs, key=lambda pair: pair[0] != spec.name)


#: alias (folded) -> (verb, language the alias implies; "" = either), each command's own
#: name first.
VERBS: dict[str, tuple[str, str]] = {
    fold(alias): (spec.name, lang) for spec in CATALOG for alias, lang in _aliases(spec)
}
_SHAPES = {spec.name: spec.shape for spec in CATALOG}
_CANONICAL = frozenset(fold(spec.word(lang)) for spec in CATALOG for lang in ("en", "es"))


def parse(text: str) -> Command:
    """What the user typed as a ``Command`` (see ``bot.commands.grammar``)."""
    return grammar.parse(text, VERBS, _SHAPES, _CANONICAL)


def needs_manage(command: Command) -> bool:
    """Whether running ``command`` needs the platform's manage permission."""
    spec = SPECS.get(command.verb)
    return spec is not None and spec.needs_manage(command.args)


def verb_word(verb: str, lang: str) -> str:
    """``story`` in ``lang`` as the user would type it (``historia``)."""
    spec = SPECS.get(verb)
    return spec.word(lang) if spec else verb


def usage(spec: Spec, lang: str) -> str:
    """``buscar <consulta>``."""
    key = f"{spec.help}_usage"
    return f"{spec.word(lang)} {t(key, lang)}" if key in MESSAGES else spec.word(lang)


def help_text(lang: str) -> str:
    lines = [t("help_header", lang)]
    lines += [f"• `{usage(spec, lang)}` — {t(spec.help, lang)}" for spec in CATALOG]
    return "\n".join(lines)


def run(
    host: Host, command: Command, lang: str, ctx: Context, *, handler: Handler | None = None
) -> Reply:
    """``command``'s reply in ``lang``: permission, then the handler, then privacy."""
    spec = SPECS.get(command.verb)
    if spec is None:  # nothing typed, or a verb nobody declared
        text = t("empty_command", lang) if command.verb == "empty" else help_text(lang)
        return Reply(text=text, lang=lang, ephemeral=True)
    args = command.args.strip()
    if spec.needs_manage(args) and not ctx.can_manage:
        return Reply(text=t(ctx.refusal, lang), lang=lang, error=True, ephemeral=True)
    typo = _typo(command) if command.verb == grammar.FALLBACK else None
    if typo is not None:
        return Reply(
            text=t("unknown_verb", lang, verb=args, suggestion=typo),
            lang=lang,
            ephemeral=True,
            error=True,
        )
    reply = (handler or spec.handler)(host, args, lang, ctx)
    reply.ephemeral = reply.ephemeral or spec.is_private(args)
    return reply


def _typo(command: Command) -> str | None:
    """A single word that is nearly a verb ("serach") is a mistyped command, not a question."""
    word = command.args.strip()
    if " " in word or len(word) <= 2 or not word.isalpha():
        return None
    close = difflib.get_close_matches(word.lower(), list(VERBS), n=1, cutoff=0.75)
    return close[0] if close else None


__all__ = [
    "CATALOG",
    "LATEST_MAX",
    "SPECS",
    "VERBS",
    "Command",
    "Context",
    "Handler",
    "Host",
    "Option",
    "Spec",
    "help_text",
    "latest_parts",
    "needs_manage",
    "parse",
    "run",
    "usage",
    "verb_word",
]
