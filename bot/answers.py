"""Extractive answers: the best sentences of the best passages, cited and dated.

Nothing is generated: every sentence shown is quoted from an article, in the
article's language, framed in the asker's language. When no sentence covers
enough of the question (a threshold calibrated on answerable and unanswerable
questions, see tests/test_answers.py), the answer says nothing was found.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from sqlmodel import Session, col, select

from bot.core import Core
from bot.i18n import format_date, format_number, t
from bot.index.hybrid import validate_query
from bot.models import Article, Figure, Passage
from bot.text import (
    fold,
    is_stopword,
    phrase_stems,
    query_terms,
    split_sentences,
    stem_tokens,
    tokens,
)

MIN_COVERAGE = 0.5  # share of the question's content words a cited sentence must match
MAX_CITATIONS = 3
_QUANTITY = re.compile(
    r"\b(cu[aá]nt[oa]s?|how (many|much)|what (share|percentage|proportion|fraction)|"
    r"porcentaje|proporci[oó]n|cuota|share|percentage|qu[eé] parte)\b",
    re.IGNORECASE,
)


@dataclass(slots=True)
class Citation:
    n: int
    article_id: int
    title: str
    url: str | None
    source: str
    published_at: datetime | None
    sentence: str
    lang: str


@dataclass(slots=True)
class Answer:
    question: str
    found: bool
    text: str
    lang: str
    citations: list[Citation] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "question": self.question,
            "answer": self.text,
            "found": self.found,
            "citations": [
                {
                    "n": c.n,
                    "id": c.article_id,
                    "title": c.title,
                    "url": c.url,
                    "sentence": c.sentence,
                }
                for c in self.citations
            ],
        }


@dataclass(slots=True)
class _Concept:
    """One content word of the question with every stem that counts as matching it."""

    stems: set[str]
    phrases: list[tuple[str, ...]]
    is_name: bool = False  # a proper name: the cited article must mention it

    def matched(self, terms: set[str]) -> bool:
        return bool(self.stems & terms) or any(set(p) <= terms for p in self.phrases)


def _concepts(core: Core, question: str) -> list[_Concept]:
    concepts = []
    names = {fold(a) for n in core.gazetteer.find(question) for a in core.gazetteer.aliases(n)}
    original = re.findall(r"\w+", question)
    for position, (word, raw) in enumerate(zip(tokens(question), original, strict=False)):
        if is_stopword(word) or len(word) < 2:
            continue
        is_name = (position > 0 and raw[:1].isupper()) or fold(raw) in names
        stems = set(query_terms(word))
        phrases: list[tuple[str, ...]] = []
        for variant in core.searcher.expander.variants(word):
            words = [w for w in tokens(variant) if not is_stopword(w)]
            if len(words) == 1:
                stems.update(query_terms(variant))
            elif words:
                phrases += [phrase_stems(variant, lang) for lang in ("es", "en")]
        if stems or phrases:
            concepts.append(_Concept(stems, phrases, is_name))
    return concepts


def _sentence_terms(sentence: str) -> set[str]:
    words = tokens(sentence)
    return set(stem_tokens(words, "es")) | set(stem_tokens(words, "en"))


def answer(core: Core, question: str, lang: str, *, limit_articles: int = 5) -> Answer:
    """Answer ``question`` from the index, or say plainly that nothing answers it."""
    question = validate_query(question, core.settings.max_query_chars)
    hits = core.searcher.search(question, limit=limit_articles)
    concepts = _concepts(core, question)
    if not hits or not concepts:
        return _not_found(question, lang)
    ids = [h.article_id for h in hits]
    rank = {aid: i for i, aid in enumerate(ids)}
    with Session(core.engine) as session:
        articles = {
            a.id: a
            for a in session.execute(select(Article).where(col(Article.id).in_(ids))).scalars()
        }
        passages = session.execute(
            select(Passage.id, Passage.article_id, Passage.text).where(
                col(Passage.article_id).in_(ids)
            )
        ).all()
        figures = (
            session.execute(select(Figure).where(col(Figure.article_id).in_(ids))).scalars().all()
        )
    wants_quantity = bool(_QUANTITY.search(question))
    dense_ok = core.searcher.dense_languages
    qvec = None
    pvecs = {}
    if any(dense_ok is None or articles[a].lang in dense_ok for a in ids):
        qvec = core.embedder.query(question)
        pvecs = core.vectors.vectors_of([int(p.id) for p in passages])
    figure_sentences = {(f.article_id, f.sentence) for f in figures}

    article_terms: dict[int, set[str]] = {}
    for _pid, aid, text in passages:
        article_terms.setdefault(aid, set()).update(_sentence_terms(text))
    named = [c for c in concepts if c.is_name]
    eligible = {aid for aid, terms in article_terms.items() if all(c.matched(terms) for c in named)}

    scored: list[tuple[float, float, int, str]] = []
    for pid, aid, text in passages:
        if aid not in eligible:
            continue
        article = articles[aid]
        dense = 0.0
        if qvec is not None and pid in pvecs and (dense_ok is None or article.lang in dense_ok):
            dense = float(np.dot(pvecs[pid], qvec))
        for sentence in split_sentences(text):
            terms = _sentence_terms(sentence)
            coverage = sum(c.matched(terms) for c in concepts) / len(concepts)
            score = coverage + 0.3 * dense + 0.05 / (1 + rank[aid])
            if wants_quantity and (aid, sentence) in figure_sentences:
                score += 0.25
            scored.append((score, coverage, aid, sentence))
    scored.sort(key=lambda s: s[0], reverse=True)

    chosen: list[tuple[int, str]] = []
    per_article: dict[int, int] = {}
    for _score, coverage, aid, sentence in scored:
        if coverage < MIN_COVERAGE or len(chosen) >= MAX_CITATIONS:
            continue
        if per_article.get(aid, 0) >= 2 or (aid, sentence) in chosen:
            continue
        if per_article.get(aid) and len(per_article) < len(ids) and len(chosen) >= 1:
            # prefer a different article when another one also clears the bar
            others = [s for s in scored if s[2] not in per_article and s[1] >= MIN_COVERAGE]
            if others and others[0][0] >= _score:
                continue
        chosen.append((aid, sentence))
        per_article[aid] = per_article.get(aid, 0) + 1
    if not chosen:
        return _not_found(question, lang)
    return _compose(question, lang, chosen, articles, figures)


def _not_found(question: str, lang: str) -> Answer:
    return Answer(question, False, t("answer_not_found", lang, question=question), lang)


def _compose(
    question: str,
    lang: str,
    chosen: list[tuple[int, str]],
    articles: dict[int | None, Article],
    figures: Sequence[Figure],
) -> Answer:
    numbers: dict[int, int] = {}
    citations: list[Citation] = []
    lines: list[str] = []
    for aid, sentence in chosen:
        article = articles[aid]
        if aid not in numbers:
            numbers[aid] = len(numbers) + 1
        n = numbers[aid]
        when = article.published_at or article.first_seen_at
        citations.append(
            Citation(
                n,
                aid,
                article.title,
                article.url,
                article.source_name,
                when,
                sentence,
                article.lang,
            )
        )
        lines.append(t("answer_quote", lang, sentence=sentence, n=n, date=format_date(when, lang)))
    cited = {(c.article_id, c.sentence) for c in citations}
    shown = [f for f in figures if (f.article_id, f.sentence) in cited]
    figure_notes = [
        f"{format_number(f.value, f.unit, f.text, lang)}" + (f" ({f.subject})" if f.subject else "")
        for f in shown
    ]
    conflicts = _conflicts(shown, numbers, lang)
    header = t("answer_header", lang, count=len(numbers))
    text = "\n".join([header, *lines])
    if figure_notes:
        text += "\n" + t("answer_figures", lang, figures=", ".join(dict.fromkeys(figure_notes)))
    if conflicts:
        text += "\n" + "\n".join(conflicts)
    return Answer(
        question, True, text, lang, citations, list(dict.fromkeys(figure_notes)), conflicts
    )


def _conflicts(figures: Sequence[Figure], numbers: dict[int, int], lang: str) -> list[str]:
    """Same subject and unit, different values, different articles: say the sources differ."""
    out = []
    by_key: dict[tuple[str | None, str], list[Figure]] = {}
    for fig in figures:
        if fig.subject:
            by_key.setdefault((fig.subject, fig.unit), []).append(fig)
    for (subject, _unit), group in by_key.items():
        values: dict[int, Figure] = {}
        for fig in group:
            values.setdefault(fig.article_id, fig)
        if len(values) < 2:
            continue
        figs = list(values.values())
        low, high = min(f.value for f in figs), max(f.value for f in figs)
        if high and (high - low) / high > 0.01:
            detail = "; ".join(f"[{numbers[f.article_id]}] {f.text}" for f in figs)
            out.append(t("answer_conflict", lang, subject=subject, detail=detail))
    return out
