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


def claim_many(
    session: Session,
    wanted: list[tuple[int, str]],
    now: datetime,
    worker: str,
    lease: timedelta,
) -> dict[tuple[int, str], int]:
    """Claim many (subscription, local date) pairs at once; returns the claimed row ids.

    Missing rows go in with one INSERT ... ON CONFLICT DO NOTHING (SQLite and Postgres);
    rows that already existed follow the one-by-one takeover rules of ``claim``.
    """
    if not wanted:
        return {}
    table = Delivery.__table__  # type: ignore[attr-defined]
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert  # type: ignore[assignment]
    ids = {sub_id for sub_id, _day in wanted}
    days = {day for _sub, day in wanted}

    def rows_for() -> dict[tuple[int, str], Delivery]:
        found = (
            session.execute(
                select(Delivery).where(
                    col(Delivery.subscription_id).in_(ids), col(Delivery.local_date).in_(days)
                )
            )
            .scalars()
            .all()
        )
        return {(r.subscription_id, r.local_date): r for r in found}

    wanted_set = set(wanted)
    before = rows_for()
    missing = [pair for pair in wanted if pair not in before]
    values = [
        {
            "subscription_id": sub_id,
            "local_date": day,
            "status": "sending",
            "claimed_by": worker,
            "claimed_at": now,
            "attempts": 1,
            "stories": 0,
        }
        for sub_id, day in missing
    ]
    for start in range(0, len(values), 500):
        session.execute(upsert(table).values(values[start : start + 500]).on_conflict_do_nothing())
    after = rows_for() if missing else before
    claimed: dict[tuple[int, str], int] = {}
    for pair in missing:  # ours, unless a concurrent replica inserted it first
        row = after.get(pair)
        if row is not None and row.id is not None and row.claimed_by == worker:
            claimed[pair] = row.id
    for pair, row in before.items():
        if pair in wanted_set:
            taken = claim(session, row.subscription_id, row.local_date, now, worker, lease)
            if taken is not None and taken.id is not None:
                claimed[pair] = taken.id
    return claimed


def last_until_many(session: Session, sub_ids: list[int]) -> dict[int, datetime]:
    """``last_until`` for many subscriptions in one query."""
    from sqlalchemy import func

    out: dict[int, datetime] = {}
    for start in range(0, len(sub_ids), 900):
        chunk = sub_ids[start : start + 900]
        rows = session.execute(
            select(Delivery.subscription_id, func.max(Delivery.until))
            .where(col(Delivery.subscription_id).in_(chunk), col(Delivery.status).in_(DONE))
            .group_by(col(Delivery.subscription_id))
        ).all()
        out.update({sub_id: _aware(until) for sub_id, until in rows if until is not None})
    return out


def finish_many(session: Session, outcomes: list[dict[str, object]]) -> None:
    """Record several outcomes in one transaction (``id``, ``status``, ``until``, ...)."""
    for outcome in outcomes:
        values = {k: v for k, v in outcome.items() if k != "id"}
        session.execute(update(Delivery).where(col(Delivery.id) == outcome["id"]).values(**values))


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
