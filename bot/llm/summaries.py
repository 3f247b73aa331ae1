"""Digest stories in the channel's language: a one-line summary per story and, when the
article is in the other language, its headline translated. Phrased by the model, checked
like answers (numbers in the evidence, length, format, language), cached per (story,
language, model) in ``llm_cache`` so a fan-out to 10k channels costs one call per distinct
story and language. Whatever fails keeps the extractive lede and the original headline.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.digest import Digest, DigestStory
from bot.i18n import format_date
from bot.llm import prompt
from bot.llm.ask import record_fallback
from bot.llm.client import LLM, ModelError
from bot.llm.grounding import CITATION, Evidence, check
from bot.metrics import Metrics
from bot.models import Article, LLMCache, Passage
from bot.text import clean_text

SUMMARY_CHARS = 300
HEADLINE_CHARS = 200
MAX_TOKENS = 120
EVIDENCE_PASSAGES = 2


@dataclass
class Summarizer:
    """Rewrites a built digest's stories in place. One per run: once the model is down
    (timeout, error status, unreachable) it is not asked again in that run."""

    engine: Engine
    llm: LLM
    metrics: Metrics | None = None
    calls: int = 0
    _down: str | None = field(default=None, repr=False)

    def apply(self, digest: Digest) -> Digest:
        for story in digest.stories:
            self._story(story, digest.lang)
        return digest

    def _story(self, story: DigestStory, lang: str) -> None:
        if story.lead_id is None:
            return
        with Session(self.engine) as session:
            article = session.get(Article, story.lead_id)
            if article is None:
                return
            bodies = (
                session.execute(
                    select(Passage.text)
                    .where(Passage.article_id == article.id)
                    .order_by(col(Passage.ord))
                    .limit(EVIDENCE_PASSAGES)
                )
                .scalars()
                .all()
            )
        when = format_date(article.published_at or article.first_seen_at, "en")
        header = f"{article.title} ({article.source_name}, {when})"
        evidence = [prompt.passage(1, header, "\n".join(bodies) or article.body[:1200])]
        summary = self._text("summary", article, lang, evidence)
        if summary:
            story.summary, story.mode = summary, "generated"
        if article.lang != lang:
            headline = self._text("headline", article, lang, evidence)
            story.headline = headline or story.headline

    def _text(self, kind: str, article: Article, lang: str, evidence: list[Evidence]) -> str:
        """The cached checked text of ``kind``, else one model call (and its row); "" when
        the model's reply was refused or the model is down."""
        assert article.id is not None
        key = hashlib.sha256(f"{kind}\0{article.id}\0{lang}\0{self.llm.model}".encode()).hexdigest()
        with Session(self.engine) as session:
            cached = session.get(LLMCache, key)
        if cached is not None:
            return cached.text
        if self._down is not None:
            record_fallback(self.metrics, kind, self._down)
            return ""
        system = prompt.SUMMARY_SYSTEM if kind == "summary" else prompt.HEADLINE_SYSTEM
        request = f"Story: {article.title}" if kind == "summary" else "Headline to translate:"
        limit = SUMMARY_CHARS if kind == "summary" else HEADLINE_CHARS
        self.calls += 1
        try:
            reply = self.llm.complete(
                prompt.messages(system, lang, request, evidence), max_tokens=MAX_TOKENS
            )
        except ModelError as exc:  # not cached: the next run asks again
            self._down = exc.reason
            record_fallback(self.metrics, kind, exc.reason, str(exc))
            return ""
        text = clean_text(reply).strip().strip('"«»“”')
        verdict = check(text, evidence, lang=lang, max_chars=limit, cite=False, one_line=True)
        if verdict.ok:
            text = " ".join(CITATION.sub(" ", text).split())
            if self.metrics is not None:
                self.metrics.llm_generated.labels(kind).inc()
        else:
            record_fallback(self.metrics, kind, verdict.reason or "rejected", verdict.detail)
            text = ""
        row = LLMCache(
            key=key,
            kind=kind,
            article_id=article.id,
            lang=lang,
            model=self.llm.model,
            text=text,
            reason=verdict.reason,
        )
        with Session(self.engine) as session:
            session.add(row)
            try:
                session.commit()
            except IntegrityError:  # another replica stored it first: same story, same text
                session.rollback()
        return text


def summarize(
    engine: Engine, llm: LLM | None, digest: Digest, metrics: Metrics | None = None
) -> Digest:
    """``digest`` with model summaries where a model is configured; as built otherwise."""
    if llm is not None and digest.stories:
        Summarizer(engine, llm, metrics).apply(digest)
    return digest
