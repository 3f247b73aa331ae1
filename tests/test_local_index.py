"""The local index (tantivy full text + vector files): restarts, crashes, replicas."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from conftest import SEEDS, fresh_postgres_database, make_settings
from sqlalchemy import text

from bot.core import Core
from bot.index.embedder import HashingEmbedder
from bot.ingest.files import Item, iter_path
from bot.ingest.types import RawArticle
from bot.settings import Settings

HERE = Path(__file__).parent


def test_a_restart_reads_the_index_from_disk_not_the_database(
    core: Core, settings: Settings
) -> None:
    core.ingester.ingest(iter_path(str(SEEDS)))
    stored = core.vectors.search(core.embedder.query("descargas de Qwen"), 5)
    with core.engine.begin() as conn:  # were vectors read from the database, these would show
        conn.execute(text("UPDATE passage SET embedding = :z"), {"z": bytes(4 * core.embedder.dim)})
    again = Core.build(settings, embedder=HashingEmbedder())
    assert again.vectors.search(again.embedder.query("descargas de Qwen"), 5) == stored
    assert [h.url for h in again.searcher.search("Qwen", mode="bm25")] == [
        h.url for h in core.searcher.search("Qwen", mode="bm25")
    ]


def test_what_a_dead_sync_left_past_the_watermark_is_dropped(
    core: Core, settings: Settings
) -> None:
    core.ingester.ingest(iter_path(str(SEEDS)))
    index = core.open_index()
    assert index.folder is not None
    passages = len(core.vectors)
    with open(index.folder / "rows.bin", "ab") as out:  # part of a row, as a kill mid-write
        out.write(b"\x01" * 100)
    meta = json.loads((index.folder / "meta.json").read_text())
    (index.folder / "meta.json").write_text(json.dumps({**meta, "rows": 2, "last": 2}))
    again = Core.build(settings, embedder=HashingEmbedder())
    assert len(again.vectors) == passages  # rows 3.. came again from the database
    assert len(again.fulltext) == 3  # the articles past passage 2 once each, not twice
    assert (index.folder / "rows.bin").stat().st_size == passages * index.row.itemsize


def test_an_index_of_another_database_is_rebuilt(tmp_path: Path) -> None:
    first = Core.build(make_settings(tmp_path), embedder=HashingEmbedder())
    first.ingester.ingest(iter_path(str(SEEDS)))
    first.close()
    (tmp_path / "test.db").unlink()  # a new database at the same address
    second = Core.build(make_settings(tmp_path), embedder=HashingEmbedder())
    assert len(second.vectors) == 0 and len(second.fulltext) == 0
    second.ingester.ingest([Item("x", RawArticle(title="Mistral ships", body="A new model."))])
    assert [h.title for h in second.searcher.search("Mistral")] == ["Mistral ships"]


@pytest.mark.postgres
def test_a_replica_finds_what_another_ingested_within_the_supervise_beat(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Two replicas on one Postgres, each with its own data folder: an article ingested
    through one is found by the other's search within AINEWS_SUPERVISE_SECONDS + 1 s."""
    supervise = 1.0
    with fresh_postgres_database(request) as url:
        env = {
            **os.environ,
            "AINEWS_DATA_DIR": str(tmp_path / "b"),
            "AINEWS_DATABASE_URL": url,
            "AINEWS_SUPERVISE_SECONDS": str(supervise),
            "AINEWS_HTTP_PORT": "0",
            "PYTHONPATH": str(HERE.parent),
        }
        other = subprocess.Popen(
            [sys.executable, str(HERE / "replica_worker.py")],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert other.stdin is not None and other.stdout is not None
            while "listening" not in other.stdout.readline():
                assert other.poll() is None, "the replica died"

            def found(query: str) -> list[int]:
                other.stdin.write(query + "\n")  # type: ignore[union-attr]
                other.stdin.flush()  # type: ignore[union-attr]
                return list(json.loads(other.stdout.readline()))  # type: ignore[union-attr]

            assert found("Qwen downloads") == []
            mine = Core.build(
                make_settings(tmp_path / "a", database_url=url), embedder=HashingEmbedder()
            )
            report = mine.ingester.ingest(iter_path(str(SEEDS)))
            stored = time.monotonic()
            wanted = next(o.article_id for o in report.new if "004_" in o.label)
            while wanted not in found("Qwen downloads"):
                assert time.monotonic() - stored < supervise + 1, "not found in time"
                time.sleep(0.05)
            assert _children(other.pid) == []
            mine.close()
        finally:
            other.send_signal(signal.SIGTERM)
            other.wait(timeout=20)


def _children(pid: int) -> list[int]:
    """Child processes of ``pid`` (every thread's, as the kernel lists them)."""
    tasks = Path(f"/proc/{pid}/task")
    found = []
    for task in tasks.iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


@pytest.mark.model
def test_ainews_run_holds_no_child_processes(tmp_path: Path) -> None:
    """The real ``ainews run --headless``, bundled model and all: no helper processes."""
    env = {
        **os.environ,
        "AINEWS_DATA_DIR": str(tmp_path),
        "AINEWS_DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
        "AINEWS_HTTP_PORT": "0",
        "AINEWS_SEEDS_DIR": str(SEEDS),
    }
    run = subprocess.Popen(
        [str(Path(sys.executable).with_name("ainews")), "run", "--headless"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert run.stdout is not None
        while not re.search(r"listening on http", run.stdout.readline()):
            assert run.poll() is None, "ainews run died"
        assert _children(run.pid) == []
    finally:
        run.send_signal(signal.SIGTERM)
        run.wait(timeout=30)
    np.testing.assert_equal(run.returncode, 0)


def test_a_restart_past_the_coarse_threshold_searches_as_the_first_process(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A restart fits the coarse stage again, on the rows it reads (all of them at once,
    where the first process fitted at the threshold), and finds what the first one found."""
    import bot.index.vectors as vectors_module

    monkeypatch.setattr(vectors_module, "COARSE_MIN_ROWS", 30)
    monkeypatch.setattr(vectors_module, "COARSE_DIMS", 16)
    monkeypatch.setattr(vectors_module, "COARSE_CANDIDATES", 20)
    first = Core.build(settings, embedder=HashingEmbedder())
    words = "qwen nvidia chips models downloads china export rules market labs".split()
    items = [
        Item(f"a{n}", RawArticle(title=f"{words[n % 10]} {words[n * 7 % 10]} {n}", body="Text."))
        for n in range(45)
    ]
    first.ingester.ingest(items)
    assert first.vectors._coarse is not None
    query = first.embedder.query("nvidia chips")
    again = Core.build(settings, embedder=HashingEmbedder())
    n = len(first.vectors)
    assert again.vectors._coarse is not None and len(again.vectors) == n
    assert again.vectors._coarse.fitted_rows == n
    got, want = again.vectors.search(query, 10), first.vectors.search(query, 10)
    assert got[0] == want[0]  # equal scores below it may come in another order
    assert [score for _a, score, _p in got] == [score for _a, score, _p in want]


def test_after_a_reindex_the_local_index_holds_the_new_models_vectors(
    core: Core, settings: Settings
) -> None:
    """``reindex`` records the new model; the next start rebuilds its local index from the
    re-embedded passages and refuses the old model."""
    from bot.index.space import ModelMismatch, reindex, stored_model

    class Other(HashingEmbedder):
        def __init__(self) -> None:
            super().__init__(64)
            self.name = "other-64"

        def passages(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
            return super().passages([t[::-1] for t in texts])

    core.ingester.ingest(iter_path(str(SEEDS)))
    assert reindex(core.engine, Other()) == len(core.vectors)
    assert stored_model(core.engine) == "other-64"
    again = Core.build(settings, embedder=Other())
    with again.engine.connect() as conn:
        pid, blob = conn.execute(text("SELECT id, embedding FROM passage LIMIT 1")).one()
    np.testing.assert_array_equal(again.vectors.vectors_of([pid])[pid], np.frombuffer(blob, "<f4"))
    with pytest.raises(ModelMismatch):
        Core.build(settings, embedder=HashingEmbedder())
