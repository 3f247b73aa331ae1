"""What generated text must pass before anyone sees it. Checked in code, never asked of the
model: a reply that fails any check is replaced by the extractive text, and ``reason`` is
what logs and ``/metrics`` count.

- every ``[n]`` names a passage the model was given (``unknown_citation``);
- at least one ``[n]`` when citations are required (``no_citation``);
- every number appears, with the same value in any locale's writing, in a cited passage
  (``ungrounded_number``): "700 millones" in the evidence grounds "700 million";
- bounded length, one line where one line was asked (``too_long``, ``empty``);
- no links, mentions or markup an article could have asked for (``format``);
- the reply's language (``wrong_language``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from bot.figures import written_numbers
from bot.text import detect_lang

CITATION = re.compile(r"\[(\d{1,3})\]")
#: Links, Slack/Discord mentions and control sequences, code fences: none of these is ever
#: part of a plain-text answer, so their presence means the text follows someone else's format.
_FORMAT = re.compile(
    r"https?://|www\.|<[@#!][^>]*>|@(?:everyone|here|channel)\b|```|<script|\]\(",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Evidence:
    """Passage ``n`` exactly as the model was given it (its header included)."""

    n: int
    text: str
    values: tuple[frozenset[float], ...] = field(default=(), compare=False)

    @classmethod
    def of(cls, n: int, text: str) -> Evidence:
        return cls(n, text, tuple(v for _raw, v in written_numbers(text)))


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool
    reason: str | None = None
    cited: tuple[int, ...] = ()
    detail: str = ""


def check(
    text: str,
    evidence: Sequence[Evidence],
    *,
    lang: str | None,
    max_chars: int,
    cite: bool = True,
    one_line: bool = False,
) -> Verdict:
    """Whether ``text`` may be shown, given the passages the model saw (``lang`` None: any
    language)."""
    body = text.strip()
    if not body:
        return Verdict(False, "empty")
    if len(body) > max_chars or (one_line and "\n" in body):
        return Verdict(False, "too_long", detail=f"{len(body)} characters")
    bad_format = _FORMAT.search(body)
    if bad_format:
        return Verdict(False, "format", detail=bad_format.group(0))
    given = {e.n: e for e in evidence}
    cited = tuple(dict.fromkeys(int(n) for n in CITATION.findall(body)))
    unknown = [n for n in cited if n not in given]
    if unknown:
        return Verdict(False, "unknown_citation", cited, f"[{unknown[0]}]")
    if cite and not cited:
        return Verdict(False, "no_citation")
    sources = [given[n] for n in cited] if cite else list(evidence)
    missing = ungrounded(CITATION.sub(" ", body), sources)
    if missing:
        return Verdict(False, "ungrounded_number", cited, missing)
    if lang is not None and detect_lang(CITATION.sub(" ", body)) != lang:
        return Verdict(False, "wrong_language", cited)
    return Verdict(True, None, cited)


def ungrounded(text: str, sources: Iterable[Evidence]) -> str:
    """The first number of ``text`` that no source holds (with any reading of both), or ""."""
    known = [value for source in sources for values in source.values for value in values]
    for raw, values in written_numbers(text):
        if not any(math.isclose(v, k, rel_tol=1e-9) for v in values for k in known):
            return raw
    return ""


_SENTENCE_END = re.compile(r"[.!?…](?:\s*\[\d{1,3}\])*(?=\s)")


def sentence_ends(text: str) -> list[int]:
    """Where the whole sentences of ``text`` end (after their citations), so far."""
    return [m.end() for m in _SENTENCE_END.finditer(text)]


def verified_prefix(text: str, evidence: Sequence[Evidence], *, max_chars: int) -> str:
    """The longest run of whole sentences of a reply still being streamed that already
    passes every check but the language's (a sentence or two is too short to judge):
    what may be shown while the rest arrives. "" when nothing may be shown yet."""
    for end in reversed(sentence_ends(text)):
        prefix = text[:end].strip()
        if check(prefix, evidence, lang=None, max_chars=max_chars).ok:
            return prefix
    return ""
