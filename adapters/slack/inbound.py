"""Slack's inbound text -> the plain command the core parses.

Slack delivers what users type with its own markup: ``&amp;``/``&lt;``/``&gt;`` entities,
auto-linked URLs (``<https://x.com>``, ``<https://x.com|x.com>``), user and channel
references (``<@U1>``, ``<#C1|news>``) and, in mentions, the bot's own ``<@UBOT>``. The
core must see ``sources add https://x.com``, not the markup around it.
"""

from __future__ import annotations

import re

_MARKUP = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")


def _replace(match: re.Match[str]) -> str:
    target, label = match.group(1), match.group(2)
    if target.startswith("@"):
        return "@" + (label or target[1:])
    if target.startswith("#"):
        return "#" + (label or target[1:])
    if target.startswith("!"):  # <!here>, <!subteam^S1|@team>, <!date^...|fallback>
        return label or "@" + target[1:].split("^", 1)[0]
    if target.startswith("mailto:"):
        return label or target[len("mailto:") :]
    return target  # a link: the URL itself, whatever label Slack showed


def clean(text: str, *, bot_user_id: str | None = None) -> str:
    """The user's words without Slack markup and without mentions of the bot itself
    (``@ainews search Qwen`` and ``search Qwen, @ainews`` are the same command)."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>[,:]?", " ", text)
    text = _MARKUP.sub(_replace, text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return " ".join(text.split())
