"""Build a channel's digest. Pure: everything it needs is passed in, including ``now``.

What is new for a channel is what was *first seen* since its last delivered
digest (the first digest covers the last 24 hours), grouped by story and ranked
by how many sources carry it, recency, entity salience and topic match.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from bot.entities import Gazetteer
from bot.feedback import story_target
from bot.figures import display_subject
from bot.i18n import format_date, format_number, t
from bot.models import Article, ArticleEntity, Entity, Figure, Subscription
from bot.preferences import Preferences
from bot.reply import Card, Reply
from bot.stories import StorySources, story_sources
from bot.text import fold, split_sentences
from bot.topics import TopicMatcher, from_stored

MAX_STORIES = 5


@dataclass(slots=True)
class DigestStory:
    story_id: int | None
    headline: str
    summary: str
    sources: list[str]
    urls: list[str]
    figures: list[str]
    article_ids: list[int]
    score: float
    lead_id: int | None = None  # the article headline and summary come from
    mode: str = "extractive"  # "generated" when a model's checked summary replaced the lede
    by_lang: StorySources | None = None  # the story's sources by language ("2 EN, 1 ES")


@dataclass(slots=True)
class Digest:
    channel: str
    since: datetime
    now: datetime
    lang: str
    header: str
    stories: list[DigestStory] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "channel": self.channel,
            "since": self.since.isoformat(),
            "stories": [
                {
                    "headline": s.headline,
                    "summary": s.summary,
                    "sources": s.sources,
                    "urls": s.urls,
                    "figures": s.figures,
                    "mode": s.mode,
                    "sources_by_lang": s.by_lang.by_lang if s.by_lang else {},
                }
                for s in self.stories
            ],
        }


def _summary(body: str, limit: int = 320) -> str:
    sentences = split_sentences(body)
    summary = ""
    for sentence in sentences[:2]:
        if summary and len(summary) + len(sentence) > limit:
            break
        summary = f"{summary} {sentence}".strip()
    return summary if len(summary) <= limit else summary[: limit - 1].rsplit(" ", 1)[0] + "…"


def _matches_topics(article: Article, entity_names: set[str], topics: list[str]) -> bool:
    if not topics:
        return True
    names = {fold(n) for n in entity_names}
    # a source's own posts are about it ("Goodfire Research" on Goodfire)
    text = fold(f"{article.title} {article.body} {article.source_name}")
    return any(topic in names or f" {topic}" in f" {text}" for topic in topics)


def build_digest(
    session: Session,
    subscription: Subscription,
    now: datetime,
    *,
    since: datetime | None = None,
    max_stories: int = MAX_STORIES,
    names_es: Mapping[str, str] | None = None,
    gazetteer: Gazetteer | None = None,
    preferences: Preferences | None = None,
) -> Digest:
    """The stories first seen in ``(since, now]``; ``since`` defaults to ``now - 24 h``.

    ``names_es`` (``bot.figures.spanish_names``) names figure subjects in a Spanish digest;
    ``gazetteer`` lets a topic match by any alias of its entity (``bot.topics``);
    ``preferences`` (``bot.preferences``) are what the channel's 👍/👎 taught its ranking."""
    since = since or now - timedelta(hours=24)
    lang = subscription.lang or "en"
    local = now.astimezone(ZoneInfo(subscription.timezone))
    header = t("digest_header", lang, date=format_date(local, lang))
    digest = Digest(subscription.channel, since, now, lang, header)
    articles = (
        session.execute(
            select(Article).where(Article.first_seen_at > since, Article.first_seen_at <= now)
        )
        .scalars()
        .all()
    )
    if not articles:
        return digest
    ids = [a.id for a in articles]
    entity_rows = session.execute(
        select(ArticleEntity.article_id, Entity.name, Entity.from_gazetteer, ArticleEntity.count)
        .join(Entity, col(Entity.id) == col(ArticleEntity.entity_id))
        .where(col(ArticleEntity.article_id).in_(ids))
    ).all()
    entities: dict[int, set[str]] = defaultdict(set)
    salience: dict[int, float] = defaultdict(float)
    for aid, name, known, count in entity_rows:
        entities[aid].add(name)
        if known:
            salience[aid] += min(count, 5)
    topics = from_stored(subscription.topics)
    matcher = TopicMatcher(topics, gazetteer)
    by_story: dict[int | None, list[Article]] = defaultdict(list)
    for article in articles:
        if matcher.wants(article.title, article.body, entities[article.id or 0]):
            by_story[article.story_id or -(article.id or 0)].append(article)
    if not by_story:
        return digest
    story_ids = [sid for sid in by_story if sid and sid > 0]
    all_sources: dict[int, set[str]] = defaultdict(set)
    if story_ids:
        for sid, source, url in session.execute(
            select(Article.story_id, Article.source_name, Article.url).where(
                col(Article.story_id).in_(story_ids)
            )
        ):
            all_sources[sid].add(source or url or "")
    by_lang = story_sources(session, story_ids)
    figures = defaultdict(list)
    for fig in session.execute(select(Figure).where(col(Figure.article_id).in_(ids))).scalars():
        figures[fig.article_id].append(fig)

    stories: list[DigestStory] = []
    for sid, group in by_story.items():
        group.sort(key=lambda a: a.published_at or a.first_seen_at)
        lead = max(group, key=lambda a: (salience[a.id or 0], len(a.body)))
        sources = sorted(all_sources.get(sid or 0) or {a.source_name or a.url or "" for a in group})
        if len(sources) < max(1, subscription.min_sources):
            continue
        newest = max(a.first_seen_at for a in group)
        age_hours = max(0.0, (now - newest).total_seconds() / 3600)
        score = (
            len(sources)
            + 1.0 / (1.0 + age_hours / 12)
            + 0.1 * min(salience[lead.id or 0], 10)
            + (0.5 if topics.include else 0.0)
        )
        if preferences:  # none: the ranking is exactly the one without votes
            names = set().union(*(entities[a.id or 0] for a in group))
            score += preferences.adjustment([a.title for a in group], names, sources)
        figs = [
            format_number(f.value, f.unit, f.text, lang)
            + (f" ({display_subject(f.subject, lang, names_es or {})})" if f.subject else "")
            for f in figures.get(lead.id, [])[:3]
        ]
        stories.append(
            DigestStory(
                story_id=sid if sid and sid > 0 else None,
                headline=lead.title,
                summary=_summary(lead.body),
                sources=[s for s in sources if s],
                urls=[a.url for a in group if a.url],
                figures=list(dict.fromkeys(figs)),
                article_ids=[a.id for a in group if a.id is not None],
                score=round(score, 4),
                lead_id=lead.id,
                by_lang=by_lang.get(sid or 0),
            )
        )
    stories.sort(key=lambda s: s.score, reverse=True)
    digest.stories = stories[:max_stories]
    return digest


def digest_reply(digest: Digest) -> Reply:
    """A digest as a reply: one card per story, its key figures under the summary."""
    lang = digest.lang
    if not digest.stories:
        return Reply(text=digest.header + "\n" + t("digest_empty", lang), lang=lang)
    cards = []
    for story in digest.stories:
        snippet = story.summary
        if story.figures:
            snippet += "\n" + t("answer_figures", lang, figures=", ".join(story.figures))
        if story.by_lang:
            snippet += "\n" + story.by_lang.describe(lang)
        cards.append(
            Card(
                story.article_ids[0],
                story.headline,
                story.urls[0] if story.urls else None,
                ", ".join(story.sources[:3]),
                None,
                snippet,
                lang,
                story.story_id,
                max(0, len(story.sources) - 1),
                target=story_target(story.story_id, story.article_ids[0]),
            )
        )
    return Reply(text=digest.header, lang=lang, cards=cards)
