"""Spanish and English cognates: words spelled alike by regular rules.

"homophobic" / "homofóbico", "election" / "elección", "university" / "universidad",
"commission" / "comisión": the two languages share thousands of such words, and no
hand-written lexicon lists them all. Each word gets a skeleton per language, where the
spelling differences that follow a rule are undone (ph/f, th/t, y/i, doubled letters) and
the paired suffixes (-tion/-ción, -ity/-idad, -ic/-ico, -ous/-oso…) and inflections are
written one way. Two words in different languages with the same skeleton are cognates.

Answers use skeletons to judge whether a sentence says a question's word in the other
language; search does not (a false friend there would fetch wrong articles).
"""

from __future__ import annotations

import re
from functools import lru_cache

from bot.text import fold

#: Below this many letters a skeleton matches too many unrelated words.
MIN_LETTERS = 5

#: Spelling the two languages write differently for the same sound or letter, undone
#: before the suffixes are read ("nation" and "nación" both become "nacion").
_SPELLING = (
    (re.compile(r"ph"), "f"),
    (re.compile(r"th"), "t"),
    (re.compile(r"ch"), "c"),
    (re.compile(r"k"), "c"),
    (re.compile(r"y"), "i"),
    (re.compile(r"ti(?=on)"), "ci"),
)
_DOUBLED = re.compile(r"([a-z])\1")
#: Paired suffixes: (canonical ending, English suffixes as spelled above, Spanish suffixes),
#: longest first within each language; a stem keeps 3 letters.
_PAIRED = (
    ("IC", "icalli ical ics ic iques ique", "icamente icos icas ico ica"),
    ("SION", "ssions ssion sions sion", "siones sion"),
    ("IDAD", "ities iti", "idades idad"),
    ("OS", "ousli ous", "osamente osos osas oso osa"),
    ("IV", "ives ive", "ivos ivas ivo iva"),
    ("ISM", "isms ism", "ismos ismo"),
    ("IST", "ists ist", "istas ista"),
    ("ARI", "aries ari", "arios arias ario aria"),
    ("ORI", "ories ori", "orios orias orio oria"),
    ("ENCI", "ences ence ense", "encias encia"),
    ("ANCI", "ances ance", "ancias ancia"),
    ("CI", "cies ci", "cias cia"),
    ("MENT", "ments ment", "mentos mento"),
    ("IZ", "izing ized izes ize", "izado izada izar izan iza"),
    ("UR", "ures ure", "uras ura"),
    ("OGI", "ogies ogi", "ogias ogia"),
    ("AL", "als al", "ales al"),
    ("BLE", "bles ble", "bles ble"),
    ("AT", "ating ated ates ate", "ando ados adas ado ada aron ar"),
)
_EN_SUFFIXES = tuple((suffix, canonical) for canonical, en, _es in _PAIRED for suffix in en.split())
_ES_SUFFIXES = tuple((suffix, canonical) for canonical, _en, es in _PAIRED for suffix in es.split())
#: Inflections, stripped for the plain skeleton ("scandal" / "escándalo" share no suffix).
_EN_INFLECTIONS = ("ating", "ated", "ates", "ate", "ing", "ed", "es", "s", "e")
_ES_INFLECTIONS = ("aron", "ando", "os", "as", "es", "an", "o", "a", "e", "s")
_LETTERS = re.compile(r"[a-z]+")
#: Spanish writes "es" before an initial s and a consonant: "escándalo" / "scandal".
_ES_PROSTHETIC = re.compile(r"^es(?=[bcdfgklmnpqrtvw])")


def _spelled(word: str) -> str:
    for pattern, replacement in _SPELLING:
        word = pattern.sub(replacement, word)
    return word


def _ending(word: str, suffixes: tuple[tuple[str, str], ...]) -> tuple[str, str] | None:
    """``(stem, canonical ending)`` for the first suffix that leaves three letters."""
    for suffix, canonical in suffixes:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: len(word) - len(suffix)], canonical
    return None


def _plain(word: str, inflections: tuple[str, ...]) -> str:
    for suffix in inflections:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: len(word) - len(suffix)]
    return word


@lru_cache(maxsize=65536)
def skeletons(word: str) -> frozenset[str]:
    """The word's skeletons read as English and as Spanish: its stem spelled one way, with
    its canonical ending in capitals ("homofobIC"), and its stem without inflection
    ("scandal"). Short words have none."""
    folded = fold(word).lower()
    if not _LETTERS.fullmatch(folded) or len(folded) < MIN_LETTERS:
        return frozenset()
    out = set()
    english = _spelled(folded)
    spanish = _spelled(_ES_PROSTHETIC.sub("s", folded))
    for spelled, suffixes, inflections in (
        (english, _EN_SUFFIXES, _EN_INFLECTIONS),
        (spanish, _ES_SUFFIXES, _ES_INFLECTIONS),
    ):
        ended = _ending(spelled, suffixes)
        if ended is not None:
            out.add(_DOUBLED.sub(r"\1", ended[0]) + ended[1])
        plain = _DOUBLED.sub(r"\1", _plain(spelled, inflections))
        if len(plain) >= MIN_LETTERS:
            out.add(plain)
    return frozenset(out)
