"""Peak RSS of a fresh process that builds ``Core`` over an existing database and searches.

The measured process is a child (``python -m bench.rss --child DB``) so the
benchmark runner's own memory (other benchmarks, rank_bm25, ...) does not count.
The child reports its RSS at each stage and its ``VmHWM``; the parent also reads
the child's ``ru_maxrss`` from ``os.wait4`` (that child only).
"""

from __future__ import annotations

import json
import os
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
    from bot.index.embedder import SentenceTransformerEmbedder

    stages["imports"] = proc_status_mb("VmRSS")
    t0 = time.perf_counter()
    embedder = SentenceTransformerEmbedder()
    embedder.load()
    stages["model loaded"] = proc_status_mb("VmRSS")
    core = Core.build(corpus.bench_settings(Path(db)), embedder=embedder)
    build_s = time.perf_counter() - t0
    stages["Core.build (vectors loaded)"] = proc_status_mb("VmRSS")
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


def measure(db: Path, queries: list[str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        qfile = Path(tmp) / "q.json"
        qfile.write_text(json.dumps(queries))
        out_file = Path(tmp) / "out.json"
        with out_file.open("w") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "bench.rss", "--child", str(db), str(qfile)],
                stdout=out,
                cwd=Path(__file__).resolve().parent.parent,
            )
            _pid, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            raise RuntimeError(f"rss child failed with {proc.returncode}")
        data: dict[str, Any] = json.loads(out_file.read_text().strip().splitlines()[-1])
    data["ru_maxrss_mb"] = round(usage.ru_maxrss / 1024.0, 1)
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
        rows.append([f"{size:,}", "peak (parent's wait4 ru_maxrss)", data["ru_maxrss_mb"]])
        rows.append(
            [f"{size:,}", f"vector index ({data['passages']:,} passages)", data["vector_index_mb"]]
        )
        result.check(
            f"peak RSS MB @ {size:,}",
            data["ru_maxrss_mb"],
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
    else:
        sys.exit("usage: python -m bench.rss --child DB QUERIES.json")
