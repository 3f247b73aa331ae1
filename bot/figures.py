"""Key figures: numbers with their units and subjects, extracted once at ingest.

Spanish writes "15,8 %" and "1.000"; English "15.8%" and "1,000". The article's
language decides which separator is the decimal one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.entities import Gazetteer
from bot.text import split_sentences

_SCALE = {
    "mil millones": 1e9,
    "millones": 1e6,
    "millón": 1e6,
    "millon": 1e6,
    "mil": 1e3,
    "billones": 1e12,
    "billón": 1e12,
    "billion": 1e9,
    "billions": 1e9,
    "million": 1e6,
    "millions": 1e6,
    "thousand": 1e3,
    "trillion": 1e12,
    "bn": 1e9,
    "m": 1e6,
    "k": 1e3,
}
_UNITS = {
    "descargas": "downloads",
    "downloads": "downloads",
    "dólares": "usd",
    "dolares": "usd",
    "dollars": "usd",
    "usd": "usd",
    "us$": "usd",
    "$": "usd",
    "euros": "eur",
    "eur": "eur",
    "€": "eur",
    "yuanes": "cny",
    "yuan": "cny",
    "usuarios": "users",
    "users": "users",
    "parámetros": "parameters",
    "parameters": "parameters",
    "chips": "chips",
    "gpus": "gpus",
    "empleados": "employees",
    "employees": "employees",
    "acciones": "shares",
    "tokens": "tokens",
    "modelos": "models",
    "models": "models",
}
_NUMBER = r"\d{1,3}(?:[.,\s]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?"
_SCALES = "|".join(sorted(map(re.escape, _SCALE), key=len, reverse=True))
_UNIT_WORDS = "|".join(sorted(map(re.escape, _UNITS), key=len, reverse=True))
_FIGURE = re.compile(
    rf"(?P<cur>US\$|\$|€)?\s?(?P<num>{_NUMBER})"
    rf"(?:\s?(?P<pct>%|por ciento|percent)"
    rf"|\s(?P<scale>{_SCALES})\b(?:\s(?:de\s)?(?P<unit>{_UNIT_WORDS})\b)?"
    rf"|\s(?:de\s)?(?P<unit2>{_UNIT_WORDS})\b)",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class KeyFigure:
    text: str
    value: float
    unit: str
    subject: str | None
    sentence: str


def parse_number(raw: str, lang: str) -> float | None:
    """``15,8`` (es) -> 15.8; ``1.000`` (es) -> 1000; ``1,000.5`` (en) -> 1000.5.

    ``None`` for digit runs that are no number in ``lang`` (``3.801.7`` in an English
    text, a version or a date): real feeds carry them, and one must not fail an ingest.
    """
    raw = raw.replace(" ", "")
    decimal, thousands = (",", ".") if lang == "es" else (".", ",")
    if thousands in raw and decimal in raw:
        raw = raw.replace(thousands, "")
    elif thousands in raw and re.fullmatch(rf"\d{{1,3}}(?:\{thousands}\d{{3}})+", raw):
        raw = raw.replace(thousands, "")
    try:
        return float(raw.replace(decimal, ".").replace(",", "."))
    except ValueError:
        return None


def extract_figures(text: str, lang: str, gazetteer: Gazetteer) -> list[KeyFigure]:
    """Figures that carry meaning: percentages, scaled amounts, counted things. Years are not."""
    figures: list[KeyFigure] = []
    for sentence in split_sentences(text):
        mentions = gazetteer.positions(sentence)
        for match in _FIGURE.finditer(sentence):
            unit_word = match.group("unit") or match.group("unit2")
            if match.group("pct"):
                unit = "%"
            elif unit_word:
                unit = _UNITS[unit_word.lower()]
            elif match.group("cur"):
                unit = _UNITS[match.group("cur").lower()]
            elif match.group("scale") and match.group("scale").lower() not in {"m", "k"}:
                unit = ""
            else:
                continue
            value = parse_number(match.group("num"), lang)
            if value is None:
                continue
            if match.group("scale"):
                value *= _SCALE[match.group("scale").lower()]
            center = (match.start() + match.end()) / 2
            subject = min(
                mentions, key=lambda m: abs((m[1] + m[2]) / 2 - center), default=(None, 0, 0)
            )[0]
            figures.append(
                KeyFigure(match.group(0).strip(), value, unit, subject, sentence.strip())
            )
    return figures
