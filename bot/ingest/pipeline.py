"""Store parsed articles: dedup, passages, embeddings and entities (indexed from the database).

Work is done in batches; each batch is one transaction, so an interrupted run
loses at most the batch in flight and re-running it only finds duplicates.

What makes two items the same article, in this order:

* a feed item is its source's GUID: the same GUID from the same source is the
  item seen again (the feed polled twice), whatever its link or text now say;
* the same canonical URL (tracking parameters, default port and trailing slash
  dropped) is the same page. A feed item's link keeps its fragment, because
  ``changelog#2.3.15`` and ``changelog#2.3.9`` are two entries of one page;
* the same text is the same article, from any source (a post syndicated to
  another site), except that a feed item titled differently from an entry of
  the same source or site that has the same text is its own entry: release
  notes that all read "Minor improvements and bug fixes", a series of posts
  sharing one summary.

The ``url`` and ``content_hash`` columns are unique, so an entry that shares
its link with another entry of its feed is stored without a link, and one that
shares its text with a differently titled entry is keyed by its title and text.

One bad item never costs its batch: an item that cannot be prepared, encoded or
written is reported as failed, by its label and a short reason, and the others
are stored. Only trouble with the database itself (connection lost, locked) still
stops the run, so a poll is retried rather than its items reported lost.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import Engine, bindparam, insert, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlmodel import Session, col, select

from bot.defaults import config_path
from bot.entities import EntityExtractor
from bot.figures import extract_figures
from bot.index.embedder import Embedder, Vectors
from bot.index.space import claim, embedding_text
from bot.ingest.feeds import FEED_ITEM
from bot.ingest.files import Item, join_notes, removed_note
from bot.ingest.types import IngestError, RawArticle, short_error
from bot.lexicon import Lexicon
from bot.models import Article, ArticleEntity, Entity, Figure, Passage
from bot.stories import StoryClusterer
from bot.text import (
    clean_text,
    clean_whitespace,
    content_hash,
    detect_lang,
    fold,
    is_stopword,
    scrub,
    split_passages,
)

log = logging.getLogger(__name__)
_TRACKING = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid|ref|ref_src|cmpid)$", re.IGNORECASE)
#: Fragments that only track the click (``#xtor=RSS-3208``, ``#utm_source=feed``).
_TRACKING_FRAGMENT = re.compile(r"^(xtor|utm_\w+)$", re.IGNORECASE)
_WORD = re.compile(r"\w+")
_LETTERS = re.compile(r"[^\W\d_]+")
#: Spanish and English prose is 25-50 % function words ("the", "of", "de", "que"), German
#: almost none of theirs: from this share on, the text overrules a declared language.
LANG_FUNCTION_SHARE = 0.15
#: Article bodies longer than this are cut (``AINEWS_MAX_ARTICLE_CHARS``).
MAX_ARTICLE_CHARS = 200_000
#: Longer links (in UTF-8 bytes) are not kept: a unique index entry has a size limit on
#: Postgres (~2.7 kB).
MAX_URL_BYTES = 2048
#: Longer GUIDs are stored as their SHA-256 (the column is indexed).
MAX_GUID_CHARS = 500
#: Longer capitalised runs are not entities (``Entity.name`` is unique: indexed).
MAX_ENTITY_CHARS = 200
#: Operational errors that concern the whole database, not one item (SQLite: another writer
#: holds the file, the disk is full, the file is read-only).
_SYSTEMIC = ("locked", "disk", "read-only", "readonly", "unable to open", "no space")


def _scrub_article(raw: RawArticle) -> int:
    """Make every text field of ``raw`` safe to store (:func:`bot.text.scrub`); returns how
    many characters (NULs, lone surrogates) were dropped."""
    dropped = 0
    for name in ("title", "body", "url", "lang", "section", "source_name", "guid"):
        value = getattr(raw, name)
        if isinstance(value, str):
            value, count = scrub(value)
            setattr(raw, name, value)
            dropped += count
    if raw.extra:
        raw.extra = {clean_text(k): clean_text(v) for k, v in raw.extra.items()}
    return dropped


def cap_text(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, at the last paragraph break, else the
    last sentence end, else the last space in the final fifth; a hard cut otherwise."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    floor = limit * 4 // 5
    for mark in ("\n\n", "\n", ". ", "? ", "! ", " "):
        at = head.rfind(mark, floor)
        if at > 0:
            return head[: at + (1 if mark in (". ", "? ", "! ") else 0)].rstrip()
    return head


def canonical_url(url: str | None, *, keep_fragment: bool = False) -> str | None:
    """Same page, same key: drop tracking parameters, default ports, trailing slash.

    The fragment is dropped too, unless ``keep_fragment`` (feed items, whose
    fragment can name one entry of a shared page) or it is a route: ``#!/noticias/…``
    and ``#/post/…`` name the page itself on a site that routes in the browser. A
    fragment of tracking parameters only is dropped either way.
    """
    if not url or not url.strip():
        return None
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in {"http", "https"}:
        return url  # a local path as the user gave it
    host = (parts.hostname or "").lower()
    if parts.port and not (parts.scheme == "http" and parts.port == 80) and parts.port != 443:
        host = f"{host}:{parts.port}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if not _TRACKING.match(k)])
    path = parts.path.rstrip("/") or "/"
    route = parts.fragment.startswith(("!", "/"))
    kept = (keep_fragment or route) and not _tracking_only(parts.fragment)
    fragment = parts.fragment if kept else ""
    return urlunsplit((parts.scheme.lower(), host, path, query, fragment))


def _tracking_only(fragment: str) -> bool:
    if "=" not in fragment:
        return not fragment
    pairs = parse_qsl(fragment, keep_blank_values=True)
    return bool(pairs) and all(_TRACKING.match(k) or _TRACKING_FRAGMENT.match(k) for k, _v in pairs)


def article_lang(declared: str | None, text: str) -> str:
    """The language to store for ``text``: a declared language is checked, not believed.

    Feeds declare one language for the whole channel, sometimes wrongly (``de`` on
    an English podcast, ``en`` on a Spanish blog). ``detect_lang`` answers "es" or
    "en", so it decides whenever the text reads as Spanish or English, i.e. when
    their function words ("the", "of", "de", "que") are a fair share of its words.
    A declaration stands only for text without that evidence: a bare title such as
    "Windsurf 2.3.15", or text in another language (a German feed keeps ``de``). The
    evidence needs two different function words: German "Was kommt nach…", said twice
    (title and lede), is not English for its "was".
    """
    declared = (declared or "")[:2].lower()
    if declared:
        words = _LETTERS.findall(text[:4000])
        function_words = [w.lower() for w in words if is_stopword(w)]
        if len(set(function_words)) < 2 or len(function_words) < LANG_FUNCTION_SHARE * len(words):
            return declared
    return detect_lang(text)


@dataclass
class Outcome:
    label: str
    status: str  # "new" | "duplicate" | "failed"
    reason: str = ""
    article_id: int | None = None
    title: str = ""
    notice: str | None = None
    # A failed write (not bad input): the same item may be stored on a later try.
    retry: bool = False


@dataclass
class IngestReport:
    outcomes: list[Outcome] = field(default_factory=list)

    def _of(self, status: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def new(self) -> list[Outcome]:
        return self._of("new")

    @property
    def duplicates(self) -> list[Outcome]:
        return self._of("duplicate")

    @property
    def failed(self) -> list[Outcome]:
        return self._of("failed")

    @property
    def notices(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.notice]


#: Whose items an article is: its source's id, else (items ingested without a source) its name.
_Scope = tuple[int | None, str]


def _scope(source_id: int | None, source_name: str | None) -> _Scope:
    return (source_id, "") if source_id is not None else (None, source_name or "")


def _title_key(title: str) -> str:
    return " ".join(_WORD.findall(fold(title)))


def _host(url: str | None) -> str:
    if not url:
        return ""
    return (urlsplit(url).hostname or "").lower().removeprefix("www.")


@dataclass(slots=True, frozen=True)
class _Held:
    """What the duplicate check needs to know of an article stored or being stored."""

    scope: _Scope
    guid: str | None
    digest: str
    title: str  # _title_key
    host: str


@dataclass(slots=True)
class _Known:
    """Keys of articles: feed items (scope, GUID), canonical URLs and text digests."""

    guids: set[tuple[_Scope, str]] = field(default_factory=set)
    urls: dict[str, _Held] = field(default_factory=dict)
    digests: dict[str, _Held] = field(default_factory=dict)

    def add(self, url: str | None, guid: str | None, held: _Held) -> None:
        if guid is not None:
            self.guids.add((held.scope, guid))
        if url:
            self.urls.setdefault(url, held)
        self.digests.setdefault(held.digest, held)

    def update(self, other: _Known) -> None:
        self.guids |= other.guids
        for url, held in other.urls.items():
            self.urls.setdefault(url, held)
        for digest, held in other.digests.items():
            self.digests.setdefault(digest, held)


@dataclass(slots=True)
class _Screened:
    """A batch past the duplicate check, its vectors being computed."""

    batch: list[_Prepared]
    outcomes: list[Outcome]  # the duplicates
    fresh: list[_Prepared]
    vectors: Future[Vectors] | None
    known: _Known  # the keys of ``fresh``


@dataclass(slots=True)
class _Prepared:
    label: str
    raw: RawArticle
    url: str | None
    digest: str
    passages: list[str]
    notice: str | None
    scope: _Scope
    guid: str | None  # feed items only: the item's identity within its source
    titled: str  # digest of title and text, for an entry whose text another entry has

    def held(self) -> _Held:
        title = _title_key(self.raw.title)
        return _Held(self.scope, self.guid, self.digest, title, _host(self.url))


class Ingester:
    """Turns ``Item``s into stored, searchable articles."""

    def __init__(
        self,
        *,
        engine: Engine,
        embedder: Embedder,
        extractor: EntityExtractor,
        passage_max_chars: int = 600,
        max_article_chars: int = MAX_ARTICLE_CHARS,
        batch_size: int = 64,
        on_stored: Callable[[Session, list[int]], None] | None = None,
        after_commit: Callable[[], object] | None = None,
        stories: StoryClusterer | None = None,
    ) -> None:
        self.engine = engine
        self.embedder = embedder
        self.extractor = extractor
        self.passage_max_chars = passage_max_chars
        self.max_article_chars = max(1, max_article_chars)
        self.batch_size = batch_size
        self.on_stored = on_stored
        self.after_commit = after_commit  # e.g. make the new passages searchable at once
        # Core.build passes one configured from settings; the default uses the bundled lexicon.
        self.stories = stories or StoryClusterer(
            extractor.gazetteer, Lexicon.load(config_path("lexicon_es_en.tsv"))
        )

    def ingest(
        self,
        items: Iterable[Item],
        *,
        source_id: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> IngestReport:
        """Store ``items``; one transaction per batch, outcomes in input order.

        Two stages overlap: while the model encodes batch N+1 in a worker thread
        (torch releases the GIL), this thread writes batch N. Encoding is the
        slowest step by far, so the database, story and entity work mostly hides
        behind it (measured in bench/ingest.py).
        """
        claim(self.engine, self.embedder.name)  # vectors of two models never mix
        report = IngestReport()
        batch: list[_Prepared] = []
        pending: _Screened | None = None
        with ThreadPoolExecutor(1, thread_name_prefix="ainews-encode") as pool:
            for item in items:
                if isinstance(item.result, IngestError):
                    report.outcomes.append(Outcome(item.label, "failed", str(item.result)))
                    if progress:
                        progress(1)
                    continue
                try:
                    batch.append(self._prepare(item, source_id))
                except Exception as exc:  # IngestError, or a parser bug on hostile text
                    if not isinstance(exc, IngestError):
                        log.exception("could not prepare %s", item.label)
                    reason = str(exc) if isinstance(exc, IngestError) else short_error(exc)
                    report.outcomes.append(Outcome(item.label, "failed", reason))
                    if progress:
                        progress(1)
                    continue
                if len(batch) >= self.batch_size:
                    screened = self._screen(batch, pending, pool)
                    if pending is not None:
                        report.outcomes += self._finish(pending, source_id, progress)
                    pending, batch = screened, []
            if batch:
                screened = self._screen(batch, pending, pool)
                if pending is not None:
                    report.outcomes += self._finish(pending, source_id, progress)
                pending = screened
            if pending is not None:
                report.outcomes += self._finish(pending, source_id, progress)
        return report

    def _prepare(self, item: Item, source_id: int | None) -> _Prepared:
        raw = item.result
        assert isinstance(raw, RawArticle)
        # Inputs are cleaned where they come in; this catches any caller that did not.
        notes = [item.notice, removed_note(_scrub_article(raw))]
        raw.title = clean_whitespace(raw.title).replace("\n", " ")[:500]
        raw.body = clean_whitespace(raw.body)
        if not raw.body and not raw.title:
            raise IngestError("empty article")
        if len(raw.body) > self.max_article_chars:
            full = len(raw.body)
            raw.body = cap_text(raw.body, self.max_article_chars)
            notes.append(
                f"text cut to {len(raw.body):,} of {full:,} characters "
                f"(AINEWS_MAX_ARTICLE_CHARS={self.max_article_chars:,})"
            )
        if raw.url and len(raw.url.encode()) > MAX_URL_BYTES:
            notes.append(f"link longer than {MAX_URL_BYTES:,} bytes not kept")
            raw.url = None
        if raw.guid and len(raw.guid) > MAX_GUID_CHARS:
            raw.guid = "sha256:" + hashlib.sha256(raw.guid.encode()).hexdigest()
        raw.lang = article_lang(raw.lang, f"{raw.title}\n{raw.body}")
        passages = split_passages(raw.body or raw.title, self.passage_max_chars) or [raw.title]
        feed_item = raw.extra.get(FEED_ITEM) == "1"
        return _Prepared(
            label=item.label,
            raw=raw,
            url=canonical_url(raw.url, keep_fragment=feed_item),
            digest=content_hash(raw.title, raw.body),
            passages=passages,
            notice=join_notes(*notes),
            scope=_scope(source_id, raw.source_name),
            guid=raw.guid if feed_item and raw.guid else None,
            # Short texts are hashed with their title already: then this equals ``digest``.
            titled=content_hash("", f"{raw.title}\n{raw.body}"),
        )

    def _existing(self, batch: list[_Prepared]) -> _Known:
        """The stored articles that share a feed GUID, URL or digest with ``batch``."""
        known = _Known()
        keys = {
            "guid": sorted({p.guid for p in batch if p.guid}),
            "url": sorted({p.url for p in batch if p.url}),
            "content_hash": sorted({d for p in batch for d in (p.digest, p.titled)}),
        }
        with self.engine.connect() as conn:
            for column, values in keys.items():
                if not values:
                    continue
                sql = text(
                    "SELECT url, guid, content_hash, title, source_id, source_name "
                    f"FROM article WHERE {column} IN :v"
                ).bindparams(bindparam("v", expanding=True))
                for url, guid, digest, title, source_id, source_name in conn.execute(
                    sql, {"v": values}
                ):
                    held = _Held(
                        _scope(source_id, source_name), guid, digest, _title_key(title), _host(url)
                    )
                    known.add(url, guid, held)
        return known

    @staticmethod
    def _duplicate(prepared: _Prepared, known: _Known) -> str | None:
        """Why ``prepared`` is already in ``known``, or None when it is new.

        A new feed entry that shares its link with another entry of its source,
        or its text with a differently titled entry of its source or site, is
        new: its keys are changed here (no link; the titled digest).
        """
        p = prepared
        if p.guid is not None and (p.scope, p.guid) in known.guids:
            return "same feed item already stored"
        if p.url and (held := known.urls.get(p.url)) is not None:
            shared_link = (
                p.guid is not None
                and held.scope == p.scope
                and held.guid != p.guid
                and held.digest not in (p.digest, p.titled)
            )
            if not shared_link:
                return "same URL already stored"
            p.url = None  # the feed gives this link to several entries: it names none of them
        if (held := known.digests.get(p.digest)) is not None:
            own_entry = (
                p.guid is not None
                and held.title != _title_key(p.raw.title)
                and (held.scope == p.scope or (held.host != "" and held.host == _host(p.url)))
            )
            if not own_entry or p.titled in known.digests:
                return "same text already stored"
            p.digest = p.titled
        elif p.titled != p.digest and p.titled in known.digests:
            return "same text already stored"
        return None

    def _screen(
        self, batch: list[_Prepared], pending: _Screened | None, pool: ThreadPoolExecutor
    ) -> _Screened:
        """Set duplicates aside and start encoding the rest.

        Duplicates are what the database holds, what ``pending`` (the batch being
        written, not yet committed) holds, and what comes twice in ``batch``.
        """
        outcomes: list[Outcome] = []
        known = self._existing(batch)
        if pending is not None:
            known.update(pending.known)
        fresh: list[_Prepared] = []
        mine = _Known()
        for prepared in batch:
            reason = self._duplicate(prepared, known)
            if reason is not None:
                outcomes.append(self._dup(prepared, reason))
                continue
            fresh.append(prepared)
            held = prepared.held()
            known.add(prepared.url, prepared.guid, held)
            mine.add(prepared.url, prepared.guid, held)
        texts = [embedding_text(p.raw.title, passage) for p in fresh for passage in p.passages]
        vectors = pool.submit(self.embedder.passages, texts) if fresh else None
        return _Screened(batch, outcomes, fresh, vectors, mine)

    def _finish(
        self,
        screened: _Screened,
        source_id: int | None,
        progress: Callable[[int], None] | None,
    ) -> list[Outcome]:
        """Write a screened batch once its vectors are ready.

        When the batch fails (another process stored some of these meanwhile, or one
        item's text breaks the encoder or the write), its items are tried one at a
        time: each bad one is reported, the rest stored.
        """
        outcomes = screened.outcomes
        fresh = screened.fresh
        if screened.vectors is not None:
            try:
                vectors: Vectors | None = screened.vectors.result()
            except Exception:
                log.exception("encoding a batch of %d failed; encoding one at a time", len(fresh))
                vectors = None
            if vectors is None:
                outcomes += self._one_by_one(fresh, None, source_id)
            else:
                try:
                    outcomes += self._write(fresh, vectors, source_id)
                except Exception as exc:
                    if self._systemic(exc):
                        raise
                    if not isinstance(exc, IntegrityError):
                        log.warning("writing a batch failed (%s); one at a time", short_error(exc))
                    outcomes += self._one_by_one(fresh, vectors, source_id)
        if progress:
            progress(len(screened.batch))
        return self._in_input_order(screened.batch, outcomes)

    def _one_by_one(
        self, fresh: list[_Prepared], vectors: Vectors | None, source_id: int | None
    ) -> list[Outcome]:
        """Encode (when ``vectors`` is None) and write each item alone."""
        outcomes: list[Outcome] = []
        offset = 0
        for prepared in fresh:
            count = len(prepared.passages)
            try:
                if vectors is None:
                    texts = [embedding_text(prepared.raw.title, p) for p in prepared.passages]
                    part = self.embedder.passages(texts)
                else:
                    part = vectors[offset : offset + count]
                outcomes += self._write([prepared], part, source_id)
            except IntegrityError:
                outcomes.append(self._dup(prepared, "stored concurrently"))
            except Exception as exc:
                if self._systemic(exc):
                    raise
                reason = short_error(exc)
                log.warning("could not store %s: %s", prepared.label, reason)
                outcomes.append(
                    Outcome(
                        prepared.label,
                        "failed",
                        f"could not store it: {reason}",
                        title=prepared.raw.title,
                        retry=True,
                    )
                )
            offset += count
        return outcomes

    def _systemic(self, exc: BaseException) -> bool:
        """True when the database itself is in trouble rather than one item's data: the run
        then stops (and a poll is retried) instead of reporting every item as failed."""
        if isinstance(exc, DBAPIError) and exc.connection_invalidated:
            return True
        if not isinstance(exc, OperationalError | InterfaceError):
            return False
        message = str(exc.orig).lower()
        if any(marker in message for marker in _SYSTEMIC):
            return True
        try:  # an operational error on one item only (a Postgres size limit), or the server?
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception:
            return True
        return False

    @staticmethod
    def _in_input_order(batch: list[_Prepared], outcomes: list[Outcome]) -> list[Outcome]:
        rank = {p.label: i for i, p in enumerate(batch)}
        return sorted(outcomes, key=lambda o: rank.get(o.label, len(rank)))

    @staticmethod
    def _dup(prepared: _Prepared, reason: str) -> Outcome:
        return Outcome(prepared.label, "duplicate", reason, title=prepared.raw.title)

    def _write(
        self, fresh: list[_Prepared], vectors: Vectors, source_id: int | None
    ) -> list[Outcome]:
        now = datetime.now(UTC)
        outcomes = []
        with Session(self.engine, expire_on_commit=False) as session:
            articles = []
            for p in fresh:
                article = Article(
                    source_id=source_id,
                    source_name=p.raw.source_name or "",
                    url=p.url,
                    guid=p.raw.guid,
                    title=p.raw.title,
                    body=p.raw.body,
                    section=p.raw.section,
                    lang=p.raw.lang or "es",
                    published_at=p.raw.published_at,
                    first_seen_at=now,
                    content_hash=p.digest,
                )
                session.add(article)
                articles.append(article)
            session.flush()
            rows = []
            offset = 0
            ledes: list[int] = []  # row of each article's first passage (title + lede)
            for p, article in zip(fresh, articles, strict=True):
                assert article.id is not None
                ledes.append(offset)
                for order, passage in enumerate(p.passages):
                    rows.append(
                        {
                            "article_id": article.id,
                            "ord": order,
                            "text": passage,
                            "embedding": vectors[offset].tobytes(),
                        }
                    )
                    offset += 1
            session.execute(insert(Passage.__table__), rows)  # type: ignore[attr-defined]
            self._entities(session, articles)
            self._figures(session, articles)
            self.stories.assign(session, articles, [p.passages[0] for p in fresh], vectors[ledes])
            if self.on_stored:
                self.on_stored(session, [a.id for a in articles if a.id is not None])
            session.commit()
            self.stories.committed()
            for p, article in zip(fresh, articles, strict=True):
                outcomes.append(
                    Outcome(
                        p.label, "new", article_id=article.id, title=article.title, notice=p.notice
                    )
                )
        if self.after_commit is not None:
            self.after_commit()
        return outcomes

    def _figures(self, session: Session, articles: list[Article]) -> None:
        rows = []
        for article in articles:
            seen: set[tuple[str, str]] = set()
            for fig in extract_figures(article.body, article.lang, self.extractor.gazetteer):
                if (fig.text, fig.sentence) in seen:
                    continue
                seen.add((fig.text, fig.sentence))
                rows.append(
                    {
                        "article_id": article.id,
                        "text": fig.text,
                        "value": fig.value,
                        "unit": fig.unit,
                        "subject": fig.subject,
                        "sentence": fig.sentence[:2000],
                    }
                )
        if rows:
            session.execute(insert(Figure), rows)

    def _entities(self, session: Session, articles: list[Article]) -> None:
        """Entity rows (one statement for all new names) and the article links.

        ``ON CONFLICT DO NOTHING`` makes a name created meanwhile by a concurrent
        writer harmless, without a SAVEPOINT and flush per new name (measured: that
        was a quarter of the non-encoding ingest time).
        """
        found = {
            a.id: {
                name: mention
                for name, mention in self.extractor.extract(a.title, a.body).items()
                if len(name) <= MAX_ENTITY_CHARS  # a 6,000-letter "name" is not one
            }
            for a in articles
        }
        names: dict[str, tuple[str, bool]] = {}
        for per in found.values():
            for name, (kind, _count, gazetteer) in per.items():
                names.setdefault(name, (kind, gazetteer))
        if not names:
            return
        table = Entity.__table__  # type: ignore[attr-defined]
        dialect = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
        rows = [{"name": n, "kind": k, "from_gazetteer": g} for n, (k, g) in names.items()]
        session.execute(dialect(table).on_conflict_do_nothing(index_elements=["name"]), rows)
        ids = dict(
            session.execute(select(Entity.name, Entity.id).where(col(Entity.name).in_(names))).all()
        )
        links = [
            {"article_id": aid, "entity_id": ids[name], "count": count}
            for aid, per in found.items()
            for name, (_kind, count, _g) in per.items()
        ]
        if links:
            session.execute(insert(ArticleEntity), links)
