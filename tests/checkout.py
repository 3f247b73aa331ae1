"""The checkout the tests run from (the bot itself finds its data through bot.defaults)."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
