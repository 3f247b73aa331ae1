"""The search indexes on local disk, kept in step with the database by passage id.

The database is the source of truth. Under ``data_dir/index/<database>`` a process keeps
the full text (tantivy) and the passage rows (``rows.bin``: ids, language and vector,
append-only), both covering the passages up to one watermark recorded in ``meta.json``.
``sync`` adds what the database holds past it: each replica runs it on its supervise
beat, and after its own ingests. A restart reads the files instead of the database.

Processes sharing a data directory share the folder: a file lock serializes their
syncs, and each takes the rows another one appended from the files before it asks the
database. A folder built from another database (``space.database_id``), model or format
is emptied and rebuilt; rows written past the watermark by a sync that died are dropped.
"""

from __future__ import annotations

import atexit
import fcntl
import hashlib
import json
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, text

from bot.index.fulltext import FullTextIndex
from bot.index.space import database_id
from bot.index.vectors import VectorIndex, row_dtype

FORMAT = 3  # 3: one file of rows (ids, language, vector)
_CHUNK = 5_000
_ROWS = (
    "SELECT p.id, p.article_id, p.ord, p.embedding, a.lang, a.title, a.body, a.source_name "
    "FROM passage p JOIN article a ON a.id = p.article_id "
    "WHERE p.id > :last ORDER BY p.id LIMIT :n"
)


def index_folder(data_dir: Path, engine: Engine) -> Path:
    """Where the indexes of this database live; a temporary folder that goes with the process
    for an in-memory database."""
    if engine.url.get_backend_name() == "sqlite" and engine.url.database in (None, "", ":memory:"):
        scratch = tempfile.mkdtemp(prefix="ainews-index-")
        atexit.register(shutil.rmtree, scratch, ignore_errors=True)
        return Path(scratch) / "index"  # its lock file sits beside it, in the scratch folder
    url = engine.url.render_as_string(hide_password=False)
    return data_dir / "index" / hashlib.sha1(url.encode()).hexdigest()[:16]


class LocalIndex:
    """Full text and vectors for one process; ``sync`` is thread-safe."""

    def __init__(self, engine: Engine, folder: Path, identity: dict[str, Any]) -> None:
        self.engine = engine
        self.folder = folder
        self.identity = identity
        self.vectors = VectorIndex(int(identity["dim"]))
        self.row = row_dtype(int(identity["dim"]))
        self._lock = threading.Lock()
        with self._locked():
            meta = self._meta()
            if {k: meta.get(k) for k in identity} != identity:
                shutil.rmtree(folder, ignore_errors=True)  # another database, model or format
                folder.mkdir(parents=True)
                meta = self._write_meta(0, 0)
            self.fulltext = FullTextIndex(folder / "fulltext")
            if len(self.fulltext):
                self.fulltext.discard_after(int(meta["last"]))
                self.fulltext.commit()

    @classmethod
    def open(cls, engine: Engine, data_dir: Path, *, model: str, dim: int) -> LocalIndex:
        """The process's index, brought up to date with the database."""
        folder = index_folder(data_dir, engine)
        identity = {"format": FORMAT, "database": database_id(engine), "model": model, "dim": dim}
        index = cls(engine, folder, identity)
        index.sync()
        return index

    @property
    def disk_bytes(self) -> int:
        return sum(f.stat().st_size for f in self.folder.rglob("*") if f.is_file())

    def sync(self) -> int:
        """Take in the passages past the watermark: first from the files, then from the
        database. Returns how many this process added."""
        with self._lock, self._locked():
            added = self._from_files(int(self._meta()["rows"]))
            if added:
                self.fulltext.reload()
            return added + self._from_database()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder.with_suffix(".lock"), "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def _meta(self) -> dict[str, Any]:
        path = self.folder / "meta.json"
        return dict(json.loads(path.read_text())) if path.is_file() else {"rows": 0, "last": 0}

    def _write_meta(self, rows: int, last: int) -> dict[str, Any]:
        meta = {**self.identity, "rows": rows, "last": last}
        part = self.folder / "meta.json.part"
        part.write_text(json.dumps(meta))
        part.replace(self.folder / "meta.json")  # atomic: the watermark moves last
        return meta

    def _from_files(self, rows: int) -> int:
        """Rows ``[len(vectors), rows)`` of the files: a restart's load, or what another
        process sharing the folder appended."""
        start = len(self.vectors)
        if rows <= start:
            return 0
        # read in chunks, not mapped: mapped pages would count as this process's memory
        with open(self.folder / "rows.bin", "rb") as handle, self.vectors.bulk(rows - start):
            handle.seek(start * self.row.itemsize)
            for at in range(start, rows, _CHUNK):
                self.vectors.add(np.fromfile(handle, self.row, min(_CHUNK, rows - at)))
        return rows - start

    def _from_database(self) -> int:
        added, end = 0, len(self.vectors) * self.row.itemsize
        with open(self.folder / "rows.bin", "ab") as out:
            if out.tell() > end:
                out.truncate(end)  # bytes past the watermark are a dead sync's
            while True:
                with self.engine.connect() as conn:
                    params = {"last": self.vectors.last_passage_id, "n": _CHUNK}
                    rows = conn.execute(text(_ROWS), params).all()
                if not rows:
                    break
                part = np.array(
                    [(r[0], r[1], r[4], np.frombuffer(r[3], "<f4")) for r in rows], self.row
                )
                self.vectors.add(part)
                # A company's own feed rarely names the company ("Announcing our Series B" on
                # Pinecone's blog): its source's name is searchable text of each of its articles.
                self.fulltext.add(
                    [(r[0], r[1], r[5], f"{r[6]}\n{r[7] or ''}", r[4]) for r in rows if r[2] == 0]
                )
                out.write(part.tobytes())
                added += len(rows)
                if len(rows) < _CHUNK:
                    break
        if added:
            self.fulltext.commit()  # durable before the watermark moves past it
            self._write_meta(len(self.vectors), self.vectors.last_passage_id)
        return added
