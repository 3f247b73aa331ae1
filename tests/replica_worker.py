"""Subprocess for the replica test: ``ainews run --headless`` (``bot.app.serve``: the supervise
loop that syncs the local index) with the hashing embedder, answering searches on stdin.

Each stdin line is a query; the answer is one JSON line, the article ids found.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading

from bot.app import serve
from bot.core import Core
from bot.index.embedder import HashingEmbedder
from bot.service import Service
from bot.settings import load_settings


def answer_searches(core: Core) -> None:
    for line in sys.stdin:
        hits = core.searcher.search(line.strip(), limit=5)
        print(json.dumps([hit.article_id for hit in hits]), flush=True)


def main() -> None:
    core = Core.build(load_settings(), embedder=HashingEmbedder())
    threading.Thread(target=answer_searches, args=(core,), daemon=True).start()
    try:
        asyncio.run(serve(Service(core), []))
    finally:
        core.close()


if __name__ == "__main__":
    main()
