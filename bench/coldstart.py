"""Cold start and peak RSS of the real ``ainews run``, as a user starts it.

``ainews run`` (console mode: no Slack/Discord tokens) is started over a copy of
the cached N-article database, with the first question already waiting on its
stdin. Cold start is the time from spawning the process to the first line of
its answer: interpreter and imports, the schema check, loading the model,
opening the local index (``bot.index.local``), and answering. The first run over a
fresh data folder builds the local index from the database ("first build"); the
next ``RUNS`` reuse it, as every later start of ``ainews run`` does. Then the
process answers ``N_COMMANDS`` more searches, and its peak RSS (``VmHWM``) and its
child processes (there should be none) are read from ``/proc`` before it quits.

Feed polling is switched off (an empty feed list): without internet it would
only add fetch errors to the measurement.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

from bench import corpus
from bench.common import PROJECT_ROOT, Context, Result, log, percentile

NAME = "coldstart"
RUNS = 3
N_COMMANDS = 50
FIRST_QUESTION = "What did the central bank say about interest rates?"


def _status_mb(pid: int, key: str) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def _children(pid: int) -> list[int]:
    try:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [int(c) for c in found]


def _read_answer(stdout: IO[str], skip: int) -> list[str]:
    """Lines of one reply: console replies end with a blank line."""
    lines: list[str] = []
    while True:
        line = stdout.readline()
        if not line:
            raise RuntimeError("ainews run exited before answering")
        if skip:
            skip -= 1
            continue
        if not line.strip():
            if lines:
                return lines
            continue
        lines.append(line.rstrip("\n"))


def one_run(db: Path, scratch: Path, queries: list[str]) -> dict[str, Any]:
    copy = scratch / "ainews.db"
    if not copy.exists():  # the first run: the data folder has no local index yet
        shutil.copy(db, copy)
    feeds = scratch / "feeds.toml"
    feeds.write_text("")
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "AINEWS_"))
    }
    env.update(
        AINEWS_DATABASE_URL=f"sqlite:///{copy}",
        AINEWS_DATA_DIR=str(scratch),
        AINEWS_FEEDS_PATH=str(feeds),
        HF_HUB_OFFLINE="1",
    )
    ainews = Path(sys.executable).parent / "ainews"
    start = time.perf_counter()
    proc = subprocess.Popen(
        [str(ainews), "run"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(FIRST_QUESTION + "\n")
        proc.stdin.flush()
        first = _read_answer(proc.stdout, skip=2)  # the two welcome lines come first
        cold = time.perf_counter() - start
        times = []
        for q in queries[:N_COMMANDS]:
            t = time.perf_counter()
            proc.stdin.write(f"search {q}\n")
            proc.stdin.flush()
            _read_answer(proc.stdout, skip=0)
            times.append(time.perf_counter() - t)
        helpers = _children(proc.pid)
        peak = _status_mb(proc.pid, "VmHWM")
        rss = _status_mb(proc.pid, "VmRSS")
        helper_peak = sum(_status_mb(c, "VmHWM") or 0.0 for c in helpers)
        proc.stdin.write("quit\n")
        proc.stdin.flush()
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return {
        "cold_start_s": round(cold, 2),
        "first_answer": first[0][:100],
        "search_p50_ms": round(percentile(times, 50) * 1000, 1),
        "search_p95_ms": round(percentile(times, 95) * 1000, 1),
        "vmhwm_mb": peak,
        "vmrss_mb": rss,
        "child_processes": len(helpers),
        "helper_vmhwm_mb": round(helper_peak, 1),
        "total_vmhwm_mb": round((peak or 0.0) + helper_peak, 1),
    }


def run(ctx: Context) -> Result:
    from bench.latency import make_queries

    result = Result(NAME)
    queries = make_queries()[0]
    sizes = [10_000] + ([100_000] if ctx.full else [])
    rows = []
    for size in sizes:
        db = corpus.build_scale_db(size, ctx.embedder())
        runs = []
        runs_wanted = RUNS if ctx.full else 1  # --quick: one run, to stay under 3 minutes
        scratch = corpus.scratch_dir(f"coldstart-{size}-")
        try:
            log(f"ainews run over {size:,} articles, first build of the local index")
            first = one_run(db, scratch, queries)
            for i in range(runs_wanted):
                log(f"ainews run over {size:,} articles, run {i + 1}/{runs_wanted}")
                runs.append(one_run(db, scratch, queries))
        finally:
            corpus.drop_scratch(scratch)
        result.figures[str(size)] = {"first_build": first, "runs": runs}
        colds = [r["cold_start_s"] for r in runs]
        peaks = [r["total_vmhwm_mb"] for r in runs]
        rows.append(
            [
                f"{size:,}",
                first["cold_start_s"],
                min(colds),
                percentile(colds, 50),
                max(colds),
                max(r["search_p95_ms"] for r in runs),
                max(r["vmhwm_mb"] or 0.0 for r in runs),
                max(r["child_processes"] for r in [first, *runs]),
                max(peaks),
            ]
        )
        result.check(
            f"cold start to first answer s @ {size:,}, local index built (worst of {len(colds)})",
            max(colds),
            5.0,
            "<=",
        )
        result.check(
            f"child processes of ainews run @ {size:,}",
            max(r["child_processes"] for r in [first, *runs]),
            0,
            "<=",
        )
        result.check(
            f"peak RSS MB of ainews run (and any children) @ {size:,}",
            max(peaks),
            1024.0,
            "<=",
            note="" if size == 100_000 else "target is for 100k (--full)",
        )
    result.table(
        f"coldstart: `ainews run` (console) from spawn to the first answer, then {N_COMMANDS} "
        "searches through stdin",
        [
            "articles",
            "first build s",
            "cold start min s",
            "median s",
            "max s",
            "search p95 ms",
            "peak RSS MB",
            "child processes",
            "sum MB",
        ],
        rows,
    )
    return result
