"""The App Home tab: the digests of the user's channels, the sources and their health,
each channel's last digest, buttons to preview or subscribe, and (for managers) feedback.

Built synchronously from the database (run it in a worker thread) into one ``home`` view
for ``views.publish``. Everything from articles, feeds or users goes through ``escape``.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlmodel import Session, col, select

from adapters.slack.render import clip, escape, field_blocks, mrkdwn, plain
from bot import ledger
from bot.feedback import feedback_reply
from bot.i18n import t
from bot.models import Subscription
from bot.service import Context, Service
from bot.topics import from_stored

Block = dict[str, Any]
MAX_HOME_BLOCKS = 100
MAX_SUBSCRIPTIONS = 20
PREVIEW_ACTION = "ainews_home_preview"
SUBSCRIBE_ACTION = "ainews_home_subscribe"


def home_view(
    service: Service,
    ctx: Context,
    channels: Collection[str],
    lang: str,
    *,
    show_feedback: bool,
) -> dict[str, Any]:
    """The ``home`` view for ``ctx.user``; ``channels`` are the channels they are in."""
    blocks: list[Block] = [
        {"type": "header", "text": plain(t("home_title", lang))},
        {"type": "section", "text": mrkdwn(t("home_intro", lang))},
        {"type": "divider"},
        {"type": "header", "text": plain(t("home_subscriptions", lang))},
    ]
    blocks += _subscription_blocks(service, ctx, channels, lang)
    blocks.append(
        {
            "type": "section",
            "text": mrkdwn(t("home_subscribe", lang)),
            "accessory": {
                "type": "conversations_select",
                "action_id": SUBSCRIBE_ACTION,
                "placeholder": plain(t("home_pick_channel", lang)),
                "filter": {"include": ["public", "private"], "exclude_bot_users": True},
            },
        }
    )
    sources = service.handle_text("sources", ctx)
    title = t("home_sources", lang, n=len(sources.fields))
    blocks += [{"type": "divider"}, {"type": "header", "text": plain(title)}]
    if sources.fields:
        for unit in field_blocks(sources.fields):
            blocks += unit
    else:
        blocks.append({"type": "section", "text": mrkdwn(escape(sources.text))})
    if show_feedback:
        votes = feedback_reply(service.feedback, ctx.platform, ctx.workspace, lang)
        blocks += [
            {"type": "divider"},
            {"type": "header", "text": plain(t("home_feedback", lang))},
            {"type": "section", "text": mrkdwn(escape(votes.text))},
        ]
        for unit in field_blocks(votes.fields):
            blocks += unit
    return {"type": "home", "blocks": blocks[:MAX_HOME_BLOCKS]}


def _subscription_blocks(
    service: Service, ctx: Context, channels: Collection[str], lang: str
) -> list[Block]:
    wanted = set(channels)
    with Session(service.core.engine) as session:
        subs = [
            s
            for s in session.execute(
                select(Subscription)
                .where(Subscription.platform == "slack", Subscription.workspace == ctx.workspace)
                .order_by(col(Subscription.id))
            ).scalars()
            if s.channel in wanted
        ][:MAX_SUBSCRIPTIONS]
        last = {s.id: ledger.history(session, s.id, limit=1) for s in subs if s.id}
    if not subs:
        return [{"type": "section", "text": mrkdwn(t("home_no_subscriptions", lang))}]
    blocks: list[Block] = []
    for sub in subs:
        when = t("home_never", lang)
        for row in last.get(sub.id) or []:
            state = t(
                f"delivery_{row.status}",
                lang,
                stories=row.stories,
                error=row.error or "",
                attempts=row.attempts,
            )
            when = f"{row.local_date} ({state})"
        topics = str(from_stored(sub.topics)) or t("all_topics", lang)
        line = (
            f"<#{sub.channel}> · {sub.local_time} {sub.timezone} · {escape(topics)}\n"
            f"{escape(t('home_last_digest', lang, when=when))}"
        )
        if sub.paused:
            line += "\n⏸ " + escape(t("subscription_paused", lang, reason=sub.paused_reason or ""))
        blocks.append(
            {
                "type": "section",
                "text": mrkdwn(clip(line, 3000)),
                "accessory": {
                    "type": "button",
                    "action_id": PREVIEW_ACTION,
                    "text": plain(t("btn_preview", lang)),
                    "value": sub.channel,
                },
            }
        )
    return blocks
