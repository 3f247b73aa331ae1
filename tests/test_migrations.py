"""Schema migrations (bot/migrations): what they build matches the models, on SQLite and
PostgreSQL; databases made before migrations are adopted with their data; upgrades at head
are no-ops; replicas upgrading together run the DDL once; ``ainews db`` reports it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from conftest import fresh_postgres_database
from sqlalchemy import Column, Engine, Integer, MetaData, Table, event, inspect, text
from sqlmodel import Session, SQLModel, select
from sqlmodel.sql.sqltypes import AutoString

from bot import migrations
from bot.models import Article, Source
from bot.store import init_schema, make_engine
from bot.utc import Timestamp

AINEWS = str(Path(sys.executable).with_name("ainews"))
HEAD = migrations.head()
#: The number the next revision gets ("0004" when HEAD is "0003_...").
NEXT = f"{int(HEAD.split('_')[0]) + 1:04d}"
#: Everything 0001_initial creates, besides the full-text index.
TABLES = {t.name for m in migrations.target_metadata for t in m.sorted_tables}


def fresh_postgres(url: str) -> Engine:
    """The shared test server's database, emptied (as tests/test_postgres_core.py does)."""
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    return engine


@pytest.fixture
def engine(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database of the test's backend: a new SQLite file, or a new Postgres one."""
    with ExitStack() as stack:
        if backend == "sqlite":
            url = f"sqlite:///{tmp_path / 'ainews.db'}"
        else:
            url = stack.enter_context(fresh_postgres_database(request, migrated=False))
        made = make_engine(url)
        yield made
        made.dispose()


def schema_diff(engine: Engine) -> list[Any]:
    """What autogenerate would write to make the database match the models."""
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "include_name": migrations.include_name,
                "include_object": migrations.include_object,
                "compare_type": True,
            },
        )
        return list(compare_metadata(context, migrations.target_metadata))


def tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def statements(engine: Engine) -> list[str]:
    """Every SQL statement the engine runs from now on (appended as they run)."""
    seen: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _record(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        seen.append(" ".join(sql.split()).upper())

    return seen


def writes(seen: list[str]) -> list[str]:
    verbs = ("CREATE", "ALTER", "DROP", "INSERT", "UPDATE", "DELETE")
    return [s for s in seen if s.startswith(verbs)]


#: Columns of today's models that revisions after 0001 added.
LATER_TABLES = {  # tables later revisions added
    "index_meta",
    "llm_cache",
    "feedback_vote",
    "digest_story",
    "story_update",
}
LATER_COLUMNS = (
    ("delivery", "started_at"),
    ("source", "next_try_at"),
    ("subscription", "thread"),
    ("subscription", "followups"),
    ("delivery", "thread"),
)


def create_the_old_way(engine: Engine) -> None:
    """What ``init_schema`` did before migrations: create_all plus raw full-text DDL.

    (The Slack tables were only made once Slack OAuth was used, so they are left out; so
    are tables that later revisions added.)
    """
    old = [t for name, t in SQLModel.metadata.tables.items() if name not in LATER_TABLES]
    SQLModel.metadata.create_all(engine, tables=old)
    with engine.begin() as conn:
        for table, column in LATER_COLUMNS:  # columns later revisions added
            conn.execute(text(f"ALTER TABLE {table} DROP COLUMN {column}"))
        if engine.dialect.name == "sqlite":
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


def fulltext_hits(engine: Engine, term: str) -> list[int]:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            sql = "SELECT rowid FROM article_fts WHERE article_fts MATCH :q"
        else:
            sql = "SELECT article_id FROM article_fts WHERE tsv @@ to_tsquery('simple', :q)"
        return list(conn.execute(text(sql), {"q": term}).scalars())


def add_article(engine: Engine) -> int:
    with engine.begin() as conn:  # the old columns only (the models have later ones)
        conn.execute(
            text(
                "INSERT INTO source (kind, url, name, enabled, full_text, consecutive_failures, "
                "created_at) VALUES ('feed', 'https://example.com/feed', 'Example', true, false, "
                "0, CURRENT_TIMESTAMP)"
            )
        )
        source_id = conn.execute(text("SELECT id FROM source")).scalar_one()
    with Session(engine, expire_on_commit=False) as session:
        article = Article(
            source_id=source_id,
            source_name="Example",
            url="https://example.com/a",
            title="Qwen downloads",
            body="Alibaba's Qwen passed 700 million downloads.",
            content_hash="h1",
        )
        session.add(article)
        session.commit()
        assert article.id is not None
        article_id = article.id
    if "article_fts" in tables(engine):  # a database from before 0006_drop_fulltext
        with engine.begin() as conn:
            if engine.dialect.name == "sqlite":
                sql = "INSERT INTO article_fts(rowid, title, body) VALUES (:id, 'qwen', 'alibaba')"
            else:
                sql = "INSERT INTO article_fts VALUES (:id, to_tsvector('simple', 'qwen alibaba'))"
            conn.execute(text(sql), {"id": article_id})
    return article_id


# --------------------------------------------------------------------------- the schema


def test_upgrade_builds_exactly_the_models(engine: Engine) -> None:
    init_schema(engine)
    assert migrations.status(engine).at_head
    assert TABLES | {"alembic_version"} <= tables(engine)
    assert "article_fts" not in tables(engine)  # full text lives in the local index
    assert schema_diff(engine) == []


def test_downgrading_0005_brings_the_database_full_text_back(engine: Engine) -> None:
    init_schema(engine)
    article_id = add_article(engine)
    migrations.downgrade(engine, "0004_digest_send")
    assert fulltext_hits(engine, "qwen") == [article_id]
    assert fulltext_hits(engine, "million") == [article_id]  # the body, stemmed as it was
    migrations.upgrade(engine)
    assert "article_fts" not in tables(engine)


def test_the_comparison_notices_a_missing_index(tmp_path: Path) -> None:
    """Guards the test above: an empty diff must mean something."""
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    init_schema(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_article_guid"))
    assert [d[0] for d in schema_diff(engine)] == ["add_index"]
    engine.dispose()


def test_upgrading_twice_is_a_no_op(engine: Engine) -> None:
    init_schema(engine)
    seen = statements(engine)
    init_schema(engine)
    migrations.upgrade(engine, "head")
    assert writes(seen) == []
    assert len(seen) <= 4, seen  # a version check, no migration context


def test_downgrade_to_base_then_upgrade_again(engine: Engine) -> None:
    init_schema(engine)
    migrations.downgrade(engine, "base")
    assert tables(engine) <= {"alembic_version"}
    assert migrations.status(engine).current == ()
    migrations.upgrade(engine)
    assert migrations.status(engine).current == (HEAD,)
    assert schema_diff(engine) == []


def test_a_database_from_before_migrations_is_adopted_with_its_data(engine: Engine) -> None:
    create_the_old_way(engine)
    article_id = add_article(engine)
    assert migrations.status(engine).legacy

    init_schema(engine)

    status = migrations.status(engine)
    assert status.at_head and not status.legacy
    assert {"slack_installation", "slack_oauth_state"} <= tables(engine)  # made for it
    assert schema_diff(engine) == []
    with Session(engine) as session:
        article = session.exec(select(Article)).one()
    assert (article.id, article.title, article.url) == (
        article_id,
        "Qwen downloads",
        "https://example.com/a",
    )
    assert "article_fts" not in tables(engine)


def test_a_revision_this_code_does_not_have_is_refused_clearly(engine: Engine) -> None:
    init_schema(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099_from_the_future'"))
    with pytest.raises(migrations.MigrationError, match="0099_from_the_future.*newer release"):
        init_schema(engine)


# --------------------------------------------------------------------------- replicas


@pytest.mark.postgres
def test_replicas_upgrading_at_once_run_the_ddl_once(postgres_url: str) -> None:
    fresh_postgres(postgres_url).dispose()
    engines = [make_engine(postgres_url) for _ in range(2)]
    seen = [statements(e) for e in engines]
    errors: list[BaseException] = []

    def start(engine: Engine) -> None:
        try:
            init_schema(engine)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    holder = make_engine(postgres_url)
    # Hold the migration lock so both replicas are inside upgrade() at the same time.
    with holder.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": migrations.LOCK_KEY})
        threads = [threading.Thread(target=start, args=(e,)) for e in engines]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while _waiting_for_lock(holder) < 2:
            assert time.monotonic() < deadline, "the replicas never reached the lock"
            time.sleep(0.05)
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    creates = [sum(s.startswith("CREATE TABLE") for s in statements) for statements in seen]
    assert sorted(creates) == [0, len(TABLES) + 2]  # + article_fts and alembic_version
    assert migrations.status(holder).at_head
    with holder.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
    assert schema_diff(holder) == []
    for made in (*engines, holder):
        made.dispose()


def _waiting_for_lock(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                    "AND objid = :k AND NOT granted"
                ),
                {"k": migrations.LOCK_KEY},
            ).scalar_one()
        )


# --------------------------------------------------------------------------- new revisions


@pytest.fixture
def scratch_migrations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the migrations folder to add revisions to (the package stays as it is)."""
    copy = tmp_path / "migrations"
    shutil.copytree(migrations.MIGRATIONS_DIR, copy, ignore=shutil.ignore_patterns("__py*"))
    monkeypatch.setattr(migrations, "MIGRATIONS_DIR", copy)
    forget_revisions()
    yield copy
    forget_revisions()


def forget_revisions() -> None:
    """Make bot.migrations read the revision files again (it caches them per process)."""
    migrations._script.cache_clear()
    migrations.head.cache_clear()


def test_a_new_revision_is_numbered_autogenerated_and_applied(
    scratch_migrations: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``ainews db revision --autogenerate`` after a model change (a new table)."""
    new_model = MetaData()
    Table(
        "bookmark",
        new_model,
        Column("id", Integer, primary_key=True),
        Column("note", AutoString(), nullable=False),
        Column("saved_at", Timestamp(), nullable=False),
    )
    monkeypatch.setattr(migrations, "target_metadata", [*migrations.target_metadata, new_model])
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    init_schema(engine)
    assert migrations.next_revision_id("Add: bookmarks!") == f"{NEXT}_add_bookmarks"
    assert len(migrations.next_revision_id("x" * 80)) == 32  # alembic_version's width

    path = migrations.new_revision(engine, "add bookmarks", autogenerate=True)

    assert path == scratch_migrations / "versions" / f"{NEXT}_add_bookmarks.py"
    written = path.read_text()
    assert f"down_revision: str | None = '{HEAD}'" in written
    assert "op.create_table('bookmark'" in written
    assert "sa.Column('note', sa.String(), nullable=False)" in written
    assert "sa.Column('saved_at', sa.DateTime(timezone=True), nullable=False)" in written
    assert "sqlmodel" not in written and "article_fts" not in written
    forget_revisions()
    init_schema(engine)
    assert migrations.status(engine).current == (f"{NEXT}_add_bookmarks",)
    assert "bookmark" in tables(engine) and schema_diff(engine) == []
    migrations.downgrade(engine, "-1")
    assert "bookmark" not in tables(engine)
    engine.dispose()


BATCH_REVISION = """
from alembic import op

revision = "{next}_source_name_optional"
down_revision = "{head}"


def upgrade() -> None:
    with op.batch_alter_table("source") as batch:  # SQLite: copy, drop, rename
        batch.alter_column("name", nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("source") as batch:
        batch.alter_column("name", nullable=False)
"""


def test_sqlite_table_rebuilds_keep_rows_that_reference_the_table(
    scratch_migrations: Path, tmp_path: Path
) -> None:
    """Foreign keys are off while migrating (dropping ``source`` would otherwise fail, as
    articles reference it) and on again afterwards."""
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    init_schema(engine)
    article_id = add_article(engine)
    batch = BATCH_REVISION.format(next=NEXT, head=HEAD)
    (scratch_migrations / "versions" / f"{NEXT}_source_name_optional.py").write_text(batch)
    forget_revisions()

    init_schema(engine)

    assert migrations.status(engine).current == (f"{NEXT}_source_name_optional",)
    assert inspect(engine).get_columns("source")[3]["nullable"] is True
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        joined = "SELECT a.id FROM article a JOIN source s ON s.id = a.source_id"
        assert conn.execute(text(joined)).scalars().all() == [article_id]
    engine.dispose()


# --------------------------------------------------------------------------- the CLI


def ainews(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "AINEWS_DATA_DIR": "data", "HF_HUB_OFFLINE": "1", **env}
    if "AINEWS_DATABASE_URL" not in env:
        environ.pop("AINEWS_DATABASE_URL", None)
    return subprocess.run(
        [AINEWS, *args], cwd=cwd, env=environ, capture_output=True, text=True, timeout=120
    )


def test_db_commands_print_the_revision(tmp_path: Path) -> None:
    url = "sqlite:///data/ainews.db"
    empty = ainews(tmp_path, "db", "current")
    assert empty.returncode == 0, empty.stderr
    assert empty.stdout == (
        f"database {url} empty (no revision): `ainews db upgrade` creates the schema\n"
    )

    upgraded = ainews(tmp_path, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert upgraded.stdout == (
        f"database {url} upgraded from base (empty) to revision {HEAD} (head)\n"
    )
    current = ainews(tmp_path, "db", "current")
    assert current.stdout == f"database {url} at revision {HEAD} (head)\n"
    again = ainews(tmp_path, "db", "upgrade")
    assert again.stdout == f"database {url} unchanged: at revision {HEAD} (head)\n"

    down = ainews(tmp_path, "db", "downgrade", "base")
    assert down.returncode == 0, down.stderr
    assert down.stdout == (
        f"database {url} downgraded from revision {HEAD} (head) to base (empty)\n"
    )
    bad = ainews(tmp_path, "db", "upgrade", "nope")
    assert bad.returncode == 2
    assert "error:" in bad.stderr and "nope" in bad.stderr and "Traceback" not in bad.stderr


def test_db_current_names_a_database_from_before_migrations(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'ainews.db'}")
    create_the_old_way(engine)
    engine.dispose()
    result = ainews(tmp_path, "db", "current")
    assert "created before migrations (no revision yet)" in result.stdout
    assert "`ainews db upgrade` adopts it as 0001_initial" in result.stdout


@pytest.mark.postgres
def test_db_current_on_postgres_hides_the_password(postgres_url: str, tmp_path: Path) -> None:
    fresh_postgres(postgres_url).dispose()
    url = postgres_url.replace("://postgres@", "://postgres:secret@")
    result = ainews(tmp_path, "db", "upgrade", AINEWS_DATABASE_URL=url)
    assert result.returncode == 0, result.stderr
    assert "secret" not in result.stdout
    assert f"to revision {HEAD} (head)" in result.stdout


def test_sources_the_old_poller_disabled_are_enabled_again(engine: Engine) -> None:
    """0005: a failing feed now backs off instead; one disabled by hand stays off."""
    migrations.upgrade(engine, "0004_digest_send")
    with engine.begin() as conn:
        for url, reason in (
            ("https://a.example/feed", "disabled after 5 consecutive failures; last error: x"),
            ("https://b.example/feed", "disabled by hand"),
        ):
            conn.execute(
                text(
                    "INSERT INTO source (kind, url, name, enabled, full_text, "
                    "consecutive_failures, disabled_reason, created_at) VALUES ('feed', :url, "
                    "'n', false, false, 5, :reason, CURRENT_TIMESTAMP)"
                ),
                {"url": url, "reason": reason},
            )
    migrations.upgrade(engine, "head")
    with Session(engine) as session:
        rows = {s.url: s for s in session.exec(select(Source))}
    revived, off = rows["https://a.example/feed"], rows["https://b.example/feed"]
    assert revived.enabled and revived.disabled_reason is None and revived.next_try_at is None
    assert not off.enabled and off.disabled_reason == "disabled by hand"
