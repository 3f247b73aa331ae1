"""Load the vector index in a helper process while the model loads: the cold start.

At 100k articles, reading 151k passage vectors takes ~3 s, and importing
sentence-transformers and loading the model ~8.5 s. Both are mostly Python holding
the GIL, so in one process they add up, and threads only make them fight (measured:
vectors beside the model import took 11.6 s instead of 3.3 s). A helper process does
the reading on the other core and hands the arrays over as an ``.npz`` file, which
loads in a fraction of a second; ``ainews run`` then waits for whichever of the two
is slower instead of their sum. (The full-text postings load in a helper of their
own, which stays to answer searches: ``bot.index.ftserver``.)

The helper only reads the database. Whatever was stored after it read is caught up
by the caller's ``refresh()``, as for any replica. If the helper fails, the caller
loads in-process as before: slower, never wrong. The files live in a private
temporary folder that is deleted once read (or by the helper, if its parent died).

Run as ``python -m bot.index.preload FOLDER``, with ``FOLDER/job.json`` holding the
database URL (in a file, not on the command line: ``ps`` would show a password).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Engine

from bot.index.vectors import VectorIndex

log = logging.getLogger(__name__)

_VECTORS = "vectors.npz"
_DONE = "done.json"


class Preload:
    """A running helper; ``collect()`` returns its index, or ``None`` if it failed."""

    def __init__(self, proc: subprocess.Popen[bytes], folder: Path, dim: int) -> None:
        self._proc = proc
        self._folder = folder
        self._dim = dim
        self._started = time.perf_counter()

    @classmethod
    def start(cls, engine: Engine, *, dim: int) -> Preload | None:
        """Start the helper (``None``, logged, if it cannot start)."""
        if engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:"):
            return None  # another process cannot see an in-memory database
        folder = Path(tempfile.mkdtemp(prefix="ainews-preload-"))  # mode 0700
        job = {
            "database_url": engine.url.render_as_string(hide_password=False),
            "dim": dim,
            "parent": os.getpid(),
        }
        try:
            (folder / "job.json").write_text(json.dumps(job))
            with open(folder / "stderr.txt", "wb") as stderr:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "bot.index.preload", str(folder)],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=stderr,
                )
        except OSError as exc:
            log.warning("index helper did not start (%s): loading in this process", exc)
            shutil.rmtree(folder, ignore_errors=True)
            return None
        return cls(proc, folder, dim)

    def collect(self) -> VectorIndex | None:
        """Wait for the helper and load what it wrote; ``None`` (logged) if it failed."""
        try:
            code = self._proc.wait()
            done = self._folder / _DONE
            if code != 0 or not done.exists():
                log.warning(
                    "index helper failed (exit %s: %s): loading in this process",
                    code,
                    _last_line(self._folder / "stderr.txt"),
                )
                return None
            with np.load(self._folder / _VECTORS, allow_pickle=False) as arrays:
                vectors = VectorIndex.restore(self._dim, _read(arrays))
            report = json.loads(done.read_text())
            log.info(
                "vectors loaded by a helper process in %.1f s (helper peak RSS %d MB): %d passages",
                time.perf_counter() - self._started,
                report["peak_mb"],
                len(vectors),
            )
            return vectors
        except Exception as exc:  # a damaged hand-over: the in-process load is still right
            log.warning("index helper's output unreadable (%s): loading in this process", exc)
            return None
        finally:
            self.cancel()

    def cancel(self) -> None:
        """Stop the helper if it still runs and delete its folder."""
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        shutil.rmtree(self._folder, ignore_errors=True)


def _read(arrays: Any) -> dict[str, NDArray[Any]]:
    return {name: arrays[name] for name in arrays.files}


def _save(path: Path, arrays: dict[str, Any]) -> None:
    np.savez(path, **arrays)  # uncompressed: the reader is waiting, the disk is not full


def _last_line(path: Path) -> str:
    try:
        lines = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "no output"
    return lines[-1] if lines else "no output"


def _peak_mb() -> int:
    try:
        import resource
    except ImportError:  # not Unix: the figure is only logged
        return 0
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)  # KiB on Linux


def build(folder: Path) -> None:
    """The helper's work: the vector index from the database, written to ``folder``."""
    from bot.store import make_engine

    job = json.loads((folder / "job.json").read_text())
    engine = make_engine(job["database_url"])
    vectors = VectorIndex(int(job["dim"]))
    vectors.refresh(engine)
    _save(folder / _VECTORS, vectors.export())
    engine.dispose()
    if os.getppid() != job["parent"]:  # the caller died: nobody will read or delete this
        shutil.rmtree(folder, ignore_errors=True)
        return
    report = {"passages": len(vectors), "peak_mb": _peak_mb()}
    (folder / _DONE).write_text(json.dumps(report))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m bot.index.preload FOLDER", file=sys.stderr)
        return 2
    build(Path(args[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
