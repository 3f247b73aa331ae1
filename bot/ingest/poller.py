"""Poll feed sources: conditional fetch, parse, optional full text, ingest, source health.

One failing source must never stop the others, so every source is polled in
its own error boundary and the outcome recorded on its row (last success, last
error, consecutive failures). A source that keeps failing backs off: from the
``source_max_failures``-th failure in a row it waits twice as long after each new
one (capped at a day, :func:`backoff`), so it stops costing a fetch every interval
yet heals by itself once the server answers again. Crossing into that state and
recovering from it are reported once each (``SourcePoll.change``; bot/ops.py posts
them to the ops channel).

Fetching runs in a few threads (a slow server only holds its own worker, up to
the fetcher's deadline); storing runs in the calling thread, one source at a
time, so the database sees a single writer. The ETag/Last-Modified validators
are saved only after the items are stored: a crash mid-ingest must not turn
the next poll into a 304 that hides the items never stored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import bindparam, text
from sqlmodel import Session, col, select

from bot.core import Core
from bot.ingest.extract import extract_article, looks_like_feed
from bot.ingest.feeds import parse_feed
from bot.ingest.fetch import Fetcher, FetchResult
from bot.ingest.files import Item
from bot.ingest.pipeline import canonical_url
from bot.ingest.types import IngestError, RawArticle, public_reason, short_error
from bot.models import Source
from bot.settings import Settings
from bot.text import clean_text
from bot.utc import aware

log = logging.getLogger(__name__)

#: Longest error kept on a source row (a readable reason, not a traceback).
MAX_ERROR_CHARS = 500
#: The longest a failing source waits between two tries.
MAX_BACKOFF = timedelta(hours=24)

Change = Literal["failing", "recovered"]


def backoff(failures: int, max_failures: int, interval: timedelta) -> timedelta | None:
    """How long a source that failed ``failures`` times in a row waits before its next try;
    ``None`` below ``max_failures`` (it is simply polled again with the others)."""
    if failures < max_failures:
        return None
    return min(MAX_BACKOFF, interval * 2 ** min(failures - max_failures + 1, 32))


def make_fetcher(settings: Settings, **overrides: object) -> Fetcher:
    """The fetcher every poll and ``ingest URL`` uses, honouring the private-network setting."""
    options: dict[str, object] = {
        "allow_private_networks": settings.allow_private_networks,
        "per_host_interval": settings.fetch_host_interval,
    }
    options.update(overrides)
    return Fetcher(**options)  # type: ignore[arg-type]


@dataclass
class SourcePoll:
    """What one source's poll did; ``error`` is set when the source failed."""

    source_id: int
    name: str
    new: int = 0
    duplicates: int = 0
    failed_items: int = 0
    not_modified: bool = False
    error: str | None = None
    #: "failing" when this poll made it a failing source, "recovered" when it healed.
    change: Change | None = None
    failures: int = 0
    next_try_at: datetime | None = None
    last_error: str | None = None
    url: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass
class PollReport:
    sources: list[SourcePoll] = field(default_factory=list)

    @property
    def new(self) -> int:
        return sum(s.new for s in self.sources)

    @property
    def failed(self) -> list[SourcePoll]:
        return [s for s in self.sources if s.error]


@dataclass(slots=True)
class _Fetched:
    """A source's fetch-and-parse result, produced in a worker thread."""

    items: list[Item] = field(default_factory=list)
    result: FetchResult | None = None
    error: str | None = None
    notes: list[str] = field(default_factory=list)


class Poller:
    """Polls every enabled feed source, or one, and records each source's health."""

    def __init__(
        self,
        core: Core,
        fetcher: Fetcher,
        *,
        workers: int = 4,
        clock: Callable[[], datetime] | None = None,
        progress: Callable[[SourcePoll], None] | None = None,
    ) -> None:
        self.core = core
        self.fetcher = fetcher
        self.workers = max(1, workers)
        self.max_failures = max(1, core.settings.source_max_failures)
        self.interval = timedelta(minutes=max(1, core.settings.poll_interval_minutes))
        self.clock = clock or (lambda: datetime.now(UTC))
        self.progress = progress

    def due_sources(self) -> list[Source]:
        """The enabled feed sources whose next try has come (none backing off)."""
        with Session(self.core.engine, expire_on_commit=False) as session:
            sources = session.execute(
                select(Source)
                .where(col(Source.enabled), Source.kind == "feed")
                .order_by(col(Source.id))
            ).scalars()
            now = self.clock()
            return [s for s in sources if s.next_try_at is None or aware(s.next_try_at) <= now]

    def poll_all(self, sources: list[Source] | None = None) -> PollReport:
        """Poll ``sources``, by default those due (:meth:`due_sources`); never raises
        (errors are recorded per source)."""
        report = PollReport()
        if sources is None:
            try:
                sources = self.due_sources()
            except Exception:  # the database being down is logged, not raised into the scheduler
                log.exception("could not list sources")
                return report
        with ThreadPoolExecutor(self.workers, thread_name_prefix="poll") as pool:
            futures = [(s, pool.submit(self._fetch, s)) for s in sources]
            for source, future in futures:
                try:
                    fetched = future.result()
                except Exception as exc:  # a bug in one source's parsing
                    log.exception("polling %s failed", source.url)
                    fetched = _Fetched(error=f"internal error: {short_error(exc)}")
                report.sources.append(self._store(source, fetched))
                if self.progress is not None:
                    self.progress(report.sources[-1])
        return report

    def poll_source(self, source: Source) -> SourcePoll:
        """Poll one source now (enabled or not); never raises."""
        try:
            fetched = self._fetch(source)
        except Exception as exc:
            log.exception("polling %s failed", source.url)
            fetched = _Fetched(error=f"internal error: {short_error(exc)}")
        return self._store(source, fetched)

    # ------------------------------------------------------------------ worker side

    def _fetch(self, source: Source) -> _Fetched:
        """Fetch (conditionally) and parse one source; failures come back as ``error``."""
        out = _Fetched()
        try:
            result = self.fetcher.fetch(
                source.url, etag=source.etag, last_modified=source.last_modified
            )
            out.result = result
            if result.not_modified:
                return out
            feed = parse_feed(result.content, url=result.url, content_type=result.content_type)
        except IngestError as exc:
            out.error = str(exc)
            return out
        known = self._stored_urls([i.url for i in feed.items if i.url])
        for raw in feed.items:
            raw.source_name = source.name
            raw.lang = raw.lang or source.lang
            label = f"{source.name}: {raw.url or raw.guid or raw.title[:60]}"
            if source.full_text and raw.extra.get("teaser") == "1" and raw.url:
                if canonical_url(raw.url) not in known:
                    note = self._full_text(raw)
                    if note:
                        out.notes.append(f"{label}: {note}")
            out.items.append(Item(label, raw))
        return out

    def _full_text(self, raw: RawArticle) -> str | None:
        """Replace a teaser with the page's text; on failure keep the teaser and say why."""
        assert raw.url is not None
        try:
            page = self.fetcher.fetch(raw.url)
            article = extract_article(page.content, url=page.url)
        except IngestError as exc:
            return f"kept the feed's teaser (full text: {exc})"
        if len(article.body) <= len(raw.body):
            return None
        raw.body = article.body
        raw.published_at = raw.published_at or article.published_at
        raw.lang = raw.lang or article.lang
        raw.extra.pop("teaser", None)
        raw.extra["full_text"] = "1"
        return None

    def _stored_urls(self, urls: Sequence[str]) -> set[str]:
        """Already-stored URLs, so unchanged teasers do not cost a page fetch every poll."""
        canon = [u for u in (canonical_url(clean_text(x)) for x in urls) if u]
        if not canon:
            return set()
        sql = text("SELECT url FROM article WHERE url IN :u").bindparams(
            bindparam("u", expanding=True)
        )
        with self.core.engine.connect() as conn:
            return {r[0] for r in conn.execute(sql, {"u": canon})}

    # ------------------------------------------------------------------ storing side

    def _store(self, source: Source, fetched: _Fetched) -> SourcePoll:
        assert source.id is not None
        poll = SourcePoll(source.id, source.name, url=source.url, notes=fetched.notes)
        error = fetched.error
        # An item whose write failed (not one that is bad input) is offered again: the
        # validators are not saved, so the next poll is a full fetch, not a 304.
        retry = False
        if error is None and fetched.result is not None and fetched.result.not_modified:
            poll.not_modified = True
        elif error is None:
            try:
                report = self.core.ingester.ingest(fetched.items, source_id=source.id)
                poll.new = len(report.new)
                poll.duplicates = len(report.duplicates)
                poll.failed_items = len(report.failed)
                poll.notes += [f"{o.label}: {o.reason}" for o in report.failed]
                poll.notes += [f"{o.label}: {o.notice}" for o in report.notices]
                retry = any(o.retry for o in report.failed)
            except Exception as exc:  # database trouble: the source is fine, retry next time
                log.exception("storing items of %s failed", source.url)
                error = f"could not store the items: {short_error(exc)}"
        if error is not None:
            error = public_reason(error, MAX_ERROR_CHARS)  # one line, never SQL
        poll.error = error
        try:
            result = None if retry else fetched.result
            self._record(poll, result, error)
        except Exception:
            log.exception("could not record the health of source %s", source.id)
        return poll

    def _record(self, poll: SourcePoll, result: FetchResult | None, error: str | None) -> None:
        """Update the source's health, and on ``poll`` its failures, next try and change."""
        now = self.clock()
        with Session(self.core.engine) as session:
            row = session.get(Source, poll.source_id)
            if row is None:  # removed while we polled it
                return
            if error is None:
                if row.consecutive_failures >= self.max_failures:
                    poll.change = "recovered"
                    poll.last_error = row.last_error
                    log.info("source %s recovered", row.url)
                row.last_success_at = now
                row.last_error = None
                row.consecutive_failures = 0
                row.next_try_at = None
                if result is not None:
                    row.etag = result.etag
                    row.last_modified = result.last_modified
                    if result.url != row.url:
                        log.info("source %s now answers from %s", row.url, result.url)
            else:
                row.last_error = poll.last_error = public_reason(error, MAX_ERROR_CHARS)
                row.consecutive_failures += 1
                wait = backoff(row.consecutive_failures, self.max_failures, self.interval)
                row.next_try_at = now + wait if wait is not None else None
                if row.consecutive_failures == self.max_failures:
                    poll.change = "failing"
                    log.warning("source %s failing, backing off: %s", row.url, row.last_error)
            poll.failures = row.consecutive_failures
            poll.next_try_at = row.next_try_at
            session.add(row)
            session.commit()


def poll_sources(core: Core) -> PollReport:
    """One poll of every enabled source that is due (the scheduler's job)."""
    with make_fetcher(core.settings) as fetcher:
        return Poller(core, fetcher).poll_all()


# ---------------------------------------------------------------------- ad-hoc URLs


def items_from_url(fetcher: Fetcher, url: str) -> list[Item]:
    """``ainews ingest URL``: a feed's items, or the one article on a web page.

    Failures come back as one failed :class:`Item` labelled with the URL, so the
    caller reports them like a broken file and carries on with the other inputs.
    """
    url = clean_text(url).strip()  # a URL as typed: no NUL or lone surrogate goes further
    try:
        result = fetcher.fetch(url)
        if looks_like_feed(result.content, result.content_type):
            feed = parse_feed(result.content, url=result.url, content_type=result.content_type)
            name = feed.title or _host(result.url)
            items = []
            for raw in feed.items:
                raw.source_name = raw.source_name or name
                items.append(Item(f"{url} :: {raw.url or raw.guid or raw.title[:60]}", raw))
            return items
        raw = extract_article(result.content, url=result.url)
        raw.source_name = raw.source_name or _host(result.url)
        return [Item(url, raw)]
    except IngestError as exc:
        return [Item(url, exc)]
    except Exception as exc:  # a parser bug on hostile content: this URL fails, not the run
        log.exception("reading %s failed", url)
        return [Item(url, IngestError(f"could not read it: {short_error(exc)}"))]


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    return (urlsplit(url).hostname or url).removeprefix("www.")
