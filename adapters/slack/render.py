"""``Reply`` -> Slack Block Kit, safe against content that tries to ping or hide links.

Everything that comes from articles or users goes through :func:`escape`: Slack reads
``<...>`` as control sequences (``<!channel>``, ``<@U1>``, ``<https://evil|click>``), so
``&``, ``<`` and ``>`` become entities, and bare ``@here``/``@channel``/``@everyone`` get a
zero-width space so no client or ``link_names`` setting can turn them into pings. The only
``<url|label>`` links in a message are the ones built here, from http(s) article URLs.

Slack rejects a whole message that breaks one Block Kit limit, so limits are enforced here
rather than hoped for: long text is split into several sections, over-long strings are
clipped, and a reply with more blocks than fit becomes pages with a "Next" button
(interactive replies) or several messages (digests).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from bot.i18n import format_date, t
from bot.reply import Button, Card, Reply

Block = dict[str, Any]

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_FIELD_TEXT = 2000
MAX_FIELDS = 10
MAX_CONTEXT_ELEMENTS = 10
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_FALLBACK_TEXT = 3000  # top-level ``text``: the notification and screen-reader version
MAX_SNIPPET = 600  # longer snippets are noise in a card; Slack would allow 3000
CARDS_PER_PAGE = 10  # readability, well under the block limit (2 blocks per card)
MAX_URL = 2000

ACTION_IDS = {
    "more_like_this": "ainews_more_like_this",
    "subscribe": "ainews_subscribe",
    "next": "ainews_next",
    "share": "ainews_share",
}

# 👍/👎 (``bot.feedback``): their value is a signed token, checked on click.
VOTE_IDS = {1: "ainews_vote_up", -1: "ainews_vote_down"}
VOTE_LABELS = {1: "👍", -1: "👎"}

#: Signs a feedback target for the channel a message goes to (``Feedback.sign`` bound to it).
Signer = Callable[[str], str]

_SPECIAL_MENTION = re.compile(r"(?<!\w)@(?=(?:here|channel|everyone)\b)", re.IGNORECASE)
_ZWSP = "\u200b"
_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,4}$")


def escape(text: str) -> str:
    """Make untrusted text inert in mrkdwn: no control sequences, no special mentions."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SPECIAL_MENTION.sub("@" + _ZWSP, text)


def clip(text: str, limit: int) -> str:
    """Shorten to ``limit`` characters with an ellipsis, never cutting an ``&amp;`` in half."""
    if len(text) <= limit:
        return text
    cut = _PARTIAL_ENTITY.sub("", text[: limit - 1])
    return cut + "…"


def safe_url(url: str | None) -> str | None:
    """An http(s) URL usable inside ``<url|label>``, or ``None`` (no link at all).

    ``|`` and ``>`` would end the URL early and let the rest pose as the label, so they and
    other delimiters are percent-encoded; ``&`` becomes ``&amp;`` as Slack requires.
    """
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc or len(url) > MAX_URL:
        return None
    for char, code in (("|", "%7C"), ("<", "%3C"), (">", "%3E"), (" ", "%20"), ('"', "%22")):
        url = url.replace(char, code)
    if any(ord(c) < 0x20 for c in url):
        return None
    return url.replace("&", "&amp;")


def mrkdwn(text: str) -> Block:
    # verbatim: Slack must not auto-link names or URLs in text we did not mark up ourselves.
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def plain(text: str) -> Block:
    return {"type": "plain_text", "text": text, "emoji": True}


def split_text(text: str, limit: int = MAX_SECTION_TEXT) -> list[str]:
    """Chunks of at most ``limit`` characters, broken at line ends, then spaces."""
    chunks: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        if cut < limit // 2:
            cut = rest.rfind(" ", 0, limit)
        if cut < limit // 2:
            cut = limit
        head = _PARTIAL_ENTITY.sub("", rest[:cut])
        cut = len(head) or cut
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        chunks.append(rest)
    return chunks


# -- pieces -----------------------------------------------------------------------------------


def card_blocks(card: Card, lang: str) -> list[Block]:
    """A title (linked when the URL is http(s)), the snippet, and a context line."""
    title = " ".join(card.title.split()) or "—"
    url = safe_url(card.url)
    label = clip(escape(title), 500)
    head = f"*<{url}|{label}>*" if url else f"*{label}*"
    body = head
    if card.snippet.strip():
        body += "\n" + clip(escape(card.snippet.strip()), MAX_SNIPPET)
    blocks: list[Block] = [{"type": "section", "text": mrkdwn(clip(body, MAX_SECTION_TEXT))}]
    meta = [
        escape(card.source.strip()) if card.source.strip() else "",
        format_date(card.published_at, lang) if card.published_at else "",
        t("also_reported", lang, n=card.also_reported) if card.also_reported > 0 else "",
        t("card_story", lang, id=card.story_id) if card.story_id else "",
    ]
    line = " · ".join(m for m in meta if m)
    if line:
        blocks.append({"type": "context", "elements": [mrkdwn(clip(line, MAX_SECTION_TEXT))]})
    return blocks


def vote_elements(token: str, lang: str) -> list[Block]:
    """👍 and 👎 for one target; ``token`` is the signed target both carry (the language
    only picks the words of the thank-you)."""
    return [
        {
            "type": "button",
            "action_id": VOTE_IDS[value],
            "text": plain(VOTE_LABELS[value]),
            "value": f"{token} {lang}",
        }
        for value in (1, -1)
    ]


def field_blocks(fields: list[tuple[str, str]]) -> list[list[Block]]:
    """Sections of up to ten ``*name*\\nvalue`` fields each (one unit per section)."""
    units: list[list[Block]] = []
    for start in range(0, len(fields), MAX_FIELDS):
        chunk = fields[start : start + MAX_FIELDS]
        items = [
            mrkdwn(clip(f"*{clip(escape(name), 300)}*\n{escape(value)}", MAX_FIELD_TEXT))
            for name, value in chunk
        ]
        units.append([{"type": "section", "fields": items}])
    return units


def button(label: str, action: str, value: str, *, primary: bool = False) -> Block:
    element: Block = {
        "type": "button",
        "action_id": ACTION_IDS[action],
        "text": plain(clip(label, MAX_BUTTON_TEXT)),
        "value": value[:MAX_BUTTON_VALUE],
    }
    if primary:
        element["style"] = "primary"
    return element


def next_value(command: str, page: int) -> str:
    """What the "Next" button carries: the command to run again and the page to show."""
    return json.dumps({"c": command[:1800], "p": page}, ensure_ascii=False)


def parse_next_value(value: str) -> tuple[str, int] | None:
    try:
        data = json.loads(value)
        return str(data["c"]), max(0, int(data["p"]))
    except (ValueError, KeyError, TypeError):
        return None


# -- whole messages ---------------------------------------------------------------------------


@dataclass(slots=True)
class Message:
    """One Slack message: fallback ``text`` plus ``blocks``; ``page``/``pages`` for paging."""

    text: str
    blocks: list[Block] = field(default_factory=list)
    page: int = 0
    pages: int = 1


def _units(reply: Reply, sign: Signer | None = None) -> list[tuple[list[Block], bool]]:
    """Blocks grouped so a page break never separates a card from its context line (and its
    👍/👎, when ``sign`` is given); the flag marks cards (counted against ``CARDS_PER_PAGE``)."""
    units: list[tuple[list[Block], bool]] = []
    if reply.title:
        header = {"type": "header", "text": plain(clip(escape(reply.title), MAX_HEADER_TEXT))}
        units.append(([header], False))
    text = escape(reply.text)
    if reply.error and text.strip():
        text = ":warning: " + text
    units.extend(([{"type": "section", "text": mrkdwn(c)}], False) for c in split_text(text))
    for card in reply.cards:
        blocks = card_blocks(card, reply.lang)
        if sign is not None and card.target:
            blocks.append(
                {"type": "actions", "elements": vote_elements(sign(card.target), reply.lang)}
            )
        units.append((blocks, True))
    units.extend((unit, False) for unit in field_blocks(reply.fields))
    return units


def paginate(reply: Reply, sign: Signer | None = None) -> list[list[Block]]:
    """Body blocks per page: at most ``MAX_BLOCKS - 1`` (room for the actions block) and
    ``CARDS_PER_PAGE`` cards."""
    budget = MAX_BLOCKS - 1
    pages: list[list[Block]] = [[]]
    cards_on_page = 0
    for unit, is_card in _units(reply, sign):
        full = len(pages[-1]) + len(unit) > budget or (is_card and cards_on_page >= CARDS_PER_PAGE)
        if full and pages[-1]:
            pages.append([])
            cards_on_page = 0
        pages[-1].extend(unit[:budget])
        cards_on_page += is_card
    return pages


def fallback_text(reply: Reply) -> str:
    text = reply.text.strip() or (reply.cards[0].title if reply.cards else "") or "ainews"
    return clip(escape(" ".join(text.split())), MAX_FALLBACK_TEXT)


def render(
    reply: Reply,
    *,
    page: int = 0,
    command: str | None = None,
    public: bool = False,
    extra: list[Button] | None = None,
    sign: Signer | None = None,
) -> Message:
    """Page ``page`` of ``reply`` as one message.

    ``command`` is what the user typed; it lets "Next" run it again for the following page
    (without it, no Next button). ``public`` drops "Share in channel" (already public).
    ``sign`` adds 👍/👎 to the answer and to each card that has a feedback target.
    """
    pages = paginate(reply, sign)
    page = min(max(page, 0), len(pages) - 1)
    blocks = list(pages[page])
    elements: list[Block] = []
    seen: set[str] = set()
    for b in [*reply.buttons, *(extra or [])]:
        if b.action not in ACTION_IDS or b.action in seen or b.action == "next":
            continue
        if b.action == "share" and (public or command is None):
            continue
        seen.add(b.action)
        value = b.value
        if b.action == "share" and command is not None:
            value = command  # shared = the same command run again, visible to everyone
        elif b.action == "more_like_this":
            value = f"{b.value}:{reply.lang}"  # the click answers in the reply's language
        elif b.action == "subscribe":
            value = reply.lang
        elements.append(button(b.label, b.action, value, primary=b.action == "share"))
    if sign is not None and reply.target and not reply.error:
        elements.extend(vote_elements(sign(reply.target), reply.lang))
    if command is not None and page + 1 < len(pages):
        label = f"{t('btn_next', reply.lang)} ({page + 2}/{len(pages)})"
        elements.append(button(label, "next", next_value(command, page + 1)))
    if elements:
        blocks.append({"type": "actions", "elements": elements[:MAX_CONTEXT_ELEMENTS]})
    return Message(fallback_text(reply), blocks, page, len(pages))


def render_all(reply: Reply, sign: Signer | None = None) -> list[Message]:
    """Every page as its own message, for posts nobody can page through (digests)."""
    first = render(reply, public=True, sign=sign)
    rest = [render(reply, page=n, public=True, sign=sign) for n in range(1, first.pages)]
    return [first, *rest]
