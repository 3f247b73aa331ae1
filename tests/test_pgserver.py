"""The throwaway PostgreSQL server used by the `postgres`-marked tests actually works."""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from pgserver import PG_MIN_MAJOR, PostgresServer, postgres_unavailable_reason
from sqlalchemy.pool import NullPool

pytestmark = pytest.mark.postgres


def _require_postgres() -> None:
    reason = postgres_unavailable_reason()
    if reason is None:
        return
    if os.environ.get("AINEWS_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"AINEWS_REQUIRE_POSTGRES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def pg() -> Iterator[PostgresServer]:
    _require_postgres()
    # No base_dir: make_base_dir() creates one under /tmp (pytest's tmp_path is not
    # traversable by the `postgres` user when running as root).
    with PostgresServer() as server:
        yield server


def _engine(pg: PostgresServer) -> sa.Engine:
    return sa.create_engine(pg.url, poolclass=NullPool, connect_args={"connect_timeout": 5})


def test_url_and_version(pg: PostgresServer) -> None:
    assert pg.url == f"postgresql+psycopg://postgres@127.0.0.1:{pg.port}/ainews"
    engine = _engine(pg)
    with engine.connect() as conn:
        version = conn.execute(sa.text("select version()")).scalar_one()
        assert conn.execute(sa.text("select current_database()")).scalar_one() == "ainews"
        assert conn.execute(sa.text("show fsync")).scalar_one() == "off"
        assert conn.execute(sa.text("show listen_addresses")).scalar_one() == "127.0.0.1"
    m = re.match(r"PostgreSQL (\d+)", version)
    assert m, version
    assert int(m.group(1)) >= PG_MIN_MAJOR, version


def test_full_text_search(pg: PostgresServer) -> None:
    engine = _engine(pg)
    with engine.begin() as conn:
        conn.execute(sa.text("drop table if exists fts_probe"))
        conn.execute(
            sa.text(
                "create table fts_probe (id serial primary key, body text not null, "
                "tsv tsvector generated always as (to_tsvector('english', body)) stored)"
            )
        )
        conn.execute(sa.text("create index fts_probe_tsv on fts_probe using gin (tsv)"))
        conn.execute(
            sa.text("insert into fts_probe (body) values (:a), (:b), (:c)"),
            {
                "a": "OpenAI releases a new language model",
                "b": "Nvidia earnings beat expectations",
                "c": "Anthropic publishes research on models",
            },
        )
    with engine.connect() as conn:
        ids = (
            conn.execute(
                sa.text(
                    "select id from fts_probe "
                    "where tsv @@ plainto_tsquery('english', :q) order by id"
                ),
                {"q": "models"},
            )
            .scalars()
            .all()
        )
        assert ids == [1, 3]
        conn.execute(sa.text("set enable_seqscan = off"))
        plan = "\n".join(
            conn.execute(
                sa.text(
                    "explain select id from fts_probe "
                    "where tsv @@ plainto_tsquery('english', 'model')"
                )
            )
            .scalars()
            .all()
        )
        assert "fts_probe_tsv" in plan, plan


def test_stop_and_restart_same_port(pg: PostgresServer) -> None:
    engine = _engine(pg)
    port = pg.port
    with engine.connect() as conn:
        assert conn.execute(sa.text("select 1")).scalar_one() == 1

    pg.stop()
    assert not pg.is_running()
    with pytest.raises(sa.exc.OperationalError):
        with engine.connect():
            pass
    # Nothing listens on the port while stopped.
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()

    pg.restart()
    assert pg.is_running()
    assert pg.port == port
    with engine.connect() as conn:
        assert conn.execute(sa.text("select 1")).scalar_one() == 1
        assert conn.execute(sa.text("show port")).scalar_one() == str(port)
        # Data survives the restart.
        assert conn.execute(sa.text("select count(*) from pg_database")).scalar_one() >= 3


def test_listens_only_on_loopback(pg: PostgresServer) -> None:
    with _engine(pg).connect() as conn:
        sockets = conn.execute(sa.text("show unix_socket_directories")).scalar_one()
    assert sockets == str(pg.base_dir)
