"""A chat message that grows while a model answer streams: "Looking…" at once, then a few
edits with the verified part of the answer, then the final reply.

The service calls ``progress`` from its worker thread; edits run on the event loop, at most
one per ``interval`` seconds and ``max_edits`` in all (Slack's ``chat.update`` and a
``response_url`` allow about one a second and five uses; Discord five edits per five
seconds), the newest text winning. ``finish`` waits for an edit in flight, so the final
reply is always the last one written.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

#: Seconds between two edits, and edits before the final one (placeholder not counted).
EDIT_INTERVAL = 1.0
MAX_EDITS = 3


class LiveAnswer:
    def __init__(
        self,
        edit: Callable[[str], Awaitable[object]],
        *,
        interval: float = EDIT_INTERVAL,
        max_edits: int = MAX_EDITS,
    ) -> None:
        self._edit = edit
        self._loop = asyncio.get_running_loop()
        self._interval = interval
        self._left = self._max = max_edits
        self._editing = False
        self._latest: str | None = None
        self._last_edit = time.monotonic()  # the placeholder just went out
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    def progress(self, text: str) -> None:
        """Thread-safe: the newest verified text, to show when the next edit is allowed."""
        self._loop.call_soon_threadsafe(self._offer, text)

    def _offer(self, text: str) -> None:
        if self._closed or self._left <= 0:
            return
        self._latest = text
        if self._task is None or self._task.done():
            self._task = self._loop.create_task(self._flush())

    async def _flush(self) -> None:
        wait = self._last_edit + self._interval - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        text, self._latest = self._latest, None
        if text is None or self._closed or self._left <= 0:
            return
        self._left -= 1
        self._last_edit = time.monotonic()
        self._editing = True
        try:
            await self._edit(text)
        except Exception as exc:  # a failed partial edit costs nothing: the final one follows
            log.info("could not show a partial answer: %s", exc)
        finally:
            self._editing = False

    async def finish(self) -> None:
        """No more partial edits; waits for one in flight, drops one still waiting."""
        self._closed = True
        task = self._task
        if task is not None and not task.done():
            if not self._editing:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        # An interval after the last partial edit, so the final one is not rate limited.
        wait = self._last_edit + self._interval - time.monotonic()
        if wait > 0 and self._left < self._max:
            await asyncio.sleep(wait)
