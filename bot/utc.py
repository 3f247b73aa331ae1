"""Time in one form: aware datetimes in UTC, in Python and in every database column.

``Timestamp`` is the column type of every datetime the models store. It writes UTC and
always reads back an aware UTC datetime, on SQLite (which keeps no offset) as on Postgres
(``timestamptz``), so no code that reads a row has to guess a timezone. ``aware`` is the
same rule for datetimes that come from outside: a naive value is taken to be UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, Interval
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine


def now() -> datetime:
    return datetime.now(UTC)


def aware(value: datetime) -> datetime:
    """``value`` in UTC; a naive ``value`` is read as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Timestamp(TypeDecorator[datetime]):
    """``DateTime(timezone=True)`` that stores UTC and returns aware UTC datetimes."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        utc = aware(value)
        # SQLite's DATETIME drops the offset: store the UTC wall time it will be read as.
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else aware(value)

    def coerce_compared_value(self, op: Any, value: Any) -> TypeEngine[Any]:
        """``column - timedelta`` stays an interval; a datetime compares as a timestamp."""
        return Interval() if isinstance(value, timedelta) else self
