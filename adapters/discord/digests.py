"""Posting a digest to Discord: a text channel, a thread per digest, or a forum post.

* Text channel: every page as a message, each with a nonce derived from the digest's key and
  ``enforce_nonce``, so a resend after a crash is answered with the first message.
* ``thread=yes`` (``Subscription.thread``): the first page in the channel, then a thread
  opened on it (titled with the digest's date) holding the other pages. Opening a thread on
  a message that already has one (a resend) reuses it.
* Forum channel: one post per digest, titled with the date (``POST /channels/{forum}/threads``,
  the first page as its starter message), the other pages inside it. A resend finds the
  post it already made among the guild's active threads instead of making a second one.

``post`` answers where the digest's story updates (``bot.updates``) go: its thread or forum
post ("thread:ID"), else its first message ("message:ID"), which they answer as a reply.

Errors are discord.py's; ``DiscordAdapter.send`` turns them into ``DeliveryError``.
"""

from __future__ import annotations

from typing import Any, Literal

import discord
from discord.http import handle_message_parameters

from adapters.discord.render import Page, clip
from adapters.discord.views import build_view

THREAD_NAME_MAX = 100
ARCHIVE_MINUTES: Literal[1440] = 1440  # a day: the next digest opens the next one
THREAD_EXISTS = 160004  # "A thread has already been created for this message"


def title_of(text: str) -> str:
    """The digest's first line ("AI digest — 5 Dec 2026"), as Discord allows a thread name."""
    first = text.strip().splitlines()[0] if text.strip() else "ainews"
    return clip(first, THREAD_NAME_MAX)


class DigestPoster:
    """One digest's pages to one channel (see the module docstring)."""

    def __init__(self, client: discord.Client, mentions: discord.AllowedMentions) -> None:
        self.client = client
        self.mentions = mentions

    async def post(
        self, channel_id: int, pages: list[Page], title: str, nonces: list[str], thread: bool
    ) -> str:
        channel = self.client.get_channel(channel_id) or await self.client.fetch_channel(channel_id)
        if isinstance(channel, discord.ForumChannel):
            where = await self._forum_post(channel, pages[0], title, nonces[0])
            ref = f"thread:{where}"
        else:
            first = await self._send(channel_id, pages[0], nonces[0])
            where = await self._thread_on(channel_id, first, title) if thread else channel_id
            ref = f"thread:{where}" if thread else f"message:{first}"
        for page, key in zip(pages[1:], nonces[1:], strict=True):
            await self._send(where, page, key)
        return ref

    async def reply(
        self, channel_id: int, where: str, pages: list[Page], nonces: list[str]
    ) -> None:
        """``pages`` in a digest's thread or forum post, or as a reply to its first message
        (``where``, as ``post`` answered)."""
        kind, _, ref = where.partition(":")
        if kind == "thread":
            target, reference = int(ref), None
        else:
            # A digest message deleted since: refused, never posted as a new message.
            target, reference = channel_id, {"message_id": ref, "fail_if_not_exists": True}
        for page, key in zip(pages, nonces, strict=True):
            await self._send(target, page, key, reference)

    def _params(self, page: Page, key: str, **channel: Any) -> Any:
        return handle_message_parameters(
            embeds=page.embeds,
            view=build_view(page.components),
            allowed_mentions=self.mentions,
            previous_allowed_mentions=self.client.allowed_mentions,
            nonce=key,
            channel_payload=channel or discord.utils.MISSING,
        )

    async def _send(
        self, channel_id: int, page: Page, key: str, reference: dict[str, Any] | None = None
    ) -> int:
        with self._params(page, key) as params:
            # discord.py has no argument for it: Discord answers a second message with the
            # same nonce (inside its window) with the first, not a new one.
            if params.payload is not None:
                params.payload["enforce_nonce"] = True
                if reference is not None:
                    params.payload["message_reference"] = reference
            message = await self.client.http.send_message(channel_id, params=params)
        return int(message["id"])

    async def _thread_on(self, channel_id: int, message_id: int, title: str) -> int:
        try:
            thread = await self.client.http.start_thread_with_message(
                channel_id, message_id, name=title, auto_archive_duration=ARCHIVE_MINUTES
            )
        except discord.HTTPException as exc:
            if exc.code != THREAD_EXISTS:
                raise
            return message_id  # a message's thread has the message's id
        return int(thread["id"])

    async def _forum_post(
        self, forum: discord.ForumChannel, page: Page, title: str, key: str
    ) -> int:
        existing = await self._existing_post(forum, title)
        if existing is not None:
            return existing
        with self._params(
            page, key, name=title, auto_archive_duration=ARCHIVE_MINUTES, type=11
        ) as params:
            thread = await self.client.http.start_thread_in_forum(forum.id, params=params)
        return int(thread["id"])

    async def _existing_post(self, forum: discord.ForumChannel, title: str) -> int | None:
        """This bot's open post titled ``title`` in ``forum``, if there is one."""
        me = self.client.user
        active = await self.client.http.get_active_threads(forum.guild.id)
        for thread in active.get("threads", []):
            mine = me is not None and str(thread.get("owner_id")) == str(me.id)
            if mine and str(thread.get("parent_id")) == str(forum.id) and thread["name"] == title:
                return int(thread["id"])
        return None
