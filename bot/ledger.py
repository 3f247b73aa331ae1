"""The delivery ledger: claim a (subscription, local date) before sending, record the outcome.

A row is claimed with an INSERT (unique per subscription and date), so two
replicas or a restarted process can never both own the same digest. A claim is
leased for seconds and renewed while its holder sends; a claim whose holder is
gone (its lease ran out, or the new scheduler leader finds it) is taken over.
A send that had begun (``started_at``) with no outcome is checked on the platform
before it is resent where the platform allows (runner: bot/scheduler.py).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.models import Delivery, Subscription

MAX_ATTEMPTS = 3
DONE = ("sent", "empty")


@dataclass(frozen=True, slots=True)
class Claimed:
    """A claimed ledger row. ``in_flight_since``: a previous holder began sending it then
    and recorded no outcome, so the platform may already have it (check before resending)."""

    id: int
    in_flight_since: datetime | None = None


def claim_many(
    session: Session,
    wanted: list[tuple[int, str]],
    now: datetime,
    worker: str,
    lease: timedelta,
    *,
    held: Collection[int] = (),
    exclusive: bool = False,
    busy: list[datetime] | None = None,
) -> dict[tuple[int, str], Claimed]:
    """Claim many (subscription, local date) pairs at once; returns the claimed rows.

    Missing rows go in with one INSERT ... ON CONFLICT DO NOTHING (SQLite and Postgres), and
    rows that exist are read first, never inserted again, so a catch-up check that finds
    everything claimed writes nothing and fails nothing. An existing row is taken over
    when it failed (fewer than ``MAX_ATTEMPTS``) or its claim is not live: older than the
    ``lease`` (its holder stopped renewing it), or, with ``exclusive`` (the caller is the
    only worker allowed to send: the scheduler's leader), held by anyone but this caller's
    own claims in ``held``. ``busy`` collects the lease expiry of each live claim of
    another worker that was left alone (when to look again).
    """
    if not wanted:
        return {}
    table = Delivery.__table__  # type: ignore[attr-defined]
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert  # type: ignore[assignment]
    held = set(held)

    def rows_for(pairs: list[tuple[int, str]]) -> dict[tuple[int, str], Delivery]:
        out: dict[tuple[int, str], Delivery] = {}
        for start in range(0, len(pairs), 500):
            chunk = pairs[start : start + 500]
            found = session.execute(
                select(Delivery).where(
                    col(Delivery.subscription_id).in_({p[0] for p in chunk}),
                    col(Delivery.local_date).in_({p[1] for p in chunk}),
                )
            ).scalars()
            out.update({(r.subscription_id, r.local_date): r for r in found})
        return out

    before = rows_for(wanted)
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
    claimed: dict[tuple[int, str], Claimed] = {}
    if missing:
        after = rows_for(missing)
        for pair in missing:  # ours, unless a concurrent replica inserted it first
            row = after.get(pair)
            if row is not None and row.id is not None and row.claimed_by == worker:
                claimed[pair] = Claimed(row.id)
    cutoff = now - lease
    candidates: dict[int, tuple[tuple[int, str], datetime | None]] = {}
    for pair, row in before.items():
        if row.id is None or row.id in held or row.attempts >= MAX_ATTEMPTS:
            continue
        if row.status == "failed":
            candidates[row.id] = (pair, None)
        elif row.status == "sending" and (exclusive or row.claimed_at <= cutoff):
            since = row.started_at
            candidates[row.id] = (pair, since)
        elif row.status == "sending" and busy is not None:
            busy.append(row.claimed_at + lease)
    ids = list(candidates)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        conditions = [
            col(Delivery.id).in_(chunk),
            col(Delivery.status).in_(("sending", "failed")),
            col(Delivery.attempts) < MAX_ATTEMPTS,
            col(Delivery.claimed_at) < now,  # nobody claimed it since we looked
        ]
        if not exclusive:  # a live claim of another replica stays its own
            conditions.append(
                (col(Delivery.status) == "failed") | (col(Delivery.claimed_at) <= cutoff)
            )
        taken = session.execute(
            update(Delivery)
            .where(*conditions)
            .values(
                status="sending",
                claimed_by=worker,
                claimed_at=now,
                started_at=None,
                attempts=Delivery.attempts + 1,
            )
            .returning(col(Delivery.id))
            .execution_options(synchronize_session=False)
        )
        for (row_id,) in taken.all():
            pair, since = candidates[row_id]
            claimed[pair] = Claimed(row_id, since)
    return claimed


def renew(session: Session, ids: Collection[int], worker: str, now: datetime) -> int:
    """Extend the lease of this worker's live claims (the heartbeat while it sends)."""
    return _update_many(
        session,
        ids,
        (col(Delivery.claimed_by) == worker, col(Delivery.status) == "sending"),
        {"claimed_at": now},
    )


def mark_started(session: Session, ids: Collection[int], worker: str, at: datetime) -> None:
    """Note that these claims' sends begin now: after a crash they are checked, not trusted."""
    _update_many(session, ids, (col(Delivery.claimed_by) == worker,), {"started_at": at})


RELEASED_AT = datetime(1970, 1, 1, tzinfo=UTC)


def release(session: Session, ids: Collection[int], worker: str) -> int:
    """Give claims back (shutdown): free at once for the next holder, a never-started one
    without using up an attempt."""
    mine = (col(Delivery.claimed_by) == worker, col(Delivery.status) == "sending")
    _update_many(
        session,
        ids,
        (*mine, col(Delivery.started_at).is_(None), col(Delivery.attempts) > 0),
        {"attempts": Delivery.attempts - 1},
    )
    return _update_many(session, ids, mine, {"claimed_at": RELEASED_AT})


def _update_many(
    session: Session, ids: Collection[int], where: tuple[Any, ...], values: dict[str, Any]
) -> int:
    ids = list(ids)
    total = 0
    for start in range(0, len(ids), 500):
        result = session.execute(
            update(Delivery)
            .where(col(Delivery.id).in_(ids[start : start + 500]), *where)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        total += result.rowcount  # type: ignore[attr-defined]
    return total


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
        out.update({sub_id: until for sub_id, until in rows if until is not None})
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
    return value


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
