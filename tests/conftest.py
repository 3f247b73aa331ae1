"""Shared fixtures: settings on a temp database, a fake or real embedder, Postgres on demand."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.core import Core
from bot.index.embedder import HashingEmbedder, SentenceTransformerEmbedder
from bot.ingest.files import iter_path
from bot.settings import PROJECT_ROOT, Settings, load_settings

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


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def core(settings: Settings) -> Iterator[Core]:
    """A core on a fresh SQLite file with the deterministic fake embedder."""
    built = Core.build(settings, embedder=HashingEmbedder())
    yield built
    built.engine.dispose()


@pytest.fixture(scope="session")
def real_embedder() -> SentenceTransformerEmbedder:
    """The bundled all-MiniLM-L6-v2, loaded once per test session."""
    embedder = SentenceTransformerEmbedder()
    embedder.load()
    return embedder


@pytest.fixture(scope="session")
def seeded_core(
    tmp_path_factory: pytest.TempPathFactory, real_embedder: SentenceTransformerEmbedder
) -> Iterator[Core]:
    """The real model over the three seed articles, as a new user gets after ``ingest``."""
    tmp = tmp_path_factory.mktemp("seeded")
    built = Core.build(make_settings(tmp), embedder=real_embedder)
    report = built.ingester.ingest(iter_path(str(SEEDS)))
    assert len(report.new) == 3, report.outcomes
    yield built
    built.engine.dispose()


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
