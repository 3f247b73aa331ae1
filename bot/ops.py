"""The ops channel: where the bot tells its operators that a feed started failing or healed.

``AINEWS_OPS_CHANNEL`` names one channel, ``slack:C0123ABCD`` (``slack:T0123/C0123ABCD``
with several workspaces) or ``discord:CHANNEL_ID``. Each change of a source's state is
posted once: the poll that crossed the threshold, or the one that succeeded again, carries
the change (bot/ingest/poller.py), and only the scheduler's leader polls. The text goes
through the adapters' renderers like any reply, so a feed's name or error never pings
anyone.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.i18n import UserError, t
from bot.reply import Reply

if TYPE_CHECKING:  # the doctor checks the setting without loading the poller
    from bot.ingest.poller import PollReport, SourcePoll
    from bot.ports import Sender

log = logging.getLogger(__name__)

_TARGET = re.compile(r"^(slack|discord):(?:([A-Za-z0-9]+)/)?([A-Za-z0-9]+)$")
SEND_TIMEOUT_S = 30


@dataclass(frozen=True, slots=True)
class OpsChannel:
    platform: str
    workspace: str
    channel: str


def parse_ops_channel(value: str | None) -> OpsChannel | None:
    """``None`` when unset; :class:`UserError` ``ops_channel_bad`` when malformed."""
    value = (value or "").strip()
    if not value:
        return None
    match = _TARGET.match(value)
    if match is None:
        raise UserError("ops_channel_bad", value=value[:80])
    platform, workspace, channel = match.groups()
    return OpsChannel(platform, workspace or "", channel)


def feed_notice(poll: SourcePoll, lang: str) -> Reply | None:
    """The ops message for a source whose state changed in this poll, else ``None``."""
    if poll.change is None:
        return None
    params = {"id": poll.source_id, "name": poll.name, "error": poll.last_error or "-"}
    if poll.change == "failing":
        when = f"{poll.next_try_at:%Y-%m-%d %H:%M}" if poll.next_try_at else "-"
        text = t("ops_feed_failing", lang, n=poll.failures, when=when, **params)
    else:
        text = t("ops_feed_recovered", lang, **params)
    return Reply(text=text, lang=lang)


class OpsNotifier:
    """Posts feed state changes to the ops channel from the poll thread, on the bot's loop."""

    def __init__(
        self,
        target: OpsChannel,
        senders: Mapping[str, Sender],
        loop: asyncio.AbstractEventLoop,
        lang: str = "en",
    ) -> None:
        self.target = target
        self.sender = senders.get(target.platform)
        self.loop = loop
        self.lang = lang
        if self.sender is None:
            log.warning(
                "AINEWS_OPS_CHANNEL is on %s, which is not connected: notices are only logged",
                target.platform,
            )

    def feed_changes(self, report: PollReport) -> int:
        """Post one notice per changed source; returns how many were posted. Never raises."""
        posted = 0
        for poll in report.sources:
            reply = feed_notice(poll, self.lang)
            if reply is None or self.sender is None:
                continue
            send = self.sender.send(self.target.workspace, self.target.channel, reply)
            try:
                asyncio.run_coroutine_threadsafe(send, self.loop).result(SEND_TIMEOUT_S)
                posted += 1
            except Exception:  # the ops channel being down must not break polling
                log.warning("could not post to the ops channel: %s", reply.text, exc_info=True)
        return posted
