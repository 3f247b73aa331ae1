"""Keep OpenBLAS's idle worker threads from spinning on the other core.

After each call (the coarse vector scan is one per search), OpenBLAS's worker threads
busy-wait for about 2^28 cycles (~0.1 s) before they sleep. On two cores that kept the
second core "busy", so the scheduler woke the full-text helper on the searching core,
where it preempted the search it was answering, and the spinning thread took memory
bandwidth from the query embedding. Measured at 100k articles (200 queries): request
hand-off 1.9 -> 0.07 ms p50, vector search 4.2 -> 3.7 ms p50, embedding 13.1 -> 11.9 ms p50.
"""

from __future__ import annotations

import os

# OpenBLAS waits 2**N cycles before a worker sleeps; 4 is its smallest.
THREAD_TIMEOUT = "4"


def quiet_blas_threads() -> None:
    """Call before numpy is first imported: OpenBLAS reads the setting when it loads.
    An explicit ``OPENBLAS_THREAD_TIMEOUT`` in the environment wins."""
    os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", THREAD_TIMEOUT)
