"""Peak RSS of a fresh process that builds ``Core`` over an existing database and searches.

The measured process is a child (``python -m bench.rss --child DB``) so the
benchmark runner's own memory (other benchmarks, rank_bm25, ...) does not count.
The child reports its RSS at each stage and its ``VmHWM`` (peak RSS of its own
address space since ``exec``). Linux's ``ru_maxrss`` of a child also keeps the
high-water mark of the *pre-exec* image, i.e. of the parent it was forked from
(measured: 1.3 GB for a 0.6 GB child of a 1.3 GB runner), so the child is started
by a small launcher (``--launch``) and ``ru_maxrss`` is read there, from
``getrusage(RUSAGE_CHILDREN)``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import Context, Result, log, proc_status_mb

NAME = "rss"
N_SEARCHES = 100


def child(db: str, queries_file: str) -> None:
    stages: dict[str, float | None] = {"start": proc_status_mb("VmRSS")}
    from bench import corpus
    from bot.core import Core
    from bot.index.embedder import make_embedder
    from bot.settings import load_settings

    stages["imports"] = proc_status_mb("VmRSS")
    t0 = time.perf_counter()
    settings = load_settings()  # the configured model, on one thread as ``ainews run`` serves
    embedder = make_embedder(settings.embedding_model, threads=settings.embedding_threads or 1)
    embedder.load()  # type: ignore[attr-defined]
    stages["model loaded"] = proc_status_mb("VmRSS")
    core = Core.build(corpus.bench_settings(Path(db)), embedder=embedder)
    build_s = time.perf_counter() - t0
    stages["Core.build (local index open)"] = proc_status_mb("VmRSS")
    hwm_before_search = proc_status_mb("VmHWM")
    queries = json.loads(Path(queries_file).read_text())
    t1 = time.perf_counter()
    for q in queries:
        core.searcher.search(q, limit=10, mode="hybrid")
    search_s = time.perf_counter() - t1
    stages[f"after {len(queries)} searches"] = proc_status_mb("VmRSS")
    out = {
        "stages": stages,
        "vmhwm_mb": proc_status_mb("VmHWM"),
        "vmhwm_before_search_mb": hwm_before_search,
        "passages": len(core.vectors),
        "vector_index_mb": round(core.vectors.nbytes / 1e6, 1),
        "vector_capacity_rows": len(core.vectors._matrix),
        "build_s": round(build_s, 2),
        "search_s": round(search_s, 2),
    }
    print(json.dumps(out))


def launch(db: str, queries_file: str) -> None:
    """Run the child from this small process and add its ``RUSAGE_CHILDREN`` ru_maxrss."""
    import resource

    out = subprocess.run(
        [sys.executable, "-m", "bench.rss", "--child", db, queries_file],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    data = json.loads(out.strip().splitlines()[-1])
    data["ru_maxrss_mb"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
    data["launcher_rss_mb"] = proc_status_mb("VmHWM")
    print(json.dumps(data))


def measure(db: Path, queries: list[str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        qfile = Path(tmp) / "q.json"
        qfile.write_text(json.dumps(queries))
        out = subprocess.run(
            [sys.executable, "-m", "bench.rss", "--launch", str(db), str(qfile)],
            check=True,
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parent.parent,
        ).stdout
    data: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return data


def run(ctx: Context) -> Result:
    from bench import corpus
    from bench.latency import make_queries

    result = Result(NAME)
    queries = make_queries()[0][:N_SEARCHES]
    sizes = [10_000] + ([100_000] if ctx.full else [])
    rows = []
    for size in sizes:
        db = corpus.build_scale_db(size, ctx.embedder())
        log(f"measuring a fresh process over {size:,} articles")
        data = measure(db, queries)
        result.figures[str(size)] = data
        stages = data["stages"]
        for stage, mb in stages.items():
            rows.append([f"{size:,}", stage, mb])
        rows.append([f"{size:,}", "peak (VmHWM)", data["vmhwm_mb"]])
        rows.append([f"{size:,}", "peak before searching (VmHWM)", data["vmhwm_before_search_mb"]])
        rows.append(
            [f"{size:,}", "peak (launcher's RUSAGE_CHILDREN ru_maxrss)", data["ru_maxrss_mb"]]
        )
        rows.append(
            [f"{size:,}", f"vector index ({data['passages']:,} passages)", data["vector_index_mb"]]
        )
        result.check(
            f"peak RSS MB @ {size:,}",
            max(data["vmhwm_mb"], data["ru_maxrss_mb"]),
            1024.0,
            "<=",
            note="" if size == 100_000 else "target is for 100k (--full)",
        )
    result.table(
        f"rss: fresh process, Core.build over the cached database "
        f"+ {N_SEARCHES} hybrid searches (MB)",
        ["articles", "stage", "MB"],
        rows,
    )
    return result


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "--launch":
        launch(sys.argv[2], sys.argv[3])
    else:
        sys.exit("usage: python -m bench.rss --child|--launch DB QUERIES.json")
