"""Cognates: an English word and its Spanish twin share a skeleton (bot.cognates)."""

from __future__ import annotations

import pytest

from bot.cognates import skeletons

TWINS = [
    ("homophobic", "homofóbico"),
    ("election", "elección"),
    ("elections", "elecciones"),
    ("university", "universidad"),
    ("commission", "comisión"),
    ("character", "carácter"),
    ("technique", "técnica"),
    ("scandal", "escándalo"),
    ("coordinating", "coordinó"),
    ("license", "licencia"),
    ("national", "nacional"),
    ("famous", "famoso"),
    ("theory", "teoría"),
    ("congress", "congreso"),
    ("community", "comunidad"),
]
# False friends that spell alike do match ("success" / "suceso", "actual" / "actual"): a
# skeleton only ever lets a sentence count one word of a question it may not mean.
STRANGERS = [
    ("exit", "éxito"),
    ("large", "largo"),
    ("library", "librería"),
    ("states", "estados"),  # too short once "es" and the inflection go
    ("rope", "ropa"),
]


@pytest.mark.parametrize(("english", "spanish"), TWINS)
def test_twins_share_a_skeleton(english: str, spanish: str) -> None:
    assert skeletons(english) & skeletons(spanish)


@pytest.mark.parametrize(("english", "spanish"), STRANGERS)
def test_different_words_do_not(english: str, spanish: str) -> None:
    assert not skeletons(english) & skeletons(spanish)


def test_short_words_and_numbers_have_none() -> None:
    assert skeletons("vote") == skeletons("2026") == skeletons("GPT-5") == frozenset()


def test_an_english_question_word_is_covered_by_its_spanish_cognate() -> None:
    """ "homophobic" in a question is said by "homofóbico" in a Spanish sentence."""
    from bot.answers import _COGNATE, _Concept, _prefixes, _terms

    homophobic = _Concept({_COGNATE + k for k in skeletons("homophobic")}, [])
    terms = _terms("FIFA multa a México por grito homofóbico")
    assert homophobic.matched_loosely(terms, _prefixes(terms))
    assert not any(p.startswith(_COGNATE) for p in _prefixes(terms))
