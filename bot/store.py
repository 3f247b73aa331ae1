"""Engine creation and schema: SQLite (WAL) by default, Postgres through the same code.

The full-text index is backend-specific (FTS5 virtual table vs. a tsvector table
with a GIN index) but both hold the same pre-stemmed terms from ``bot.text``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel

from bot import models  # noqa: F401  (registers the tables on SQLModel.metadata)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and foreign keys."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, pool_pre_ping=False
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def init_schema(engine: Engine) -> None:
    """Create tables and the full-text structures if missing (idempotent)."""
    SQLModel.metadata.create_all(engine)
    with engine.begin() as conn:
        if is_sqlite(engine):
            conn.execute(
                text(
                    "CREATE VIRTUAL TABLE IF NOT EXISTS article_fts USING fts5("
                    "title, body, tokenize='unicode61 remove_diacritics 2')"
                )
            )
        else:
            conn.execute(
                text(
                    "CREATE TABLE IF NOT EXISTS article_fts ("
                    "article_id INTEGER PRIMARY KEY REFERENCES article(id) ON DELETE CASCADE, "
                    "tsv tsvector NOT NULL)"
                )
            )
            conn.execute(
                text("CREATE INDEX IF NOT EXISTS article_fts_tsv ON article_fts USING GIN (tsv)")
            )


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def redacted_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)
