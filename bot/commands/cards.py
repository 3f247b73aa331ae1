"""Articles and search hits as ``Card``s: one per story, with how many sources covered it."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from bot.core import Core
from bot.index.hybrid import SearchHit
from bot.models import Article, Story
from bot.reply import Card


def card(hit: SearchHit | Article, *, snippet: str = "", also: int = 0) -> Card:
    if isinstance(hit, SearchHit):
        return Card(
            hit.article_id,
            hit.title,
            hit.url,
            hit.source,
            hit.published_at,
            hit.snippet,
            hit.lang,
            hit.story_id,
            also,
        )
    return Card(
        hit.id or 0,
        hit.title,
        hit.url,
        hit.source_name,
        hit.published_at or hit.first_seen_at,
        snippet,
        hit.lang,
        hit.story_id,
        also,
    )


def one_per_story(core: Core, hits: list[SearchHit], limit: int) -> list[Card]:
    seen: set[int] = set()
    cards: list[Card] = []
    for hit in hits:
        key = hit.story_id or -hit.article_id
        if key in seen:
            continue
        seen.add(key)
        cards.append(card(hit))
        if len(cards) >= limit:
            break
    annotate_sources(core, cards)
    return cards


def story_cards(core: Core, articles: Sequence[Article], n: int) -> list[Card]:
    cards: list[Card] = []
    seen: set[int] = set()
    for article in articles:
        key = article.story_id or -(article.id or 0)
        if key in seen:
            continue
        seen.add(key)
        cards.append(card(article, snippet=lede(article.body)))
        if len(cards) >= n:
            break
    annotate_sources(core, cards)
    return cards


def annotate_sources(core: Core, cards: list[Card]) -> None:
    story_ids = [c.story_id for c in cards if c.story_id]
    if not story_ids:
        return
    with Session(core.engine) as session:
        counts = dict(
            session.execute(
                select(Story.id, Story.source_count).where(col(Story.id).in_(story_ids))
            ).all()
        )
    for c in cards:
        if c.story_id:
            c.also_reported = max(0, int(counts.get(c.story_id, 1)) - 1)


def related(core: Core, articles: Sequence[Article], exclude: set[int]) -> list[Card]:
    """More like this: nearest articles to the story's first article, other stories only."""
    if not articles:
        return []
    hits = core.searcher.search(articles[0].title[:300], limit=8)
    return [card(h) for h in hits if (h.story_id or -1) not in exclude][:3]


def lede(body: str) -> str:
    first = body.split("\n\n", 1)[0]
    return first if len(first) <= 240 else first[:239].rsplit(" ", 1)[0] + "…"
