"""What is rising: entities whose article mentions grew most, last N days vs the N before.

One query reads every entity mention of both periods; the ranking (``Trend.rising``) and the
chart's mentions over time (``Trend.mentions``, drawn by ``bot.charts``) both come from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.models import Article, ArticleEntity, Entity
from bot.utc import aware

if TYPE_CHECKING:
    from bot.core import Core

#: How many rising entities are ranked.
TOP = 10


@dataclass(frozen=True)
class Trend:
    days: int
    now: datetime
    #: ``(entity, mentions in the last `days`, mentions in the `days` before)``, most risen
    #: first; only entities mentioned more than before.
    rising: list[tuple[str, int, int]] = field(default_factory=list)
    #: When each rising entity was mentioned (article date), over both periods.
    mentions: dict[str, list[datetime]] = field(default_factory=dict)

    @property
    def start(self) -> datetime:
        return self.now - timedelta(days=2 * self.days)

    @property
    def middle(self) -> datetime:
        """Where the previous period ends and the last ``days`` begin."""
        return self.now - timedelta(days=self.days)


def trends(core: Core, days: int, now: datetime) -> Trend:
    """Entities whose article mentions rose most: last ``days`` vs the ``days`` before."""
    trend = Trend(days, now)
    when = func.coalesce(Article.published_at, Article.first_seen_at)
    with Session(core.engine) as session:
        rows = session.execute(
            select(Entity.name, when)
            .join(ArticleEntity, col(ArticleEntity.entity_id) == col(Entity.id))
            .join(Article, col(Article.id) == col(ArticleEntity.article_id))
            .where(when > trend.start, when <= now)
        ).all()
    recent: dict[str, int] = {}
    before: dict[str, int] = {}
    seen: dict[str, list[datetime]] = {}
    for name, at in rows:
        at = aware(at)
        bucket = recent if at > trend.middle else before
        bucket[name] = bucket.get(name, 0) + 1
        seen.setdefault(name, []).append(at)
    ranked = sorted(recent, key=lambda n: (recent[n] - before.get(n, 0), recent[n]), reverse=True)
    rising = [(n, recent[n], before.get(n, 0)) for n in ranked if recent[n] > before.get(n, 0)]
    trend.rising.extend(rising[:TOP])
    trend.mentions.update({n: sorted(seen[n]) for n, _, _ in trend.rising})
    return trend
