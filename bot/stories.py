"""Story clustering: each new article joins the story about the same event, or starts one.

Many outlets cover one event, in Spanish and in English; readers want it once,
with "also reported by N sources". Assignment is incremental and runs inside
the ingest transaction, so an article and its story membership commit together.

An article is compared with the stories of its time window (``window`` either
side of the story's first and last article) on two signals:

* **dense**: cosine between the article's title+lede vector and the story's
  centroid, in the languages the model's calibration trusts
  (``dense_languages``): every language for the bundled multilingual-e5, English
  only for all-MiniLM-L6-v2, whose Spanish texts all look alike (unrelated
  Spanish pairs score 0.35-0.39).
* **keywords**: cosine of IDF-weighted, language-free keys: canonical entity
  names from the gazetteer ("EE. UU." and "US" are both ``United States``),
  lexicon concepts ("despidos" and "layoffs" are one key), figures ("61.500
  millones de dólares" and "$61.5B") and, for the words none of those cover,
  Snowball stems (cognates like exportación/export meet).

An article in a language the story does not have yet faces the lower
``cross_threshold`` (across languages only names and numbers can meet as keys),
and a story past its window still takes follow-ups for a month (``Params``).
The calibration per model is :data:`CALIBRATIONS`, measured in
``bench/clustering.py``, ``bench/story_pairs.py`` and docs/benchmarks.md.
Nothing here is persisted beyond ``Article.story_id`` and the ``Story`` row: a
story's centroid and keys derive from its articles' first passages, and live in
a per-process index that is checked against the stories' article counts before
each batch (another process may have added to them).
"""

from __future__ import annotations

import math
import re
from collections import Counter, OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import urlsplit

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import and_, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from bot.entities import Gazetteer
from bot.figures import extract_figures
from bot.i18n import t
from bot.lexicon import Lexicon
from bot.models import Article, Passage, Story
from bot.settings import E5_MODEL, Settings
from bot.text import fold, is_stopword, stem_tokens

Vector = NDArray[np.float32]

#: all-MiniLM-L6-v2's calibration (bench/clustering.py; e5's is in CALIBRATIONS): UCI News
#: headlines (labelled stories) would favour ~0.25, but AI news shares one topic and at 0.25
#: half the articles of the 34 AI feeds land in multi-article stories (largest: 114). 0.5 keeps
#: that to ~10% (largest 16, mostly real: one launch in two feeds) at UCI pairwise precision
#: 0.94. Keywords alone (the Spanish path with the English-only model) get 0.35 for the same
#: AI-feed merge rate.
DEFAULT_THRESHOLD = 0.5
DEFAULT_KEYWORD_THRESHOLD = 0.35
DEFAULT_KEYWORD_WEIGHT = 0.3
DEFAULT_WINDOW_DAYS = 3.0
# Stories held in memory: past _CACHE_SIZE the least recently used half is dropped, and every
# _IDLE_BATCHES batches the stories no batch has looked at since are dropped. Chronological
# feeds touch only recent stories, so a server's index stays small; a shuffled archive import
# touches most of its timeline every batch and may use the whole cap (~5 KB per story).
_CACHE_SIZE = 50_000
_IDLE_BATCHES = 256
_KEY_CACHE_SIZE = 4096
_TOKEN = re.compile(r"\w+", re.UNICODE)
_TITLE_WEIGHT = 1.0
_LEDE_WEIGHT = 0.5
_IDF_PRIOR = 20


def source_key(source_name: str | None, url: str | None, article_id: int | None) -> str:
    """Who reported it: the source's name, else the URL's host, else the article itself."""
    if source_name and source_name.strip():
        return "n:" + fold(source_name.strip())
    if url:
        host = urlsplit(url).hostname
        if host:
            return "h:" + host.lower().removeprefix("www.")
        return "u:" + url
    return f"a:{article_id}"


@dataclass(frozen=True, slots=True)
class StorySources:
    """Who reported a story, counted once per source, and in which languages."""

    total: int
    by_lang: dict[str, int]

    def describe(self, lang: str) -> str:
        """ "3 sources · 2 EN, 1 ES" (``lang``: the reader's language); most-used language first."""
        langs = ", ".join(
            f"{n} {code.upper()}"
            for code, n in sorted(self.by_lang.items(), key=lambda kv: (-kv[1], kv[0]))
        )
        code = "story_sources_one" if self.total == 1 else "story_sources"
        return t(code, lang, n=self.total, langs=langs)


def story_sources(session: Session, story_ids: Iterable[int]) -> dict[int, StorySources]:
    """Each story's distinct sources (as ``Story.source_count`` counts them) by language.

    A source that reported the story in two languages counts once in the total and once
    under each language.
    """
    ids = sorted(set(story_ids))
    if not ids:
        return {}
    seen: dict[int, set[tuple[str, str]]] = {}
    query = sa_select(  # five columns: past sqlmodel's typed overloads
        col(Article.story_id),
        col(Article.source_name),
        col(Article.url),
        col(Article.id),
        col(Article.lang),
    ).where(col(Article.story_id).in_(ids))
    for sid, name, url, aid, lang in session.execute(query):
        seen.setdefault(int(sid), set()).add((source_key(name, url, aid), (lang or "?").lower()))
    return {
        sid: StorySources(
            total=len({key for key, _ in pairs}),
            by_lang=dict(Counter(lang for _, lang in pairs)),
        )
        for sid, pairs in seen.items()
    }


class KeyExtractor:
    """Language-free keys of a title and lede (entities, lexicon concepts, stems)."""

    def __init__(self, gazetteer: Gazetteer, lexicon: Lexicon) -> None:
        self.gazetteer = gazetteer
        self.lexicon = lexicon

    def keys(self, title: str, lede: str, lang: str) -> dict[str, float]:
        """``{key: weight}``: words of the title weigh twice those only in the lede.

        Title and lede are matched as one text (one pass of each matcher).
        """
        text = f"{title}\n{lede}"
        cut = len(title)
        out: dict[str, float] = {}

        def put(key: str, start: int) -> None:
            weight = _TITLE_WEIGHT if start < cut else _LEDE_WEIGHT
            if out.get(key, 0.0) < weight:
                out[key] = weight

        covered = bytearray(len(text))  # 1 where an entity or concept matched
        for name, start, end in self.gazetteer.positions(text):
            put("e:" + name, start)
            covered[start:end] = b"\x01" * (end - start)
        for index, start, end in self.lexicon.entry_positions(text):
            put(f"c:{index}", start)
            covered[start:end] = b"\x01" * (end - start)
        for figure in extract_figures(text, lang, self.gazetteer):
            # "61.500 millones de dólares" and "$61.5B" are one key whatever the separators
            put(f"n:{figure.value:.4g}{figure.unit}", 0 if figure.text in title else cut)
        words: list[tuple[str, int]] = []
        for m in _TOKEN.finditer(text):
            word = m.group(0).lower()
            if covered[m.start()] or is_stopword(word):
                continue
            if len(word) > 1 or word.isdigit():
                words.append((word, m.start()))
        stems = stem_tokens([w for w, _ in words], "es" if lang == "es" else "en")
        for stem, (_, start) in zip(stems, words, strict=True):
            if stem:
                put("s:" + stem, start)
        return out


@dataclass(slots=True)
class Features:
    """What one article brings to a story."""

    keys: dict[str, float]
    vector: Vector | None  # None when the model does not understand the article's language
    when: datetime
    source: str
    lang: str = ""  # the article's language: a story lacking it faces ``cross_threshold``


@dataclass
class StoryState:
    """A story as the matcher sees it: centroid, keyword profile, sources and time span."""

    id: int | None
    first: datetime
    last: datetime
    count: int = 0
    max_article_id: int = 0
    dense_sum: Vector | None = None
    dense_n: int = 0
    keys: dict[str, float] = field(default_factory=dict)
    sources: set[str] = field(default_factory=set)
    langs: set[str] = field(default_factory=set)

    def add(self, feat: Features, article_id: int | None = None) -> None:
        self.count += 1
        if article_id is not None:
            self.max_article_id = max(self.max_article_id, article_id)
        if feat.vector is not None:
            self.dense_sum = (
                feat.vector.astype(np.float32, copy=True)
                if self.dense_sum is None
                else self.dense_sum + feat.vector
            )
            self.dense_n += 1
        for key, weight in feat.keys.items():
            self.keys[key] = self.keys.get(key, 0.0) + weight
        self.sources.add(feat.source)
        if feat.lang:
            self.langs.add(feat.lang)
        self.first = min(self.first, feat.when)
        self.last = max(self.last, feat.when)

    def copy(self) -> StoryState:
        return StoryState(
            self.id,
            self.first,
            self.last,
            self.count,
            self.max_article_id,
            None if self.dense_sum is None else self.dense_sum.copy(),
            self.dense_n,
            dict(self.keys),
            set(self.sources),
            set(self.langs),
        )

    @classmethod
    def start(
        cls, feat: Features, story_id: int | None = None, article_id: int | None = None
    ) -> StoryState:
        state = cls(story_id, feat.when, feat.when)
        state.add(feat, article_id)
        return state


@dataclass(frozen=True, slots=True)
class Params:
    """The decision rule: join the best story if its score reaches the threshold.

    With a dense signal, score = (1 - keyword_weight) * dense + keyword_weight * keywords,
    compared with ``threshold``; without one, the keyword cosine alone is compared with
    ``keyword_threshold``.

    ``cross_threshold`` (``None``: ``threshold``) replaces ``threshold`` when the story has
    no article in the article's language. Across languages the keys can only meet on
    names, lexicon concepts and numbers, never on the words around them, so the same event
    scores lower on keywords than it does within one language.

    Past its ``window``, a story still takes a follow-up for ``followup_window`` after its
    last article (Qwen's downloads at 700 million in January, at one billion in February):
    the article must name an entity the story names and score ``followup_margin`` above
    the threshold that applies. Only with a dense signal; zero windows turn it off.
    """

    threshold: float = DEFAULT_THRESHOLD
    keyword_threshold: float = DEFAULT_KEYWORD_THRESHOLD
    keyword_weight: float = DEFAULT_KEYWORD_WEIGHT
    window: timedelta = timedelta(days=DEFAULT_WINDOW_DAYS)
    cross_threshold: float | None = None
    followup_window: timedelta = timedelta(0)
    followup_margin: float = 0.0

    @property
    def reach(self) -> timedelta:
        """How far from a story's span an article may still join it."""
        return max(self.window, self.followup_window)


@dataclass(frozen=True, slots=True)
class Calibration:
    """A model's story thresholds and the languages its cosines are trusted in (``None``: all)."""

    threshold: float
    cross_threshold: float | None
    dense_languages: frozenset[str] | None
    followup_margin: float | None = None  # None: no follow-ups past the window


#: Per embedding model, from bench/clustering.py (UCI and the AI feeds) and
#: bench/story_pairs.py (the cross-language pairs' dev half); docs/benchmarks.md.
#: multilingual-e5's cosines sit high (unrelated news ~0.75-0.8), so its thresholds are
#: higher than MiniLM's; it puts Spanish and English in one space, so it is trusted in both.
CALIBRATIONS = {E5_MODEL: Calibration(0.72, 0.64, None, followup_margin=0.03)}
#: Any other model: MiniLM's calibration, dense in English only (its Spanish cosines are noise).
FALLBACK = Calibration(DEFAULT_THRESHOLD, None, frozenset({"en"}))


def calibration(model: str | None) -> Calibration:
    return CALIBRATIONS.get(model or "", FALLBACK)


class StoryIndex:
    """In-memory stories with an inverted keyword index and a day index; the pure matching logic.

    Used across ingest batches by :class:`StoryClusterer`, and over a whole dataset
    by the benchmark, so both run exactly the same decision. An article is only
    scored against the stories of its own time window (found through the day
    index), so matching costs what the window holds, not what the index holds:
    a bulk import of a shuffled archive stays linear. Centroids and time spans
    live in numpy arrays so the window's stories are scored at once.
    """

    def __init__(self, params: Params) -> None:
        self.params = params
        self.stories: list[StoryState] = []
        self._postings: dict[str, dict[int, float]] = {}
        self._df: Counter[str] = Counter()
        self._norms: dict[int, tuple[int, int, float]] = {}  # slot -> (count, n, norm)
        self._centroids: Vector = np.zeros((0, 0), dtype=np.float32)
        self._dense = np.zeros(0, dtype=bool)
        self._span = np.zeros((0, 2), dtype=np.float64)  # first, last (epoch seconds)
        self._by_day: dict[int, set[int]] = {}  # day number -> slots whose span covers it
        self._days: list[tuple[int, int]] = []  # slot -> registered (first day, last day)

    def __len__(self) -> int:
        return len(self.stories)

    def add_story(self, state: StoryState) -> int:
        slot = len(self.stories)
        self.stories.append(state)
        self._days.append((0, -1))
        self._post(slot, state.keys)
        self._grow(slot + 1, state.dense_sum)
        self._refresh(slot)
        return slot

    def join(self, slot: int, feat: Features, article_id: int | None = None) -> None:
        state = self.stories[slot]
        state.add(feat, article_id)
        for key in feat.keys:
            postings = self._postings.setdefault(key, {})
            if slot not in postings:
                self._df[key] += 1
            postings[slot] = state.keys[key]
        self._grow(slot + 1, state.dense_sum)
        self._refresh(slot)

    def replace(self, slot: int, state: StoryState) -> None:
        """Swap in a newer state of the story at ``slot`` (reloaded from the database)."""
        for key in self.stories[slot].keys:
            postings = self._postings[key]
            del postings[slot]
            self._df[key] -= 1
            if not postings:
                del self._postings[key]
                del self._df[key]
        self.stories[slot] = state
        self._norms.pop(slot, None)
        self._post(slot, state.keys)
        self._grow(slot + 1, state.dense_sum)
        self._dense[slot] = False
        self._refresh(slot)

    def idf(self, key: str) -> float:
        """Story-level IDF with a prior, so a window of a few stories does not make
        every key the article shares with them look common (and every other key rare)."""
        n = len(self.stories)
        return math.log((n + _IDF_PRIOR) / (self._df.get(key, 0) + 1))

    def window(self, when: datetime, reach: timedelta | None = None) -> NDArray[np.intp]:
        """Slots (ascending) of the stories whose window (or ``reach``) contains ``when``."""
        t = when.timestamp()
        w = (reach or self.params.window).total_seconds()
        found: set[int] = set()
        for day in range(_day(t - w), _day(t + w) + 1):
            found.update(self._by_day.get(day, ()))
        if not found:
            return np.zeros(0, dtype=np.intp)
        slots = np.fromiter(sorted(found), dtype=np.intp, count=len(found))
        span = self._span[slots]
        return slots[(span[:, 0] - w <= t) & (t <= span[:, 1] + w)]

    def best(self, feat: Features) -> tuple[int | None, float]:
        """The slot of the story ``feat`` belongs to (``None``: a new story) and its score."""
        near = self.window(feat.when)
        far = self._followups(feat, near)
        slots = np.concatenate([near, far]) if len(far) else near
        if not len(slots):
            return None, 0.0
        params = self.params
        scores = self._keyword_scores(feat, set(slots.tolist()))
        keyword = np.fromiter((scores.get(s, 0.0) for s in slots.tolist()), np.float64, len(slots))
        score = keyword
        margin = keyword - params.keyword_threshold
        if feat.vector is not None and self._centroids.shape[1] == len(feat.vector):
            use_dense = self._dense[slots]
            dense = self._centroids[slots] @ feat.vector
            w = params.keyword_weight
            combined = (1 - w) * dense + w * keyword
            score = np.where(use_dense, combined, keyword)
            threshold = self._thresholds(feat, slots) + np.where(
                np.arange(len(slots)) >= len(near), params.followup_margin, 0.0
            )
            margin = np.where(use_dense, combined - threshold, margin)
        i = int(np.argmax(margin))
        if margin[i] < 0:
            return None, 0.0
        return int(slots[i]), float(score[i])

    def _followups(self, feat: Features, near: NDArray[np.intp]) -> NDArray[np.intp]:
        """Stories past their window but within ``followup_window`` that name one of
        ``feat``'s entities and have a dense centroid (ascending slots, none of ``near``)."""
        params = self.params
        if feat.vector is None or params.followup_window <= params.window:
            return np.zeros(0, dtype=np.intp)
        entities = [k for k in feat.keys if k.startswith("e:")]
        if not entities:
            return np.zeros(0, dtype=np.intp)
        reachable = set(self.window(feat.when, params.followup_window).tolist())
        reachable.difference_update(near.tolist())
        found: set[int] = set()
        for key in entities:
            postings = self._postings.get(key, {})
            smaller, larger = (
                (postings, reachable) if len(postings) < len(reachable) else (reachable, postings)
            )
            found.update(s for s in smaller if s in larger)
        stories = self.stories
        found = {s for s in found if feat.source not in stories[s].sources}
        slots = np.fromiter(sorted(found), dtype=np.intp, count=len(found))
        return slots[self._dense[slots]]

    def _thresholds(self, feat: Features, slots: NDArray[np.intp]) -> NDArray[np.float64] | float:
        """The dense threshold per story: ``cross_threshold`` where the story has no
        article in ``feat``'s language."""
        params = self.params
        if params.cross_threshold is None or not feat.lang:
            return params.threshold
        stories = self.stories
        cross = [bool(stories[s].langs) and feat.lang not in stories[s].langs for s in slots]
        return np.where(cross, params.cross_threshold, params.threshold)

    def _post(self, slot: int, keys: dict[str, float]) -> None:
        for key, value in keys.items():
            self._postings.setdefault(key, {})[slot] = value
            self._df[key] += 1

    def _grow(self, size: int, vector: Vector | None) -> None:
        if self._centroids.shape[1] == 0 and vector is not None:
            self._centroids = np.zeros((len(self._dense), len(vector)), dtype=np.float32)
        if size <= len(self._dense):
            return
        capacity = max(size, 2 * len(self._dense), 64)
        centroids = np.zeros((capacity, self._centroids.shape[1]), dtype=np.float32)
        centroids[: len(self._centroids)] = self._centroids
        dense = np.zeros(capacity, dtype=bool)
        dense[: len(self._dense)] = self._dense
        span = np.zeros((capacity, 2), dtype=np.float64)
        span[: len(self._span)] = self._span
        self._centroids, self._dense, self._span = centroids, dense, span

    def _refresh(self, slot: int) -> None:
        state = self.stories[slot]
        first, last = state.first.timestamp(), state.last.timestamp()
        self._span[slot] = (first, last)
        old_lo, old_hi = self._days[slot]
        lo, hi = _day(first), _day(last)
        if (lo, hi) != (old_lo, old_hi):
            for day in range(old_lo, old_hi + 1):
                if not lo <= day <= hi:
                    self._by_day[day].discard(slot)
            for day in range(lo, hi + 1):
                if not old_lo <= day <= old_hi:
                    self._by_day.setdefault(day, set()).add(slot)
            self._days[slot] = (lo, hi)
        if state.dense_sum is not None and self._centroids.shape[1] == len(state.dense_sum):
            norm = float(np.linalg.norm(state.dense_sum)) or 1.0
            self._centroids[slot] = state.dense_sum / norm
            self._dense[slot] = True

    def _keyword_scores(self, feat: Features, slots: set[int]) -> dict[int, float]:
        """IDF-weighted key cosine for the stories in ``slots`` sharing a discriminative key."""
        n = len(self.stories)
        idf = {key: self.idf(key) for key in feat.keys}
        weights = {k: v * idf[k] for k, v in feat.keys.items() if idf[k] > 0.1}
        # (a key in nearly every story says nothing)
        article_norm = math.sqrt(sum(v * v for v in weights.values()))
        if not article_norm:
            return {}
        dots: dict[int, float] = {}
        for key, weight in weights.items():
            postings = self._postings.get(key)
            if not postings:
                continue
            factor = weight * idf[key]
            if len(postings) <= len(slots):
                hits = [(s, v) for s, v in postings.items() if s in slots]
            else:
                hits = [(s, postings[s]) for s in slots if s in postings]
            for slot, value in hits:
                dots[slot] = dots.get(slot, 0.0) + factor * value
        scores: dict[int, float] = {}
        log_n = math.log(n + _IDF_PRIOR)
        for slot, dot in dots.items():
            state = self.stories[slot]
            cached = self._norms.get(slot)
            if cached is None or cached[0] != state.count or abs(cached[1] - n) > n // 10:
                df = self._df
                total = sum((v * (log_n - math.log(df[k] + 1))) ** 2 for k, v in state.keys.items())
                cached = (state.count, n, math.sqrt(total))
                self._norms[slot] = cached
            if cached[2]:
                scores[slot] = dot / (cached[2] * article_norm)
        return scores


def _day(timestamp: float) -> int:
    return math.floor(timestamp / 86400.0)


class StoryClusterer:
    """Assigns stored articles to stories, inside the ingest transaction."""

    def __init__(
        self,
        gazetteer: Gazetteer,
        lexicon: Lexicon,
        *,
        params: Params | None = None,
        dense_languages: frozenset[str] | None = frozenset({"en"}),
    ) -> None:
        self.keys = KeyExtractor(gazetteer, lexicon)
        self.params = params or Params()
        self.dense_languages = dense_languages
        self._index = StoryIndex(self.params)
        self._slots: dict[int, int] = {}  # story id -> slot in the index
        self._touched: dict[int, int] = {}  # slot -> clock of the batch that last used it
        self._clock = 0
        self._pending = False
        # Keys of recent articles: the next batch reloads the stories they joined.
        self._keys: OrderedDict[tuple[str, str, str], dict[str, float]] = OrderedDict()

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        gazetteer: Gazetteer,
        lexicon: Lexicon,
        *,
        dense_languages: frozenset[str] | None | Literal["model"] = "model",
        model: str | None = None,
    ) -> StoryClusterer:
        """The clusterer ``Core.build`` hands the ingester (``AINEWS_STORY_*`` settings).

        ``model``: the embedding model's name, whose :data:`CALIBRATIONS` give the
        thresholds the settings leave unset. ``dense_languages``: where the model's cosines
        are compared with the thresholds (``"model"``: as calibrated); elsewhere keywords
        decide alone.
        """
        calibrated = calibration(model)
        params = Params(
            threshold=(
                calibrated.threshold
                if settings.story_threshold is None
                else settings.story_threshold
            ),
            keyword_threshold=settings.story_keyword_threshold,
            window=timedelta(days=settings.story_window_days),
            cross_threshold=(
                calibrated.cross_threshold
                if settings.story_cross_threshold is None
                else settings.story_cross_threshold
            ),
            followup_window=timedelta(
                days=0 if calibrated.followup_margin is None else settings.story_followup_days
            ),
            followup_margin=calibrated.followup_margin or 0.0,
        )
        languages = calibrated.dense_languages if dense_languages == "model" else dense_languages
        return cls(gazetteer, lexicon, params=params, dense_languages=languages)

    def features(
        self,
        title: str,
        lede: str,
        lang: str,
        vector: Vector | None,
        when: datetime,
        source: str,
    ) -> Features:
        dense_ok = self.dense_languages is None or lang in self.dense_languages
        text = (title, lede, lang)
        keys = self._keys.get(text)
        if keys is None:
            keys = self._keys[text] = self.keys.keys(title, lede, lang)
            if len(self._keys) > _KEY_CACHE_SIZE:
                self._keys.popitem(last=False)
        return Features(
            keys=keys,
            vector=vector if dense_ok else None,
            when=when,
            source=source,
            lang=lang,
        )

    def assign(
        self,
        session: Session,
        articles: Sequence[Article],
        ledes: Sequence[str],
        vectors: Vector,
    ) -> None:
        """Set ``story_id`` on each article and keep the touched stories' counts current.

        The in-memory index is changed in place; :meth:`committed` must follow the
        transaction's commit, or the next call throws the index away (it is rebuilt
        from the database window by window), so a rolled-back batch leaves no trace.
        """
        feats = [
            self.features(
                a.title,
                lede,
                a.lang,
                vectors[i],
                a.published_at or a.first_seen_at,
                source_key(a.source_name, a.url, a.id),
            )
            for i, (a, lede) in enumerate(zip(articles, ledes, strict=True))
        ]
        if not feats:
            return
        if self._pending:
            self.reset()
        self._pending = True
        self._clock += 1
        index = self._sync(session, [f.when for f in feats])
        created: dict[int, Story] = {}  # slot -> new row, ids assigned by one flush
        slots: list[int] = []
        for article, feat in zip(articles, feats, strict=True):
            slot, _score = index.best(feat)
            if slot is None:
                slot = index.add_story(StoryState.start(feat, article_id=article.id))
                created[slot] = Story(title=article.title)
            else:
                index.join(slot, feat, article.id)
            self._touched[slot] = self._clock
            slots.append(slot)
        session.add_all(created.values())
        session.flush()
        for slot, story in created.items():
            assert story.id is not None
            index.stories[slot].id = story.id
            self._slots[story.id] = slot
        joined = {index.stories[s].id: s for s in set(slots) if s not in created}
        rows = dict(created)
        if joined:
            query = select(Story).where(col(Story.id).in_([sid for sid in joined if sid]))
            for story in session.execute(query).scalars():
                rows[joined[story.id]] = story
        for slot, story in rows.items():
            state = index.stories[slot]
            story.article_count = state.count
            story.source_count = len(state.sources)
            story.first_seen_at = state.first
            story.last_seen_at = state.last
        for article, slot in zip(articles, slots, strict=True):
            article.story_id = rows[slot].id
        session.flush()

    def committed(self) -> None:
        """The transaction of the last :meth:`assign` committed: its index changes stand."""
        self._pending = False
        if len(self._slots) > _CACHE_SIZE:
            self._compact(_CACHE_SIZE // 2)
        elif self._clock % _IDLE_BATCHES == 0:
            recent = self._clock - _IDLE_BATCHES
            active = sum(1 for slot in self._slots.values() if self._touched.get(slot, 0) > recent)
            if active < 0.75 * len(self._slots):
                self._compact(active)

    def reset(self) -> None:
        """Forget everything in memory; the database is the truth."""
        self._index = StoryIndex(self.params)
        self._slots = {}
        self._touched = {}
        self._pending = False

    # ------------------------------------------------------------------ index upkeep

    def _sync(self, session: Session, times: Iterable[datetime]) -> StoryIndex:
        """Bring the committed stories overlapping any article's window into the index.

        One cheap query lists them with their article counts; only stories the
        index lacks or holds at another count (another process added to them) are
        (re)loaded from their articles.
        """
        window = self.params.reach
        intervals: list[list[datetime]] = []
        for when in sorted(times):
            lo, hi = when - window, when + window
            if intervals and lo <= intervals[-1][1]:
                intervals[-1][1] = max(intervals[-1][1], hi)
            else:
                intervals.append([lo, hi])
        conditions = [
            and_(col(Story.last_seen_at) >= lo, col(Story.first_seen_at) <= hi)
            for lo, hi in intervals
        ]
        rows = session.execute(select(Story.id, Story.article_count).where(or_(*conditions))).all()
        index = self._index
        stale = set()
        for sid, count in rows:
            slot = self._slots.get(sid)
            if slot is None or index.stories[slot].count != count:
                stale.add(int(sid))
            else:
                self._touched[slot] = self._clock
        if stale:
            for sid, state in self._load(session, stale).items():
                slot = self._slots.get(sid)
                if slot is None:
                    slot = self._slots[sid] = index.add_story(state)
                else:
                    index.replace(slot, state)
                self._touched[slot] = self._clock
        return index

    def _compact(self, keep: int) -> None:
        """Keep the ``keep`` most recently used stories; the rest reload on demand."""
        old = self._index
        by_use = sorted(self._slots.values(), key=lambda s: self._touched.get(s, 0))
        recent = by_use[max(0, len(by_use) - keep) :]
        self._index = StoryIndex(self.params)
        self._slots, touched = {}, {}
        for slot in sorted(recent):
            state = old.stories[slot]
            assert state.id is not None
            new_slot = self._slots[state.id] = self._index.add_story(state)
            touched[new_slot] = self._touched.get(slot, 0)
        self._touched = touched

    def _load(self, session: Session, story_ids: set[int]) -> dict[int, StoryState]:
        """States of the stories from their articles; only newer articles where the index
        already holds an older state of the story."""
        index = self._index
        held = {sid: index.stories[self._slots[sid]] for sid in story_ids if sid in self._slots}
        since = {sid: state.max_article_id for sid, state in held.items()}
        floor = min(since.values(), default=0) if len(since) == len(story_ids) else 0
        query = (  # ten columns: past sqlmodel's typed overloads
            sa_select(
                col(Article.id),
                col(Article.story_id),
                col(Article.title),
                col(Article.lang),
                col(Article.source_name),
                col(Article.url),
                col(Article.published_at),
                col(Article.first_seen_at),
                col(Passage.text),
                col(Passage.embedding),
            )
            .join(Passage, and_(col(Passage.article_id) == col(Article.id), col(Passage.ord) == 0))
            .where(col(Article.story_id).in_(story_ids), col(Article.id) > floor)
            .order_by(col(Article.id))
        )
        fresh = {sid: state.copy() for sid, state in held.items()}
        for aid, sid, title, lang, name, url, published, seen, lede, blob in session.execute(query):
            state = fresh.get(sid)
            if state is not None and aid <= state.max_article_id:
                continue
            vector = np.frombuffer(blob, dtype=np.float32)
            feat = self.features(
                title, lede, lang, vector, published or seen, source_key(name, url, aid)
            )
            if state is None:
                state = fresh[sid] = StoryState(sid, feat.when, feat.when)
            state.add(feat, aid)
        return fresh
