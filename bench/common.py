"""Shared helpers: paths, timers, percentiles, memory, tables and the per-run context."""

from __future__ import annotations

import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
#: The checkout the benchmarks run from (its seeds/, its sibling shared/ datasets).
PROJECT_ROOT = BENCH_DIR.parent
DATA_DIR = BENCH_DIR / "data"
CACHE_DIR = Path(os.environ.get("AINEWS_BENCH_CACHE", BENCH_DIR / ".cache"))
RESULTS_DIR = BENCH_DIR / "results"
DATASETS = Path(
    os.environ.get("AINEWS_BENCH_DATASETS", PROJECT_ROOT.parent / "shared" / "datasets")
)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def log(message: str) -> None:
    """Progress goes to stderr so the tables on stdout stay clean."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """``with stopwatch() as t: ...`` then ``t[0]`` is the elapsed seconds."""
    out: list[float] = []
    start = time.perf_counter()
    try:
        yield out
    finally:
        out.append(time.perf_counter() - start)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (same as numpy's default), ``q`` in 0..100."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def summarize_ms(seconds: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99/mean in milliseconds of a list of durations in seconds."""
    ms = [s * 1000.0 for s in seconds]
    return {
        "n": len(ms),
        "p50": round(percentile(ms, 50), 2),
        "p95": round(percentile(ms, 95), 2),
        "p99": round(percentile(ms, 99), 2),
        "mean": round(statistics.fmean(ms), 2) if ms else float("nan"),
    }


def peak_rss_mb() -> float:
    """This process's peak resident set size (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def proc_status_mb(key: str = "VmHWM") -> float | None:
    """``VmHWM`` (peak RSS) or ``VmRSS`` (current) from /proc/self/status, in MiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def loadavg() -> str:
    """The 1/5/15-minute load averages: the CPU is shared, so every result records them."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def ratio(a: float, b: float) -> float:
    return round(a / b, 3) if b else float("nan")


def machine_info() -> dict[str, Any]:
    info: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["ram_gb"] = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    except OSError:
        pass
    try:
        import numpy
        import sentence_transformers
        import torch

        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
        info["sentence_transformers"] = sentence_transformers.__version__
        info["numpy"] = numpy.__version__
    except ImportError:
        pass
    import sqlite3

    info["sqlite"] = sqlite3.sqlite_version
    return info


def fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "PASS" if value else "FAIL"
    if isinstance(value, float):
        if value != value:  # NaN
            return "-"
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        if abs(value) >= 100:
            return f"{value:.1f}"
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return "" if value is None else str(value)


def print_result(result: Any) -> None:
    """One benchmark's tables, targets and notes, for modules run on their own."""
    for table in result.tables:
        print(render_table(table["title"], table["headers"], table["rows"]))
        print()
    for check in result.checks:
        print(
            f"{check.name}: {check.value} (target {check.op} {check.target}): {fmt(check.passed)}"
        )
    for note in result.notes:
        print(f"note: {note}")


def render_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[fmt(c) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    line = "  ".join("-" * w for w in widths)
    out = [title, "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)), line]
    for row in cells:
        out.append(
            "  ".join(
                c.rjust(w) if i else c.ljust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    return "\n".join(out)


@dataclass
class Check:
    """One target: ``value`` compared with ``target`` by ``op`` ("<=", ">=", ">" or "==")."""

    name: str
    value: float | bool
    target: float | bool
    op: str = "<="
    note: str = ""

    @property
    def passed(self) -> bool:
        if self.op == "<=":
            return bool(self.value <= self.target)
        if self.op == ">=":
            return bool(self.value >= self.target)
        if self.op == ">":
            return bool(self.value > self.target)
        return bool(self.value == self.target)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "target": f"{self.op} {self.target}",
            "pass": self.passed,
            "note": self.note,
        }


@dataclass
class Result:
    """What one benchmark hands back: tables to print, targets, and raw figures for the JSON."""

    name: str
    tables: list[dict[str, Any]] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    load: dict[str, str] = field(default_factory=dict)

    def table(self, title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        self.tables.append(
            {"title": title, "headers": list(headers), "rows": [list(r) for r in rows]}
        )

    def check(
        self, name: str, value: float | bool, target: float | bool, op: str = "<=", note: str = ""
    ) -> None:
        self.checks.append(Check(name, value, target, op, note))

    def as_dict(self) -> dict[str, Any]:
        return {
            "seconds": round(self.seconds, 1),
            "loadavg": self.load,
            "checks": [c.as_dict() for c in self.checks],
            "tables": self.tables,
            "figures": self.figures,
            "notes": self.notes,
        }


@dataclass
class Context:
    """Run-wide state shared by the benchmarks (one real model per process)."""

    mode: str  # "quick" | "full"
    #: Measure as ``ainews run`` serves (``bot.app.run``: one engine thread unless
    #: AINEWS_EMBEDDING_THREADS says otherwise); ``--prepare`` only encodes, on every core.
    serving: bool = True
    _embedder: Any = None

    @property
    def full(self) -> bool:
        return self.mode == "full"

    def embedder(self) -> Any:
        if self._embedder is None:
            from bot.index.embedder import make_embedder

            log("loading the embedding model")
            from bot.settings import load_settings

            settings = load_settings()  # AINEWS_EMBEDDING_MODEL, AINEWS_EMBEDDING_THREADS
            threads = settings.embedding_threads or (1 if self.serving else 0)
            embedder = make_embedder(settings.embedding_model, threads=threads)
            getattr(embedder, "load", lambda: None)()
            self._embedder = embedder
        return self._embedder


def profile_rows(session: Any, n: int = 5, owner_prefix: str = "bot/") -> list[list[Any]]:
    """Summarize a pyinstrument session as rows ``[by, frame, seconds, % of wall]``.

    - ``self``: the ``n`` frames with the most self time;
    - ``ours``: time charged to the nearest enclosing function under
      ``owner_prefix`` (its own code *and* the library calls it makes), top ``n``.
    """
    root = session.root_frame()
    if root is None:
        return []
    total = root.time or 1e-9
    self_time: dict[str, float] = {}
    owned: dict[str, float] = {}

    def key_of(frame: Any) -> str:
        return f"{frame.function} ({frame.file_path_short}:{frame.line_no})"

    def walk(frame: Any, owner: str) -> None:
        if frame.is_synthetic:  # "[self]"/"[await]": already in the parent's total_self_time
            return
        key = key_of(frame)
        path = str(frame.file_path or "")
        if f"/{owner_prefix}" in f"/{frame.file_path_short}" and "site-packages" not in path:
            owner = key
        self_time[key] = self_time.get(key, 0.0) + frame.total_self_time
        owned[owner] = owned.get(owner, 0.0) + frame.total_self_time
        for child in frame.children:
            walk(child, owner)

    walk(root, "(outside bot/)")
    rows: list[list[Any]] = []
    for label, table in (("self", self_time), ("ours", owned)):
        for key, t in sorted(table.items(), key=lambda kv: -kv[1])[:n]:
            rows.append([label, key, round(t, 3), round(100 * t / total, 1)])
    return rows
