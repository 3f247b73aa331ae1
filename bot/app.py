"""Composition root: builds the core and starts the adapters the settings ask for.

The only module that imports ``adapters`` (lazily), so ``bot`` stays platform-free.
"""

from __future__ import annotations

import logging
import os

from bot.core import Core
from bot.i18n import t
from bot.ingest.files import iter_path
from bot.service import Service
from bot.settings import Settings

log = logging.getLogger(__name__)


def seed_if_empty(core: Core) -> None:
    """A first run has something to search: the bundled seed articles."""
    if core.stats()["articles"] == 0 and core.settings.seeds_dir.is_dir():
        path = os.path.relpath(core.settings.seeds_dir)
        print(t("seeding", "en", path=path), flush=True)
        core.ingester.ingest(iter_path(path + "/"))


def run(settings: Settings) -> int:
    core = Core.build(settings)
    seed_if_empty(core)
    service = Service(core)
    from adapters.console import run_console

    return run_console(service)
