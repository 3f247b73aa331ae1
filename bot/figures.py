"""Key figures: numbers with their units and subjects, extracted once at ingest.

Spanish writes "15,8 %" and "40.000 millones"; English "15.8%" and "1,000". The
article's language decides which separator is the decimal one, so the stored
``value`` is a plain float and the reply's language only decides how it is shown
(``bot.i18n.format_number``).

Digits glued to letters belong to names, not quantities: "H100", "GPT-4",
"3.5-turbo", "Llama 3.1". A currency code is a unit, not a subject: "US$" is not
the United States.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.entities import Gazetteer
from bot.text import split_sentences

_SCALE = {  # written out: "1,5 millones", "$1.5 billion", "40 mil usuarios"
    "mil millones": 1e9,
    "millones": 1e6,
    "millón": 1e6,
    "millon": 1e6,
    "mil": 1e3,
    "billones": 1e12,
    "billón": 1e12,
    "billon": 1e12,
    "billion": 1e9,
    "billions": 1e9,
    "million": 1e6,
    "millions": 1e6,
    "thousand": 1e3,
    "trillion": 1e12,
}
_ABBREVIATION = {  # "$13bn", "1.7B€", "700M downloads": glued or spaced, never alone
    "k": 1e3,
    "m": 1e6,
    "mn": 1e6,
    "mln": 1e6,
    "b": 1e9,
    "bn": 1e9,
    "bln": 1e9,
    "tn": 1e12,
}
# A number written as a word counts only before a scale ("one billion downloads", "un millón
# de usuarios", "mil millones"): alone ("one model", "a user") it is no figure.
_NUMBER_WORDS = {
    **{w: n for n, w in enumerate("one two three four five six seven eight nine ten".split(), 1)},
    **{w: n for n, w in enumerate("dos tres cuatro cinco seis siete ocho nueve diez".split(), 2)},
    "a": 1,
    "an": 1,
    "un": 1,
    "una": 1,
    "uno": 1,
    "mil": 1000,
}
_CURRENCY = {"us$": "usd", "$": "usd", "€": "eur", "usd": "usd", "eur": "eur"}
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
    "gpu": "gpus",  # Spanish leaves the acronym unchanged: "350.000 GPU"
    "empleados": "employees",
    "employees": "employees",
    "acciones": "shares",
    "tokens": "tokens",
    "modelos": "models",
    "models": "models",
}


def _alternation(words: Mapping[str, object]) -> str:
    return "|".join(sorted(map(re.escape, words), key=len, reverse=True))


# One separator throughout the thousands groups, a group never starts a number with 0.
_NUMBER = (
    r"[1-9]\d{0,2}(?P<sep>[.,\u00a0\u202f ])\d{3}(?:(?P=sep)\d{3})*(?:[.,]\d+)?"
    r"|\d+(?:[.,]\d+)?"
)
_CHIP = r"(?-i:[A-Z]{1,3}\d{2,4}[A-Z]?)"  # H100, A100, MI300X: a qualifier of the thing counted
_FIGURE = re.compile(
    rf"""
    (?<![\w.,$€/])                    # not the tail of H100, v3.1, A$5
    (?:(?P<cur>{_alternation(_CURRENCY)})\s?)?
    (?P<sign>[-\u2212](?=\d))?        # "un -3,2 %" (the "-" of "10-15%" follows a digit)
    (?:(?P<num>{_NUMBER})
      | (?P<words>{_alternation(_NUMBER_WORDS)})(?=\s(?:{_alternation(_SCALE)})\b))
    (?P<abbr>{_alternation(_ABBREVIATION)})?
    (?!\w|[.,]\d|-[^\W\d_])           # nor the head of 3.5-turbo, 7B-Instruct
    (?:\s?(?P<cur_after>€|\$))?
    (?:
        \s?(?P<pct>%|por\sciento\b|per\s?cent\b)
      | (?:\s(?P<scale>{_alternation(_SCALE)}|{_alternation(_ABBREVIATION)})\b)?
        (?:\s(?:de\s)?(?:(?-i:[A-Z][a-z]+\s)?{_CHIP}\s)?   # 350,000 (Nvidia) H100 GPUs
           (?P<unit>{_alternation(_UNITS)})(?!\w)
           (?:\s{_CHIP}(?!\w))?)?                          # 350.000 GPU H100
    )
    """,
    re.IGNORECASE | re.VERBOSE,
)
# "US$", "HK$", "USD": what the gazetteer would otherwise read as "US" or "HK".
_CURRENCY_CODE = re.compile(r"(?<![^\W\d_])[A-Z]{1,3}\$|\b(?:USD|EUR|GBP|CNY|RMB|JPY)\b")
_VERSIONED = {"model", "chip"}  # kinds whose name a following number belongs to: "Gemini 2.5"

Mention = tuple[str, int, int]


@dataclass(frozen=True, slots=True)
class KeyFigure:
    """``text`` as written; ``value`` as a plain float (7e8), whatever the article's separators;
    ``unit`` "%", "usd", "downloads", ... or "" for a bare scaled count; ``subject`` the
    canonical name of the nearest entity (shown through ``display_subject``)."""

    text: str
    value: float
    unit: str
    subject: str | None
    sentence: str


def parse_number(raw: str, lang: str) -> float | None:
    """``15,8`` (es) -> 15.8; ``1.000`` (es) -> 1000; ``1,000.5`` (either) -> 1000.5.

    Only a lone mark before exactly three digits ("1.000", "350,000") is ambiguous;
    the article's language settles it. Both marks, or a lone mark before fewer or
    more digits, read the same in any language. ``None`` for digit runs that are no
    number (``3.801.7``, a version, a date): real feeds carry them, and one must not
    fail an ingest.
    """
    digits = re.sub(r"\s", "", raw)
    marks = re.findall(r"[.,]", digits)
    if len(set(marks)) == 2:
        decimal = marks[-1]
    elif len(marks) == 1 and (not re.search(r"[.,]\d{3}$", digits) or digits.startswith("0")):
        decimal = marks[0]
    else:
        decimal = "," if lang == "es" else "."
    thousands = "." if decimal == "," else ","
    whole, _, fraction = digits.partition(decimal)
    if decimal in fraction or (fraction and not fraction.isdigit()):
        return None
    if not re.fullmatch(rf"\d+|[1-9]\d{{0,2}}(?:\{thousands}\d{{3}})+", whole):
        return None
    return float(whole.replace(thousands, "") + "." + (fraction or "0"))


def _in_a_name(sentence: str, start: int, mentions: list[Mention], gazetteer: Gazetteer) -> bool:
    """Is the number at ``start`` part of a name ("GPT-4", "Llama 3", "Gemini 2.5")?"""
    glued = re.split(r"\s", sentence[:start])[-1]  # the text stuck to the number's left
    if glued.endswith("-") and any(c.isalpha() for c in glued):
        return True  # "GPT-4", "Qwen2.5-72B"; "10-15%" is a range and stays
    for name, begin, end in mentions:
        if begin <= start < end:
            return True
        if gazetteer.kind(name) in _VERSIONED and sentence[end:start] == " ":
            return True
    return False


def _number(match: re.Match[str], lang: str) -> float | None:
    """The number of a candidate, in digits or as a word before a scale ("one billion")."""
    word = (match.group("words") or "").lower()
    if not word:
        return parse_number(match.group("num"), lang)
    if word in {"a", "an"} and lang != "en":
        return None  # Spanish "a millones de usuarios": "to", not "one"
    return float(_NUMBER_WORDS[word])


def _start(match: re.Match[str]) -> int:
    return match.start("num") if match.group("num") is not None else match.start("words")


def _measure(match: re.Match[str], lang: str) -> tuple[float, str] | None:
    """``(value, unit)`` of a candidate, or ``None`` when it is no figure (a bare number, "7B")."""
    value = _number(match, lang)
    if value is None:
        return None
    if match.group("sign"):
        value = -value
    if match.group("pct"):
        return value, "%"
    currency = match.group("cur") or match.group("cur_after")
    unit_word = (match.group("unit") or "").lower()
    abbr = (match.group("abbr") or "").lower()
    scale = (match.group("scale") or "").lower()
    if abbr and scale:
        return None
    if (abbr or scale in _ABBREVIATION) and not (currency or unit_word):
        return None  # "Mistral 7B", "10 m": a model size or metres, not an amount
    if abbr and not currency and unit_word in {"models", "modelos"}:
        return None  # "7B models" is a size class, not seven billion models
    factor = _ABBREVIATION.get(abbr) or _ABBREVIATION.get(scale) or _SCALE.get(scale, 1.0)
    if unit_word:
        unit = _UNITS[unit_word]
    elif currency:
        unit = _CURRENCY[currency.lower()]
    elif scale:
        unit = ""  # "1.200 millones": a bare scaled count still says something
    else:
        return None  # a bare number: a year, a rank, a page
    return value * factor, unit


def _subject(mentions: list[Mention], start: int, end: int) -> str | None:
    """Nearest mention outside the figure; in "350,000 H100 GPUs" the chip is the thing counted."""
    outside = [m for m in mentions if m[2] <= start or m[1] >= end]
    center = (start + end) / 2
    nearest = min(outside, key=lambda m: abs((m[1] + m[2]) / 2 - center), default=None)
    return nearest[0] if nearest else None


def extract_figures(text: str, lang: str, gazetteer: Gazetteer) -> list[KeyFigure]:
    """Figures that carry meaning: percentages, money, scaled or counted things. Years are not."""
    figures: list[KeyFigure] = []
    for sentence in split_sentences(text):
        codes = [c.span() for c in _CURRENCY_CODE.finditer(sentence)]
        mentions = [
            m
            for m in gazetteer.positions(sentence)
            if not any(m[1] < c_end and c_start < m[2] for c_start, c_end in codes)
        ]
        position = 0
        while match := _FIGURE.search(sentence, position):
            measured = _measure(match, lang)
            if measured is None or _in_a_name(sentence, _start(match), mentions, gazetteer):
                position = match.start() + 1  # what follows a rejected span may still be a figure
                continue
            position = match.end()
            value, unit = measured
            subject = _subject(mentions, match.start(), match.end())
            figures.append(
                KeyFigure(match.group(0).strip(), value, unit, subject, sentence.strip())
            )
    return figures


@functools.cache
def spanish_names(path: Path) -> Mapping[str, str]:
    """``{canonical name: name_es}`` from ``config/entities.toml``, read once per path.

    Canonical names are English ("United States"); a Spanish reply should say
    "Estados Unidos". The gazetteer keeps aliases without their language, so the
    Spanish display name is its own field, set only where it differs.
    """
    if not path.is_file():
        return {}
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {row["name"]: row["name_es"] for row in data.get("entity", []) if row.get("name_es")}


def display_subject(subject: str | None, lang: str, names_es: Mapping[str, str]) -> str | None:
    """A figure's subject as the reply's language names it (``names_es`` from ``spanish_names``)."""
    if subject is None or lang != "es":
        return subject
    return names_es.get(subject, subject)


def written_numbers(text: str) -> list[tuple[str, frozenset[float]]]:
    """Every number written in ``text`` (names such as H100 or v3.1 aside), each with the
    values it can mean: "700 millones" and "700 million" both mean 7e8, "1.000" means 1000
    in Spanish and 1 in English, so both. Unlike ``extract_figures`` a bare number counts
    too (a year, a rank): this is for checking that generated text invents none."""
    out: list[tuple[str, frozenset[float]]] = []
    for match in _FIGURE.finditer(text):
        abbr = (match.group("abbr") or "").lower()
        scale = (match.group("scale") or "").lower()
        factor = _ABBREVIATION.get(abbr) or _ABBREVIATION.get(scale) or _SCALE.get(scale, 1.0)
        values = {_number(match, lang) for lang in ("es", "en")}
        found = frozenset(abs(v) * factor for v in values if v is not None)
        if found:
            out.append((match.group(0).strip(), found))
    return out
