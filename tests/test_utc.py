"""One datetime column type: UTC in, aware UTC out, on SQLite and Postgres alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.models import Article, Delivery, Subscription
from bot.store import init_schema, make_engine
from bot.utc import aware

MADRID_SUMMER = timezone(timedelta(hours=2))


def test_every_stored_datetime_reads_back_aware_in_utc(database_url: str) -> None:
    engine = make_engine(database_url)
    init_schema(engine)
    local = datetime(2026, 6, 10, 9, 0, tzinfo=MADRID_SUMMER)  # 07:00 UTC
    naive = datetime(2026, 6, 10, 8, 0)  # taken as UTC
    with Session(engine) as session:
        session.add(Article(title="a", body="a", content_hash="a", published_at=local))
        session.add(Article(title="b", body="b", content_hash="b", first_seen_at=naive))
        sub = Subscription(platform="console", workspace="w", channel="c")
        session.add(sub)
        session.commit()
        session.add(Delivery(subscription_id=sub.id or 0, local_date="2026-06-10", until=local))
        session.commit()
    with Session(engine) as session:
        a, b = session.execute(select(Article).order_by(col(Article.id))).scalars().all()
        assert a.published_at == datetime(2026, 6, 10, 7, 0, tzinfo=UTC)
        assert a.published_at is not None and a.published_at.tzinfo == UTC
        assert b.first_seen_at == datetime(2026, 6, 10, 8, 0, tzinfo=UTC)
        assert b.first_seen_at.tzinfo == UTC
        # Expressions over the column keep its type: coalesce, max, comparisons.
        when = func.coalesce(Article.published_at, Article.first_seen_at)
        values = session.execute(select(when).order_by(col(Article.id))).scalars().all()
        assert values == [local, naive.replace(tzinfo=UTC)]
        assert all(v.tzinfo == UTC for v in values)
        newest = session.execute(select(func.max(Delivery.until))).scalar_one()
        assert newest == local and newest.tzinfo == UTC
        later = select(func.count()).select_from(Article).where(when > local)
        assert session.execute(later).scalar_one() == 1  # 08:00 UTC is after 07:00 UTC
    engine.dispose()


def test_aware_reads_naive_as_utc_and_converts_the_rest() -> None:
    assert aware(datetime(2026, 1, 1, 12)) == datetime(2026, 1, 1, 12, tzinfo=UTC)
    moved = aware(datetime(2026, 1, 1, 12, tzinfo=MADRID_SUMMER))
    assert moved.tzinfo == UTC and moved.hour == 10
