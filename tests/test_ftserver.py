"""The full-text helper process: same answers as in-process, and a dead or hung helper costs
nothing but speed."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from test_postings import QUERIES, _assert_same_ranking, _corpus

import bot.index.ftserver as ftserver
from bot.core import Core
from bot.index.embedder import HashingEmbedder
from bot.index.ftserver import RemotePostings
from bot.ingest.files import Item
from bot.ingest.types import RawArticle
from bot.settings import Settings


@pytest.fixture
def served(settings: Settings) -> Iterator[tuple[Core, Core]]:
    """A core whose full text is answered by a helper, and one that answers in-process,
    over the same 80 articles."""
    reference = Core.build(settings, embedder=HashingEmbedder())
    reference.ingester.ingest(_corpus(80))
    core = Core.build(settings, embedder=HashingEmbedder(), preload=True)
    yield core, reference
    core.close()
    reference.close()


def _helper(core: Core) -> subprocess.Popen[bytes]:
    memory = core.fulltext.memory
    assert isinstance(memory, RemotePostings) and memory._proc is not None
    return memory._proc


def _same_answers(core: Core, reference: Core) -> None:
    for query in QUERIES:
        fts_query = core.searcher.expander.build(query)
        _assert_same_ranking(
            core.fulltext.search(fts_query, 20), reference.fulltext.search(fts_query, 40)
        )
        got = [h.article_id for h in core.searcher.search(query, limit=10)]
        assert got == [h.article_id for h in reference.searcher.search(query, limit=10)], query


def test_the_helper_ranks_as_in_process_and_sees_new_articles(
    served: tuple[Core, Core],
) -> None:
    core, reference = served
    memory = core.fulltext.memory
    assert isinstance(memory, RemotePostings) and memory.remote and len(memory) == 80
    _same_answers(core, reference)
    raw = RawArticle(title="Zyzzyva beetles", body="A zyzzyva is a weevil.", lang="en")
    core.ingester.ingest([Item("beetle", raw)])  # searchable at once, as in-process
    assert core.searcher.search("zyzzyva weevil", limit=1)[0].title == "Zyzzyva beetles"
    assert memory.remote and len(memory) == 81 and memory.nbytes > 0


def test_a_killed_helper_falls_back_to_the_same_answers(
    served: tuple[Core, Core], caplog: pytest.LogCaptureFixture
) -> None:
    core, reference = served
    core.searcher.search("modelos abiertos", limit=3)  # the helper has loaded and answers
    helper = _helper(core)
    helper.kill()
    helper.wait()
    with caplog.at_level(logging.WARNING):
        _same_answers(core, reference)
    assert "full-text helper failed (BrokenPipeError" in caplog.text
    assert not core.fulltext.memory.remote  # type: ignore[attr-defined]
    assert len(core.fulltext.memory) == 80


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_hung_helper_times_out_and_falls_back(
    served: tuple[Core, Core],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    core, reference = served
    core.searcher.search("modelos abiertos", limit=3)
    helper = _helper(core)
    monkeypatch.setattr(ftserver, "CALL_TIMEOUT", 0.5)
    os.kill(helper.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        with caplog.at_level(logging.WARNING):
            _same_answers(core, reference)
        assert time.monotonic() - started < 10
    finally:
        if helper.poll() is None:
            os.kill(helper.pid, signal.SIGCONT)
    assert "full-text helper failed (TimeoutError: no answer within 0 s)" in caplog.text
    assert helper.poll() is not None  # stopped for good, not left behind


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_helper_exits_when_its_parent_is_killed(settings: Settings) -> None:
    """A SIGKILLed ``ainews run`` closes nothing cleanly: its helper still goes."""
    Core.build(settings, embedder=HashingEmbedder()).close()
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _PARENT,
            settings.database_url,
            str(settings.lexicon_path),
            str(settings.gazetteer_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert parent.stdout is not None
    helper = int(parent.stdout.readline())  # printed once the helper has loaded
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 10
    while _alive(helper) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(helper)


_PARENT = """
import sys
import time
from bot.index.ftserver import RemotePostings
from bot.store import make_engine
from pathlib import Path
engine = make_engine(sys.argv[1])
server = RemotePostings.start(
    engine, lexicon_path=Path(sys.argv[2]), gazetteer_path=Path(sys.argv[3]), title_weight=2.0
)
server.refresh(engine)
print(server._proc.pid, flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in state  # a zombie has exited


def test_stray_output_of_the_helper_stays_out_of_the_protocol() -> None:
    code = (
        "import os; from bot.index import ftserver as f\n"
        "out = f.claim_stdout(); print('noise'); os.write(1, b'more noise')\n"
        "f.write_frame(out, ('ok', 1, 2, 3))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True)
    assert ftserver.pickle.loads(done.stdout[ftserver._HEADER.size :]) == ("ok", 1, 2, 3)
    assert b"noise" in done.stderr and b"more noise" in done.stderr


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_concurrent_searches_each_get_their_own_answer(served: tuple[Core, Core]) -> None:
    """Requests are pipelined: threads submit, embed, then read in any order."""
    core, reference = served
    queries = QUERIES * 4
    want = {q: [h.article_id for h in reference.searcher.search(q, limit=10)] for q in QUERIES}
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda q: [h.article_id for h in core.searcher.search(q)], queries))
    assert got == [want[q] for q in queries]
    assert core.fulltext.memory.remote  # type: ignore[attr-defined]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_helper_dying_while_it_ranks_a_query_falls_back(
    served: tuple[Core, Core], caplog: pytest.LogCaptureFixture
) -> None:
    core, reference = served
    memory = core.fulltext.memory
    assert isinstance(memory, RemotePostings)
    memory.refresh(core.engine)  # loaded
    helper = _helper(core)
    os.kill(helper.pid, signal.SIGSTOP)  # so that it cannot answer before it dies
    pending = core.fulltext.rank_in_helper("modelos abiertos", expand=True, limit=20)
    assert pending is not None
    os.kill(helper.pid, signal.SIGKILL)
    helper.wait()
    with caplog.at_level(logging.WARNING), pytest.raises(ftserver.HelperGone):
        pending()
    assert core.fulltext.rank_in_helper("modelos", expand=True, limit=20) is None
    _same_answers(core, reference)
