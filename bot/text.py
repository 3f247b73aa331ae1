"""Language-aware text helpers shared by ingestion, indexing and answers.

Full-text search stores *pre-stemmed, accent-folded* terms, so SQLite FTS5 and
Postgres ``tsvector('simple')`` rank the same tokens and Spanish/English queries
meet documents on common stems ("descargas" -> "descarg").
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache

import Stemmer  # PyStemmer: Snowball stemmers in C

_WORD = re.compile(r"[0-9a-zñ]+(?:[.,'][0-9a-zñ]+)*", re.IGNORECASE)
_TOKEN = re.compile(r"\w+", re.UNICODE)

STOPWORDS: dict[str, frozenset[str]] = {
    "es": frozenset(
        """a al algo algunas algunos ante antes como con contra cual cuales cuando de del desde
        donde dos el ella ellas ellos en entre era eran es esa esas ese eso esos esta estaba estan
        estas este esto estos fue fueron ha han hasta hay la las le les lo los mas me mi mientras
        muy nada ni no nos o os otra otras otro otros para pero poco por porque que quien quienes
        se sea segun ser si sin sobre son su sus tambien tan tanto te tiene tienen todo todos tu
        un una uno unos y ya cuanto cuanta cuantos cuantas cual qué que como donde
        por pasa""".split()
    ),
    "en": frozenset(
        """a about above after again against all am an and any are as at be because been before
        being below between both but by can could did do does doing down during each few for from
        further had has have having he her here hers him his how i if in into is it its itself
        just me more most my no nor not now of off on once only or other our out over own same
        she should so some such than that the their them then there these they this those through
        to too under until up very was we were what when where which while who whom why will with
        would you your vs versus""".split()
    ),
}
_ALL_STOPWORDS = STOPWORDS["es"] | STOPWORDS["en"]
_LANG_HINTS = {
    "es": frozenset(
        "el la los las de del que y en un una por con para se su al es lo como más".split()
    ),
    "en": frozenset("the of and to in a is that for on with as by it at from are was this".split()),
}


_ACCENTS = str.maketrans("áàâäãåéèêëíìîïóòôöõúùûüñçýÿ", "aaaaaaeeeeiiiiooooouuuuncyy")


_HYPHENS = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2212"})


def fold(text: str) -> str:
    """Lowercase and strip diacritics (``Tecnológicas`` -> ``tecnologicas``); ñ becomes n.

    A translate table covers Spanish and most Latin text (hot path at ingest and
    query time); NFKD decomposition handles whatever remains.
    """
    text = text.casefold().translate(_HYPHENS)
    if text.isascii():
        return text
    text = text.translate(_ACCENTS)
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def clean_whitespace(text: str) -> str:
    """Normalize exotic spaces (NBSP, thin spaces) and collapse runs within lines."""
    text = text.replace("\u00a0", " ").replace("\u200b", "").replace("\r\n", "\n")
    text = re.sub(r"[ \t\u2000-\u200a\u202f\u205f\u3000]+", " ", text)
    return "\n".join(line.strip() for line in text.split("\n")).strip()


def content_hash(title: str, body: str) -> str:
    """Hash of the normalized text: the same story text is one article whatever its URL."""
    normalized = " ".join(_TOKEN.findall(fold(f"{body}")))
    if len(normalized) < 40:  # very short bodies: let the title disambiguate
        normalized = " ".join(_TOKEN.findall(fold(f"{title} {body}")))
    return hashlib.sha256(normalized.encode()).hexdigest()


def detect_lang(text: str) -> str:
    """``es`` or ``en`` by stopword counts; good enough for news prose, cheap at ingest."""
    words = [w.lower() for w in _TOKEN.findall(text[:4000])]
    es = sum(w in _LANG_HINTS["es"] for w in words)
    en = sum(w in _LANG_HINTS["en"] for w in words)
    if re.search(r"[ñ¿¡áéíóú]", text[:4000].lower()):
        es += 2
    return "es" if es > en else "en"


_ABBREVIATIONS = re.compile(
    r"(?:\b(?:EE\.UU|U\.S|Sr|Sra|Dr|Dra|Mr|Mrs|Ms|Inc|Corp|Ltd|etc|vs|No|Nº|p\.ej|e\.g|i\.e))\.$",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'»”)]*\s+(?=[\"'«“¿¡(]?[A-ZÁÉÍÓÚÑ0-9])")


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences without breaking "EE.UU." or "15,8 %"."""
    sentences: list[str] = []
    for paragraph in re.split(r"\n\s*\n|\n", text):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        start = 0
        for match in _SENTENCE_END.finditer(paragraph):
            candidate = paragraph[start : match.start()].strip()
            if _ABBREVIATIONS.search(candidate):
                continue
            if candidate:
                sentences.append(candidate)
            start = match.end()
        tail = paragraph[start:].strip()
        if tail:
            sentences.append(tail)
    return sentences


def split_passages(text: str, max_chars: int = 600) -> list[str]:
    """Group consecutive sentences into passages of at most ``max_chars`` (a few sentences)."""
    passages: list[str] = []
    current: list[str] = []
    size = 0
    for sentence in split_sentences(text):
        if current and size + len(sentence) + 1 > max_chars:
            passages.append(" ".join(current))
            current, size = [], 0
        current.append(sentence)
        size += len(sentence) + 1
    if current:
        passages.append(" ".join(current))
    return passages


@lru_cache(maxsize=4)
def _stemmer(lang: str) -> Stemmer.Stemmer:
    return Stemmer.Stemmer("spanish" if lang == "es" else "english")


def tokens(text: str) -> list[str]:
    """Lowercased word tokens (accents kept: the Spanish stemmer needs them)."""
    return [t.lower() for t in _TOKEN.findall(text) if not t.isdigit() or len(t) < 9]


def stem_tokens(words: list[str], lang: str) -> list[str]:
    """Stem with the language's Snowball stemmer, then fold accents."""
    return [fold(s) for s in _stemmer(lang).stemWords(words)]


def index_terms(text: str, lang: str) -> str:
    """The space-joined stemmed terms stored in the full-text index for ``text``."""
    words = [w for w in tokens(text) if fold(w) not in _ALL_STOPWORDS]
    return " ".join(stem_tokens(words, "es" if lang == "es" else "en"))


def query_terms(text: str) -> list[str]:
    """Stems of a query under *both* stemmers: the query's language is unreliable when short."""
    words = [w for w in tokens(text) if fold(w) not in _ALL_STOPWORDS]
    seen: dict[str, None] = {}
    for lang in ("es", "en"):
        for stem in stem_tokens(words, lang):
            if stem:
                seen.setdefault(stem, None)
    return list(seen)


def is_stopword(word: str) -> bool:
    return fold(word) in _ALL_STOPWORDS


def phrase_stems(phrase: str, lang: str) -> tuple[str, ...]:
    """A multi-word phrase as the index holds it: stopwords dropped, then stemmed."""
    return tuple(stem_tokens([w for w in tokens(phrase) if not is_stopword(w)], lang))
