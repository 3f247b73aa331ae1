"""The delivery ledger: claim a (subscription, local date) before sending, record the outcome.

A row is claimed with an INSERT (unique per subscription and date), so two
replicas or a restarted process can never both own the same digest. A claim
whose owner died (older than the lease) may be taken over; the resend carries
the same idempotency key, so platforms that deduplicate post it once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.models import Delivery, Subscription

MAX_ATTEMPTS = 3
DONE = ("sent", "empty")


def claim(
    session: Session, sub_id: int, local_date: str, now: datetime, worker: str, lease: timedelta
) -> Delivery | None:
    """The claimed row, or ``None`` when the digest is done or owned by a live worker."""
    row = Delivery(subscription_id=sub_id, local_date=local_date, claimed_by=worker, claimed_at=now)
    try:
        with session.begin_nested():
            session.add(row)
        return row
    except IntegrityError:
        pass
    existing = session.execute(
        select(Delivery).where(
            Delivery.subscription_id == sub_id, Delivery.local_date == local_date
        )
    ).scalar_one()
    if existing.status in DONE or existing.attempts >= MAX_ATTEMPTS:
        return None
    if existing.status == "sending" and _aware(existing.claimed_at) > now - lease:
        return None  # a live worker is on it
    taken = session.execute(
        update(Delivery)
        .where(
            col(Delivery.id) == existing.id,
            col(Delivery.claimed_at) == existing.claimed_at,
            col(Delivery.status) == existing.status,
        )
        .values(status="sending", claimed_by=worker, claimed_at=now, attempts=existing.attempts + 1)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return None
    session.refresh(existing)
    return existing


def last_until(session: Session, sub_id: int) -> datetime | None:
    """Where the previous delivered digest ended: the next one starts there."""
    value = session.execute(
        select(Delivery.until)
        .where(Delivery.subscription_id == sub_id, col(Delivery.status).in_(DONE))
        .order_by(col(Delivery.until).desc())
        .limit(1)
    ).scalar_one_or_none()
    return _aware(value) if value else None


def finish(
    session: Session,
    delivery_id: int,
    *,
    status: str,
    now: datetime,
    until: datetime | None = None,
    stories: int = 0,
    error: str | None = None,
) -> None:
    session.execute(
        update(Delivery)
        .where(col(Delivery.id) == delivery_id)
        .values(
            status=status,
            sent_at=now if status in DONE else None,
            until=until,
            stories=stories,
            error=error,
        )
    )


def pause(session: Session, sub_id: int, reason: str) -> None:
    session.execute(
        update(Subscription)
        .where(col(Subscription.id) == sub_id)
        .values(paused=True, paused_reason=reason[:500])
    )


def history(session: Session, sub_id: int, limit: int = 10) -> list[Delivery]:
    return list(
        session.execute(
            select(Delivery)
            .where(Delivery.subscription_id == sub_id)
            .order_by(col(Delivery.local_date).desc())
            .limit(limit)
        ).scalars()
    )


def _aware(value: datetime) -> datetime:
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)
