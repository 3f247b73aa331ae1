"""adapters.live: partial answers become at most a few edits, spaced, newest text first."""

from __future__ import annotations

import asyncio
import threading
import time

from adapters.live import LiveAnswer


async def test_edits_are_spaced_capped_and_show_the_newest_text() -> None:
    edits: list[tuple[float, str]] = []

    async def edit(text: str) -> None:
        edits.append((time.monotonic(), text))

    live = LiveAnswer(edit, interval=0.2, max_edits=2)
    started = time.monotonic()

    def worker() -> None:  # the service's thread
        for n in range(1, 9):
            live.progress(f"{n} sentences")
            time.sleep(0.06)

    thread = threading.Thread(target=worker)
    thread.start()
    await asyncio.to_thread(thread.join)
    await asyncio.sleep(0.3)
    await live.finish()
    live.progress("too late")
    await asyncio.sleep(0.05)
    assert len(edits) == 2
    assert edits[0][0] - started >= 0.19 and edits[1][0] - edits[0][0] >= 0.19
    assert [text for _, text in edits][-1] != "1 sentences"  # newer text replaced older
    assert all(text != "too late" for _, text in edits)


async def test_finish_drops_an_edit_still_waiting() -> None:
    edits: list[str] = []

    async def edit(text: str) -> None:
        edits.append(text)

    live = LiveAnswer(edit, interval=5.0)
    live.progress("first sentence")
    await asyncio.sleep(0.05)
    started = time.monotonic()
    await live.finish()
    assert edits == [] and time.monotonic() - started < 1.0
