"""ruff and mypy stay clean: part of the one test command, so CI enforces it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "argv",
    [
        [str(BIN / "ruff"), "check", "."],
        [str(BIN / "mypy"), "bot", "adapters"],
    ],
    ids=["ruff", "mypy"],
)
def test_clean(argv: list[str]) -> None:
    result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
