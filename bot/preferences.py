"""What a channel's 👍/👎 on digest stories teach its digest: a weight per story feature.

A story's features are its entities (``Entity`` names), its topics (entries of the bilingual
lexicon, ``config/lexicon_es_en.tsv``, found in its headlines: "shares" and "acciones" are one
topic) and its sources. Only votes on digest stories count (target ``s:…``; votes on answers
and search results judge relevance to a question, not interest). Each vote is worth
``0.5 ** (age / half-life)``, and a voted story is its readers' net vote, at most ±1 (three
readers who 👎 one story say one thing about its features). With ``net`` the sum of the
stories' votes on a feature and ``n`` the sum of their sizes, its weight is

    w = rarity * sign(net) * max(0, |net| - 1) / (n + PRIOR)

The prior: a feature's first story is no evidence (a misclick, one odd story), so it is
absorbed, and ``PRIOR`` pseudo-stories of "no opinion" shrink the rest toward zero: two 👎
stories give -0.2, three -0.33, five -0.5, never ±1. One vote changes no digest.
``rarity`` (an inverse document frequency over the newest articles) gives a feature most
stories have, such as a big wire's name or "United States", less of the blame than the
one the disliked stories share, such as the topic "shares".
A candidate story's score moves by ``STRENGTH`` times the sum of its features' weights, at
most ``CAP`` either way; one source more is worth 1.0 in ``bot.digest``. A channel without
votes has no weights, and its digest is built exactly as before.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, or_, select

from bot.i18n import t
from bot.lexicon import Lexicon
from bot.models import Article, ArticleEntity, Entity, FeedbackVote

PRIOR = 3.0  # pseudo-stories of no opinion
STRENGTH = 3.0  # score per unit of summed feature weight
CAP = 2.0  # at most two sources' worth either way
HORIZON = 10  # half-lives; older votes weigh under 0.1 % and are not read
SAMPLE = 2000  # newest articles a feature's rarity is measured on
RARE = 20  # a feature in one of RARE articles or fewer is rare: its votes count in full
KINDS = ("topic", "entity", "source")  # also the order ties are explained in

Feature = tuple[str, str]  # (kind, key): ("topic", lexicon entry index), ("entity", name), ...
Channel = tuple[str, str]  # (platform, channel)


@dataclass(frozen=True, slots=True)
class Weight:
    up: float  # stories with the feature the channel liked, by their decayed net vote
    down: float  # ... and disliked
    ups: int  # 👍 and 👎 clicks on those stories, counted plainly (what `subscriptions` shows)
    downs: int
    rarity: float = 1.0  # 1: in none of the recent articles; 0: in all of them

    @property
    def value(self) -> float:
        net = self.up - self.down
        shrunk = math.copysign(max(0.0, abs(net) - 1), net) / (self.up + self.down + PRIOR)
        return shrunk * self.rarity


def story_features(
    lexicon: Lexicon | None,
    headlines: Iterable[str],
    entities: Iterable[str],
    sources: Iterable[str],
) -> set[Feature]:
    """The features of one story: the same function for voted stories and candidates."""
    out: set[Feature] = {("entity", name) for name in entities if name}
    out |= {("source", name) for name in sources if name}
    if lexicon is not None:
        for headline in headlines:
            out |= {("topic", key) for key in lexicon.entry_keys(headline)}
    return out


class Preferences:
    """One channel's feature weights; falsy (and ignored by the digest) without votes."""

    def __init__(self, weights: Mapping[Feature, Weight], lexicon: Lexicon | None = None) -> None:
        self.weights = dict(weights)
        self.lexicon = lexicon
        self._active = {f: w.value for f, w in self.weights.items() if w.value}
        # Channels with equal weights may share one digest build (``bot.scheduler``).
        self.key = tuple(sorted(self._active.items()))

    def __bool__(self) -> bool:
        """True when some feature's votes move the ranking (one vote moves nothing)."""
        return bool(self._active)

    def adjustment(
        self, headlines: Iterable[str], entities: Iterable[str], sources: Iterable[str]
    ) -> float:
        """How much this channel's votes move a story's digest score."""
        if not self._active:
            return 0.0
        features = story_features(self.lexicon, headlines, entities, sources)
        total = sum(self._active.get(f, 0.0) for f in features)
        return max(-CAP, min(CAP, STRENGTH * total))

    def explain(self, lang: str, limit: int = 2) -> str:
        """The strongest learned preferences in words ("fewer stories on shares: 3 👎");
        "" while no vote moves the ranking."""
        ranked = sorted(
            self.weights.items(),
            key=lambda fw: (-abs(fw[1].value), KINDS.index(fw[0][0]), self.label(fw[0], lang)),
        )
        parts = []
        for feature, weight in ranked[:limit]:
            if weight.value == 0:
                continue
            more = weight.value > 0
            about = "source" if feature[0] == "source" else "topic"
            code = f"prefs_{'more' if more else 'fewer'}_{about}"
            n = weight.ups if more else weight.downs
            parts.append(t(code, lang, name=self.label(feature, lang), n=n))
        return " · ".join(parts)

    def label(self, feature: Feature, lang: str) -> str:
        kind, key = feature
        if kind == "topic" and self.lexicon is not None:
            spanish, english = self.lexicon.entries[int(key)]
            return spanish[0] if lang == "es" else english[0]
        return key


NO_PREFERENCES = Preferences({})


def load(
    session: Session,
    channels: Iterable[Channel],
    now: datetime,
    lexicon: Lexicon | None,
    half_life_days: float,
) -> dict[Channel, Preferences]:
    """The preferences of each of ``channels`` at ``now`` (votes after ``now`` not counted);
    a channel without votes maps to ``NO_PREFERENCES``. Six queries however many channels."""
    wanted = set(channels)
    out = dict.fromkeys(wanted, NO_PREFERENCES)
    if not wanted:
        return out
    horizon = now - timedelta(days=HORIZON * half_life_days)
    query = sa.select(
        col(FeedbackVote.platform),
        col(FeedbackVote.channel),
        col(FeedbackVote.target),
        col(FeedbackVote.value),
        col(FeedbackVote.updated_at),
    ).where(
        col(FeedbackVote.kind) == "story",
        col(FeedbackVote.updated_at) > horizon,
        col(FeedbackVote.updated_at) <= now,
    )
    if len(wanted) <= 500:  # a fan-out of thousands reads every channel's votes at once
        query = query.where(col(FeedbackVote.channel).in_({c for _, c in wanted}))
    votes = session.execute(query).all()
    votes = [v for v in votes if (v[0], v[1]) in wanted]
    if not votes:
        return out
    features = _target_features(session, {v[2] for v in votes}, lexicon)
    rarity = _specificity(session, set().union(*features.values()), now, lexicon)
    # A story counts once however many readers voted on it: its decayed net vote, at most ±1.
    stories: dict[tuple[Channel, str], list[float]] = defaultdict(lambda: [0.0, 0, 0])
    for platform, channel, target, value, at in votes:
        age_days = max(0.0, (now - at).total_seconds() / 86400)
        story = stories[((platform, channel), target)]
        story[0] += value * 0.5 ** (age_days / half_life_days)
        story[1 if value > 0 else 2] += 1
    sums: dict[Channel, dict[Feature, list[float]]] = defaultdict(
        lambda: defaultdict(lambda: [0.0, 0.0, 0, 0])
    )
    for (channel, target), (net, ups, downs) in stories.items():
        for feature in features.get(target, ()):
            cell = sums[channel][feature]
            cell[0] += max(0.0, min(1.0, net))
            cell[1] += max(0.0, min(1.0, -net))
            cell[2] += ups
            cell[3] += downs
    for channel, cells in sums.items():
        out[channel] = Preferences(
            {f: Weight(c[0], c[1], int(c[2]), int(c[3]), rarity[f]) for f, c in cells.items()},
            lexicon,
        )
    return out


def for_channel(
    session: Session,
    platform: str,
    channel: str,
    now: datetime,
    lexicon: Lexicon | None,
    half_life_days: float,
) -> Preferences:
    return load(session, [(platform, channel)], now, lexicon, half_life_days)[(platform, channel)]


def _target_features(
    session: Session, targets: set[str], lexicon: Lexicon | None
) -> dict[str, set[Feature]]:
    """Features of voted stories, from every article the story holds now. A story-less
    article's target is ``s:a<article id>``; a target whose articles are gone has none."""
    story_ids = {int(tg[2:]) for tg in targets if tg[2:].isdecimal()}
    article_ids = {int(tg[3:]) for tg in targets if tg.startswith("s:a") and tg[3:].isdecimal()}
    where = or_(col(Article.story_id).in_(story_ids), col(Article.id).in_(article_ids))
    out: dict[str, set[Feature]] = defaultdict(set)
    for aid, sid, found in _article_features(session, sa.select().where(where), lexicon):
        if sid in story_ids:
            out[f"s:{sid}"] |= found
        if aid in article_ids:
            out[f"s:a{aid}"] |= found
    return out


def _specificity(
    session: Session, features: set[Feature], now: datetime, lexicon: Lexicon | None
) -> dict[Feature, float]:
    """How rare each feature is among the ``SAMPLE`` newest articles: 1 in at most one of
    ``RARE`` of them, down to 0 in all (an inverse document frequency, capped at 1)."""
    if not features:
        return {}
    recent = sa.select().where(col(Article.first_seen_at) <= now)
    recent = recent.order_by(col(Article.first_seen_at).desc()).limit(SAMPLE)
    seen: Counter[Feature] = Counter()
    total = 0
    for _, _, found in _article_features(session, recent, lexicon):
        seen.update(found & features)
        total += 1
    if total < 2:
        return dict.fromkeys(features, 1.0)
    return {f: min(1.0, math.log((total + 1) / (seen[f] + 1)) / math.log(RARE)) for f in features}


def _article_features(
    session: Session, query: sa.Select[tuple[()]], lexicon: Lexicon | None
) -> list[tuple[int, int | None, set[Feature]]]:
    """``(article id, story id, features)`` of the articles ``query`` picks."""
    columns = (Article.id, Article.story_id, Article.title, Article.source_name, Article.url)
    rows = session.execute(query.add_columns(*map(col, columns))).all()
    names: dict[int, list[str]] = defaultdict(list)
    if rows:
        for aid, name in session.execute(
            select(ArticleEntity.article_id, Entity.name)
            .join(Entity, col(Entity.id) == col(ArticleEntity.entity_id))
            .where(col(ArticleEntity.article_id).in_([row[0] for row in rows]))
        ):
            names[aid].append(name)
    return [
        (aid, sid, story_features(lexicon, [title], names[aid], [source or url or ""]))
        for aid, sid, title, source, url in rows
    ]
