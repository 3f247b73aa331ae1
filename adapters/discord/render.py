"""``Reply`` -> Discord embeds and buttons, split into pages that fit Discord's limits.

Discord rejects a whole message (400 ``50035 Invalid Form Body``) when any limit is
exceeded, so nothing here is allowed to overflow: long texts are split across embeds, fields
are spread over embeds of at most 25, and embeds are packed into pages of at most 10 embeds
and 6,000 characters. A reply that needs several pages gets "Previous"/"Next" buttons (when
the caller can name the reply with a pager key) or is sent page by page (digests).

Text comes partly from third-party articles, so it is defused here: ``@everyone``/``@here``
and ``<@id>``/``<@&id>`` get a zero-width space (messages are also sent with
``allowed_mentions=none``; this keeps the text harmless even where that is forgotten), and
article titles/snippets have their Markdown escaped so they cannot fake links or formatting.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import discord

from adapters.discord import ids
from bot.i18n import format_date, t
from bot.reply import Button, Card, Reply

TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
CARD_FOOTER_MAX = 512  # so title + description + footer stay under EMBED_BUDGET
EMBEDS_MAX = 10
MESSAGE_CHARS_MAX = 6000
BUTTON_LABEL_MAX = 80
BUTTONS_MAX = 5  # one action row
VOTES_MAX = 20  # four more rows of 👍/👎 (Discord: 5 rows of 5 per message)
# Room kept free on every page for the "Page x/y" footer.
PAGE_RESERVE = 64
EMBED_BUDGET = MESSAGE_CHARS_MAX - PAGE_RESERVE

COLOR = discord.Colour(0x2F80ED)
ERROR_COLOR = discord.Colour(0xE5484D)
ZWSP = "\u200b"

_MENTION = re.compile(r"@(everyone|here|[!&]?\d{15,21})", re.IGNORECASE)
_HTTP_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ButtonSpec:
    """A button to attach: what ``views.build_view`` turns into a persistent component."""

    custom_id: str
    label: str
    style: discord.ButtonStyle = discord.ButtonStyle.secondary


@dataclass(slots=True)
class Page:
    embeds: list[discord.Embed]
    buttons: list[ButtonSpec] = field(default_factory=list)
    votes: list[ButtonSpec] = field(default_factory=list)  # 👍/👎, after the other buttons

    @property
    def components(self) -> list[ButtonSpec]:
        return self.buttons + self.votes


def neutralize(text: str) -> str:
    """Break ``@everyone``, ``@here`` and raw user/role mentions with a zero-width space."""
    return _MENTION.sub(lambda m: f"@{ZWSP}{m.group(1)}", text)


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def untrusted(text: str) -> str:
    """Article-provided text: no Markdown tricks, no pings."""
    return neutralize(discord.utils.escape_markdown(text))


def split_text(text: str, limit: int) -> list[str]:
    """Chunks of at most ``limit`` characters, cut at a paragraph, line or word if possible."""
    chunks: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"))
        if cut < limit // 2:
            cut = window.rfind(" ")
        if cut < limit // 2:
            cut = limit
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        chunks.append(rest)
    return chunks


def embed_size(embed: discord.Embed) -> int:
    """Characters Discord counts towards the 6,000 per message."""
    size = len(embed.title or "") + len(embed.description or "")
    size += len(embed.footer.text or "") + len(embed.author.name or "")
    return size + sum(len(f.name or "") + len(f.value or "") for f in embed.fields)


def render(
    reply: Reply,
    *,
    pager_key: str | None = None,
    sign: Callable[[str], str] | None = None,
) -> list[Page]:
    """The pages of ``reply``; each is one valid Discord message.

    ``pager_key`` names the reply in "Next"/"Previous" custom_ids (see :mod:`ids`); without
    it a multi-page reply gets no navigation (the caller sends every page). ``sign`` (a
    channel's ``Feedback.sign``) adds 👍/👎 for the answer and for each card with a target.
    """
    color = ERROR_COLOR if reply.error else COLOR
    embeds = _header_embeds(reply, color)
    owners: dict[int, Card] = {}
    for card in reply.cards:
        embed = _card_embed(card, reply.lang, color)
        owners[id(embed)] = card
        embeds.append(embed)
    if not embeds:
        embeds = [discord.Embed(description="…", color=color)]
    pages = [Page(chunk) for chunk in _pack(embeds)]
    if sign is not None:
        _add_votes(pages, reply, owners, sign)
    actions = _action_buttons(reply.buttons, reply.lang)
    total = len(pages)
    for number, page in enumerate(pages):
        nav: list[ButtonSpec] = []
        if total > 1:
            _add_footer(page.embeds[-1], t("page_of", reply.lang, page=number + 1, pages=total))
            if pager_key is not None and len(pager_key) <= ids.MAX_PAGER_KEY:
                if number > 0:
                    nav.append(_nav(number - 1, pager_key, t("btn_prev", reply.lang)))
                if number < total - 1:
                    nav.append(_nav(number + 1, pager_key, t("btn_next", reply.lang), True))
        page.buttons = (nav + actions)[:BUTTONS_MAX]
    return pages


def _add_votes(
    pages: list[Page], reply: Reply, owners: dict[int, Card], sign: Callable[[str], str]
) -> None:
    """👍/👎 for the answer as a whole on its first page, and per card on the page that
    shows it ("👍 2" = the second story there). ``owners`` maps a card embed's id() to it."""
    if reply.target and not reply.error:
        pages[0].votes += _vote_pair(sign(reply.target), "")
    for page in pages:
        cards = [owners[id(e)] for e in page.embeds if id(e) in owners]
        for number, card in enumerate(cards, start=1):
            if card.target and len(page.votes) + 2 <= VOTES_MAX:
                page.votes += _vote_pair(sign(card.target), f" {number}")


def _vote_pair(token: str, suffix: str) -> list[ButtonSpec]:
    return [ButtonSpec(ids.vote(value, token), f"{label}{suffix}") for value, label in _VOTES]


_VOTES = ((1, "👍"), (-1, "👎"))


def _header_embeds(reply: Reply, color: discord.Colour) -> list[discord.Embed]:
    embeds = [
        discord.Embed(description=chunk, color=color)
        for chunk in split_text(neutralize(reply.text), DESCRIPTION_MAX)
    ]
    if reply.title:
        if not embeds:
            embeds.append(discord.Embed(color=color))
        embeds[0].title = clip(neutralize(reply.title), TITLE_MAX)
    for name, value in reply.fields:
        name = clip(neutralize(name), FIELD_NAME_MAX) or "-"
        value = clip(neutralize(value), FIELD_VALUE_MAX) or "-"
        last = embeds[-1] if embeds else None
        if (
            last is None
            or len(last.fields) >= FIELDS_MAX
            or embed_size(last) + len(name) + len(value) > EMBED_BUDGET
        ):
            last = discord.Embed(color=color)
            embeds.append(last)
        last.add_field(name=name, value=value, inline=False)
    return embeds


def _card_embed(card: Card, lang: str, color: discord.Colour) -> discord.Embed:
    url = card.url if card.url and _HTTP_URL.match(card.url) and len(card.url) <= 2048 else None
    embed = discord.Embed(
        title=clip(untrusted(card.title), TITLE_MAX) or "-",
        url=url,
        description=clip(untrusted(card.snippet), DESCRIPTION_MAX) or None,
        color=color,
    )
    bits = [untrusted(card.source)] if card.source else []
    if card.published_at:
        bits.append(format_date(card.published_at, lang))
    if card.story_id:
        bits.append(t("card_story", lang, id=card.story_id))
    if card.also_reported:
        bits.append(t("card_also", lang, n=card.also_reported))
    if bits:
        embed.set_footer(text=clip(" · ".join(bits), CARD_FOOTER_MAX))
    return embed


def _pack(embeds: list[discord.Embed]) -> list[list[discord.Embed]]:
    pages: list[list[discord.Embed]] = [[]]
    used = 0
    for embed in embeds:
        size = embed_size(embed)
        if pages[-1] and (len(pages[-1]) >= EMBEDS_MAX or used + size > EMBED_BUDGET):
            pages.append([])
            used = 0
        pages[-1].append(embed)
        used += size
    return pages


def _add_footer(embed: discord.Embed, text: str) -> None:
    current = embed.footer.text
    embed.set_footer(text=clip(f"{current} · {text}" if current else text, FOOTER_MAX))


def _nav(number: int, key: str, label: str, primary: bool = False) -> ButtonSpec:
    style = discord.ButtonStyle.primary if primary else discord.ButtonStyle.secondary
    return ButtonSpec(ids.page(number, key), clip(label, BUTTON_LABEL_MAX), style)


def _action_buttons(buttons: list[Button], lang: str) -> list[ButtonSpec]:
    """The reply's own buttons; ``next`` is ours (pagination), unknown actions are dropped."""
    specs: list[ButtonSpec] = []
    for button in buttons:
        label = clip(button.label, BUTTON_LABEL_MAX)
        if button.action == "more_like_this" and button.value.isdigit():
            specs.append(ButtonSpec(ids.more(button.value, lang), label))
        elif button.action == "subscribe":
            specs.append(ButtonSpec(ids.subscribe(lang), label, discord.ButtonStyle.success))
        elif button.action == "share":
            specs.append(ButtonSpec(ids.share(), label))
    unique = {spec.custom_id: spec for spec in specs}  # Discord refuses duplicate custom_ids
    return list(unique.values())
