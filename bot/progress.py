"""Progress of a command that works source by source (``sources poll``, ``ingest URL...``).

In a terminal: a bar on stderr, with each source's line printed above it as it finishes.
Otherwise (a pipe, a log, cron): one plain line per source as it finishes, flushed at once,
so a slow feed shows where the run is instead of a silence until the end.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import TextIO


class Progress:
    def __init__(
        self, total: int, unit: str, *, lines: TextIO | None = None, quiet: bool = False
    ) -> None:
        """``lines``: where each finished item's line goes (default stdout); ``quiet``: none
        at all (``--json``)."""
        from tqdm import tqdm

        self.lines = lines or sys.stdout
        self.quiet = quiet
        self.terminal = sys.stderr.isatty() and not quiet
        self.bar = tqdm(total=total, unit=unit, file=sys.stderr, disable=not self.terminal)

    def done(self, line: str) -> None:
        """One item finished; ``line`` says how it went."""
        if self.terminal:
            self.bar.write(line, file=self.lines)
            self.bar.update(1)
        elif not self.quiet:
            print(line, file=self.lines, flush=True)

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.bar.close()
