"""Schema migrations: an Alembic environment shipped inside the package, driven from Python.

There is no ``alembic.ini``: the bot upgrades its own database at every start
(``Core.build`` -> ``bot.store.init_schema`` -> :func:`upgrade`), from whatever folder it
runs in and from an installed package, so :func:`make_config` points Alembic at this
folder and hands ``env.py`` the caller's connection. ``ainews db ...`` (``bot/cli.py``)
is the command-line face of the same functions.

:func:`upgrade` is meant to be called on every start:

* at head it costs one quick version query (the head revision is read from disk once per
  process);
* a database made before migrations existed (by ``SQLModel.metadata.create_all`` plus raw
  full-text DDL: tables but no revision) is *adopted*: any table of the first revision it
  lacks is created (the old code made the Slack tables only once OAuth was used), it is
  stamped as :data:`BASELINE`, then upgraded like any other;
* on PostgreSQL the whole upgrade runs in one transaction holding an advisory lock, so
  replicas starting together run the DDL once: the others wait, then find the database at
  head. (SQLite deployments are single-process.)
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from alembic import command
from alembic.autogenerate.api import AutogenContext
from alembic.config import Config
from alembic.operations import Operations
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, MetaData, inspect, text
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

from bot.models import platform_metadata
from bot.utc import Timestamp

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent
#: The first revision: what the pre-migration code created. Old databases are stamped here.
BASELINE = "0001_initial"
VERSION_TABLE = "alembic_version"
#: pg_advisory_xact_lock key serialising upgrades; distinct from bot.leader.LOCK_KEY ("AINW").
LOCK_KEY = 0x41494E4D  # "AINM"
#: Every table the migrations own, for autogenerate and for the schema-drift tests.
target_metadata: list[MetaData] = [SQLModel.metadata, platform_metadata]
#: alembic_version.version_num is VARCHAR(32).
_MAX_REV_ID = 32


class MigrationError(RuntimeError):
    """The database cannot be migrated as asked (e.g. it is at a revision this code lacks)."""


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Leave the full-text structures out of autogenerate: they are not in the metadata.

    (``article_fts`` and, on SQLite, the FTS5 shadow tables ``article_fts_*``; the revision
    files create and drop them by hand.)
    """
    if type_ == "table" and name:
        return name != "article_fts" and not name.startswith("article_fts_")
    return True


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Leave out unique constraints that repeat their table's primary key.

    ``ArticleEntity`` declares both on (article_id, entity_id). PostgreSQL silently folds
    such a constraint into the primary key, so autogenerate would propose adding it back
    on every run; SQLite keeps it. Either way it enforces nothing the key does not.
    """
    if type_ == "unique_constraint" and obj.table is not None:
        primary_key = {column.name for column in obj.table.primary_key.columns}
        return {column.name for column in obj.columns} != primary_key
    return True


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Autogenerate writes the models' column types as the plain SQLAlchemy types they are.

    ``AutoString`` is VARCHAR and ``bot.utc.Timestamp`` an aware DateTime; both only add
    Python-side processing. Without this every revision would import them, and would break
    if they were renamed.
    """
    if type_ == "type" and isinstance(obj, AutoString):
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    if type_ == "type" and isinstance(obj, Timestamp):
        return "sa.DateTime(timezone=True)"
    return False


def make_config(connection: Connection | None = None) -> Config:
    """An Alembic config for this folder; ``env.py`` runs on ``connection``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    # New files are named after their revision id ("0002_add_x.py"), which carries the slug.
    config.set_main_option("file_template", "%%(rev)s")
    config.attributes["connection"] = connection
    return config


@functools.cache
def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(make_config())


@functools.cache
def head() -> str:
    """The newest revision in the package (read once per process)."""
    revision = _script().get_current_head()
    if revision is None:
        raise MigrationError(f"no revisions in {MIGRATIONS_DIR / 'versions'}")
    return revision


def known(revision: str) -> bool:
    """Whether this code has ``revision`` (a database may be ahead after a rollback)."""
    try:
        return _script().get_revision(revision) is not None
    except CommandError:  # alembic's answer for an id it cannot find
        return False


def _current(conn: Connection) -> tuple[str, ...]:
    """The revisions stored in the database; () when it has none (empty, or pre-migration).

    A plain query rather than ``MigrationContext``: this runs on every start, and
    configuring a migration context costs more and logs two INFO lines each time.
    """
    if not inspect(conn).has_table(VERSION_TABLE):
        return ()
    rows = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars()
    return tuple(sorted(rows))


def _url(conn: Connection) -> str:
    return conn.engine.url.render_as_string(hide_password=True)


def _is_legacy(conn: Connection) -> bool:
    """Tables from the pre-migration ``create_all`` code, and no revision recorded."""
    return not _current(conn) and inspect(conn).has_table("article")


@dataclass(frozen=True)
class Status:
    """Where a database stands relative to the code's migrations."""

    current: tuple[str, ...]  # revisions recorded in the database; () for none
    head: str
    legacy: bool  # made before migrations existed: tables, but no revision yet

    @property
    def at_head(self) -> bool:
        return self.current == (self.head,)

    @property
    def unknown(self) -> tuple[str, ...]:
        """Recorded revisions this code does not have (a newer release upgraded it)."""
        return tuple(r for r in self.current if not known(r))


def status(engine: Engine) -> Status:
    with engine.connect() as conn:
        current = _current(conn)
        legacy = not current and inspect(conn).has_table("article")
    return Status(current=current, head=head(), legacy=legacy)


@contextmanager
def _locked(engine: Engine) -> Iterator[Connection]:
    """One transaction for the whole migration; on PostgreSQL, one migrator at a time.

    The advisory lock is transaction-level, so it is released by the commit (or by the
    rollback when a migration fails, or when the connection dies). PostgreSQL DDL is
    transactional, so a failed upgrade leaves nothing half done; SQLite runs DDL outside
    transactions, so there a failure can leave part of a revision applied.

    On SQLite, foreign keys are off while migrating: batch operations rebuild a table
    (copy, drop, rename), and dropping a table that others reference would fail or lose
    rows. The pragma is ignored inside a transaction, hence set before and restored after.
    """
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
        try:
            with conn.begin():
                if not sqlite:
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
                yield conn
        finally:
            if sqlite:
                try:
                    conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                    conn.commit()
                except Exception:
                    conn.invalidate()  # never return a connection without foreign keys


def _check_known(conn: Connection) -> None:
    unknown = [r for r in _current(conn) if not known(r)]
    if unknown:
        raise MigrationError(
            f"the database is at revision {', '.join(unknown)}, which this version of ainews "
            f"does not have (its newest is {head()}): a newer release upgraded it. Run that "
            "release, or downgrade with it (`ainews db downgrade REVISION`) before going back."
        )


def _adopt(conn: Connection) -> None:
    """Stamp a pre-migration database as :data:`BASELINE`, creating what it lacks first.

    The old code created the SQLModel tables and the full-text structures on every start,
    but the Slack tables only once Slack OAuth was set up, and a database last run by an
    older release may miss a newer table. Missing pieces are built with the baseline
    revision's own functions, so the result is exactly what ``0001_initial`` makes.
    """
    existing = set(inspect(conn).get_table_names())
    baseline = _script().get_revision(BASELINE)
    assert baseline is not None and baseline.module is not None
    module = baseline.module
    context = MigrationContext.configure(connection=conn, opts={"version_table": VERSION_TABLE})
    with Operations.context(context):
        for name, create in module.TABLES.items():
            if name not in existing:
                create()
        if "article_fts" not in existing:
            module.create_fulltext()
    context.stamp(_script(), BASELINE)


def _run_env(conn: Connection, fn: Any, destination: str) -> None:
    """Run ``env.py`` on ``conn`` with ``fn`` choosing the steps, as ``alembic.command`` does.

    Not ``command.upgrade``/``downgrade`` themselves: those re-read and re-compile every
    revision file on each call, which the test suite (hundreds of fresh databases) feels.
    """
    script = _script()
    with EnvironmentContext(make_config(conn), script, fn=fn, destination_rev=destination):
        script.run_env()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Upgrade to ``revision`` (default: the newest); a no-op costing one query at head."""
    if revision == "head":
        with engine.connect() as conn:
            if _current(conn) == (head(),):
                return
    with _locked(engine) as conn:  # from here on another replica may have done the work
        _check_known(conn)
        if _is_legacy(conn):
            log.info("database %s predates migrations: adopting it as %s", _url(conn), BASELINE)
            _adopt(conn)
        current = _current(conn)
        if revision == "head" and current == (head(),):
            return  # another replica upgraded it while we waited for the lock
        log.info(
            "upgrading database %s from %s to %s",
            _url(conn),
            ", ".join(current) or "an empty schema",
            revision,
        )
        _run_env(conn, lambda rev, _context: _script()._upgrade_revs(revision, rev), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Downgrade to ``revision`` ("base" drops every table, data included)."""
    with _locked(engine) as conn:
        _check_known(conn)
        if _is_legacy(conn):
            _adopt(conn)
        log.info("downgrading database %s to %s", _url(conn), revision)
        _run_env(conn, lambda rev, _context: _script()._downgrade_revs(revision, rev), revision)


def next_revision_id(message: str) -> str:
    """The next number plus a slug of ``message`` ("0002_add_source_priority").

    Numbered ids keep ``versions/`` in order; at most 32 characters, the width of
    ``alembic_version.version_num``.
    """
    numbers = [
        int(match.group(1))
        for script in _fresh_script().walk_revisions()
        if (match := re.match(r"(\d+)_", script.revision))
    ]
    number = f"{max(numbers, default=0) + 1:04d}"
    slug = re.sub(r"[^a-z0-9]+", "_", message.lower()).strip("_")
    return f"{number}_{slug}"[:_MAX_REV_ID].rstrip("_") if slug else number


def _fresh_script() -> ScriptDirectory:
    """The revisions as on disk now (the cached one misses files written since)."""
    return ScriptDirectory.from_config(make_config())


def new_revision(engine: Engine, message: str, *, autogenerate: bool = False) -> Path:
    """Write ``versions/NNNN_slug.py``; with ``autogenerate``, filled with the differences
    between the models and the database (which must be at head). Review it before use."""
    rev_id = next_revision_id(message)
    with engine.begin() as conn:
        made = command.revision(
            make_config(conn), message=message, autogenerate=autogenerate, rev_id=rev_id
        )
    script = made[0] if isinstance(made, list) else made
    if script is None:
        raise MigrationError("alembic wrote no revision")
    return Path(script.path)
