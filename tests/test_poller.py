"""Feed polling against local servers: conditional requests, hostile sources, source health.

Every network test talks to a LocalServer on 127.0.0.1 (or an httpx mock
transport for the public-address case), never to the internet.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from checkout import PROJECT_ROOT
from conftest import SHARED, make_settings
from httpserver import LocalServer, Reply
from sqlalchemy import func
from sqlmodel import Session, select

from bot.core import Core
from bot.index.embedder import HashingEmbedder
from bot.ingest.feeds import parse_feed
from bot.ingest.fetch import Fetcher
from bot.ingest.poller import Poller, backoff, items_from_url
from bot.models import Article, Source, Story
from bot.settings import Settings
from bot.sources import add_source
from bot.text import clean_whitespace, content_hash

AI_FEEDS = sorted((SHARED / "datasets/feeds/ai").glob("*.xml"))
SAMPLES = sorted((SHARED / "datasets/feeds/samples").iterdir())
GOOD_FEED = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Good feed</title><link>http://good.example/</link>
<item><title>OpenAI ships a new reasoning model</title><link>http://good.example/a</link>
<guid>good-a</guid><pubDate>Tue, 03 Jun 2025 09:00:00 GMT</pubDate>
<description>OpenAI released a reasoning model that the company says is faster and cheaper than
its predecessor on math and coding benchmarks, and available to all developers today through
the API, with lower prices for batch requests and a larger context window than before, which
matters for long documents and large codebases that developers feed into the model.</description>
</item></channel></rss>"""
ENTITY_BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<rss version="2.0"><channel><title>&lol3;</title>
<item><title>&lol3;</title></item></channel></rss>"""
HTML_PAGE = b"""<!doctype html><html><head><title>Home</title></head><body><h1>Welcome</h1>
<p>This is a company home page, not a feed.</p></body></html>"""


def fetcher(**overrides: object) -> Fetcher:
    options: dict[str, object] = {
        "allow_private_networks": True,
        "per_host_interval": 0.0,
        "retries": 0,
        "deadline": 10.0,
    }
    options.update(overrides)
    return Fetcher(**options)  # type: ignore[arg-type]


@pytest.fixture
def private_settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, allow_private_networks=True, source_max_failures=3)


@pytest.fixture
def pcore(private_settings: Settings) -> Iterator[Core]:
    built = Core.build(private_settings, embedder=HashingEmbedder())
    yield built
    built.engine.dispose()


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as srv:
        yield srv


def count(core: Core, model: type) -> int:
    with Session(core.engine) as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())


def source_row(core: Core, source_id: int) -> Source:
    with Session(core.engine) as s:
        row = s.get(Source, source_id)
        assert row is not None
        return row


def expected_unique(paths: list[Path], base: str) -> int:
    """Items once each: every entry of a feed (its GUID), but a post another feed already
    gave under the same title and text only once (see tests/test_ingest_distinct.py)."""
    seen: set[tuple[str, str]] = set()
    for path in paths:
        for item in parse_feed(path.read_bytes(), url=f"{base}/{path.name}").items:
            title = clean_whitespace(item.title).replace("\n", " ")[:500]
            seen.add((title, content_hash(title, clean_whitespace(item.body))))
    return len(seen)


# ---------------------------------------------------------------------- the 34 AI feeds


def test_all_ai_feeds_stored_once_then_304s_add_nothing(pcore: Core, server: LocalServer) -> None:
    assert len(AI_FEEDS) == 34
    ids = []
    for path in AI_FEEDS:
        server.static(f"/{path.name}", path.read_bytes(), content_type="application/rss+xml")
        ids.append(add_source(pcore, server.url(f"/{path.name}"), name=path.stem).id)
    with fetcher() as f:
        first = Poller(pcore, f).poll_all()
        assert not first.failed, [(s.name, s.error) for s in first.failed]
        expected = expected_unique(AI_FEEDS, server.url(""))
        assert first.new == count(pcore, Article) == expected
        assert len(server.requests) == 34
        with Session(pcore.engine) as s:
            names = set(s.execute(select(Article.source_name)).scalars())
            assert names == {p.stem for p in AI_FEEDS} - {
                src.name for src in first.sources if src.new == 0
            }
            assert None not in set(s.execute(select(Article.source_id)).scalars())
            assert None not in set(s.execute(select(Article.story_id)).scalars())
        before = (count(pcore, Article), count(pcore, Story))

        second = Poller(pcore, f).poll_all()
    assert not second.failed and second.new == 0
    assert all(s.not_modified for s in second.sources)
    again = server.requests[34:]
    assert len(again) == 34
    assert all(r.headers.get("If-None-Match") == '"v1"' for r in again)
    assert all(r.headers.get("If-Modified-Since") for r in again)
    assert (count(pcore, Article), count(pcore, Story)) == before
    for sid in ids:
        row = source_row(pcore, sid)
        assert row.last_success_at is not None and row.consecutive_failures == 0
        assert row.etag == '"v1"'


# ---------------------------------------------------------------------- real-world samples


def test_every_sample_file_ingests_or_records_a_clear_error(
    pcore: Core, server: LocalServer
) -> None:
    for path in SAMPLES:
        kind = "application/json" if path.suffix == ".json" else "application/xml"
        server.content(f"/{path.name}", path.read_bytes(), kind)
        add_source(pcore, server.url(f"/{path.name}"), name=path.name)
    with fetcher() as f:
        report = Poller(pcore, f).poll_all()
    assert len(report.sources) == len(SAMPLES)
    failed = report.failed
    assert len(failed) < len(SAMPLES) // 4
    for poll in failed:
        assert poll.error and poll.error.startswith("not a feed: "), poll.error
        assert source_row(pcore, poll.source_id).last_error == poll.error
    assert report.new == count(pcore, Article) > 100


# ---------------------------------------------------------------------- hostile sources


def test_hostile_sources_fail_clearly_while_a_good_one_is_ingested(
    pcore: Core, server: LocalServer
) -> None:
    server.static("/good.xml", GOOD_FEED, content_type="application/rss+xml")
    server.big("/huge.xml", 50 * 1024 * 1024)
    server.content("/bomb.xml", ENTITY_BOMB, "application/rss+xml")
    server.redirect_loop("/loop-a", "/loop-b")
    server.trickle("/slow.xml", GOOD_FEED, interval=1.0)
    server.content("/page.html", HTML_PAGE, "text/html; charset=utf-8")
    paths = ["/huge.xml", "/bomb.xml", "/loop-a", "/slow.xml", "/page.html", "/good.xml"]
    ids = {p: add_source(pcore, server.url(p), name=p).id for p in paths}
    started = time.monotonic()
    with fetcher(deadline=2.0) as f:
        report = Poller(pcore, f).poll_all()
    assert time.monotonic() - started < 15
    errors = {s.name: s.error for s in report.sources}
    assert errors["/good.xml"] is None
    assert errors["/huge.xml"] == "response larger than 10 MB"
    assert "entity" in (errors["/bomb.xml"] or "").lower()
    assert "too many redirects" in (errors["/loop-a"] or "")
    assert "server too slow" in (errors["/slow.xml"] or "")
    assert errors["/page.html"] == "not a feed: the URL returned an HTML page"
    assert report.new == 1 == count(pcore, Article)
    for path, sid in ids.items():
        row = source_row(pcore, sid)
        assert row.last_error == errors[path]
        assert row.consecutive_failures == (0 if path == "/good.xml" else 1)


def test_private_address_refused_with_the_setting_off(settings: Settings) -> None:
    """A public-looking address served by a mock transport stands in for the internet."""
    core = Core.build(settings, embedder=HashingEmbedder())

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=GOOD_FEED, headers={"Content-Type": "text/xml"})

    try:
        with Session(core.engine) as s:  # add_source would refuse it up front; the poll must too
            s.add(Source(kind="feed", url="http://127.0.0.1:9/feed.xml", name="private"))
            s.add(Source(kind="feed", url="http://10.1.2.3/feed.xml", name="lan"))
            s.add(Source(kind="feed", url="http://93.184.215.14/feed.xml", name="public"))
            s.commit()
        transport = httpx.MockTransport(handler)
        with fetcher(allow_private_networks=False, transport=transport) as f:
            report = Poller(core, f).poll_all()
        errors = {s.name: s.error for s in report.sources}
        assert errors["public"] is None and report.new == 1
        for name in ("private", "lan"):
            assert (errors[name] or "").startswith("refused: ")
            assert "AINEWS_ALLOW_PRIVATE_NETWORKS=true" in (errors[name] or "")
    finally:
        core.engine.dispose()


# ---------------------------------------------------------------------- health


def test_source_backs_off_after_n_failures_and_is_skipped_until_due(
    pcore: Core, server: LocalServer
) -> None:
    server.content("/broken.xml", b"oops", "text/plain", status=500)
    server.static("/good.xml", GOOD_FEED, content_type="application/rss+xml")
    bad = add_source(pcore, server.url("/broken.xml"), name="broken").id
    add_source(pcore, server.url("/good.xml"), name="good")
    now = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
    with fetcher() as f:
        poller = Poller(pcore, f, clock=lambda: now)
        for n in range(1, 4):
            report = poller.poll_all()
            row = source_row(pcore, bad)
            assert (
                row.consecutive_failures == n and row.last_error == "HTTP 500 Internal Server Error"
            )
        # The third failure (source_max_failures=3) starts the backoff: two poll intervals.
        assert report.sources[0].change == "failing" and row.enabled
        assert report.sources[0].next_try_at == now + timedelta(minutes=60)
        assert row.next_try_at is not None and row.next_try_at.replace(tzinfo=UTC) == (
            now + timedelta(minutes=60)
        )
        asked = len(server.requests_to("/broken.xml"))
        report = poller.poll_all()
    assert len(server.requests_to("/broken.xml")) == asked == 3
    assert [s.name for s in report.sources] == ["good"]


def test_backoff_doubles_and_is_capped_at_a_day() -> None:
    interval = timedelta(minutes=30)
    waits = [backoff(n, 5, interval) for n in range(1, 14)]
    assert waits[:4] == [None] * 4
    assert waits[4:9] == [timedelta(hours=h) for h in (1, 2, 4, 8, 16)]
    assert waits[9:] == [timedelta(hours=24)] * 4
    assert backoff(10_000, 5, interval) == timedelta(hours=24)


def test_success_resets_the_failure_streak(pcore: Core, server: LocalServer) -> None:
    server.sequence(
        "/flaky.xml",
        [Reply(503, {"Content-Length": "0"}), Reply(200, {"Content-Type": "text/xml"}, GOOD_FEED)],
    )
    sid = add_source(pcore, server.url("/flaky.xml"), name="flaky").id
    with fetcher() as f:
        Poller(pcore, f).poll_all()
        assert source_row(pcore, sid).consecutive_failures == 1
        Poller(pcore, f).poll_all()
    row = source_row(pcore, sid)
    assert row.consecutive_failures == 0 and row.last_error is None and row.last_success_at


def test_validators_saved_only_after_the_items_are_stored(pcore: Core, server: LocalServer) -> None:
    server.static("/good.xml", GOOD_FEED, content_type="application/rss+xml")
    sid = add_source(pcore, server.url("/good.xml"), name="good").id

    def crash(session: Session, ids: list[int]) -> None:
        raise RuntimeError("disk full")

    pcore.ingester.on_stored = crash
    with fetcher() as f:
        report = Poller(pcore, f).poll_all()
        [poll] = report.sources  # the item failed, named; the source did not
        assert poll.error is None and poll.failed_items == 1 and "disk full" in poll.notes[0]
        assert source_row(pcore, sid).etag is None
        pcore.ingester.on_stored = None
        report = Poller(pcore, f).poll_all()
    assert report.new == 1
    assert "If-None-Match" not in server.requests_to("/good.xml")[1].headers


# ---------------------------------------------------------------------- full text


def test_teasers_get_the_full_page_once(pcore: Core, server: LocalServer) -> None:
    page = (
        "<html><head><title>Mistral raises funds</title></head><body><article>"
        "<h1>Mistral raises funds</h1>"
        + "".join(
            f"<p>Paragraph {n}: Mistral AI said the new round values the Paris-based company "
            f"at several billion euros and will fund training of larger open models.</p>"
            for n in range(8)
        )
        + "</article></body></html>"
    ).encode()
    server.content("/article", page, "text/html; charset=utf-8")
    feed = f"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
<item><title>Mistral raises funds</title><link>{server.url("/article")}</link>
<description>Mistral AI raised a new round. Read more</description></item>
</channel></rss>""".encode()
    server.static("/teasers.xml", feed, content_type="application/rss+xml", etag=None)
    sid = add_source(pcore, server.url("/teasers.xml"), name="Teasers", lang="en").id
    with Session(pcore.engine) as s:
        row = s.get(Source, sid)
        assert row is not None
        row.full_text = True
        s.add(row)
        s.commit()
    with fetcher() as f:
        assert Poller(pcore, f).poll_all().new == 1
        Poller(pcore, f).poll_all()
    assert len(server.requests_to("/article")) == 1  # the second poll knows the URL
    with Session(pcore.engine) as s:
        article = s.execute(select(Article)).scalar_one()
    assert article.source_name == "Teasers" and article.source_id == sid
    assert "Paragraph 7" in article.body and article.lang == "en"


# ---------------------------------------------------------------------- ingest URL


def test_items_from_url_feed_page_and_failure(server: LocalServer) -> None:
    server.content("/feed", GOOD_FEED, "application/rss+xml")
    server.content(
        "/page",
        b"<html><head><title>Big news</title></head><body><article><h1>Big news</h1><p>"
        + b"Anthropic released a new model today, the company said in a statement. " * 5
        + b"</p></article></body></html>",
        "text/html",
    )
    with fetcher() as f:
        feed = items_from_url(f, server.url("/feed"))
        page = items_from_url(f, server.url("/page"))
        missing = items_from_url(f, server.url("/nothing"))
    assert [i.result.title for i in feed] == ["OpenAI ships a new reasoning model"]  # type: ignore[union-attr]
    assert page[0].result.title == "Big news"  # type: ignore[union-attr]
    assert str(missing[0].result) == "HTTP 404 Not Found"
    with Fetcher(allow_private_networks=False) as f:
        refused = items_from_url(f, server.url("/feed"))
    assert "AINEWS_ALLOW_PRIVATE_NETWORKS=true" in str(refused[0].result)


# ---------------------------------------------------------------------- restart safety

RUNNER = """
import sys
from bot import cli
from bot.index.embedder import HashingEmbedder

_core = cli._core
cli._core = lambda settings, **kw: _core(settings, embedder=HashingEmbedder(), **kw)
sys.exit(cli.main(sys.argv[1:]))
"""


def test_killed_ingest_loses_and_duplicates_nothing(tmp_path: Path, server: LocalServer) -> None:
    for path in AI_FEEDS:
        server.static(f"/{path.name}", path.read_bytes(), content_type="application/rss+xml")
    urls = [server.url(f"/{p.name}") for p in AI_FEEDS]
    db = tmp_path / "kill.db"
    env = {
        **os.environ,
        "AINEWS_DATABASE_URL": f"sqlite:///{db}",
        "AINEWS_DATA_DIR": str(tmp_path),
        "AINEWS_ALLOW_PRIVATE_NETWORKS": "true",
        "AINEWS_FETCH_HOST_INTERVAL": "0",
        "AINEWS_EMBEDDING_BATCH_SIZE": "16",
    }
    command = [sys.executable, "-c", RUNNER, "ingest", "--json", *urls]
    proc = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE)
    stored_at_kill = 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        stored_at_kill = _articles(db)
        if stored_at_kill >= 50:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.02)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    expected = expected_unique(AI_FEEDS, server.url(""))
    assert 0 < stored_at_kill <= _articles(db) < expected

    rerun = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr.decode()[-2000:]
    with sqlite3.connect(db) as conn:
        # Three Windsurf re-releases share another entry's link and are stored without one.
        articles = conn.execute(
            "SELECT count(*), count(DISTINCT coalesce(url, guid)) FROM article"
        ).fetchone()
        orphans = conn.execute(
            "SELECT count(*) FROM passage WHERE article_id NOT IN (SELECT id FROM article)"
        ).fetchone()[0]
        empty = conn.execute(
            "SELECT count(*) FROM story WHERE id NOT IN (SELECT story_id FROM article)"
        ).fetchone()[0]
        unassigned = conn.execute("SELECT count(*) FROM article WHERE story_id IS NULL").fetchone()
    assert articles == (expected, expected)
    assert orphans == 0 and empty == 0 and unassigned[0] == 0


def _articles(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return int(conn.execute("SELECT count(*) FROM article").fetchone()[0])
    except sqlite3.Error:
        return 0


def test_poll_source_never_raises(pcore: Core, monkeypatch: pytest.MonkeyPatch) -> None:
    with Session(pcore.engine, expire_on_commit=False) as s:
        source = Source(kind="feed", url="http://127.0.0.1:9/x", name="x")
        s.add(source)
        s.commit()

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("bug")

    with fetcher() as f:
        monkeypatch.setattr(f, "fetch", broken)
        poll = Poller(pcore, f).poll_source(source)
    assert poll.error == "internal error: ZeroDivisionError: bug"
    assert source_row(pcore, poll.source_id).consecutive_failures == 1


# ---------------------------------------------------------------------- healing + ops channel


def test_failing_feed_heals_on_its_backoff_schedule_with_two_ops_notices(
    tmp_path: Path, server: LocalServer
) -> None:
    """Six failures, then the server answers again: the source is retried on its backoff
    schedule, healthy again with no command, and the ops channel hears of it exactly twice."""
    import asyncio
    import threading

    from fakeplatform import FakeSender

    from bot.app import ops_notifier

    settings = make_settings(
        tmp_path,
        allow_private_networks=True,
        ops_channel="discord:123456789012345678",
        ops_lang="es",
    )
    core = Core.build(settings, embedder=HashingEmbedder())
    failure = Reply(500, {"Content-Length": "0"})
    server.sequence("/flaky.xml", [failure] * 6 + [Reply(200, {}, GOOD_FEED)])
    sid = add_source(core, server.url("/flaky.xml"), name="Flaky @everyone").id
    ops = FakeSender("discord")
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()

    async def wire() -> Any:  # as bot.app.build_scheduler does, on the bot's loop
        return ops_notifier(settings, [ops])

    notifier = asyncio.run_coroutine_threadsafe(wire(), loop).result(10)
    start = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
    polled_at: list[timedelta] = []
    try:
        with fetcher() as f:
            for step in range(0, 12 * 60 + 1, 30):  # the scheduler's beat, 30 min, 12 h
                now = start + timedelta(minutes=step)
                asked = len(server.requests_to("/flaky.xml"))
                report = Poller(core, f, clock=lambda now=now: now).poll_all()
                notifier.feed_changes(report)
                if len(server.requests_to("/flaky.xml")) > asked:
                    polled_at.append(now - start)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        core.engine.dispose()
    # Every beat until the 5th failure, then after 1 h and 2 h (doubling), then healthy.
    hours = [t / timedelta(hours=1) for t in polled_at]
    assert hours[:7] == [0, 0.5, 1, 1.5, 2, 3, 5], hours
    assert hours[7:] == [5.5 + 0.5 * n for n in range(len(hours) - 7)], "back to every beat"
    row = source_row(core, sid)
    assert row.enabled and row.consecutive_failures == 0 and row.last_error is None
    assert row.next_try_at is None and row.last_success_at is not None
    notices = [reply.text for reply in ops.messages["123456789012345678"]]
    assert len(notices) == 2, notices
    assert notices[0].startswith(f"La fuente {sid} «Flaky @everyone» falla (5 veces seguidas)")
    assert "HTTP 500" in notices[0] and "próximo intento: 2026-01-01 12:00 UTC" in notices[0]
    assert notices[1] == (
        f"La fuente {sid} «Flaky @everyone» funciona de nuevo "
        "(último error: HTTP 500 Internal Server Error)."
    )
