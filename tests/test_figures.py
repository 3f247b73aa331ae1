"""Key-figure extraction on the odd digit runs real feeds carry."""

from __future__ import annotations

import pytest

from bot.entities import Gazetteer
from bot.figures import extract_figures, parse_number
from bot.settings import Settings


@pytest.mark.parametrize(
    ("raw", "lang", "value"),
    [
        ("15,8", "es", 15.8),
        ("1.000", "es", 1000.0),
        ("1,000.5", "en", 1000.5),
        ("700", "en", 700.0),
        ("3.801.7", "en", None),  # a Reuters table row, not a number
        ("1.2.3", "es", None),
    ],
)
def test_parse_number(raw: str, lang: str, value: float | None) -> None:
    assert parse_number(raw, lang) == value


def test_malformed_numbers_are_skipped_not_fatal() -> None:
    text = "Output rose to 3.801.7 mln tonnes. Shares fell 12.5 percent."
    figures = extract_figures(text, "en", Gazetteer.load(Settings().gazetteer_path))
    assert [f.value for f in figures] == [12.5]
