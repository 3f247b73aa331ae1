"""Subprocess for the digest fault suite: ``ainews run`` (Slack HTTP mode and Discord) with
the hashing embedder, so a replica starts in about a second instead of loading the model.

Everything else is the product's own: settings from the environment, the adapters, the
leader election, the scheduler and its shutdown (``bot.app.serve``).
"""

from __future__ import annotations

import asyncio
import logging

from bot.app import build_adapters, serve
from bot.core import Core
from bot.index.embedder import HashingEmbedder
from bot.logs import setup_logging
from bot.metrics import Metrics
from bot.service import Service
from bot.settings import load_settings


def main() -> None:
    settings = load_settings()
    setup_logging(settings)
    logging.getLogger("bot.scheduler").setLevel(logging.INFO)
    core = Core.build_store(settings, embedder=HashingEmbedder())
    try:
        service = Service(core, metrics=Metrics())
        asyncio.run(serve(service, build_adapters(service, settings)))
    finally:
        core.close()


if __name__ == "__main__":
    main()
