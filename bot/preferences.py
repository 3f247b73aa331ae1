"""What a channel's 👍/👎 on digest stories teach its digest: a weight per story feature.

A story's features are its entities (``Entity`` names), its topics (entries of the bilingual
lexicon, ``config/lexicon_es_en.tsv``, found in its headlines: "shares" and "acciones" are one
topic) and its sources. Each vote on a digest story (target ``s:…``; votes on answers and
search results judge relevance to a question, not interest, and are left out) counts for
every feature of that story, worth ``0.5 ** (age / half-life)``. With ``net`` the decayed
👍 minus 👎 on a feature and ``n`` their sum, its weight is

    w = sign(net) * max(0, |net| - 1) / (n + PRIOR)

The prior: a feature's first vote is no evidence (a misclick, one reader's mood), so it is
absorbed, and ``PRIOR`` pseudo-votes of "no opinion" shrink the rest toward zero: two 👎
give -0.2, three -0.33, five -0.5, and it never reaches ±1. One vote changes no digest.
A candidate story's score moves by ``STRENGTH`` times the sum of its features' weights, at
most ``CAP`` either way; one source more is worth 1.0 in ``bot.digest``. A channel without
votes has no weights, and its digest is built exactly as before.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, or_, select

from bot.i18n import t
from bot.lexicon import Lexicon
from bot.models import Article, ArticleEntity, Entity, FeedbackVote

PRIOR = 3.0  # pseudo-votes of no opinion
STRENGTH = 1.0  # score per unit of summed feature weight
CAP = 2.0  # at most two sources' worth either way
HORIZON = 10  # half-lives; older votes weigh under 0.1 % and are not read
KINDS = ("topic", "entity", "source")  # also the order ties are explained in

Feature = tuple[str, str]  # (kind, key): ("topic", lexicon entry index), ("entity", name), ...
Channel = tuple[str, str]  # (platform, channel)


@dataclass(frozen=True, slots=True)
class Weight:
    up: float  # decayed 👍 on stories with the feature
    down: float  # decayed 👎
    ups: int  # the same, counted plainly (what the explanation shows)
    downs: int

    @property
    def value(self) -> float:
        net = self.up - self.down
        return math.copysign(max(0.0, abs(net) - 1), net) / (self.up + self.down + PRIOR)


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
        "" without votes."""
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
    a channel without votes maps to ``NO_PREFERENCES``. Two queries however many channels."""
    wanted = set(channels)
    out = dict.fromkeys(wanted, NO_PREFERENCES)
    if not wanted:
        return out
    horizon = now - timedelta(days=HORIZON * half_life_days)
    votes = session.execute(
        sa.select(
            col(FeedbackVote.platform),
            col(FeedbackVote.channel),
            col(FeedbackVote.target),
            col(FeedbackVote.value),
            col(FeedbackVote.updated_at),
        ).where(
            col(FeedbackVote.channel).in_({c for _, c in wanted}),
            col(FeedbackVote.kind) == "story",
            col(FeedbackVote.updated_at) > horizon,
            col(FeedbackVote.updated_at) <= now,
        )
    ).all()
    votes = [v for v in votes if (v[0], v[1]) in wanted]
    if not votes:
        return out
    features = _target_features(session, {v[2] for v in votes}, lexicon)
    sums: dict[Channel, dict[Feature, list[float]]] = defaultdict(
        lambda: defaultdict(lambda: [0.0, 0.0, 0, 0])
    )
    for platform, channel, target, value, at in votes:
        age_days = max(0.0, (now - at).total_seconds() / 86400)
        weight = 0.5 ** (age_days / half_life_days)
        up = value > 0
        for feature in features.get(target, ()):
            cell = sums[(platform, channel)][feature]
            cell[0 if up else 1] += weight
            cell[2 if up else 3] += 1
    for channel, cells in sums.items():
        out[channel] = Preferences(
            {f: Weight(c[0], c[1], int(c[2]), int(c[3])) for f, c in cells.items()}, lexicon
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
    rows = session.execute(
        sa.select(
            col(Article.id),
            col(Article.story_id),
            col(Article.title),
            col(Article.source_name),
            col(Article.url),
        ).where(or_(col(Article.story_id).in_(story_ids), col(Article.id).in_(article_ids)))
    ).all()
    target_of: dict[int, set[str]] = defaultdict(set)
    for aid, sid, *_ in rows:
        if sid in story_ids:
            target_of[aid].add(f"s:{sid}")
        if aid in article_ids:
            target_of[aid].add(f"s:a{aid}")
    names: dict[int, list[str]] = defaultdict(list)
    if target_of:
        for aid, name in session.execute(
            select(ArticleEntity.article_id, Entity.name)
            .join(Entity, col(Entity.id) == col(ArticleEntity.entity_id))
            .where(col(ArticleEntity.article_id).in_(list(target_of)))
        ):
            names[aid].append(name)
    out: dict[str, set[Feature]] = defaultdict(set)
    for aid, _, title, source, url in rows:
        found = story_features(lexicon, [title], names[aid], [source or url or ""])
        for target in target_of[aid]:
            out[target] |= found
    return out
