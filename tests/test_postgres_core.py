"""The same core code on a real PostgreSQL: schema, ingest, dedup, tsvector search, replicas."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import SEEDS, make_settings
from sqlalchemy import create_engine, text

from bot.core import Core
from bot.index.embedder import HashingEmbedder
from bot.ingest.files import iter_path

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_core(postgres_url: str, tmp_path: Path) -> Iterator[Core]:
    engine = create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    core = Core.build(
        make_settings(tmp_path, database_url=postgres_url), embedder=HashingEmbedder()
    )
    yield core
    core.engine.dispose()


def test_ingest_twice_and_search_on_postgres(pg_core: Core) -> None:
    assert pg_core.engine.dialect.name == "postgresql"
    first = pg_core.ingester.ingest(iter_path(str(SEEDS)))
    assert len(first.new) == 3
    second = pg_core.ingester.ingest(iter_path(str(SEEDS)))
    assert len(second.duplicates) == 3 and not second.new
    hits = pg_core.searcher.search("descargas de Qwen", mode="bm25")
    assert hits[0].url and hits[0].url.endswith("004_cfe0271cdde873fb.txt")
    assert hits[0].published_at is not None and hits[0].published_at.year == 2026
    assert pg_core.stats()["articles"] == 3


def test_accent_folding_and_stemming_match_sqlite(pg_core: Core) -> None:
    pg_core.ingester.ingest(iter_path(str(SEEDS)))
    hits = pg_core.searcher.search("tecnologicas asiatico entrenamiento", mode="bm25")
    assert hits and hits[0].url and hits[0].url.endswith("000_f061253b2aa8fe13.txt")


def test_a_second_replica_sees_new_articles_after_refresh(pg_core: Core, tmp_path: Path) -> None:
    other = Core.build(
        make_settings(tmp_path, database_url=str(pg_core.settings.database_url)),
        embedder=pg_core.embedder,
    )
    assert len(other.vectors) == 0
    pg_core.ingester.ingest(iter_path(str(SEEDS)))
    assert other.refresh() == len(pg_core.vectors) > 0
    # Dense scores are masked for Spanish with the English-only model, so ask the index directly.
    query = other.embedder.query("Qwen descargas Alibaba")
    top_article = other.vectors.search(query, 1)[0][0]
    hits = pg_core.searcher.search("Qwen", mode="bm25")
    assert top_article == hits[0].article_id
    other.engine.dispose()
