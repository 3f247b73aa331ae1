"""``ask`` with a model: the extractive answer's evidence, phrased by the model in the
asker's language, shown only if ``bot.llm.grounding`` passes it.

The extractive answer decides *whether* there is an answer and *which* articles hold it
(its declining rules stay in force); the model only phrases it. Its passages are numbered
as the extractive citations are, so ``[n]`` means the same card either way. On any failure
the reply is the extractive answer itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

from sqlmodel import Session, col, select

from bot.answers import Answer, Citation
from bot.core import Core
from bot.i18n import format_date
from bot.llm import prompt
from bot.llm.client import LLM, ModelError
from bot.llm.grounding import Evidence, check, sentence_ends, verified_prefix
from bot.metrics import Metrics
from bot.models import Passage
from bot.text import clean_text

log = logging.getLogger(__name__)

#: A chat answer: three short sentences with their citations fit well inside this.
MAX_ANSWER_CHARS = 900
MAX_TOKENS = 400
PASSAGES_PER_ARTICLE = 2


@dataclass(frozen=True, slots=True)
class Outcome:
    answer: Answer
    mode: str  # "generated" | "extractive"
    fallback_reason: str | None = None


def grounded_answer(
    core: Core,
    llm: LLM | None,
    extractive: Answer,
    *,
    metrics: Metrics | None = None,
    on_partial: Callable[[str], None] | None = None,
) -> Outcome:
    """The model's answer when it passes every check, else ``extractive``.

    ``on_partial`` sees the verified part of the answer while it streams (whole sentences
    that already pass the checks), so a chat message can grow in a few edits."""
    if llm is None:
        return Outcome(extractive, "extractive")
    if not extractive.found or not extractive.citations:
        return _fallback(extractive, "no_evidence", metrics)
    evidence = evidence_for(core, extractive.citations)
    request = f"Question: {extractive.question}"
    messages = prompt.messages(prompt.ANSWER_SYSTEM, extractive.lang, request, evidence)
    try:
        text = llm.complete(
            messages,
            max_tokens=MAX_TOKENS,
            on_text=_streamer(evidence, on_partial) if on_partial else None,
        )
    except ModelError as exc:
        return _fallback(extractive, exc.reason, metrics, str(exc))
    text = clean_text(text).strip()
    verdict = check(text, evidence, lang=extractive.lang, max_chars=MAX_ANSWER_CHARS)
    if not verdict.ok:
        return _fallback(extractive, verdict.reason or "rejected", metrics, verdict.detail)
    cited = [c for c in extractive.citations if c.n in verdict.cited]
    if metrics is not None:
        metrics.llm_generated.labels("answer").inc()
    generated = replace(
        extractive, text=text, citations=cited, figures=[], conflicts=[], direct=None
    )
    return Outcome(generated, "generated")


def evidence_for(core: Core, citations: list[Citation]) -> list[Evidence]:
    """One numbered passage per cited article: its title, source and date, then the stored
    passages that hold its cited sentences (at most two; the first one for a title)."""
    by_n: dict[int, list[Citation]] = {}
    for c in citations:
        by_n.setdefault(c.n, []).append(c)
    ids = [group[0].article_id for group in by_n.values()]
    texts: dict[int, list[str]] = {}
    with Session(core.engine) as session:
        for aid, text in session.execute(
            select(Passage.article_id, Passage.text)
            .where(col(Passage.article_id).in_(ids))
            .order_by(col(Passage.article_id), col(Passage.ord))
        ):
            texts.setdefault(aid, []).append(text)
    out = []
    for n, group in sorted(by_n.items()):
        first = group[0]
        passages = texts.get(first.article_id, [])
        heads = [c.sentence.split(" … ")[0][:60] for c in group]
        chosen = [p for p in passages if any(h in p for h in heads)][:PASSAGES_PER_ARTICLE]
        header = f"{first.title} ({first.source}, {format_date(first.published_at, 'en')})"
        out.append(prompt.passage(n, header, "\n".join(chosen or passages[:1])))
    return out


def _streamer(evidence: list[Evidence], on_partial: Callable[[str], None]) -> Callable[[str], None]:
    """Checks the text so far each time a sentence ends; passes on what grew and passes."""
    checked, shown = 0, ""

    def seen(text: str) -> None:
        nonlocal checked, shown
        ends = len(sentence_ends(text))
        if ends == checked:
            return
        checked = ends
        prefix = clean_text(verified_prefix(text, evidence, max_chars=MAX_ANSWER_CHARS))
        if prefix and prefix != shown:
            shown = prefix
            on_partial(prefix)

    return seen


def _fallback(
    extractive: Answer, reason: str, metrics: Metrics | None, detail: str = ""
) -> Outcome:
    record_fallback(metrics, "answer", reason, detail)
    return Outcome(extractive, "extractive", reason)


def record_fallback(metrics: Metrics | None, kind: str, reason: str, detail: str = "") -> None:
    """One log line and one ``ainews_llm_fallbacks{kind, fallback_reason}`` count."""
    log.info(
        "model %s not shown, fallback_reason=%s%s", kind, reason, f": {detail}" if detail else ""
    )
    if metrics is not None:
        metrics.llm_fallbacks.labels(kind, reason).inc()
