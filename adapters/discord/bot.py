"""The discord.py client: mentions, ``/ainews`` and button clicks -> ``Service`` -> embeds.

The core is synchronous and CPU-bound (embeddings, ranking), so every call to it runs in a
worker thread (``asyncio.to_thread``): the event loop keeps answering heartbeats and other
users while a question is being answered. Interactions are acknowledged (deferred) before
that work starts, because Discord drops an interaction not acknowledged within 3 seconds.

Every message goes out with ``allowed_mentions=none`` (also the client default), so no
content - an article title with ``@everyone`` included - can ping anyone.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import logging
import secrets
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import discord
from discord import app_commands

from adapters.discord import context, ids
from adapters.discord.commands import AinewsGroup, SpanishTranslator, command_text, sync_commands
from adapters.discord.endpoints import Endpoints
from adapters.discord.render import Page, render
from adapters.discord.views import ActionButton, build_view
from adapters.live import LiveAnswer
from bot.commands import SPECS, Command, needs_manage, parse
from bot.feedback import cast
from bot.i18n import t
from bot.reply import Reply
from bot.service import Context, Service

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
#: Discord's longest attachment description (an image's alt text).
DESCRIPTION_MAX = 1024


def replies_privately(command: Command, ctx: Context) -> bool:
    """Whether the reply will be private (declared so, or a refusal): deferring privately up
    front avoids a public "thinking..." placeholder that would have to be deleted."""
    spec = SPECS.get(command.verb)
    if spec is None:
        return True  # nothing typed: the hint is for the asker only
    return spec.is_private(command.args) or (needs_manage(command) and not ctx.can_manage)


def recomputable(command: Command) -> bool:
    """Whether a reply's pages can be recomputed from its text on a "Next" click: the
    command changes nothing."""
    spec = SPECS.get(command.verb)
    return spec is not None and not spec.writes(command.args)


def intents() -> discord.Intents:
    """Only what the bot uses; no privileged intent (see the README on Message Content)."""
    wanted = discord.Intents.none()
    wanted.guilds = True  # channels, threads, roles and overwrites for permission checks
    wanted.guild_messages = True  # mentions in servers
    wanted.dm_messages = True  # direct messages
    return wanted


class ReplyCache:
    """Replies too long to be named by their command text, for "Next" (best effort: memory)."""

    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._items: OrderedDict[str, Reply] = OrderedDict()

    def put(self, reply: Reply) -> str:
        token = secrets.token_urlsafe(9)
        self._items[token] = reply
        while len(self._items) > self._size:
            self._items.popitem(last=False)
        return token

    def get(self, token: str) -> Reply | None:
        reply = self._items.get(token)
        if reply is not None:
            self._items.move_to_end(token)
        return reply


class AINewsClient(discord.Client):
    def __init__(
        self,
        *,
        service: Service,
        endpoints: Endpoints | None = None,
        sync_commands: bool = True,
        **options: Any,
    ) -> None:
        options.setdefault("intents", intents())
        options.setdefault("allowed_mentions", NO_MENTIONS)
        super().__init__(**options)
        self.service = service
        self.endpoints = endpoints
        self.sync_on_start = sync_commands
        self.tree: app_commands.CommandTree[AINewsClient] = app_commands.CommandTree(self)
        self.tree.add_command(AinewsGroup(self))
        self.tree.on_error = self._on_tree_error  # type: ignore[method-assign]
        self.replies = ReplyCache()

    async def setup_hook(self) -> None:
        if self.endpoints is not None:
            await self.endpoints.discover_gateway(self.http)
        self.add_dynamic_items(ActionButton)
        await self.tree.set_translator(SpanishTranslator())
        if self.sync_on_start:
            await sync_commands(self.tree, self)

    # -- the core, off the event loop -----------------------------------------------------------

    async def handle(self, text: str, ctx: Context) -> Reply:
        try:
            return await asyncio.to_thread(self.service.handle_text, text, ctx)
        except Exception:
            log.exception("the service failed on %r", text)
            lang = parse(text).lang
            return Reply(text=t("internal_error", lang), lang=lang, error=True, ephemeral=True)

    def signer(self, ctx: Context) -> Callable[[str], str]:
        """Signs 👍/👎 targets for the channel of ``ctx`` (checked again on click)."""
        return self.service.feedback.signer(context.PLATFORM, ctx.workspace, ctx.channel)

    def paginate(self, text: str, reply: Reply, ctx: Context) -> list[Page]:
        """Render; a multi-page reply is named by its command text when that can be re-run
        (so "Next" survives restarts), else by a token into the in-memory cache."""
        sign = self.signer(ctx)
        pages = render(reply, sign=sign)
        if len(pages) == 1:
            return pages
        text = " ".join(text.split())
        command = parse(text)
        if recomputable(command) and len(text) <= ids.MAX_PAGER_KEY and not text.startswith("#"):
            key = text
        else:
            key = "#" + self.replies.put(reply)
        return render(reply, pager_key=key, sign=sign)

    # -- mentions ------------------------------------------------------------------------------

    def addressed_text(self, message: discord.Message) -> str | None:
        """The command/question in a message for the bot, or None when it is not for us.

        Ignores bots (itself included), system messages, and server messages that do not
        mention the bot (``@everyone`` does not count). In a DM every message is for the bot.
        A mention of the bot's own role (``@ainews`` picked from the role list) counts too, but
        Discord only delivers the text of such a message with the Message Content intent;
        without it the text is empty and the user gets the "type a command" hint.
        """
        me = self.user
        if me is None or message.author.bot or message.author.id == me.id:
            return None
        if message.type not in (discord.MessageType.default, discord.MessageType.reply):
            return None
        role = message.guild.self_role if message.guild else None
        mentioned = any(user.id == me.id for user in message.mentions) or (
            role is not None and any(r.id == role.id for r in message.role_mentions)
        )
        if message.guild is not None and not mentioned:
            return None
        text = message.content
        for token in (f"<@{me.id}>", f"<@!{me.id}>", f"<@&{role.id}>" if role else None):
            if token:
                text = text.replace(token, " ")
        return " ".join(text.split())

    async def on_message(self, message: discord.Message) -> None:
        text = self.addressed_text(message)
        if text is None:
            return
        # A channel (threads are channels) or a DM is one conversation, for follow-ups.
        conversation = f"{context.PLATFORM}:{message.channel.id}"
        ctx = dataclasses.replace(context.from_message(message), conversation=conversation)
        placeholder, live = None, None
        if self._streams(text):
            lang = parse(text).lang
            try:
                placeholder = await message.channel.send(
                    t("looking", lang),
                    reference=message.to_reference(fail_if_not_exists=False),
                    mention_author=False,
                    allowed_mentions=NO_MENTIONS,
                )
            except discord.HTTPException as exc:
                log.info("no placeholder in channel %s: %s", message.channel.id, exc)
        if placeholder is not None:
            shown = placeholder

            async def edit(partial: str) -> None:
                page = render(Reply(text=partial, lang=lang))[0]
                await shown.edit(content=None, embeds=page.embeds, allowed_mentions=NO_MENTIONS)

            live = LiveAnswer(edit)
            ctx = dataclasses.replace(ctx, progress=live.progress)
        else:
            try:
                await message.channel.typing()
            except discord.HTTPException:
                pass  # no typing indicator is no reason not to answer
        reply = await self.handle(text, ctx)
        if live is not None:
            await live.finish()
        page = self.paginate(text, reply, ctx)[0]
        try:
            if placeholder is not None:
                answer = partial(placeholder.edit, **_replacing(page))
                await with_files(answer, reply, "attachments")
                return
            send = partial(
                message.channel.send,
                embeds=page.embeds,
                view=build_view(page.components),
                reference=message.to_reference(fail_if_not_exists=False),
                mention_author=False,
                allowed_mentions=NO_MENTIONS,
            )
            await with_files(send, reply)
        except discord.HTTPException as exc:
            log.warning("could not answer in channel %s: %s", message.channel.id, exc)

    # -- interactions --------------------------------------------------------------------------

    async def run_slash(self, interaction: discord.Interaction, verb: str, args: str) -> None:
        await self.respond(interaction, command_text(verb, args, context.locale_lang(interaction)))

    async def respond(
        self, interaction: discord.Interaction, text: str, *, private: bool | None = None
    ) -> None:
        """Defer, run ``text`` in the worker thread, then send the first page as follow-up.

        ``private`` forces an ephemeral answer; otherwise it is predicted from the verb (and
        a refusal is always private). If the reply turns out private after a public defer,
        the public placeholder is deleted and the answer is sent ephemerally.
        """
        ctx = context.from_interaction(interaction)
        if private is None:
            private = replies_privately(parse(text), ctx)
        await interaction.response.defer(ephemeral=private, thinking=True)
        live = None
        if self._streams(text) and not private:
            lang = parse(text).lang
            await interaction.edit_original_response(content=t("looking", lang))

            async def edit(partial: str) -> None:
                page = render(Reply(text=partial, lang=lang))[0]
                await interaction.edit_original_response(
                    content=None, embeds=page.embeds, allowed_mentions=NO_MENTIONS
                )

            live = LiveAnswer(edit)
            ctx = dataclasses.replace(ctx, progress=live.progress)
        reply = await self.handle(text, ctx)
        if live is not None:
            await live.finish()
        page = self.paginate(text, reply, ctx)[0]
        if reply.ephemeral and not private:
            try:
                await interaction.delete_original_response()
            except discord.HTTPException:
                log.debug("could not delete the public placeholder", exc_info=True)
            private = True
        elif live is not None:  # the placeholder becomes the answer
            answer = partial(interaction.edit_original_response, **_replacing(page))
            await with_files(answer, reply, "attachments")
            return
        await self._followup(interaction, page, private=private, reply=reply)

    def _streams(self, text: str) -> bool:
        """A question, with a model configured: a placeholder the answer replaces, growing in
        a few edits (``adapters.live``). Everything else is answered as before."""
        return self.service.llm is not None and parse(text).verb == "ask"

    async def _followup(
        self, interaction: discord.Interaction, page: Page, *, private: bool, reply: Reply
    ) -> None:
        send = partial(
            interaction.followup.send,
            embeds=page.embeds,
            view=build_view(page.components),
            ephemeral=private,
            allowed_mentions=NO_MENTIONS,
            wait=True,
        )
        await with_files(send, reply)

    async def on_button(self, interaction: discord.Interaction, action: str, arg: str) -> None:
        """A click on an ainews button (any message, any process lifetime; see ``ids``)."""
        try:
            if action == "more" and arg.split(":", 1)[0].isdigit():
                story, _, lang = arg.partition(":")
                lang = lang if lang in ("es", "en") else context.locale_lang(interaction)
                await self.respond(interaction, command_text("story", story, lang), private=True)
            elif action == "sub":
                lang = arg if arg in ("es", "en") else context.locale_lang(interaction)
                await self.respond(interaction, command_text("subscribe", "", lang))
            elif action == "share":
                await self._share(interaction)
            elif action == "next":
                await self._turn_page(interaction, arg)
            elif action == "vote":
                await self._vote(interaction, arg)
            else:
                log.info("ignoring unknown button action %r", action)
        except Exception:
            log.exception("button %s:%s failed", action, arg)
            await self._apologize(interaction)

    async def _vote(self, interaction: discord.Interaction, arg: str) -> None:
        """👍/👎: acknowledged first (a replayed interaction fails there and counts nothing),
        then counted only if the signed token belongs to the channel clicked in."""
        side, _, token = arg.partition(":")
        await interaction.response.defer(ephemeral=True, thinking=True)
        ctx = context.from_interaction(interaction)
        places = [(context.PLATFORM, ctx.workspace, ctx.channel)]
        parent = getattr(interaction.channel, "parent_id", None)
        if parent:  # a digest's thread or forum post: its buttons are signed for the parent
            places.append((context.PLATFORM, ctx.workspace, str(parent)))
        value = {"u": 1, "d": -1}.get(side, 0)
        lang = context.locale_lang(interaction)
        vote, text = await asyncio.to_thread(
            cast, self.service.feedback, places, ctx.user, token, value, lang
        )
        if vote is None:
            log.warning("discord vote refused: the button is not valid in %s", ctx.channel)
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    async def _share(self, interaction: discord.Interaction) -> None:
        """Post the (usually ephemeral) results the button is on, for the whole channel."""
        embeds = interaction.message.embeds if interaction.message else []
        if not embeds:
            await interaction.response.defer()
            return
        await interaction.response.send_message(embeds=embeds, allowed_mentions=NO_MENTIONS)

    async def _turn_page(self, interaction: discord.Interaction, arg: str) -> None:
        number, _, key = arg.partition(":")
        if not number.isdigit() or not key:
            return
        await interaction.response.defer()  # "update the message later"
        if key.startswith("#"):
            reply = self.replies.get(key[1:])
            if reply is None:
                lang = context.locale_lang(interaction)
                await interaction.followup.send(
                    t("pages_expired", lang), ephemeral=True, allowed_mentions=NO_MENTIONS
                )
                return
        else:
            reply = await self.handle(key, context.from_interaction(interaction))
        sign = self.signer(context.from_interaction(interaction))
        pages = render(reply, pager_key=key, sign=sign)
        page = pages[min(int(number), len(pages) - 1)]
        await interaction.edit_original_response(
            embeds=page.embeds,
            view=build_view(page.components) or None,
            allowed_mentions=NO_MENTIONS,
        )

    async def _apologize(self, interaction: discord.Interaction) -> None:
        text = t("internal_error", context.locale_lang(interaction))
        try:
            if interaction.response.is_done():
                await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
            else:
                await interaction.response.send_message(
                    text, ephemeral=True, allowed_mentions=NO_MENTIONS
                )
        except discord.HTTPException:
            log.debug("could not report the failure", exc_info=True)

    async def _on_tree_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        log.error("application command failed", exc_info=error)
        await self._apologize(interaction)


async def with_files(
    send: Callable[..., Awaitable[Any]], reply: Reply, keyword: str = "files"
) -> None:
    """``send()`` the answer with the reply's files as attachments (``keyword``: ``files`` to
    send, ``attachments`` to edit). If Discord refuses them (too large, no Attach Files
    permission...), the answer goes without them and says what was not attached."""
    if not reply.files:
        await send()
        return
    try:
        await send(**{keyword: attachments(reply)})
    except discord.HTTPException as exc:
        names = ", ".join(f.filename for f in reply.files)
        log.warning("discord refused the files %s (%s); answering without them", names, exc)
        await send(content=t("file_not_attached", reply.lang, name=names))


def attachments(reply: Reply) -> list[discord.File]:
    """The reply's files for discord.py (new objects each time: a send consumes them)."""
    return [
        discord.File(
            io.BytesIO(f.data), filename=f.filename, description=f.title[:DESCRIPTION_MAX] or None
        )
        for f in reply.files
    ]


def _replacing(page: Page) -> dict[str, Any]:
    """What edits a "Looking…" placeholder (a message or an interaction's) into the answer."""
    return {
        "content": None,
        "embeds": page.embeds,
        "view": build_view(page.components),
        "allowed_mentions": NO_MENTIONS,
    }
