"""What a command is made of: its declaration (``Spec``, ``Option``) and what its handler gets.

A ``Spec`` is the one place a command is described; parsing, permissions, privacy, the help
text and each platform's command menu are read from it (see ``bot.commands``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from bot.commands.grammar import Shape, free
from bot.reply import Reply

if TYPE_CHECKING:
    from bot.core import Core
    from bot.llm.client import LLM
    from bot.metrics import Metrics


@dataclass(frozen=True, slots=True)
class Context:
    """Who is asking and where. Adapters fill it; ``can_manage`` is their permission check
    (asked only for commands whose ``Spec`` needs it, see ``bot.commands.needs_manage``)."""

    platform: str = "console"
    workspace: str = "local"
    channel: str = "console"
    user: str = "user"
    can_manage: bool = True
    refusal: str = "needs_permission"  # i18n key explaining why when can_manage is False
    # Which conversation a message belongs to, for follow-ups (see bot.conversation);
    # None: no memory. Console "console", Slack "slack:team:channel:thread", Discord
    # "discord:channel".
    conversation: str | None = None
    # Where a chat message shows a model answer growing (its verified sentences so far);
    # None: only the final reply is shown.
    progress: Callable[[str], None] | None = None


class Host(Protocol):
    """What a handler may use of the service that runs it."""

    @property
    def core(self) -> Core: ...

    @property
    def llm(self) -> LLM | None: ...  # phrases answers and digest summaries; None: extractive

    @property
    def metrics(self) -> Metrics | None: ...

    def now(self) -> datetime: ...

    def subscriptions_changed(self) -> None: ...


#: ``(host, args, lang, ctx) -> Reply``; raise ``bot.i18n.UserError`` to refuse bad input.
Handler = Callable[[Host, str, str, Context], Reply]
#: Whether the command, with these arguments, does something (``True``/``False`` for all).
ArgsRule = bool | Callable[[str], bool]


@dataclass(frozen=True, slots=True)
class Option:
    """One typed argument, for menus that have them (Discord's application commands).

    The values a user picks are written back as command text, in declaration order:
    ``prefix`` + the value, ``flag`` for a true boolean, ``off`` for a false one when
    turning it off must be said (``thread=no``), ``default`` when not given.
    """

    name: str
    help: str  # i18n key of its description (at most 100 characters)
    kind: type = str  # str | int | bool
    required: bool = False
    low: int | None = None  # str: shortest length; int: smallest value
    high: int | None = None  # str: longest length; int: largest value
    choices: tuple[tuple[str, str], ...] = ()  # (value, i18n key of its label)
    complete: str = ""  # "timezone" | "topics": what to suggest while typing
    flag: str = ""
    off: str = ""
    prefix: str = ""
    default: str = ""

    def text(self, value: object) -> str:
        """This option's part of the command text for ``value`` (None: not given)."""
        value = getattr(value, "value", value)  # a picked choice
        if value is None:
            return self.default
        if value is False:
            return self.off or self.default
        if value is True:
            return self.flag
        return f"{self.prefix}{value}"


@dataclass(frozen=True, slots=True)
class Spec:
    """One command, declared once.

    ``name`` is its English verb and menu name; ``es[0]`` its Spanish verb. Any alias in
    ``en``/``es`` also sets the reply language; ``either`` aliases do not. ``help`` is the
    i18n key of its one-line description; ``help + "_usage"``, when present, of its
    arguments as typed ("<query>"). ``manage``: needs the platform's manage permission;
    ``private``: only the asker sees the reply; ``changes``: it writes settings, so it is
    never re-run to turn a page. The last three take the arguments when they depend on them.
    """

    name: str
    handler: Handler
    help: str
    en: tuple[str, ...] = ()
    es: tuple[str, ...] = ()
    either: tuple[str, ...] = ()
    shape: Shape = free
    options: tuple[Option, ...] = field(default=())
    manage: ArgsRule = False
    private: ArgsRule = False
    changes: ArgsRule = False

    def word(self, lang: str) -> str:
        """The verb to write in ``lang``: ``buscar`` / ``search``."""
        return self.es[0] if lang == "es" and self.es else self.name

    def needs_manage(self, args: str) -> bool:
        return _holds(self.manage, args)

    def is_private(self, args: str) -> bool:
        return _holds(self.private, args)

    def writes(self, args: str) -> bool:
        return _holds(self.changes, args)

    def args(self, values: Mapping[str, object]) -> str:
        """The arguments for option values picked in a menu: ``3 Qwen`` for ``latest``."""
        return " ".join(" ".join(o.text(values.get(o.name)) for o in self.options).split())


def _holds(rule: ArgsRule, args: str) -> bool:
    return rule(args) if callable(rule) else rule
