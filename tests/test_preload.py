"""Helper processes load the indexes while the model loads; what they answer is exact."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import make_settings
from sqlalchemy import create_engine
from test_postings import QUERIES, _assert_same_ranking, _corpus

import bot.index.vectors as vectors_module
from bot.core import Core
from bot.index import preload
from bot.index.embedder import HashingEmbedder
from bot.index.ftserver import RemotePostings
from bot.index.vectors import VectorIndex
from bot.ingest.files import Item
from bot.ingest.types import RawArticle
from bot.settings import Settings


def _same_vectors(got: VectorIndex, want: VectorIndex) -> None:
    mine, theirs = got.export(), want.export()
    assert mine.keys() == theirs.keys()
    for name, array in theirs.items():
        assert np.array_equal(mine[name], array), name


def test_vector_index_round_trip_with_the_coarse_stage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vectors_module, "COARSE_MIN_ROWS", 2_000)
    monkeypatch.setattr(vectors_module, "COARSE_DIMS", 16)
    monkeypatch.setattr(vectors_module, "COARSE_CANDIDATES", 300)
    rng = np.random.default_rng(3)
    rows = rng.normal(size=(3_000, 32)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    ids = list(range(1, 3_001))
    langs = ["es" if i % 3 else "en" for i in ids]
    index = VectorIndex(32)
    index.add(ids[:2_500], ids[:2_500], rows[:2_500], langs[:2_500])
    assert index._coarse is not None and index._matrix.dtype == np.float16
    copy = VectorIndex.restore(32, index.export())
    _same_vectors(copy, index)
    for both in (index, copy):  # and both grow alike, projecting the new rows
        both.add(ids[2_500:], ids[2_500:], rows[2_500:], langs[2_500:])
    _same_vectors(copy, index)
    for query in rows[::300]:
        assert copy.search(query, 20, langs=frozenset({"en"})) == index.search(
            query, 20, langs=frozenset({"en"})
        )


def test_restored_index_refuses_another_dimension() -> None:
    index = VectorIndex(8)
    index.add([1], [1], np.ones((1, 8), dtype=np.float32) / np.sqrt(8))
    with pytest.raises(ValueError, match="dimension"):
        VectorIndex.restore(16, index.export())


def test_ainews_run_preload_equals_loading_in_process(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """The helper's indexes answer as the in-process load's (the vectors array for array),
    on both backends; an article stored after the helper read is caught up, not lost."""
    first = Core.build(settings, embedder=HashingEmbedder())
    first.ingester.ingest(_corpus(60))
    collect = preload.Preload.collect

    def late_article(self: preload.Preload) -> object:
        self._proc.wait()  # the helper has read everything it will read
        raw = RawArticle(title="Zyzzyva beetles", body="A zyzzyva is a weevil.", lang="en")
        first.ingester.ingest([Item("beetle", raw)])
        return collect(self)

    with pytest.MonkeyPatch.context() as patch, caplog.at_level(logging.INFO):
        patch.setattr(preload.Preload, "collect", late_article)
        core = Core.build(settings, embedder=HashingEmbedder(), preload=True)
    assert "vectors loaded by a helper process" in caplog.text
    reference = Core.build(settings, embedder=HashingEmbedder())
    _same_vectors(core.vectors, reference.vectors)
    memory = core.fulltext.memory
    assert isinstance(memory, RemotePostings) and memory.remote  # full text: its own helper
    assert len(memory) == 61 and core.fulltext.in_memory
    for query in [*QUERIES, "zyzzyva weevil"]:
        fts_query = core.searcher.expander.build(query)
        _assert_same_ranking(
            core.fulltext.search(fts_query, 20), reference.fulltext.search(fts_query, 40)
        )
        got = core.searcher.search(query, limit=10)
        want = reference.searcher.search(query, limit=10)
        assert [h.article_id for h in got] == [h.article_id for h in want], query
    assert core.searcher.search("zyzzyva weevil", limit=1)[0].title == "Zyzzyva beetles"
    for built in (first, core, reference):
        built.close()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_failed_helper_falls_back_to_loading_in_process(
    settings: Settings, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = Core.build(settings, embedder=HashingEmbedder())
    first.ingester.ingest(_corpus(20))
    monkeypatch.setattr(sys, "executable", "/bin/false")  # the helper exits 1 at once
    with caplog.at_level(logging.WARNING):
        core = Core.build(settings, embedder=HashingEmbedder(), preload=True)
    assert "index helper failed (exit 1" in caplog.text
    assert re.search("full-text helper (did not start|failed)", caplog.text)
    assert len(core.fulltext.memory) == 20 and len(core.vectors) == len(first.vectors)
    assert not list(Path(os.environ.get("TMPDIR", "/tmp")).glob("ainews-preload-*/job.json"))
    for built in (first, core):
        built.close()


def test_an_orphaned_helper_deletes_its_output(tmp_path: Path) -> None:
    """If ``ainews run`` died while the helper read, nobody would read or delete ~200 MB."""
    folder = tmp_path / "job"
    folder.mkdir()
    database = tmp_path / "empty.db"
    settings = make_settings(tmp_path, database_url=f"sqlite:///{database}")
    job = {
        "database_url": settings.database_url,
        "dim": 8,
        "parent": -1,  # not this helper's parent
    }
    Core.build(settings, embedder=HashingEmbedder(8)).engine.dispose()
    (folder / "job.json").write_text(json.dumps(job))
    done = subprocess.run([sys.executable, "-m", "bot.index.preload", str(folder)], check=False)
    assert done.returncode == 0 and not folder.exists()


def test_no_helper_for_an_in_memory_database() -> None:
    """Another process would open an empty database of its own: load in-process instead."""
    settings = Settings()
    engine = create_engine("sqlite://")
    assert preload.Preload.start(engine, dim=8) is None
    server = RemotePostings.start(
        engine,
        lexicon_path=settings.lexicon_path,
        gazetteer_path=settings.gazetteer_path,
        title_weight=2.0,
    )
    assert server is None
