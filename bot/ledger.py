"""The delivery ledger: claim a (subscription, local date) before sending, record the outcome.

The same discipline keeps story updates (``bot.updates``) once per (subscription, change):
each function takes the ``book`` it keeps, ``DIGESTS`` (``Delivery``) or ``UPDATES``
(``StoryUpdate``), tables with the same claim columns and a second key column of their own.

A row is claimed with an INSERT (unique per subscription and date), so two
replicas or a restarted process can never both own the same digest. A claim is
leased for seconds and renewed while its holder sends; a claim whose holder is
gone (its lease ran out, or the new scheduler leader finds it) is taken over.
A send that had begun (``started_at``) with no outcome is checked on the platform
before it is resent where the platform allows (runner: bot/scheduler.py).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, update
from sqlmodel import Session, col, select

from bot.models import Delivery, DigestStory, StoryUpdate, Subscription

MAX_ATTEMPTS = 3
DONE = ("sent", "empty")


@dataclass(frozen=True, slots=True)
class Book:
    """A ledger table: ``model`` has ``id``, ``subscription_id``, the column named ``key``
    and the claim columns (``status``, ``claimed_by``, ``claimed_at``, ``attempts``,
    ``started_at``); ``defaults`` fills its other required columns on a claim."""

    model: Any
    key: str
    defaults: tuple[tuple[str, object], ...] = ()


DIGESTS = Book(Delivery, "local_date", (("stories", 0),))
UPDATES = Book(StoryUpdate, "change")


@dataclass(frozen=True, slots=True)
class Claimed:
    """A claimed ledger row. ``in_flight_since``: a previous try began then and recorded no
    outcome, or a failure that may have reached the platform, so the platform may already
    have it (check before resending)."""

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
    book: Book = DIGESTS,
    values: Mapping[tuple[int, str], Mapping[str, object]] | None = None,
) -> dict[tuple[int, str], Claimed]:
    """Claim many (subscription, local date) pairs at once; returns the claimed rows.

    Missing rows go in with one INSERT ... ON CONFLICT DO NOTHING (SQLite and Postgres), and
    rows that exist are read first, never inserted again, so a catch-up check that finds
    everything claimed writes nothing and fails nothing. An existing row is taken over
    when it failed (fewer than ``MAX_ATTEMPTS``) or its claim is not live: older than the
    ``lease`` (its holder stopped renewing it), or, with ``exclusive`` (the caller is the
    only worker allowed to send: the scheduler's leader), held by anyone but this caller's
    own claims in ``held``. ``busy`` collects the lease expiry of each live claim of
    another worker that was left alone (when to look again). ``values``: more columns of
    the rows a pair inserts.
    """
    if not wanted:
        return {}
    row_type = book.model
    table = row_type.__table__
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert  # type: ignore[assignment]
    held = set(held)
    key = getattr(row_type, book.key)

    def rows_for(pairs: list[tuple[int, str]]) -> dict[tuple[int, str], Any]:
        out: dict[tuple[int, str], Any] = {}
        for start in range(0, len(pairs), 500):
            chunk = pairs[start : start + 500]
            found = session.execute(
                select(row_type).where(
                    col(row_type.subscription_id).in_({p[0] for p in chunk}),
                    col(key).in_({p[1] for p in chunk}),
                )
            ).scalars()
            out.update({(r.subscription_id, getattr(r, book.key)): r for r in found})
        asked = set(pairs)  # the two IN lists also match pairs nobody asked for
        return {pair: row for pair, row in out.items() if pair in asked}

    before = rows_for(wanted)
    missing = [pair for pair in wanted if pair not in before]
    rows = [
        {
            **dict(book.defaults),
            **(values or {}).get((sub_id, second), {}),
            "subscription_id": sub_id,
            book.key: second,
            "status": "sending",
            "claimed_by": worker,
            "claimed_at": now,
            "attempts": 1,
        }
        for sub_id, second in missing
    ]
    for start in range(0, len(rows), 500):
        session.execute(upsert(table).values(rows[start : start + 500]).on_conflict_do_nothing())
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
        if row.status == "failed":  # started_at kept: that try may have posted it
            candidates[row.id] = (pair, row.started_at)
        elif row.status == "sending" and (exclusive or row.claimed_at <= cutoff):
            since = row.started_at
            candidates[row.id] = (pair, since)
        elif row.status == "sending" and busy is not None:
            busy.append(row.claimed_at + lease)
    ids = list(candidates)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        conditions = [
            col(row_type.id).in_(chunk),
            col(row_type.status).in_(("sending", "failed")),
            col(row_type.attempts) < MAX_ATTEMPTS,
            col(row_type.claimed_at) < now,  # nobody claimed it since we looked
        ]
        if not exclusive:  # a live claim of another replica stays its own
            conditions.append(
                (col(row_type.status) == "failed") | (col(row_type.claimed_at) <= cutoff)
            )
        taken = session.execute(
            update(row_type)
            .where(*conditions)
            .values(
                status="sending",
                claimed_by=worker,
                claimed_at=now,
                started_at=None,
                attempts=row_type.attempts + 1,
            )
            .returning(col(row_type.id))
            .execution_options(synchronize_session=False)
        )
        for (row_id,) in taken.all():
            pair, since = candidates[row_id]
            claimed[pair] = Claimed(row_id, since)
    return claimed


def renew(
    session: Session, ids: Collection[int], worker: str, now: datetime, book: Book = DIGESTS
) -> int:
    """Extend the lease of this worker's live claims (the heartbeat while it sends)."""
    row_type = book.model
    return _update_many(
        session,
        book,
        ids,
        (col(row_type.claimed_by) == worker, col(row_type.status) == "sending"),
        {"claimed_at": now},
    )


def mark_started(
    session: Session, ids: Collection[int], worker: str, at: datetime, book: Book = DIGESTS
) -> None:
    """Note that these claims' sends begin now: after a crash they are checked, not trusted."""
    mine = (col(book.model.claimed_by) == worker,)
    _update_many(session, book, ids, mine, {"started_at": at})


RELEASED_AT = datetime(1970, 1, 1, tzinfo=UTC)


def release(session: Session, ids: Collection[int], worker: str, book: Book = DIGESTS) -> int:
    """Give claims back (shutdown): free at once for the next holder, a never-started one
    without using up an attempt."""
    row_type = book.model
    mine = (col(row_type.claimed_by) == worker, col(row_type.status) == "sending")
    _update_many(
        session,
        book,
        ids,
        (*mine, col(row_type.started_at).is_(None), col(row_type.attempts) > 0),
        {"attempts": row_type.attempts - 1},
    )
    return _update_many(session, book, ids, mine, {"claimed_at": RELEASED_AT})


def _update_many(
    session: Session,
    book: Book,
    ids: Collection[int],
    where: tuple[Any, ...],
    values: dict[str, Any],
) -> int:
    ids = list(ids)
    total = 0
    row_type = book.model
    for start in range(0, len(ids), 500):
        result = session.execute(
            update(row_type)
            .where(col(row_type.id).in_(ids[start : start + 500]), *where)
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


def finish_many(session: Session, outcomes: list[dict[str, object]], book: Book = DIGESTS) -> None:
    """Record several outcomes in one transaction (``id``, ``status``, ``until``, ...).

    A digest's ``carried`` (``[(story id, newest article id)]``) is written with its outcome:
    the stories its thread may get updates about (``bot.updates``)."""
    row_type = book.model
    for outcome in outcomes:
        values = {k: v for k, v in outcome.items() if k not in {"id", "carried"}}
        session.execute(update(row_type).where(col(row_type.id) == outcome["id"]).values(**values))
        carried = outcome.get("carried")
        if isinstance(carried, list) and carried:
            rows = [{"delivery_id": outcome["id"], "story_id": s, "upto": u} for s, u in carried]
            session.execute(insert(DigestStory), rows)


def forget(session: Session, sub_id: int) -> None:
    """A subscription's ledgers, deleted with it (``unsubscribe``)."""
    deliveries = select(Delivery.id).where(Delivery.subscription_id == sub_id)
    session.execute(delete(StoryUpdate).where(col(StoryUpdate.subscription_id) == sub_id))
    session.execute(delete(DigestStory).where(col(DigestStory.delivery_id).in_(deliveries)))
    session.execute(delete(Delivery).where(col(Delivery.subscription_id) == sub_id))


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
