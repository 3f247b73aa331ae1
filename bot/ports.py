"""What the core needs from a platform, defined on the core's side.

The scheduler delivers digests through ``Sender``; adapters implement it. Keeping
the protocol here (not in ``adapters``) preserves the one-way dependency:
``adapters`` import ``bot``, never the reverse.
"""

from __future__ import annotations

from typing import Protocol

from bot.reply import Reply


class DeliveryError(Exception):
    """A send that failed. ``permanent`` errors pause the subscription with ``reason``.

    ``maybe_delivered``: the request may have reached the platform before it failed (a 5xx,
    a dropped connection, a timeout), so the post may be there; a retry checks first.
    """

    def __init__(
        self,
        reason: str,
        *,
        permanent: bool,
        retry_after: float | None = None,
        maybe_delivered: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after
        self.maybe_delivered = maybe_delivered


class Sender(Protocol):
    """Posts a reply to a channel outside any conversation (digests, their updates)."""

    platform: str

    async def send(
        self,
        workspace: str,
        channel: str,
        reply: Reply,
        *,
        idempotency_key: str | None = None,
        thread: str | None = None,
    ) -> str | None:
        """Deliver or raise ``DeliveryError``; return where replies to this post go (Slack:
        its ``ts``; Discord: "thread:ID" or "message:ID"), None if nowhere.

        Platforms that can deduplicate (Discord's ``nonce`` with ``enforce_nonce``) use
        ``idempotency_key`` so a digest resent after a crash is not posted twice. ``thread``
        (a value ``send`` returned) posts the reply there: a story update in its digest's
        thread.
        """
        ...


class Adapter(Sender, Protocol):
    """A running platform connection: Slack, Discord or the console."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    @property
    def connected(self) -> bool: ...
