"""The safe fetcher against a local server: feeds, validators, and every refusal."""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator

import feedparser
import httpx
import pytest
from conftest import DATASETS as SHARED_DATASETS
from conftest import needs_datasets
from httpserver import LocalServer, Reply

from bot.ingest import fetch as fetch_module
from bot.ingest.feeds import FeedError, parse_feed
from bot.ingest.fetch import Fetcher, FetchError, FetchResult, human_size, is_private_address

AI_FEEDS = sorted((SHARED_DATASETS / "feeds/ai").glob("*.xml"))
RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>T</title><link>http://example.com/</link>
<item><title>One</title><link>http://example.com/1</link><description>Body</description></item>
</channel></rss>"""


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as srv:
        yield srv


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with Fetcher(allow_private_networks=True, per_host_interval=0, backoff=0.01) as f:
        yield f


def _distinct_entries(entries: list[dict[str, str]]) -> int:
    """Entries as feedparser counts them, less exact repeats (same id, title, date, text)."""
    keys = Counter(
        (e.get("id") or e.get("link"), e.get("title"), e.get("published"), e.get("summary"))
        for e in entries
    )
    return len(keys)


# ---------------------------------------------------------------------- the 34 AI feeds


@needs_datasets
def test_ai_feeds_dataset_is_present() -> None:
    assert len(AI_FEEDS) == 34


def test_all_ai_feeds_fetch_parse_and_revalidate(server: LocalServer, fetcher: Fetcher) -> None:
    total = expected = raw_total = 0
    for index, path in enumerate(AI_FEEDS):
        data = path.read_bytes()
        route = f"/ai/{path.name}"
        server.static(
            route,
            data,
            content_type="application/rss+xml; charset=utf-8",
            etag=f'"etag-{index}"',
            last_modified="Tue, 02 Jan 2024 10:00:00 GMT",
        )
        first = fetcher.fetch(server.url(route))
        assert first.status == 200 and not first.not_modified
        assert first.content == data
        assert first.etag == f'"etag-{index}"'
        assert first.last_modified == "Tue, 02 Jan 2024 10:00:00 GMT"

        feed = parse_feed(first.content, url=first.url, content_type=first.content_type)
        guids = [item.guid for item in feed.items]
        assert len(guids) == len(set(guids)), path.name
        assert all(item.title and item.guid for item in feed.items)
        assert all(
            item.published_at is None or item.published_at.utcoffset() is not None
            for item in feed.items
        )
        total += len(feed.items)
        direct = feedparser.parse(data).entries
        expected += _distinct_entries(direct)
        raw_total += len(direct)

        again = fetcher.fetch(server.url(route), etag=first.etag)
        assert again.not_modified and again.status == 304 and again.content == b""
        assert again.etag == first.etag
        by_date = fetcher.fetch(server.url(route), last_modified=first.last_modified)
        assert by_date.not_modified

        sent = server.requests_to(route)
        assert sent[1].headers["If-None-Match"] == f'"etag-{index}"'
        assert sent[2].headers["If-Modified-Since"] == "Tue, 02 Jan 2024 10:00:00 GMT"
        assert sent[0].headers["User-Agent"].startswith("ainews/0.1")
    assert total == expected
    # Only feed_paulgraham.xml repeats three entries verbatim; nothing else is dropped.
    assert raw_total - total == 3


# ---------------------------------------------------------------------- ordinary behaviour


def test_follows_redirects_and_reports_final_url(server: LocalServer, fetcher: Fetcher) -> None:
    server.content("/feed.xml", RSS, "application/rss+xml")
    server.redirect("/old", "/older")
    server.redirect("/older", "/feed.xml", status=301)
    result = fetcher.fetch(server.url("/old"))
    assert result.url == server.url("/feed.xml")
    assert result.content == RSS
    assert result.content_type == "application/rss+xml"


def test_http_error_status_is_readable_and_not_retried(
    server: LocalServer, fetcher: Fetcher
) -> None:
    with pytest.raises(FetchError, match=r"^HTTP 404 Not Found$"):
        fetcher.fetch(server.url("/missing"))
    assert len(server.requests_to("/missing")) == 1


def test_server_errors_are_retried_then_succeed(server: LocalServer, fetcher: Fetcher) -> None:
    server.sequence(
        "/flaky",
        [
            Reply(503, {"Content-Length": "0", "Retry-After": "0"}),
            Reply(429, {"Content-Length": "0"}),
            Reply(200, {"Content-Length": str(len(RSS))}, RSS),
        ],
    )
    assert fetcher.fetch(server.url("/flaky")).content == RSS
    assert len(server.requests_to("/flaky")) == 3


def test_persistent_server_error_gives_up(server: LocalServer, fetcher: Fetcher) -> None:
    server.content("/down", b"oops", "text/plain", status=500)
    with pytest.raises(FetchError, match=r"^HTTP 500 Internal Server Error$"):
        fetcher.fetch(server.url("/down"))
    assert len(server.requests_to("/down")) == 3  # first try + 2 retries


def test_retry_after_is_honoured_up_to_the_cap(server: LocalServer) -> None:
    server.sequence(
        "/busy",
        [Reply(429, {"Content-Length": "0", "Retry-After": "3600"}), Reply(200, {}, RSS)],
    )
    with Fetcher(
        allow_private_networks=True, per_host_interval=0, backoff=0.01, max_retry_after=0.4
    ) as f:
        started = time.monotonic()
        assert f.fetch(server.url("/busy")).content == RSS
        assert 0.35 < time.monotonic() - started < 2.0


def test_connection_refused_is_retried_and_explained() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    with Fetcher(allow_private_networks=True, per_host_interval=0, backoff=0.01) as f:
        with pytest.raises(FetchError, match=r"^could not connect to 127\.0\.0\.1"):
            f.fetch(f"http://127.0.0.1:{port}/feed.xml")


def test_only_http_and_https(fetcher: Fetcher) -> None:
    with pytest.raises(FetchError, match=r"unsupported URL scheme 'ftp'"):
        fetcher.fetch("ftp://example.com/feed.xml")
    with pytest.raises(FetchError, match=r"unsupported URL scheme 'file'"):
        fetcher.fetch("file:///etc/passwd")


def test_per_host_interval_spaces_requests_across_threads(server: LocalServer) -> None:
    server.content("/feed.xml", RSS, "application/rss+xml")
    with Fetcher(allow_private_networks=True, per_host_interval=0.25) as f:
        started = time.monotonic()
        threads = [
            threading.Thread(target=f.fetch, args=(server.url("/feed.xml"),)) for _ in range(3)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert time.monotonic() - started >= 0.45
    assert len(server.requests_to("/feed.xml")) == 3


# ---------------------------------------------------------------------- refusals


def test_refuses_body_over_size_cap_while_streaming(server: LocalServer, fetcher: Fetcher) -> None:
    server.big("/huge", 50 * 1024 * 1024)
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"^response larger than 10 MB$"):
        fetcher.fetch(server.url("/huge"))
    assert time.monotonic() - started < 10


def test_refuses_declared_content_length_over_cap_up_front(server: LocalServer) -> None:
    server.big("/huge", 50 * 1024 * 1024, declare_length=True)
    with Fetcher(allow_private_networks=True, per_host_interval=0, max_bytes=1024) as f:
        with pytest.raises(FetchError, match=r"^response larger than 1 KB$"):
            f.fetch(server.url("/huge"))


def test_refuses_redirect_loop(server: LocalServer, fetcher: Fetcher) -> None:
    server.redirect_loop("/a", "/b")
    with pytest.raises(FetchError, match=r"^too many redirects \(>5\)$"):
        fetcher.fetch(server.url("/a"))
    assert len(server.requests) == 6  # the first request plus five followed redirects


def test_gives_up_on_trickling_server_at_deadline(server: LocalServer) -> None:
    server.trickle("/slow")
    with Fetcher(allow_private_networks=True, per_host_interval=0, deadline=2.0) as f:
        started = time.monotonic()
        with pytest.raises(FetchError, match=r"^gave up after 2 s \(server too slow\)$"):
            f.fetch(server.url("/slow"))
        elapsed = time.monotonic() - started
    assert 1.5 < elapsed < 3.0
    assert len(server.requests_to("/slow")) == 1  # a too-slow server is not retried


def test_refuses_loopback_when_private_networks_are_off(server: LocalServer) -> None:
    server.content("/feed.xml", RSS, "application/rss+xml")
    with Fetcher(per_host_interval=0) as f:
        with pytest.raises(FetchError) as caught:
            f.fetch(server.url("/feed.xml"))
    assert str(caught.value) == (
        "refused: 127.0.0.1 is a private address (set AINEWS_ALLOW_PRIVATE_NETWORKS=true to allow)"
    )
    assert server.requests == []  # refused before any connection


def test_refuses_redirect_to_private_address(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every hop is re-checked: a public feed may not bounce us into the LAN."""
    addresses = {"feed.example": "93.184.216.34", "feed.local": "10.0.0.5"}
    monkeypatch.setattr(fetch_module, "_resolve", lambda host, port: [addresses[host]])
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(302, headers={"Location": "http://feed.local/admin"})

    transport = httpx.MockTransport(handler)
    with Fetcher(per_host_interval=0, transport=transport) as f:
        with pytest.raises(FetchError) as caught:
            f.fetch("http://feed.example/rss")
    assert str(caught.value) == (
        "refused: feed.local resolves to a private address 10.0.0.5 "
        "(set AINEWS_ALLOW_PRIVATE_NETWORKS=true to allow)"
    )
    assert seen == ["http://feed.example/rss"]


def test_connect_time_check_stops_dns_rebinding(monkeypatch: pytest.MonkeyPatch) -> None:
    """The socket layer re-resolves and re-checks, so a changed DNS answer cannot slip by."""
    answers = iter([["93.184.216.34"], ["127.0.0.1"]])
    monkeypatch.setattr(fetch_module, "_resolve", lambda host, port: next(answers))
    with Fetcher(per_host_interval=0, retries=0) as f:
        with pytest.raises(FetchError, match=r"resolves to a private address 127\.0\.0\.1"):
            f.fetch("http://rebind.example/feed.xml")


@pytest.mark.parametrize(
    ("address", "private"),
    [
        ("10.0.0.5", True),
        ("127.0.0.1", True),
        ("169.254.169.254", True),
        ("100.64.0.1", True),
        ("224.0.0.1", True),
        ("0.0.0.0", True),
        ("::1", True),
        ("fe80::1", True),
        ("::ffff:127.0.0.1", True),
        ("fd00::1", True),
        ("93.184.216.34", False),
        ("2606:2800:220:1:248:1893:25c8:1946", False),
    ],
)
def test_private_address_classification(address: str, private: bool) -> None:
    assert is_private_address(address) is private


def test_html_page_given_as_feed_is_refused(server: LocalServer, fetcher: Fetcher) -> None:
    page = b"<!DOCTYPE html><html><head><title>Hi</title></head><body><p>Hello</p></body></html>"
    server.content("/page", page, "text/html; charset=utf-8")
    result = fetcher.fetch(server.url("/page"))
    with pytest.raises(FeedError, match=r"^not a feed: the URL returned an HTML page$"):
        parse_feed(result.content, url=result.url, content_type=result.content_type)


def test_fetch_result_shape(server: LocalServer, fetcher: Fetcher) -> None:
    server.static("/f", RSS, content_type="application/rss+xml", etag=None, last_modified=None)
    result = fetcher.fetch(server.url("/f"))
    assert isinstance(result, FetchResult)
    assert (result.etag, result.last_modified, result.not_modified) == (None, None, False)


def test_human_size() -> None:
    assert human_size(10 * 1024 * 1024) == "10 MB"
    assert human_size(1536) == "1.5 KB"
    assert human_size(12) == "12 bytes"
