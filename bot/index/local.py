"""The search indexes on local disk, kept in step with the database by passage id.

The database is the source of truth. Under ``data_dir/index/<database>`` a process keeps
the full text (tantivy) and the passage vectors (append-only files), both covering the
passages up to one watermark recorded in ``meta.json``. ``sync`` adds what the database
holds past it: each replica runs it on its supervise beat, and after its own ingests. A
restart reads the files instead of the database.

Processes sharing a data directory share the folder: a file lock serializes their
syncs, and each takes the rows another one appended from the files before it asks the
database. A folder built from another database (``space.database_id``), model or format
is emptied and rebuilt; rows written past the watermark by a sync that died are dropped.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Engine, text

from bot.index.fulltext import FullTextIndex
from bot.index.space import database_id
from bot.index.vectors import VectorIndex

FORMAT = 2  # 2: the source's name is indexed with the body
_CHUNK = 5_000
_ROWS = (
    "SELECT p.id, p.article_id, p.ord, p.embedding, a.lang, a.title, a.body, a.source_name "
    "FROM passage p JOIN article a ON a.id = p.article_id "
    "WHERE p.id > :last ORDER BY p.id LIMIT :n"
)
_FILES = {"vectors": np.float32, "ids": np.int64, "langs": np.uint8}
_TYPES = {**_FILES, "codes": np.int8}


def index_folder(data_dir: Path, engine: Engine) -> Path | None:
    """Where the indexes of this database live; ``None`` (memory) for an in-memory database."""
    if engine.url.get_backend_name() == "sqlite" and engine.url.database in (None, "", ":memory:"):
        return None
    url = engine.url.render_as_string(hide_password=False)
    return data_dir / "index" / hashlib.sha1(url.encode()).hexdigest()[:16]


class LocalIndex:
    """Full text and vectors for one process; ``sync`` is thread-safe."""

    def __init__(self, engine: Engine, folder: Path | None, identity: dict[str, Any]) -> None:
        self.engine = engine
        self.folder = folder
        self.identity = identity
        self.vectors = VectorIndex(int(identity["dim"]))
        self._lock = threading.Lock()
        with self._locked():
            meta = self._meta()
            if folder is not None and {k: meta.get(k) for k in identity} != identity:
                shutil.rmtree(folder, ignore_errors=True)  # another database, model or format
                folder.mkdir(parents=True)
                meta = self._write_meta(0, 0)
            self.fulltext = FullTextIndex(folder / "fulltext" if folder else None)
            if len(self.fulltext) and folder is not None:
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
        if self.folder is None:
            return 0
        return sum(f.stat().st_size for f in self.folder.rglob("*") if f.is_file())

    def sync(self) -> int:
        """Take in the passages past the watermark: first from the files, then from the
        database. Returns how many this process added."""
        with self._lock, self._locked():
            meta = self._meta()
            added = self._from_files(int(meta["rows"]))
            if added:
                self.fulltext.reload()
            return added + self._from_database()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        if self.folder is None:
            yield
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder.with_suffix(".lock"), "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def _meta(self) -> dict[str, Any]:
        path = self.folder / "meta.json" if self.folder else None
        if path is None or not path.is_file():
            return {"rows": 0, "last": 0}
        meta: dict[str, Any] = json.loads(path.read_text())
        return meta

    def _write_meta(self, rows: int, last: int, **coarse: int) -> dict[str, Any]:
        """Move the watermark; ``coarse`` (what ``_save_coarse`` saved) is kept unless given."""
        held = self._meta()
        coarse = {k: held[k] for k in ("fitted", "codes") if k in held} | coarse
        langs = self.vectors.lang_codes
        meta = {**self.identity, "rows": rows, "last": last, "langs": langs, **coarse}
        if self.folder is not None:
            part = self.folder / "meta.json.part"
            part.write_text(json.dumps(meta))
            part.replace(self.folder / "meta.json")  # atomic: the watermark moves last
        return meta

    def _file(self, name: str) -> Path:
        assert self.folder is not None
        return self.folder / f"{name}.bin"

    def _from_files(self, rows: int) -> int:
        """Rows ``[len(vectors), rows)`` of the files: a restart's load, or what another
        process sharing the folder appended."""
        start = len(self.vectors)
        if self.folder is None or rows <= start:
            return 0
        meta = self._meta()
        names = {code: lang for lang, code in meta["langs"].items()}
        saved = self.folder / "projection.npz"
        if start == 0 and saved.is_file():
            with np.load(saved) as arrays:
                self.vectors.use_projection({k: arrays[k] for k in arrays.files})
        projection = self.vectors.projection
        with_codes = (  # the saved codes are this projection's: no need to project again
            projection is not None
            and int(projection["fitted"]) == meta.get("fitted")
            and meta.get("codes", 0) >= rows
        )
        dims = projection["basis"].shape[1] if projection is not None else 0
        widths = {"vectors": self.vectors.dim, "ids": 2, "langs": 1, "codes": dims}
        files = {name: open(self._file(name), "rb") for name in _FILES}
        if with_codes:
            files["codes"] = open(self._file("codes"), "rb")
        try:  # read, not mapped: mapped pages would count as this process's memory
            for name, handle in files.items():
                handle.seek(start * widths[name] * np.dtype(_TYPES[name]).itemsize)
            with self.vectors.bulk(rows - start):
                for at in range(start, rows, _CHUNK):
                    n = min(_CHUNK, rows - at)
                    part = {
                        name: np.fromfile(handle, _TYPES[name], n * widths[name])
                        for name, handle in files.items()
                    }
                    ids = part["ids"].reshape(n, 2)
                    langs = [names.get(int(c), "") for c in part["langs"]]
                    matrix = part["vectors"].reshape(n, self.vectors.dim)
                    codes = part["codes"].reshape(n, dims) if with_codes else None
                    self.vectors.add(ids[:, 0].tolist(), ids[:, 1].tolist(), matrix, langs, codes)
        finally:
            for handle in files.values():
                handle.close()
        self._save_coarse(meta)
        return rows - start

    def _from_database(self) -> int:
        self._cut(len(self.vectors))
        added = 0
        while True:
            last = self.vectors.last_passage_id
            with self.engine.connect() as conn:
                rows = conn.execute(text(_ROWS), {"last": last, "n": _CHUNK}).all()
            if not rows:
                break
            dim = self.vectors.dim
            vectors = np.frombuffer(b"".join(bytes(r[3]) for r in rows), dtype=np.float32)
            vectors = vectors.reshape(len(rows), dim)
            pids, aids = [int(r[0]) for r in rows], [int(r[1]) for r in rows]
            langs = [str(r[4]) for r in rows]
            with self.vectors.bulk(len(rows)):
                self.vectors.add(pids, aids, vectors, langs)
            # A company's own feed rarely names the company ("Announcing our Series B" on
            # Pinecone's blog): its source's name is searchable text of each of its articles.
            self.fulltext.add(
                [(r[0], r[1], r[5], f"{r[6]}\n{r[7] or ''}", r[4]) for r in rows if r[2] == 0]
            )
            self._append(pids, aids, vectors, langs)
            added += len(rows)
            if len(rows) < _CHUNK:
                break
        if added:
            self.fulltext.commit()  # durable before the watermark moves past it
            self._save_coarse(self._write_meta(len(self.vectors), self.vectors.last_passage_id))
        return added

    def _append(self, pids: list[int], aids: list[int], vectors: Any, langs: list[str]) -> None:
        if self.folder is None:
            return
        codes = self.vectors.lang_codes
        arrays: dict[str, NDArray[Any]] = {
            "vectors": np.asarray(vectors, dtype=np.float32),
            "ids": np.column_stack([pids, aids]).astype(np.int64),
            "langs": np.asarray([codes[lang] for lang in langs], dtype=np.uint8),
        }
        for name, array in arrays.items():
            with open(self._file(name), "ab") as out:
                out.write(array.tobytes())

    def _cut(self, rows: int) -> None:
        """Cut the files to ``rows`` rows: bytes past the watermark are a dead sync's."""
        if self.folder is None:
            return
        row_bytes = {"vectors": 4 * self.vectors.dim, "ids": 16, "langs": 1}
        for name in _FILES:
            with open(self._file(name), "ab") as out:
                if out.tell() > rows * row_bytes[name]:
                    out.truncate(rows * row_bytes[name])

    def _save_coarse(self, meta: dict[str, Any]) -> None:
        """Save the coarse projection and the rows' codes beside the vectors (a restart then
        neither refits nor projects every row again): all of them after a (re)fit, else the
        new rows' codes appended."""
        saved, rows = self.vectors.projection, len(self.vectors)
        if self.folder is None or saved is None or rows > int(meta["rows"]):
            return
        fitted, held = int(saved["fitted"]), int(meta.get("codes", 0))
        if fitted == meta.get("fitted") and held == rows:
            return
        if fitted != meta.get("fitted"):
            held = 0
            with open(self.folder / "projection.npz.part", "wb") as out:
                np.savez(
                    out,
                    mean=saved["mean"],
                    basis=saved["basis"],
                    steps=saved["steps"],
                    fitted=saved["fitted"],
                )
            (self.folder / "projection.npz.part").replace(self.folder / "projection.npz")
        codes = self.vectors.coarse_codes(held, rows)
        assert codes is not None
        with open(self._file("codes"), "ab") as out:
            out.truncate(held * codes.shape[1])
            out.write(codes.tobytes())
        self._write_meta(int(meta["rows"]), int(meta["last"]), fitted=fitted, codes=rows)
