"""Keep OpenBLAS's idle worker threads from spinning on the other core.

After each call (the vector scan and the answers' passage scores are a few per question),
OpenBLAS's worker threads busy-wait for about 2^28 cycles (~0.1 s) before they sleep. On two
cores they take the cores the query embedding's own threads need: measured on the answers
dev set's index (3,325 articles; docs/benchmarks.md, session 8), the
multilingual-e5 query embedding took ~100 ms right after an answer instead of ~11 ms, and
`Service.handle_text` p50 went from ~23 to ~99 ms. With the shortest wait the embedding is
back to 11–15 ms.
"""

from __future__ import annotations

import os

# OpenBLAS waits 2**N cycles before a worker sleeps; 4 is its smallest.
THREAD_TIMEOUT = "4"


def quiet_blas_threads() -> None:
    """Call before numpy is first imported: OpenBLAS reads the setting when it loads.
    An explicit ``OPENBLAS_THREAD_TIMEOUT`` in the environment wins."""
    os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", THREAD_TIMEOUT)
