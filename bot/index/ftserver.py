"""The in-memory full text held by a helper process, so it ranks beside the query embedding.

A hybrid search embeds the query (the floor, ~12-25 ms) while the full-text stage
ranks (~2-3 ms at 100k articles). Both are mostly Python holding the GIL, so in one
process a thread does not overlap the embedding at all (measured: the same p50 as
running one after the other). Here the postings live in a helper process, which
ranks on the other core (for that core to be free, ``bot.blas`` keeps OpenBLAS's
idle threads from spinning on it).

``ainews run`` and ``chat`` start it (``Core.build(preload=True)``). It loads the
postings from the database itself, while the caller loads the model, and catches up
on ``refresh()`` like every in-memory index. A search sends the raw query before it
embeds it and reads the ranking after: the helper builds the full-text query from
the same lexicon and gazetteer, so the caller's only full-text work is two small
pickles (length-prefixed, on the helper's stdin and stdout, between this process
and the child it started). If the helper dies, hangs or answers nonsense, the
caller logs it, loads the postings in-process and goes on: slower, never wrong.
The helper exits when its stdin closes, so it never outlives its parent.

Run as ``python -m bot.index.ftserver``; the first frame on stdin is the job (the
database URL goes there, not on the command line: ``ps`` would show a password).
"""

from __future__ import annotations

import logging
import os
import pickle
import select
import struct
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine

from bot.index.postings import PhraseSet, Postings, PostingsIndex

log = logging.getLogger(__name__)

_HEADER = struct.Struct("<I")
LOAD_TIMEOUT = 600.0  # seconds for the helper's first load (100k articles: ~3 s)
CALL_TIMEOUT = 10.0  # seconds for one search or refresh (a large catch-up: ~1 s)


class HelperGone(Exception):
    """The helper failed; the caller has switched to the in-process postings."""


class Reply:
    """One request's answer, set by whichever caller reads it off the pipe."""

    __slots__ = ("done", "value")

    def __init__(self) -> None:
        self.done = False
        self.value: Any = None


class RemotePostings:
    """A ``Postings`` whose index lives in a helper process; same methods, same answers.

    Requests are pipelined: ``submit_query`` writes one and returns at once, so a search
    can embed its query meanwhile and read the answer after (``result``). The helper
    answers in order; whoever reads hands each answer to its request, so threads never
    wait for each other's embedding, only for the pipe.
    """

    def __init__(self, proc: subprocess.Popen[bytes], engine: Engine, title_weight: float) -> None:
        self._proc: subprocess.Popen[bytes] | None = proc
        self._engine = engine
        self._local: PostingsIndex = Postings(title_weight=title_weight)  # once it is gone
        self._send_lock = threading.Lock()  # a frame at a time, in ``_queue``'s order
        self._read_lock = threading.Lock()  # one reader at a time
        self._state_lock = threading.Lock()
        self._local_lock = threading.Lock()
        self._queue: deque[Reply] = deque([Reply()])  # the first frame says it has loaded
        self._loading = True
        self._count = 0
        self._nbytes = 0

    @classmethod
    def start(
        cls,
        engine: Engine,
        *,
        lexicon_path: Path,
        gazetteer_path: Path,
        title_weight: float,
    ) -> RemotePostings | None:
        """Start the helper (``None``, logged, if it cannot start). It finds the same known
        phrases, and builds the same queries, as the caller from the same lexicon and
        gazetteer files."""
        if engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:"):
            return None  # another process cannot see an in-memory database
        job = {
            "database_url": engine.url.render_as_string(hide_password=False),
            "lexicon": str(lexicon_path),
            "gazetteer": str(gazetteer_path),
            "title_weight": title_weight,
        }
        proc = None
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "bot.index.ftserver"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
            assert proc.stdin is not None
            write_frame(proc.stdin, job)
        except OSError as exc:  # no interpreter, or it exited at once (a broken pipe)
            log.warning("full-text helper did not start (%s): indexing in this process", exc)
            if proc is not None:
                close(proc)
            return None
        return cls(proc, engine, title_weight)

    def falling_back_to(self, local: PostingsIndex) -> RemotePostings:
        """Use ``local`` (the caller's empty in-process index, with its phrases) if the
        helper fails."""
        self._local = local
        return self

    # -- the Postings interface -------------------------------------------------------------

    @property
    def title_weight(self) -> float:
        return self._local.title_weight

    @property
    def phrases(self) -> PhraseSet:
        return self._local.phrases

    @property
    def loaded(self) -> bool:
        return True  # the helper loads at start; without it, ``_local`` is loaded on demand

    @property
    def remote(self) -> bool:
        """Whether the helper answers (False once it failed and ``_local`` took over)."""
        return self._proc is not None

    def __len__(self) -> int:
        return self._count if self.remote else len(self._local)

    @property
    def nbytes(self) -> int:
        return self._nbytes if self.remote else self._local.nbytes

    def refresh(self, engine: Engine) -> int:
        """Catch up with the database (the helper reads it with its own connection)."""
        try:
            return int(self.result(self._submit("refresh")))
        except HelperGone:
            return self._in_process().refresh(engine)

    def search(
        self,
        terms: Sequence[str],
        phrases: Sequence[Sequence[str]] = (),
        limit: int = 100,
        *,
        max_df: float = 1.0,
        prune_min_docs: int = 0,
    ) -> list[tuple[int, float]]:
        try:
            args = (tuple(terms), tuple(tuple(p) for p in phrases), limit, max_df, prune_min_docs)
            return self.result(self._submit("search", *args))
        except HelperGone:
            return self._in_process().search(
                terms, phrases, limit, max_df=max_df, prune_min_docs=prune_min_docs
            )

    # -- a query ranked beside the caller's work --------------------------------------------

    def submit_query(
        self, query: str, *, expand: bool, limit: int, max_df: float, prune_min_docs: int
    ) -> Reply:
        """Have the helper build ``query``'s full-text query (as ``QueryExpander.build``)
        and rank it; ``result()`` reads the answer. Raises ``HelperGone``."""
        return self._submit("query", query, expand, limit, max_df, prune_min_docs)

    def result(self, reply: Reply) -> Any:
        """The answer to a submitted request, reading the pipe as needed; ``HelperGone``
        if the helper failed first (callers then answer in-process)."""
        with self._read_lock:
            while not reply.done:
                proc = self._proc
                if proc is None:
                    raise HelperGone
                assert proc.stdout is not None
                try:
                    frame = read_frame(proc.stdout, LOAD_TIMEOUT if self._loading else CALL_TIMEOUT)
                    status, value, count, nbytes = frame
                    if status != "ok":
                        raise RuntimeError(f"helper error: {value}")
                except Exception as exc:  # died, hung, or garbled: the in-process index is right
                    self._fail(exc)
                    raise HelperGone from exc
                self._loading = False
                self._count, self._nbytes = int(count), int(nbytes)
                answered = self._queue.popleft()
                answered.value, answered.done = value, True
        return reply.value

    # -- the pipe ---------------------------------------------------------------------------

    def _submit(self, op: str, *args: Any) -> Reply:
        reply = Reply()
        with self._send_lock:
            proc = self._proc
            if proc is None:
                raise HelperGone
            assert proc.stdin is not None
            self._queue.append(reply)
            try:
                write_frame(proc.stdin, (op, args))
            except Exception as exc:
                self._fail(exc)
                raise HelperGone from exc
        return reply

    def _fail(self, exc: BaseException) -> None:
        with self._state_lock:
            proc, self._proc = self._proc, None
        if proc is None:
            return  # another caller saw it first
        log.warning(
            "full-text helper failed (%s: %s): indexing in this process",
            type(exc).__name__,
            exc,
        )
        proc.kill()  # a blocked reader or writer of the pipe wakes up and sees it gone
        proc.wait()

    def _in_process(self) -> PostingsIndex:
        """The local postings, loaded (once, whoever asks first) from the database."""
        with self._local_lock:
            if not self._local.loaded:
                self._local.refresh(self._engine)
        return self._local

    def close(self) -> None:
        """Stop the helper (at shutdown: later searches find nothing)."""
        with self._state_lock:
            proc, self._proc = self._proc, None
        if proc is not None:
            close(proc)


def close(proc: subprocess.Popen[bytes]) -> None:
    """Close the helper's stdin (it exits), then make sure it has."""
    try:
        if proc.stdin is not None:
            proc.stdin.close()
        proc.wait(timeout=2)
    except (OSError, subprocess.TimeoutExpired):
        proc.kill()
        proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


def write_frame(stream: IO[bytes], value: Any) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def read_frame(stream: IO[bytes], timeout: float | None = None) -> Any:
    """One frame; ``EOFError`` at a clean end, ``TimeoutError`` if it takes longer."""
    header = _read_exact(stream, _HEADER.size, timeout)
    (size,) = _HEADER.unpack(header)
    return pickle.loads(_read_exact(stream, size, timeout))


def _read_exact(stream: IO[bytes], n: int, timeout: float | None) -> bytes:
    fd = stream.fileno()
    deadline = None if timeout is None else time.monotonic() + timeout
    chunks: list[bytes] = []
    while n:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError(f"no answer within {timeout:.0f} s")
        chunk = os.read(fd, n)  # unbuffered: select() must see what is still to come
        if not chunk:
            raise EOFError("the helper closed its output")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def serve(stdin: IO[bytes], stdout: IO[bytes]) -> None:
    """The helper's loop: load the postings, then answer until stdin closes."""
    from bot.entities import Gazetteer
    from bot.index.hybrid import QueryExpander
    from bot.lexicon import Lexicon
    from bot.store import make_engine

    job = read_frame(stdin)
    engine = make_engine(job["database_url"])
    expander = QueryExpander(
        Lexicon.load(Path(job["lexicon"])), Gazetteer.load(Path(job["gazetteer"]))
    )
    postings = Postings(
        title_weight=float(job["title_weight"]), phrases=PhraseSet(expander.known_phrases())
    )
    postings.refresh(engine)
    write_frame(stdout, ("ok", None, len(postings), postings.nbytes))
    while True:
        try:
            op, args = read_frame(stdin)
        except EOFError:
            break
        try:
            if op == "search":
                terms, phrases, limit, max_df, prune_min_docs = args
                value: Any = postings.search(
                    terms, phrases, limit, max_df=max_df, prune_min_docs=prune_min_docs
                )
            elif op == "query":
                query, expand, limit, max_df, prune_min_docs = args
                built = expander.build(query, expand=expand)
                value = (
                    postings.search(
                        built.terms,
                        built.phrases,
                        limit,
                        max_df=max_df,
                        prune_min_docs=prune_min_docs,
                    )
                    if built
                    else []
                )
            elif op == "refresh":
                value = postings.refresh(engine)
            else:
                raise ValueError(f"unknown request {op!r}")
            reply = ("ok", value, len(postings), postings.nbytes)
        except Exception as exc:  # one bad request must not end the helper
            reply = ("error", f"{type(exc).__name__}: {exc}", len(postings), postings.nbytes)
        write_frame(stdout, reply)
    engine.dispose()


def claim_stdout() -> IO[bytes]:
    """The helper's stdout for replies only: from here on fd 1 (and ``print``) is its
    stderr, so a library's stray output cannot garble the protocol."""
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return replies


def main() -> int:
    serve(sys.stdin.buffer, claim_stdout())
    return 0


if __name__ == "__main__":
    sys.exit(main())
