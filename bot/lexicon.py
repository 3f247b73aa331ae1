"""Bilingual ES<->EN words: the hand-written lexicon and the induced word translations.

``config/lexicon_es_en.tsv`` links the trade's terms (and their inflections) across the two
languages; search expands a query with it, so a Spanish article is found by an English
question through full text as well as through the multilingual vectors.

``config/lexicon_induced_es_en.tsv`` (made by ``scripts/induce_lexicon.py`` from the bundled
model) pairs everyday words ("oficina" / "office"). It is too loose for search expansion, so
only answers use it, to judge whether a sentence in one language covers a question asked in
the other (``Lexicon.translations``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot.text import fold, stem_tokens

#: Words of one language that are common words of the other (the lexicon file's header):
#: as a variant, each would match the other language's text; as the stem another word
#: takes under the other language's stemmer ("fines" -> "fin"), each matches "a fin de".
FALSE_FRIENDS = frozenset(
    (
        "red once sin son era van sea ten fin dice come pie mayor actual sale media meta usa "
        "importa resume may fondo peso miles fiscal familiar can lee vista victoria buenos "
        "rio rico rica gen"
    ).split()
)


def _is_case_sensitive(variant: str) -> bool:
    letters = [c for c in variant if c.isalpha()]
    return bool(letters) and variant.upper() == variant and len(letters) <= 4


_Trie = dict[str, "_Trie"]


def trie_pattern(phrases: Iterable[str]) -> str:
    """One regex alternation of ``phrases`` shaped as a character trie.

    Python's ``re`` tries a flat alternation's branches one by one at every
    position of the text; a trie shares prefixes, so a position that starts no
    phrase is rejected after one character. Greedy optional children come before
    the end of a phrase, so the longest phrase wins, as a longest-first flat
    alternation would (measured: ~10x faster on the 1,300-phrase lexicon).
    """
    trie: _Trie = {}
    for phrase in phrases:
        node = trie
        for char in phrase:
            node = node.setdefault(char, {})
        node[""] = {}

    def render(node: _Trie) -> str:
        ends = "" in node
        branches = [re.escape(c) + render(child) for c, child in sorted(node.items()) if c]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if ends:
            return (body if len(branches) > 1 else "(?:" + body + ")") + "?"
        return body

    return render(trie)


@dataclass
class PhraseMatcher:
    """Finds known phrases in text (accent- and case-folded, except short acronyms)."""

    groups: dict[str, list[str]] = field(default_factory=dict)  # key -> phrases it stands for
    _folded: re.Pattern[str] | None = None
    _exact: re.Pattern[str] | None = None
    _keys: dict[str, str] = field(default_factory=dict)

    def add(self, phrase: str, key: str) -> None:
        phrase = phrase.strip()
        if not phrase:
            return
        lookup = phrase if _is_case_sensitive(phrase) else fold(phrase)
        self._keys.setdefault(lookup, key)

    def compile(self) -> None:
        folded = sorted((k for k in self._keys if not _is_case_sensitive(k)), key=len, reverse=True)
        exact = sorted((k for k in self._keys if _is_case_sensitive(k)), key=len, reverse=True)
        if folded:
            self._folded = re.compile(r"(?<!\w)(" + trie_pattern(folded) + r")(?!\w)")
        if exact:
            self._exact = re.compile(r"(?<!\w)(" + trie_pattern(exact) + r")(?!\w)")

    def positions(self, text: str) -> list[tuple[str, int, int]]:
        """``(key, start, end)`` of every occurrence (folding keeps offsets for Latin text)."""
        out: list[tuple[str, int, int]] = []
        if self._folded is not None:
            folded = fold(text)
            if len(folded) == len(text):
                out += [
                    (self._keys[m.group(1)], m.start(), m.end())
                    for m in self._folded.finditer(folded)
                ]
        if self._exact is not None:
            out += [
                (self._keys[m.group(1)], m.start(), m.end()) for m in self._exact.finditer(text)
            ]
        return out

    def find(self, text: str) -> list[str]:
        """Keys of every phrase occurrence, in order, overlapping matches resolved longest-first."""
        found: list[str] = []
        if self._folded is not None:
            found += [self._keys[m.group(1)] for m in self._folded.finditer(fold(text))]
        if self._exact is not None:
            found += [self._keys[m.group(1)] for m in self._exact.finditer(text)]
        return found


def _read(path: Path | None) -> str:
    return path.read_text(encoding="utf-8") if path is not None and path.is_file() else ""


def _entries(text: str) -> list[tuple[list[str], list[str]]]:
    entries = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#") or "\t" not in line:
            continue
        es, en = line.split("\t", 1)
        spanish = [v.strip() for v in es.split("|") if v.strip()]
        english = [v.strip() for v in en.split("|") if v.strip()]
        if spanish and english:
            entries.append((spanish, english))
    return entries


def _pairs(text: str) -> list[tuple[str, str]]:
    pairs = []
    for line in text.splitlines():
        fields = line.split("\t")
        if len(fields) >= 2 and not line.startswith("#"):
            pairs.append((fields[0].strip(), fields[1].strip()))
    return pairs


def _plural(phrase: str, *, first: bool) -> str:
    """A phrase of several words with its head noun in the plural (Spanish puts it first:
    "centro de datos"; English last: "data center"); "" for one word or an acronym."""
    words = phrase.split()
    at = 0 if first else len(words) - 1
    word = words[at] if len(words) > 1 else ""
    if len(word) < 3 or not word.isalpha() or not word.islower() or word.endswith("s"):
        return ""
    if first:
        plural = word + ("s" if word[-1] in "aeiouáéó" else "es")
    elif word.endswith("y") and word[-2] not in "aeiou":
        plural = word[:-1] + "ies"
    else:
        plural = word + ("es" if word.endswith(("x", "ch", "sh")) else "s")
    words[at] = plural
    return " ".join(words)


@functools.lru_cache(maxsize=4)
def _compiled(text: str, induced: str) -> Lexicon:
    return Lexicon(_entries(text), _pairs(induced))


class Lexicon:
    """Entries of Spanish variants <-> English variants."""

    def __init__(
        self,
        entries: Iterable[tuple[list[str], list[str]]],
        induced: Iterable[tuple[str, str]] = (),
    ) -> None:
        self.entries = list(entries)
        self._translations: dict[str, set[str]] = {}
        for es_word, en_word in induced:
            es, en = set(stem_tokens([es_word], "es")), set(stem_tokens([en_word], "en"))
            for stem in es:
                self._translations.setdefault(stem, set()).update(en)
            for stem in en:
                self._translations.setdefault(stem, set()).update(es)
        self._matcher = PhraseMatcher()
        for index, (spanish, english) in enumerate(self.entries):
            for variant in spanish + english:
                self._matcher.add(variant, str(index))
            # a phrase in the plural is the same term: "city councils", "centros de datos"
            for variant in spanish:
                self._matcher.add(_plural(variant, first=True), str(index))
            for variant in english:
                self._matcher.add(_plural(variant, first=False), str(index))
        self._matcher.compile()

    @staticmethod
    def load(path: Path, induced: Path | None = None) -> Lexicon:
        """The lexicon these files hold. Compiling its matcher takes about a second, so one
        process compiles the same text once and shares the result (a ``Lexicon`` is never
        changed after it is built): each ``Core.build`` in a test run, or a bench, reuses it."""
        return _compiled(_read(path), _read(induced))

    def translations(self, stems: Iterable[str]) -> set[str]:
        """Stems of the induced translations of ``stems`` (either language)."""
        out: set[str] = set()
        for stem in stems:
            out.update(self._translations.get(stem, ()))
        return out

    def __len__(self) -> int:
        return len(self.entries)

    def spans(self, text: str) -> list[tuple[list[str], int, int]]:
        """``(every variant of the entry, start, end)`` of each lexicon term in ``text``."""
        out = []
        for key, start, end in self._matcher.positions(text):
            spanish, english = self.entries[int(key)]
            out.append(([*spanish, *english], start, end))
        return out

    def entry_positions(self, text: str) -> list[tuple[str, int, int]]:
        """``(entry index, start, end)`` of each lexicon term in ``text``."""
        return self._matcher.positions(text)

    def entry_keys(self, text: str) -> set[str]:
        """The entries found in ``text``, each as its index (a topic, whatever the language)."""
        return set(self._matcher.find(text))

    def expand(self, query: str) -> list[str]:
        """Every variant (both languages) of every lexicon term found in ``query``."""
        out: dict[str, None] = {}
        for key in self._matcher.find(query):
            spanish, english = self.entries[int(key)]
            for variant in spanish + english:
                out.setdefault(variant, None)
        return list(out)
