"""Embedders for benchmarks: a disk cache of passage vectors, and a recorder.

Encoding is by far the slowest step on a 2-core CPU (10-20 passages/s for
~110-token passages), so benchmarks that need *an index* but do not measure
*encoding* (quality, latency, rss, the cached 10k/100k databases) go through
``CachingEmbedder``: vectors are looked up by a hash of the text and only
misses reach the real model. Replica markers are stripped before hashing, so
replicated articles reuse their original's vectors instead of being encoded again.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from bench.common import CACHE_DIR

Vectors = np.ndarray
REPLICA_MARK = re.compile(r" ~r\d+~")


def strip_replica(text: str) -> str:
    return REPLICA_MARK.sub("", text)


def model_slug(model: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", model).strip("-")


class VectorCache:
    """``sha1(model, text) -> float32 vector`` in a SQLite file (WAL: safe across processes).

    ``used`` collects every key looked up or stored in this process, so a run can export
    exactly the vectors it needed (``python -m bench --export-vectors``)."""

    used: set[bytes] = set()  # shared by every cache of the process: one run, one export

    def __init__(self, model: str, path: Path | None = None) -> None:
        self.path = path or CACHE_DIR / f"vectors-{model_slug(model)}.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.model = model
        self._local = threading.local()
        conn = self._conn()
        conn.execute(
            "CREATE TABLE IF NOT EXISTS v (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID"
        )
        conn.commit()

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=120)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    def key(self, text: str) -> bytes:
        return hashlib.sha1(f"{self.model}\0{text}".encode()).digest()

    def get_many(self, keys: list[bytes]) -> dict[bytes, bytes]:
        found: dict[bytes, bytes] = {}
        conn = self._conn()
        unique = list(dict.fromkeys(keys))
        VectorCache.used.update(unique)
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            marks = ",".join("?" * len(chunk))
            found.update(conn.execute(f"SELECT k, v FROM v WHERE k IN ({marks})", chunk).fetchall())
        return found

    def put_many(self, items: list[tuple[bytes, bytes]]) -> None:
        conn = self._conn()
        conn.executemany("INSERT OR IGNORE INTO v(k, v) VALUES (?, ?)", items)
        conn.commit()

    def __len__(self) -> int:
        return int(self._conn().execute("SELECT count(*) FROM v").fetchone()[0])

    def export(self, path: Path, keys: set[bytes]) -> int:
        """Write the vectors of ``keys`` to ``path`` (float16: half the bytes, and cosines
        move by about 1e-4, far below what any figure reads)."""
        found = self.get_many(sorted(keys))
        order = sorted(found)
        vectors = np.stack([np.frombuffer(found[k], dtype=np.float32) for k in order])
        np.savez_compressed(
            path,
            keys=np.frombuffer(b"".join(order), dtype=np.uint8).reshape(len(order), -1),
            vectors=vectors.astype(np.float16),
        )
        return len(order)

    def load_shipped(self, path: Path) -> int:
        """Add the vectors shipped in ``path`` that this cache lacks; returns how many. A
        cache remembers the file it took in (name, size, mtime), so a warm run reads it once."""
        stat = path.stat()
        mark = f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}".encode()
        conn = self._conn()
        conn.execute("CREATE TABLE IF NOT EXISTS shipped (mark BLOB PRIMARY KEY)")
        if conn.execute("SELECT 1 FROM shipped WHERE mark = ?", (mark,)).fetchone():
            return 0
        with np.load(path) as shipped:
            keys = [bytes(row) for row in shipped["keys"]]
            vectors = shipped["vectors"].astype(np.float32)
        have = self.get_many(keys)
        new = [(k, v.tobytes()) for k, v in zip(keys, vectors, strict=True) if k not in have]
        self.put_many(new)
        conn.execute("INSERT OR IGNORE INTO shipped(mark) VALUES (?)", (mark,))
        conn.commit()
        return len(new)


class CachingEmbedder:
    """Wraps a real embedder; same interface (``bot.index.embedder.Embedder``). Passages are
    cached; queries go to the model (they are what a latency benchmark times)."""

    def __init__(
        self, inner, cache: VectorCache, normalize: Callable[[str], str] = strip_replica
    ) -> None:  # type: ignore[no-untyped-def]
        self.inner = inner
        self.cache = cache
        self.normalize = normalize
        self.dim = inner.dim
        self.name = inner.name
        self.languages = inner.languages
        self.min_score = inner.min_score
        self.hits = 0
        self.misses = 0
        self.encode_seconds = 0.0

    def query(self, text: str) -> Vectors:
        return self.inner.query(text)

    def passages(self, texts: list[str], *, batch_size: int = 64) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        keys = [self.cache.key(self.normalize(t)) for t in texts]
        found = self.cache.get_many(keys)
        missing = list(dict.fromkeys(k for k in keys if k not in found))
        if missing:
            first_text = {}
            for k, t in zip(keys, texts, strict=True):
                first_text.setdefault(k, self.normalize(t))
            start = time.perf_counter()
            vectors = self.inner.passages([first_text[k] for k in missing], batch_size=batch_size)
            self.encode_seconds += time.perf_counter() - start
            new = [
                (k, np.asarray(v, dtype=np.float32).tobytes())
                for k, v in zip(missing, vectors, strict=True)
            ]
            self.cache.put_many(new)
            found.update(new)
        self.misses += len(missing)
        self.hits += len(keys) - len(missing)
        blob = b"".join(found[k] for k in keys)
        return np.frombuffer(blob, dtype=np.float32).reshape(len(keys), self.dim).copy()


class RecordingEmbedder:
    """Passes through to the real model, recording every call's texts and duration."""

    def __init__(self, inner) -> None:  # type: ignore[no-untyped-def]
        self.inner = inner
        self.dim = inner.dim
        self.name = inner.name
        self.languages = inner.languages
        self.min_score = inner.min_score
        self.calls: list[tuple[list[str], int, float]] = []
        self.outputs: dict[str, Vectors] = {}

    def query(self, text: str) -> Vectors:
        return self.inner.query(text)

    def passages(self, texts: list[str], *, batch_size: int = 64) -> Vectors:
        start = time.perf_counter()
        out = self.inner.passages(texts, batch_size=batch_size)
        self.calls.append((list(texts), batch_size, time.perf_counter() - start))
        self.outputs.update(zip(texts, out, strict=True))
        return out

    @property
    def seconds(self) -> float:
        return sum(c[2] for c in self.calls)

    @property
    def texts(self) -> list[str]:
        return [t for c in self.calls for t in c[0]]


class ReplayEmbedder:
    """Answers with vectors recorded earlier: an ingest run with the model's cost removed."""

    def __init__(self, recorded: RecordingEmbedder) -> None:
        self.outputs = recorded.outputs
        self.dim = recorded.dim
        self.name = recorded.name
        self.languages = recorded.languages
        self.min_score = recorded.min_score
        self.inner = recorded.inner

    def query(self, text: str) -> Vectors:
        return self.inner.query(text)

    def passages(self, texts: list[str], *, batch_size: int = 64) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self.outputs[t] for t in texts])
