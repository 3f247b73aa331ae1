"""A reply's files on Slack (a trend chart, an OPML export), uploaded with ``files_upload_v2``
(``files.getUploadURLExternal``, the bytes to the URL it gives, ``files.completeUploadExternal``).

Where a file goes, as a Slack user would expect it:

* an answer in a thread or a DM (mentions, follow-ups): the same thread, under the answer;
* a public answer to ``/ainews`` (sent through its ``response_url``, which carries no files):
  the channel, right after the answer;
* a private answer (only the asker sees it): the asker's DM with the bot; the answer says so;
* a channel the bot is not in: the asker's DM too, with a note saying why.

The answer is always sent first: a file that cannot be uploaded costs nothing but a note
saying what was not attached (and, for a missing ``files:write`` scope, what to do).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.i18n import t
from bot.reply import Attachment

log = logging.getLogger(__name__)

#: Slack's answers when the bot cannot post files in a channel: the asker's DM instead.
NOT_A_MEMBER = frozenset({"not_in_channel", "channel_not_found"})
#: ``alt_txt`` longer than this is refused by Slack.
MAX_ALT_TEXT = 1000


async def upload(
    client: AsyncWebClient,
    files: Sequence[Attachment],
    *,
    channel: str | None = None,
    user: str | None = None,
    thread_ts: str | None = None,
    comment: str | None = None,
) -> str | None:
    """Upload ``files`` into ``channel`` (a thread with ``thread_ts``) or, with ``user``, the
    user's DM with the bot (``comment`` introduces them there). None when they arrived, else
    Slack's error code (``missing_scope``, ``not_in_channel``...) or ``upload_failed``."""
    items: list[dict[str, Any]] = [
        {
            "file": f.data,
            "filename": f.filename,
            "title": f.title or f.filename,
            "alt_txt": f.title[:MAX_ALT_TEXT] if f.mime.startswith("image/") and f.title else None,
        }
        for f in files
    ]
    try:
        await client.files_upload_v2(
            file_uploads=items,
            channel=channel,
            channels=[user] if user else None,
            thread_ts=thread_ts,
            initial_comment=comment,
        )
    except SlackApiError as exc:
        error = str(exc.response.get("error") or f"http_{exc.response.status_code}")
        log.warning("slack file upload refused: %s", error)
        return error
    except (TimeoutError, SlackClientError, aiohttp.ClientError, OSError) as exc:
        log.warning("slack file upload failed: %s", type(exc).__name__)
        return "upload_failed"
    return None


def names(files: Sequence[Attachment]) -> str:
    return ", ".join(f.filename for f in files)


def failure(error: str, files: Sequence[Attachment], lang: str) -> str:
    """What the asker reads when ``files`` could not be uploaded."""
    key = "file_needs_scope" if error == "missing_scope" else "file_not_attached"
    return t(key, lang, name=names(files))
