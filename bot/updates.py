"""Story updates: what a story a channel got in a digest gained since, told in that digest's thread.

A delivered digest records the stories it carried and the newest article of each then
(``DigestStory.upto``). A story's later articles may bring a new source, a figure the story
did not have, or a new value of one it had (the same quantity: "downloads", or a
percentage of the same subject): 700 million downloads, then one billion. Each such change
is told once per channel, as a reply in the thread of the latest digest that carried the
story, in the subscription's language. What was told moves the story's cursor
(``StoryUpdate.upto``), so the next update starts after it.

Which changes are due is read here; claiming, sending and recording them once, across
restarts and replicas, is the digests' ledger discipline (``bot.scheduler.UpdateRunner``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from bot.figures import display_subject
from bot.i18n import format_number, t
from bot.models import Article, Delivery, DigestStory, Figure, StoryUpdate, Subscription
from bot.reply import Card, Reply
from bot.stories import source_key

#: Stories of digests older than this get no more updates: the thread is old news.
HORIZON = timedelta(days=7)
MAX_FIGURES = 3
MAX_CARDS = 3
#: Units that name what is counted ("downloads", "users"): one quantity whoever the subject.
#: A percentage, an amount of money or a bare count is one quantity per subject.
_PER_SUBJECT = {"%", "usd", "eur", "cny"}
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class FigureChange:
    """A figure of the story's new articles; ``was``: its previous value, None if new."""

    value: float
    unit: str
    subject: str | None
    was: float | None = None


@dataclass(slots=True)
class Change:
    """What a subscription's channel is told about one story, in one digest's thread."""

    sub: Subscription
    story_id: int
    upto: int  # the newest article told about
    delivery_id: int
    thread: str
    sources: list[str] = field(default_factory=list)  # new sources, as named
    figures: list[FigureChange] = field(default_factory=list)
    articles: list[Article] = field(default_factory=list)  # the new articles, oldest first

    @property
    def key(self) -> str:
        """The change's ledger key: one update per story and newest article, per channel."""
        return f"{self.story_id}:{self.upto}"


def quiet(sub: Subscription, now: datetime) -> bool:
    """No updates on a day the subscription has no digest (``weekdays``: the weekend)."""
    return sub.weekdays_only and now.astimezone(ZoneInfo(sub.timezone)).weekday() >= 5


def carried(session: Session, story_ids: Iterable[int], now: datetime) -> dict[int, int]:
    """``{story id: newest article id}`` of the stories a digest built at ``now`` carries."""
    ids = sorted(set(story_ids))
    out: dict[int, int] = {}
    for start in range(0, len(ids), _CHUNK):
        rows = session.execute(
            select(Article.story_id, func.max(Article.id))
            .where(
                col(Article.story_id).in_(ids[start : start + _CHUNK]),
                col(Article.first_seen_at) <= now,
            )
            .group_by(col(Article.story_id))
        ).all()
        out.update({int(sid): int(upto) for sid, upto in rows if sid is not None})
    return out


def pending(session: Session, subs: Sequence[Subscription], now: datetime) -> list[Change]:
    """The changes due for these subscriptions now, at most one per channel and story."""
    by_id = {s.id: s for s in subs if s.id is not None and s.followups and not quiet(s, now)}
    threads: dict[tuple[int, int], tuple[datetime, int, str]] = {}
    cursor: dict[tuple[int, int], int] = {}
    ids = list(by_id)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        for sub_id, delivery_id, thread, sent_at, story_id, upto in session.execute(
            sa_select(  # six columns: past sqlmodel's typed overloads
                col(Delivery.subscription_id),
                col(Delivery.id),
                col(Delivery.thread),
                col(Delivery.sent_at),
                col(DigestStory.story_id),
                col(DigestStory.upto),
            )
            .join(DigestStory, col(DigestStory.delivery_id) == col(Delivery.id))
            .where(
                col(Delivery.subscription_id).in_(chunk),
                col(Delivery.status) == "sent",
                col(Delivery.thread).is_not(None),
                col(Delivery.sent_at) >= now - HORIZON,
            )
        ):
            pair = (sub_id, story_id)
            cursor[pair] = max(cursor.get(pair, 0), upto)
            if pair not in threads or threads[pair][0] < sent_at:
                threads[pair] = (sent_at, delivery_id, thread)
        for sub_id, story_id, upto in session.execute(
            select(StoryUpdate.subscription_id, StoryUpdate.story_id, StoryUpdate.upto).where(
                col(StoryUpdate.subscription_id).in_(chunk), col(StoryUpdate.status) == "sent"
            )
        ):
            if (sub_id, story_id) in cursor:
                cursor[sub_id, story_id] = max(cursor[sub_id, story_id], upto)
    newest = carried(session, {story for _sub, story in cursor}, now)
    live = [pair for pair, upto in cursor.items() if newest.get(pair[1], 0) > upto]
    if not live:
        return []
    articles, figures = _story_articles(session, {story for _sub, story in live}, now)
    changes = []
    for sub_id, story_id in sorted(live):
        _sent, delivery_id, thread = threads[sub_id, story_id]
        change = Change(by_id[sub_id], story_id, 0, delivery_id, thread)
        if _compare(change, articles[story_id], figures, cursor[sub_id, story_id]):
            changes.append(change)
    return changes


def _story_articles(
    session: Session, story_ids: set[int], now: datetime
) -> tuple[dict[int, list[Article]], dict[int, list[Figure]]]:
    """The stories' articles (by id) and their figures, by article."""
    articles: dict[int, list[Article]] = defaultdict(list)
    figures: dict[int, list[Figure]] = defaultdict(list)
    ids = sorted(story_ids)
    for start in range(0, len(ids), _CHUNK):
        rows = session.execute(
            select(Article)
            .where(
                col(Article.story_id).in_(ids[start : start + _CHUNK]),
                col(Article.first_seen_at) <= now,
            )
            .order_by(col(Article.id))
        ).scalars()
        for article in rows:
            session.expunge(article)
            articles[article.story_id or 0].append(article)
    article_ids = [a.id for group in articles.values() for a in group if a.id is not None]
    for start in range(0, len(article_ids), _CHUNK):
        chunk = article_ids[start : start + _CHUNK]
        for fig in session.execute(
            select(Figure).where(col(Figure.article_id).in_(chunk)).order_by(col(Figure.id))
        ).scalars():
            figures[fig.article_id].append(fig)
    return articles, figures


def _compare(
    change: Change, articles: list[Article], figures: Mapping[int, list[Figure]], upto: int
) -> bool:
    """Fill ``change`` with what the articles after ``upto`` add; False if nothing."""
    before = [a for a in articles if (a.id or 0) <= upto]
    after = [a for a in articles if (a.id or 0) > upto]
    if not after:
        return False
    known = {source_key(a.source_name, a.url, a.id) for a in before}
    for article in after:
        key = source_key(article.source_name, article.url, article.id)
        if key not in known:
            known.add(key)
            change.sources.append(_source_name(article, key))
    change.figures = _figure_changes(
        [f for a in before for f in figures.get(a.id or 0, [])],
        [f for a in after for f in figures.get(a.id or 0, [])],
    )
    change.upto = max(a.id or 0 for a in after)
    change.articles = after
    return bool(change.sources or change.figures)


def _comparable(fig: Figure) -> bool:
    """A bare count ("1.200 millones"), or a percentage or amount of nobody, says too little
    to tell what it is a new value of."""
    return bool(fig.unit) and (fig.unit not in _PER_SUBJECT or fig.subject is not None)


def _quantity(fig: Figure) -> tuple[str, str | None]:
    return (fig.unit, fig.subject) if fig.unit in _PER_SUBJECT else (fig.unit, None)


def _figure_changes(before: list[Figure], after: list[Figure]) -> list[FigureChange]:
    """New values of quantities the story had, then quantities it did not have (newest
    article's value first). A value the story already quoted is no change."""
    had: dict[tuple[str, str | None], list[Figure]] = defaultdict(list)
    for fig in filter(_comparable, before):
        had[_quantity(fig)].append(fig)
    seen = {(q, round(f.value, 6)) for q, figs in had.items() for f in figs}
    found: dict[tuple[str, str | None], Figure] = {}
    # The newest article's figures win, each article's in the order it gives them.
    for fig in sorted(filter(_comparable, after), key=lambda f: (-f.article_id, f.id or 0)):
        quantity = _quantity(fig)
        if (quantity, round(fig.value, 6)) in seen or quantity in found:
            continue
        found[quantity] = fig
    changed, new = [], []
    for quantity, fig in found.items():
        subject = fig.subject or next((f.subject for f in had.get(quantity, []) if f.subject), None)
        if quantity in had:
            newest = max(had[quantity], key=lambda f: (f.article_id, f.value))
            changed.append(FigureChange(fig.value, fig.unit, subject, newest.value))
        else:
            new.append(FigureChange(fig.value, fig.unit, subject))
    return (changed + new)[:MAX_FIGURES]


def _source_name(article: Article, key: str) -> str:
    """A source as people know it: its name, else the site's host; "" when it has neither."""
    if article.source_name.strip():
        return article.source_name.strip()
    return key[2:] if key.startswith("h:") else ""


def update_reply(change: Change, names_es: Mapping[str, str]) -> Reply:
    """The thread reply: one line of what changed, then the new articles as cards."""
    lang = change.sub.lang or "en"
    parts = [_figure_text(f, lang, names_es) for f in change.figures]
    if change.sources:
        count = len(change.sources)
        named = ", ".join(name for name in change.sources if name)
        parts.append(
            t("update_source" if count == 1 else "update_sources", lang, n=count)
            + (f" ({named})" if named else "")
        )
    cards = [
        Card(
            article.id or 0,
            article.title,
            article.url if article.url and article.url.startswith("http") else None,
            article.source_name,
            article.published_at,
            lang=article.lang,
            story_id=change.story_id,
        )
        for article in change.articles[-MAX_CARDS:]
    ]
    return Reply(text=t("update", lang, changes=", ".join(parts)), lang=lang, cards=cards)


def _figure_text(fig: FigureChange, lang: str, names_es: Mapping[str, str]) -> str:
    value = format_number(fig.value, fig.unit, "", lang)
    subject = display_subject(fig.subject, lang, names_es) or ""
    if fig.was is None:
        return t("update_new_figure", lang, figure=value + (f" ({subject})" if subject else ""))
    # "(was 700 million)": the quantity's name is said once, with the new value.
    was = format_number(fig.was, fig.unit if fig.unit in _PER_SUBJECT else "", "", lang)
    code = "update_up" if fig.value > fig.was else "update_down"
    return t(code, lang, subject=subject, value=value, was=was).strip()
