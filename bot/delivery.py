"""The delivery ledger: what each subscription was sent, when, and whether it arrived."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session


def last_delivered_at(session: Session, subscription: object) -> datetime | None:
    """When this channel last got a digest (``None`` before the first one)."""
    del session, subscription  # the ledger table arrives with the scheduler
    return None


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
