"""``DiscordAdapter``: the ``bot.ports.Adapter`` for Discord (start, stop, send digests).

``start()`` runs discord.py's client as a task and returns once the gateway session is READY
(or raises why it could not start: bad token, privileged intent not enabled, timeout).
``send()`` posts over REST and turns Discord's answers into ``DeliveryError``: a deleted
channel (404) or a bot that lost access (403) is permanent, so the scheduler pauses the
subscription with the reason instead of retrying forever; 429s are waited out by
discord.py's rate limiter (``max_ratelimit_timeout`` unset = wait as long as Discord asks).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import secrets
from typing import Any

import aiohttp
import discord
from sqlmodel import Session, select

from adapters.discord.bot import NO_MENTIONS, AINewsClient
from adapters.discord.context import PLATFORM
from adapters.discord.digests import DigestPoster, title_of
from adapters.discord.endpoints import Endpoints
from adapters.discord.render import render
from bot.models import Subscription
from bot.ports import DeliveryError
from bot.reply import Reply
from bot.service import Service
from bot.settings import Settings

log = logging.getLogger(__name__)


class DiscordAdapter:
    platform = "discord"

    def __init__(
        self,
        *,
        service: Service,
        settings: Settings,
        ready_timeout: float = 60.0,
        sync_commands: bool = True,
        **client_options: Any,
    ) -> None:
        """``client_options`` go to ``discord.Client`` (e.g. ``guild_ready_timeout``)."""
        self.service = service
        self.settings = settings
        self.ready_timeout = ready_timeout
        self.sync_commands = sync_commands
        self.client_options = client_options
        self.client: AINewsClient | None = None
        self._task: asyncio.Task[None] | None = None
        self._endpoints: Endpoints | None = None

    @property
    def connected(self) -> bool:
        client = self.client
        if client is None or client.is_closed() or not client.is_ready():
            return False
        ws = client.ws
        return ws is not None and ws.open

    async def start(self) -> None:
        if self.settings.discord_token is None:
            raise RuntimeError("DISCORD_TOKEN is not set")
        if self.client is not None:
            raise RuntimeError("the Discord adapter is already started")
        token = self.settings.discord_token.get_secret_value()
        if self.settings.discord_api_url:
            self._endpoints = Endpoints(self.settings.discord_api_url)
        self.client = AINewsClient(
            service=self.service,
            endpoints=self._endpoints,
            sync_commands=self.sync_commands,
            **self.client_options,
        )
        self._task = asyncio.create_task(self.client.start(token), name="discord-client")
        ready = asyncio.create_task(self.client.wait_until_ready(), name="discord-ready")
        done, _ = await asyncio.wait(
            {self._task, ready}, timeout=self.ready_timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if ready in done:
            log.info("Discord connected as %s", self.client.user)
            return
        ready.cancel()
        failure: BaseException
        if self._task in done:
            failure = self._task.exception() or RuntimeError("the Discord client stopped")
        else:
            failure = TimeoutError(f"Discord was not ready within {self.ready_timeout:g} s")
        await self.stop()
        raise failure

    async def stop(self) -> None:
        client, task = self.client, self._task
        self.client, self._task = None, None
        try:
            if client is not None:
                await client.close()
            if task is not None:
                with contextlib.suppress(Exception, asyncio.CancelledError):
                    await asyncio.wait_for(task, 10)
        finally:
            if self._endpoints is not None:
                self._endpoints.restore()
                self._endpoints = None

    #: Seconds during which Discord answers a resend with the same nonce with the first
    #: message ("the past few minutes"; kept short of that): the scheduler relies on it to
    #: resend a digest that was in flight when its sender stopped.
    dedup_window: float = 120.0

    def _wants_thread(self, workspace: str, channel: str) -> bool:
        """Whether the channel's subscription asked for a thread per digest (``thread=yes``)."""
        with Session(self.service.core.engine) as session:
            wanted = session.execute(
                select(Subscription.thread).where(
                    Subscription.platform == PLATFORM,
                    Subscription.workspace == workspace,
                    Subscription.channel == channel,
                )
            ).scalar_one_or_none()
        return bool(wanted)

    async def send(
        self,
        workspace: str,
        channel: str,
        reply: Reply,
        *,
        idempotency_key: str | None = None,
        thread: str | None = None,
    ) -> str | None:
        """Post ``reply`` (all its pages) to channel id ``channel``: as messages, in a thread
        opened on the first one (``thread=yes``), or as a forum post (``adapters.discord.
        digests``); with ``thread`` (what a digest's send returned), in that digest's thread
        or as a reply to it. 👍/👎 on each story are signed for ``channel``.

        With ``idempotency_key`` each page carries a nonce derived from it and Discord's
        ``enforce_nonce`` makes a resend of the same digest (after a crash) a no-op.
        """
        client = self.client
        if client is None or client.is_closed() or client.http.token is None:
            raise DeliveryError("the Discord adapter is not running", permanent=False)
        if not channel.isdigit():
            raise DeliveryError(f"not a Discord channel id: {channel!r}", permanent=True)
        sign = self.service.feedback.signer(PLATFORM, workspace, channel)
        pages = render(reply, sign=sign)
        key = idempotency_key or secrets.token_hex(8)
        nonces = [nonce(key, number) for number in range(len(pages))]
        try:
            poster = DigestPoster(client, NO_MENTIONS)
            if thread:
                await poster.reply(int(channel), thread, pages, nonces)
                return None
            wants = await asyncio.to_thread(self._wants_thread, workspace, channel)
            return await poster.post(int(channel), pages, title_of(reply.text), nonces, wants)
        except (discord.NotFound, discord.Forbidden) as exc:
            raise DeliveryError(reason(exc), permanent=True) from exc
        except discord.RateLimited as exc:
            raise DeliveryError(
                f"discord rate limited for {exc.retry_after:.0f} s",
                permanent=False,
                retry_after=exc.retry_after,
            ) from exc
        except discord.HTTPException as exc:
            retry_after = _retry_after(exc)
            raise DeliveryError(reason(exc), permanent=False, retry_after=retry_after) from exc
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise DeliveryError(f"discord unreachable: {exc}", permanent=False) from exc


def nonce(key: str, page: int) -> str:
    """Discord nonces are at most 25 characters: a digest of the key and the page."""
    return hashlib.sha256(f"{key}:{page}".encode()).hexdigest()[:25]


def reason(exc: discord.HTTPException) -> str:
    """``discord 404: Unknown Channel (code 10003)`` - what an operator needs to see."""
    text = exc.text or getattr(exc.response, "reason", "") or "error"
    return f"discord {exc.status}: {text} (code {exc.code})"


def _retry_after(exc: discord.HTTPException) -> float | None:
    if exc.status != 429:
        return None
    header = exc.response.headers.get("Retry-After") if exc.response is not None else None
    try:
        return float(header) if header else None
    except ValueError:
        return None
