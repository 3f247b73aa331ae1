"""Command handling: a ``Command`` plus its ``Context`` becomes a ``Reply``. No platform code.

The commands themselves are declared and run by ``bot.commands``; the service adds what
lasts between them: the channel's language, the conversation (follow-ups), metrics, and
the hook that re-derives scheduler jobs when a subscription changes.

Synchronous by design (the core embeds on the CPU); async adapters call it in a
worker thread so their event loops stay free.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial

from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from bot import commands
from bot.commands import Command, Context, Handler, parse
from bot.commands.reading import search
from bot.conversation import Conversations, Followup, no_more_reply, sources_reply
from bot.core import Core
from bot.feedback import Feedback
from bot.i18n import UserError, t
from bot.llm.client import LLM
from bot.metrics import Metrics
from bot.models import ChannelSettings
from bot.reply import Reply
from bot.text import clean_text

__all__ = ["Context", "Service"]


class Service:
    """The one entry point adapters call."""

    def __init__(
        self, core: Core, *, clock: type[datetime] = datetime, metrics: Metrics | None = None
    ) -> None:
        self.core = core
        self._clock = clock
        self.metrics = metrics
        # Set by the composition root so a subscription change re-derives scheduler jobs now.
        self.on_subscriptions_changed: Callable[[], None] | None = None
        # Each conversation's last question, for follow-ups ("and Meta?", "source?", "more").
        self.conversations = Conversations(core.gazetteer)
        # 👍/👎 votes and the signatures on their buttons.
        self.feedback = Feedback(core.engine)
        # A model to phrase answers (AINEWS_LLM_URL/MODEL); None: answers stay extractive.
        self.llm = LLM.from_settings(core.settings)

    def subscriptions_changed(self) -> None:
        if self.on_subscriptions_changed is not None:
            self.on_subscriptions_changed()

    def now(self) -> datetime:
        return self._clock.now(UTC)

    # -- entry points -------------------------------------------------------------------------

    def handle_text(self, text: str, ctx: Context | None = None) -> Reply:
        ctx = ctx or Context()
        text = clean_text(text)  # no NUL or lone surrogate reaches a query, a row or a reply
        # A follow-up of the conversation's live last question comes before the grammar.
        followup = self.conversations.rewrite(ctx.conversation, text)
        command = followup.command if followup else parse(text)
        started = time.perf_counter()
        reply = self._followup(followup, ctx) if followup else self.handle(command, ctx)
        self.conversations.remember(ctx.conversation, command, reply, followup)
        if self.metrics is not None:
            self.metrics.commands.labels(command.verb, "error" if reply.error else "ok").inc()
            self.metrics.latency.labels(command.verb).observe(time.perf_counter() - started)
        return reply

    def handle(self, command: Command, ctx: Context, *, handler: Handler | None = None) -> Reply:
        try:
            lang = self._channel_lang(ctx) or command.lang
        except OperationalError:
            return Reply(
                text=t("database_unavailable", command.lang), lang=command.lang, error=True
            )
        try:
            return commands.run(self, command, lang, ctx, handler=handler)
        except UserError as exc:
            return Reply(text=exc.message(lang), lang=lang, error=True)
        except OperationalError:
            return Reply(text=t("database_unavailable", lang), lang=lang, error=True)

    def _followup(self, followup: Followup, ctx: Context) -> Reply:
        """A follow-up's reply: the sources shown before, or new results only for "more"."""
        command = followup.command
        if followup.kind == "sources":
            try:
                lang = self._channel_lang(ctx) or command.lang
            except OperationalError:
                lang = command.lang
            return sources_reply(followup, lang)
        if followup.kind == "more" and command.verb == "search":
            limit = len(followup.turn.shown) + 5
            reply = self.handle(command, ctx, handler=partial(search, limit=limit))
        else:
            reply = self.handle(command, ctx)
        if followup.kind == "more" and command.verb in {"search", "latest"} and not reply.error:
            reply.cards = [c for c in reply.cards if c.article_id not in followup.turn.shown]
            if not reply.cards:
                return no_more_reply(followup, reply.lang)
        return reply

    # -- helpers ------------------------------------------------------------------------------

    def _channel_lang(self, ctx: Context) -> str | None:
        with Session(self.core.engine) as session:
            return session.execute(
                select(ChannelSettings.lang).where(
                    ChannelSettings.platform == ctx.platform,
                    ChannelSettings.workspace == ctx.workspace,
                    ChannelSettings.channel == ctx.channel,
                )
            ).scalar_one_or_none()
