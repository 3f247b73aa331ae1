"""Digests on Slack: each message carries its digest's key, so an interrupted send is checked.

``chat.postMessage`` has no idempotency key. A digest whose sender died (or was stopped)
between the post and writing the outcome would be posted twice by the next holder. Each
digest message therefore carries message metadata (``event_type: ainews_digest`` and the
digest's key); before resending such a digest the scheduler asks ``find_digest``, which
reads the channel's recent history (``conversations.history`` with
``include_all_metadata``) for a message of this bot with that key. A story update
(``bot.updates``) is a reply in its digest's thread (``thread_ts``, the ``ts`` ``send``
returned for the digest) and is looked for among the thread's replies.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from adapters.slack.delivery import delivery_error, posting_client
from adapters.slack.render import render_all
from bot.reply import Reply

log = logging.getLogger(__name__)
EVENT_TYPE = "ainews_digest"
#: How far back (before the interrupted send began) the history is read, and how many pages.
SLACK_CLOCK_SKEW = timedelta(seconds=30)
MAX_HISTORY_PAGES = 5


def digest_metadata(key: str, page: int, pages: int) -> dict[str, Any]:
    return {"event_type": EVENT_TYPE, "event_payload": {"key": key, "page": page, "pages": pages}}


class SlackDigestSender:
    """Posts digests through a Slack adapter's clients, tagged with their key."""

    platform = "slack"

    def __init__(self, adapter: Any) -> None:
        self.adapter = adapter

    async def send(
        self,
        workspace: str,
        channel: str,
        reply: Reply,
        *,
        idempotency_key: str | None = None,
        thread: str | None = None,
    ) -> str | None:
        """Post every page (in ``thread``, if given); the first message's ``ts``: the thread
        its updates go in."""
        client = posting_client(await self.adapter._client_for(workspace))
        sign = self.adapter.service.feedback.signer("slack", workspace, channel)
        messages = render_all(reply, sign)
        first: str | None = None
        for page, message in enumerate(messages):
            extra: dict[str, Any] = {"thread_ts": thread} if thread else {}
            if idempotency_key:
                extra["metadata"] = digest_metadata(idempotency_key, page, len(messages))
            try:
                posted = await client.chat_postMessage(
                    channel=channel,
                    text=message.text,
                    blocks=message.blocks or None,
                    unfurl_links=False,
                    unfurl_media=False,
                    **extra,
                )
            except Exception as exc:  # Slack errors, connection errors after the retries
                raise delivery_error(exc) from exc
            first = first or posted.get("ts")
        return first

    async def find_digest(
        self, workspace: str, channel: str, key: str, since: datetime, thread: str | None = None
    ) -> str | bool | None:
        """The ``ts`` of this digest's message (its key in the metadata) when the channel
        (or ``thread``) shows it posted at or after ``since`` (less some clock skew); False
        when it does not; None when the history cannot be read (no scope, not in the
        channel)."""
        client = await self.adapter._client_for(workspace)
        oldest = f"{(since - SLACK_CLOCK_SKEW).timestamp():.6f}"
        cursor: str | None = None
        read = client.conversations_replies if thread else client.conversations_history
        seen = False
        try:
            for _ in range(MAX_HISTORY_PAGES):
                response = await read(
                    channel=channel,
                    oldest=oldest,
                    limit=200,
                    include_all_metadata=True,
                    **({"ts": thread} if thread else {}),
                    **({"cursor": cursor} if cursor else {}),
                )
                for message in response.get("messages") or []:
                    metadata = message.get("metadata") or {}
                    payload = metadata.get("event_payload") or {}
                    if metadata.get("event_type") == EVENT_TYPE and payload.get("key") == key:
                        if payload.get("page", 0) == 0:  # the first page: the thread's root
                            return str(message.get("ts") or "") or True
                        seen = True
                cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
                if not cursor or not response.get("has_more"):
                    return seen
        except Exception as exc:
            log.warning("slack history of %s unreadable: %s", channel, delivery_error(exc).reason)
            return None
        return seen or None  # more history than we read: cannot tell
