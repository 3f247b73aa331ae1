"""The one shape every ingester produces, whatever the input was."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(slots=True)
class RawArticle:
    """An article as parsed from its input, before dedup, passages and embeddings.

    ``url`` is the canonical link for web content, or the path as the user gave
    it for local files. ``published_at`` is timezone-aware UTC or ``None`` when
    the input had no usable date (the store then uses first-seen time).
    """

    title: str
    body: str
    url: str | None = None
    published_at: datetime | None = None
    lang: str | None = None
    section: str | None = None
    source_name: str | None = None
    guid: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


class IngestError(Exception):
    """An input that cannot be ingested; ``str(err)`` is a readable reason for the user."""


#: Longest reason shown to users for a failed item or source.
MAX_REASON_CHARS = 200


def public_reason(text: str, limit: int = MAX_REASON_CHARS) -> str:
    """A stored or raised error message fit for users: its first line, without the SQL
    statement and parameters SQLAlchemy appends (``[SQL: ...]``), at most ``limit`` chars."""
    text = text.split("[SQL:", 1)[0].split("[parameters:", 1)[0]
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def short_error(exc: BaseException) -> str:
    """Why ``exc`` happened, in one short line for users and ``Source.last_error``.

    Database errors are named by the driver's error and its first line, never by the
    statement or its parameters (which hold article text, and once held the NUL that
    failed the write).
    """
    from sqlalchemy.exc import StatementError

    if isinstance(exc, StatementError) and exc.orig is not None:
        exc = exc.orig
    if isinstance(exc, UnicodeEncodeError) and exc.encoding.replace("-", "") == "utf8":
        return f"{type(exc).__name__}: text not encodable as UTF-8"
    return public_reason(f"{type(exc).__name__}: {exc}")
