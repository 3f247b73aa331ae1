"""The custom_ids of ainews buttons: stable strings, so a click can be handled by any process.

Everything a click needs is in the id itself (Discord keeps it on the message), never in
memory, so buttons keep working after a restart:

* ``ainews:more:<story_id>[:<lang>]`` - "More like this": the story and related ones.
* ``ainews:sub[:<lang>]`` - "Subscribe this channel" (with the clicker's permissions).
* ``ainews:share`` - re-post the (ephemeral) results the button sits on, publicly.
* ``ainews:vote:<u|d>:<token>`` - 👍/👎; ``token`` is signed for the channel it was posted
  in (``bot.feedback``) and checked on click, never trusted.
* ``ainews:next:<page>:<key>`` - show page ``page`` of a long reply. ``key`` is the command
  text that produced it (recomputed on click) or ``#<token>`` for a reply kept in memory.
"""

from __future__ import annotations

import re

PREFIX = "ainews"
MAX_CUSTOM_ID = 100  # Discord's limit
TEMPLATE = re.compile(rf"{PREFIX}:(?P<action>[a-z]+)(?::(?P<arg>.*))?")
_NEXT = f"{PREFIX}:next:"
#: The longest pager key that still fits a custom_id with a two-digit page number.
MAX_PAGER_KEY = MAX_CUSTOM_ID - len(_NEXT) - len("99:")


def more(story_id: int | str, lang: str) -> str:
    return f"{PREFIX}:more:{story_id}:{lang}"


def subscribe(lang: str) -> str:
    return f"{PREFIX}:sub:{lang}"


def share() -> str:
    return f"{PREFIX}:share"


def vote(value: int, token: str) -> str:
    return f"{PREFIX}:vote:{'u' if value > 0 else 'd'}:{token}"


def page(number: int, key: str) -> str:
    return f"{_NEXT}{number}:{key}"


def parse(custom_id: str) -> tuple[str, str] | None:
    """``(action, arg)`` of an ainews custom_id, or None for anything else."""
    match = TEMPLATE.fullmatch(custom_id)
    if match is None:
        return None
    return match["action"], match["arg"] or ""
