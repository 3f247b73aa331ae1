"""The platform-neutral answer every command returns; each adapter renders it its own way."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(slots=True)
class Card:
    """One article as shown to users."""

    article_id: int
    title: str
    url: str | None
    source: str
    published_at: datetime | None
    snippet: str = ""
    lang: str = "es"
    story_id: int | None = None
    also_reported: int = 0  # other sources covering the same story
    # What a 👍/👎 on this card is about (``bot.feedback``: "s:12" a digest story, "r:40" a
    # search result); None: no vote buttons.
    target: str | None = None


@dataclass(slots=True)
class Button:
    label: str
    action: str  # "more_like_this" | "subscribe" | "next" | "share"
    value: str = ""


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file that goes with a reply (a trend chart, an OPML export). Each surface delivers it
    its own way: an upload on Slack, an attachment on Discord, a file beside the console."""

    filename: str  # a bare name, no folders: ``trending-7d.png``
    data: bytes
    mime: str  # ``image/png``
    title: str = ""  # in the reply's language: the file's title and an image's alt text


@dataclass(slots=True)
class Reply:
    text: str = ""
    lang: str = "en"
    title: str | None = None
    cards: list[Card] = field(default_factory=list)
    fields: list[tuple[str, str]] = field(default_factory=list)
    buttons: list[Button] = field(default_factory=list)
    ephemeral: bool = False
    error: bool = False
    target: str | None = None  # the whole answer's feedback target ("a:<hash>"), if any
    files: list[Attachment] = field(default_factory=list)


def plain_text(reply: Reply) -> str:
    """A reply as lines of text: the console's and the CLI's rendering."""
    lines = [reply.text] if reply.text else []
    for n, card in enumerate(reply.cards, start=1):
        meta = " · ".join(
            x
            for x in (
                card.source,
                card.published_at.date().isoformat() if card.published_at else None,
                card.url,
            )
            if x
        )
        lines.append(f"{n}. {card.title}")
        if meta:
            lines.append(f"   {meta}")
        if card.snippet:
            lines.append(f"   {card.snippet}")
    for name, value in reply.fields:
        lines.append(f"{name}: {value}")
    return "\n".join(lines)
