"""Language-aware text helpers shared by ingestion, indexing and answers.

Full-text search indexes *pre-stemmed, accent-folded* terms (``bot.index.fulltext``),
so Spanish/English queries meet documents on common stems ("descargas" -> "descarg").
"""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
from functools import lru_cache
from typing import Any

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


#: What no stored text may hold: NUL (Postgres refuses it), lone surrogates (not encodable as
#: UTF-8: the driver, the tokenizer and JSON APIs fail on them), and other C0/C1 controls.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_DROPPED = re.compile("[\x00\ud800-\udfff]")
_LINE_BREAKS = dict.fromkeys("\r\x0b\x0c\x1c\x1d\x1e\x85\u2028", "\n") | {"\u2029": "\n\n"}


def _safe_char(match: re.Match[str]) -> str:
    char = match.group(0)
    if char == "\x00" or "\ud800" <= char <= "\udfff":
        return ""
    return _LINE_BREAKS.get(char, " ")


def scrub(text: str) -> tuple[str, int]:
    """``text`` safe to store and encode, and how many characters were dropped.

    NUL and lone surrogates are dropped; CR, CRLF, vertical tab, form feed and the
    Unicode line/paragraph separators become line breaks; other control characters
    (C0, DEL, C1) become spaces. Tabs and newlines stay. Text that needs none of this
    is returned as is (one regex search).
    """
    if _UNSAFE.search(text) is None:
        return text, 0
    dropped = len(_DROPPED.findall(text))
    return _UNSAFE.sub(_safe_char, text.replace("\r\n", "\n")), dropped


def clean_text(text: str) -> str:
    """Text from outside (files, feeds, pages, commands) made safe once, at the boundary:
    see :func:`scrub`."""
    return scrub(text)[0]


def content_hash(title: str, body: str) -> str:
    """Hash of the normalized text: the same story text is one article whatever its URL."""
    normalized = " ".join(_TOKEN.findall(fold(f"{body}")))
    if len(normalized) < 40:  # very short bodies: let the title disambiguate
        normalized = " ".join(_TOKEN.findall(fold(f"{title} {body}")))
    return hashlib.sha256(normalized.encode()).hexdigest()


# --- Language identification (es/en) ---------------------------------------------------
#
# Short messages ("precio Nvidia H20", "modelos abiertos chinos") are mostly names and content
# words, where stopword counts fail. ``detect_lang`` first drops the tokens that carry no
# language (names, model numbers, acronyms), then lets unambiguous function words, accents and
# "¿"/"¡" decide; only when they tie does it ask lingua (n-gram models built for short text,
# restricted to Spanish and English). Long article text goes through the same steps on its
# first ``_LANG_SCAN_CHARS`` characters, where function words nearly always decide.

_LANG_SCAN_CHARS = 1000
_LANG_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
_LANG_CHUNK = re.compile(r"\S+")
_SENTENCE_STOPS = (".", "!", "?", "…", ":", ";")
# Function words that are not also common words of the other language ("a", "no", "me",
# "con", "sin", "son", "era", "he", "yo", "vs" and "top" are left out on purpose).
_LANG_FUNCTION_WORDS: dict[str, frozenset[str]] = {
    "es": frozenset(
        """de del el en la los las lo un una unos unas y o que qué quien quién quienes cual cuál
        cuales cuáles como cómo cuando cuándo donde dónde cuanto cuánto cuanta cuánta cuantos
        cuántos cuantas cuántas por para porque con sobre entre desde hasta hacia segun según se
        su sus al es está esta están estan este esto estos estas ese eso esos esas hay fue fueron
        ser ha han muy más mas también tambien ya pero ni nos les hoy ayer algo nada todo todos
        todas otra otro otras otros""".split()
    ),
    "en": frozenset(
        """the of and to in is are was were be been being that this these those for on with by at
        from what who whom whose how when where why which about into onto it its do does did
        done can could will would should has have had having my your our their his her they
        them we you an not any some there than then just also only over after before up out off
        i""".split()
    ),
}
# Acronyms that do carry a language (IA = inteligencia artificial); other all-caps tokens
# (API, GPU, NYT) are names.
_LANG_ACRONYMS = {"IA": "es", "UE": "es", "AI": "en"}
# AI-industry names users type in lowercase ("que paso con openai"); capitalised names are
# dropped by their shape.
_LANG_NEUTRAL_NAMES = frozenset(
    """openai nvidia qwen deepseek google meta apple microsoft anthropic mistral gemini claude
    llama grok xai huawei alibaba baidu tesla amazon perplexity cursor windsurf chatgpt gpt
    copilot samsung intel amd tsmc ibm siri altman musk bytedance tiktok tencent kimi oracle
    broadcom qualcomm twitter youtube github huggingface midjourney sora""".split()
)
_SPANISH_LETTERS = frozenset("áéíóúñü")


@lru_cache(maxsize=1)
def _gazetteer_names() -> frozenset[str]:
    """The one-word names of the packaged gazetteer, folded ("ollama", "cohere"): typed in
    lower case they still carry no language ("ollama news" is English, though lingua hears
    Spanish in "ollama"). Aliases written in lower case there ("onu", "eeuu") are words of a
    language and stay out."""
    import tomllib

    from bot.defaults import packaged_config_dir

    try:
        text = (packaged_config_dir() / "entities.toml").read_text(encoding="utf-8")
    except (OSError, FileNotFoundError):
        return frozenset()
    names = set()
    for row in tomllib.loads(text).get("entity", []):
        for alias in (row["name"], *row.get("aliases", [])):
            if alias.isalpha() and alias[:1].isupper():
                names.add(fold(alias))
    return frozenset(names)


def _language_words(text: str) -> tuple[list[str], int, int]:
    """The words of ``text`` that carry a language, and the votes of the language acronyms.

    Dropped: tokens with digits (H20, GPT-4o), inner capitals (OpenAI, TPUs), all-caps
    acronyms (API, NYT), capitalised words not at a sentence start (Sam Altman, Nvidia) and
    known lowercase names (openai). A capitalised first word ("Chinese open models") stays, and
    so do the capitalised words of a Title Case line.
    """
    words: list[str] = []
    es = en = 0
    for line in text.splitlines():
        chunks = _LANG_CHUNK.findall(line)
        # A Title Case headline ("Asia Worries Send Stocks Sliding"): capitals are style there.
        capitals = sum(c.lstrip("\"'([¿¡«“‘")[:1].isupper() for c in chunks)
        title_case = len(chunks) >= 4 and capitals >= 0.75 * len(chunks)
        at_start = True
        for chunk in chunks:
            first, at_start = at_start or title_case, chunk.endswith(_SENTENCE_STOPS)
            if any(c.isdigit() for c in chunk):
                continue
            for word in _LANG_WORD.findall(chunk):
                if len(word) > 1 and word.isupper():
                    vote = _LANG_ACRONYMS.get(word)
                    es, en = es + (vote == "es"), en + (vote == "en")
                elif word == "I" or not (
                    any(c.isupper() for c in word[1:])
                    or (word[0].isupper() and not first)
                    or fold(word) in _LANG_NEUTRAL_NAMES
                    or fold(word) in _gazetteer_names()
                ):
                    words.append(word)
                first = False
    return words, es, en


def _function_word_votes(words: list[str]) -> tuple[int, int]:
    es = en = 0
    for word in words:
        low = word.casefold()
        if low in _LANG_FUNCTION_WORDS["es"] or not _SPANISH_LETTERS.isdisjoint(low):
            es += 1
        elif low in _LANG_FUNCTION_WORDS["en"] or "'" in low or "’" in low:
            en += 1  # function word, or an English contraction (what's, don't)
    return es, en


_lingua_lock = threading.Lock()


@lru_cache(maxsize=1)
def _lingua_detector() -> Any:
    """lingua with only Spanish and English models (~65 MB), built on first use (~0.2 s)."""
    from lingua import Language, LanguageDetectorBuilder

    builder = LanguageDetectorBuilder.from_languages(Language.SPANISH, Language.ENGLISH)
    return builder.with_preloaded_language_models().build()


def _model_lang(words: str) -> str | None:
    """lingua's choice between Spanish and English for ``words``; ``None`` if it has none."""
    with _lingua_lock:  # build once even when two threads ask first
        detector = _lingua_detector()
    language = detector.detect_language_of(words)
    if language is None:
        return None
    return "es" if language.name == "SPANISH" else "en"


def detect_lang(text: str) -> str:
    """``es`` or ``en`` for a user message or an article (only its first 1000 characters).

    Names, model numbers and acronyms carry no language ("precio Nvidia H20" is Spanish,
    "search descargas de Qwen" too). Function words, accents and "¿"/"¡" decide; on a tie the
    lingua model decides on the remaining words; with no word left the answer is ``en``.
    """
    head = text[:_LANG_SCAN_CHARS]
    if head.isupper():  # "QUE PASA CON OPENAI": shouting, not acronyms
        head = head.lower()
    words, es, en = _language_words(head)
    es_words, en_words = _function_word_votes(words)
    es += es_words + ("¿" in head) + ("¡" in head)
    en += en_words
    if es != en:
        return "es" if es > en else "en"
    if words:
        return _model_lang(" ".join(words)) or "en"
    return "en"


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


#: Where words run together with no space: "Societal ImpactsClaude’s values", "Jul 13,
#: 2026Frontier Red Team" (a scraped feed glues a page's date, category and title). A
#: capital after two lower-case letters and before two more, or a capital word after a year;
#: "DeepMind" splits too, harmlessly, while "OpenAI", "iPhone" and "KiYoung" do not.
_GLUE = re.compile(
    r"(?<=[a-záéíóúñ]{2})(?=[A-ZÁÉÍÓÚÑ][a-záéíóúñ]{2})|(?<=\d{4})(?=[A-ZÁÉÍÓÚÑ][a-záéíóúñ])"
)


def glued_words(text: str) -> list[str]:
    """The words inside tokens that run several together (lowercased), for matching text
    against a question: "ImpactsClaude" also says "impacts" and "claude"."""
    if not _GLUE.search(text):
        return []  # most text: one scan, no token loop
    return [
        part.lower()
        for token in _TOKEN.findall(text)
        if _GLUE.search(token)
        for part in _GLUE.split(token)
        if part
    ]


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
