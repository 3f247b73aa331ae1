"""Sources: the curated list, the ``ainews sources`` CLI with health, and ``ingest URL``."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from httpserver import LocalServer
from sqlmodel import Session, select

from bot import cli
from bot.core import Core
from bot.index.embedder import HashingEmbedder
from bot.models import Article, Source
from bot.settings import CONFIG_DIR, Settings
from bot.sources import SourceError, add_source, health, load_feed_specs, remove_source

FEEDS = CONFIG_DIR / "feeds.toml"
GOOD_FEED = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Good feed</title><link>http://good.example/</link>
<item><title>OpenAI ships a new reasoning model</title><link>http://good.example/a</link>
<guid>good-a</guid><description>OpenAI released a reasoning model that the company says
is faster and cheaper than its predecessor.</description></item></channel></rss>"""


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``ainews`` in-process on a temp database, with the fast fake embedder."""
    monkeypatch.setenv("AINEWS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("AINEWS_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("AINEWS_FETCH_HOST_INTERVAL", "0")
    monkeypatch.delenv("AINEWS_ALLOW_PRIVATE_NETWORKS", raising=False)

    real_core = cli._core

    def fake_core(settings: Settings, **options: Any) -> Core:
        return real_core(settings, embedder=HashingEmbedder(), **options)

    monkeypatch.setattr(cli, "_core", fake_core)
    return tmp_path


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as srv:
        yield srv


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ---------------------------------------------------------------------- curated list


def test_curated_feeds_are_well_formed() -> None:
    raw = tomllib.loads(FEEDS.read_text(encoding="utf-8"))["feed"]
    specs = load_feed_specs(FEEDS)
    assert len(specs) == len(raw) >= 15
    assert all(s.url.startswith("https://") for s in specs)
    assert len({s.url for s in specs}) == len(specs)
    assert len({s.name for s in specs}) == len(specs)
    assert {s.lang for s in specs} == {"en", "es"}
    assert sum(s.lang == "es" for s in specs) >= 4
    assert all(set(row) <= {"url", "name", "lang", "full_text"} for row in raw)
    assert all(isinstance(row["full_text"], bool) for row in raw)


def test_bad_feeds_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "feeds.toml"
    bad.write_text('[[feed]]\nurl = "ftp://x.org/feed"\nname = "x"\n')
    with pytest.raises(ValueError, match="feed 1 has no http"):
        load_feed_specs(bad)


# ---------------------------------------------------------------------- functions


def test_add_remove_keeps_articles(core: Core) -> None:
    from bot.ingest.files import Item
    from bot.ingest.types import RawArticle

    source = add_source(core, "https://blog.example.com/feed.xml", name="Example", lang="en")
    with pytest.raises(SourceError) as exc:
        add_source(core, "https://blog.example.com/feed.xml")
    assert exc.value.code == "source_exists"
    raw = RawArticle(title="A post", body="Some text about Nvidia.", url="https://b.example/1")
    core.ingester.ingest([Item("a", raw)], source_id=source.id)
    remove_source(core, str(source.id))
    with Session(core.engine) as s:
        article = s.execute(select(Article)).scalar_one()
        assert article.source_id is None
        assert s.execute(select(Source)).first() is None
    with pytest.raises(SourceError):
        remove_source(core, "99")


def test_private_and_bad_urls_refused(core: Core) -> None:
    for url, code in (
        ("http://127.0.0.1:8080/feed", "source_private"),
        ("http://10.0.0.5/feed", "source_private"),
        ("file:///etc/passwd", "source_bad_url"),
        ("not a url", "source_bad_url"),
    ):
        with pytest.raises(SourceError) as exc:
            add_source(core, url)
        assert exc.value.code == code


def test_health_lines() -> None:
    from datetime import UTC, datetime, timedelta

    now = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    ok = Source(kind="feed", url="u", name="n", last_success_at=now - timedelta(hours=2))
    assert health(ok, now) == "ok · last success 2025-06-01 10:00 UTC (2 h ago)"
    failing = Source(
        kind="feed",
        url="u",
        name="n",
        last_error="HTTP 503 Service Unavailable",
        consecutive_failures=2,
        last_success_at=now - timedelta(days=1),
    )
    assert health(failing, now).startswith("FAILING x2: HTTP 503 Service Unavailable · last")
    off = Source(
        kind="feed",
        url="u",
        name="n",
        enabled=False,
        last_error="HTTP 404 Not Found",
        disabled_reason="disabled after 5 consecutive failures; last error: HTTP 404 Not Found",
        consecutive_failures=5,
    )
    assert health(off, now).startswith("DISABLED (disabled after 5 consecutive failures")
    assert health(Source(kind="feed", url="u", name="n"), now) == "never polled"


# ---------------------------------------------------------------------- CLI


def test_sources_cli_defaults_list_disable_enable_remove(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "sources", "defaults")
    n = len(load_feed_specs(FEEDS))
    assert code == 0 and f"{n} added, 0 already present" in out
    code, out, _ = run(capsys, "sources", "defaults")
    assert f"0 added, {n} already present" in out

    code, out, _ = run(capsys, "sources", "list")
    assert code == 0 and "OpenAI News <https://openai.com/news/rss.xml>" in out
    assert out.count("never polled") == n

    assert run(capsys, "sources", "disable", "1")[0] == 0
    code, out, _ = run(capsys, "sources", "list", "--json")
    first = json.loads(out)["sources"][0]
    assert first["enabled"] is False and first["disabled_reason"] == "disabled by hand"
    assert run(capsys, "sources", "enable", "https://openai.com/news/rss.xml")[0] == 0
    code, out, _ = run(capsys, "sources", "list", "--json")
    assert json.loads(out)["sources"][0]["enabled"] is True

    code, out, _ = run(capsys, "sources", "remove", "1")
    assert code == 0 and out.startswith("removed source 1: OpenAI News")
    code, _, err = run(capsys, "sources", "remove", "1")
    assert code == 2 and "1" in err
    code, _, err = run(capsys, "sources", "add", "http://127.0.0.1:9/feed")
    assert code == 2 and err.strip()


def test_sources_poll_shows_health_in_list(
    env: Path,
    server: LocalServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AINEWS_ALLOW_PRIVATE_NETWORKS", "true")
    server.static("/good.xml", GOOD_FEED, content_type="application/rss+xml")
    server.content("/page", b"<!doctype html><html><body>hi</body></html>", "text/html")
    assert run(capsys, "sources", "add", server.url("/good.xml"), "--name", "Good")[0] == 0
    assert run(capsys, "sources", "add", server.url("/page"), "--name", "Page")[0] == 0
    code, out, _ = run(capsys, "sources", "poll")
    assert code == 1
    assert "1. Good: 1 new, 0 duplicate, 0 failed" in out
    assert "2. Page: FAILED: not a feed: the URL returned an HTML page" in out
    code, out, _ = run(capsys, "sources", "list")
    lines = out.splitlines()
    assert lines[1].strip().startswith("ok · last success ")
    assert lines[3].strip() == "FAILING x1: not a feed: the URL returned an HTML page"


def test_ingest_urls_feed_page_private_and_missing_file(
    env: Path,
    server: LocalServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server.content("/feed.xml", GOOD_FEED, "application/rss+xml")
    body = b"Anthropic released a new model today, the company said in a statement. " * 6
    page = b"<html><head><title>Big news</title></head><body><article><h1>Big news</h1><p>"
    server.content("/news", page + body + b"</p></article></body></html>", "text/html")
    feed, news = server.url("/feed.xml"), server.url("/news")

    code, out, _ = run(capsys, "ingest", feed, "--json")
    result = json.loads(out)
    assert code == 1 and result["new"] == 0
    assert result["failed"][0]["input"] == feed
    assert "refused: 127.0.0.1 is a private address" in result["failed"][0]["reason"]
    assert "AINEWS_ALLOW_PRIVATE_NETWORKS=true" in result["failed"][0]["reason"]

    monkeypatch.setenv("AINEWS_ALLOW_PRIVATE_NETWORKS", "true")
    missing = str(env / "missing.txt")
    code, out, _ = run(capsys, "ingest", feed, news, missing, server.url("/gone"), "--json")
    result = json.loads(out)
    assert code == 1 and result["new"] == 2
    assert [f["input"] for f in result["failed"]] == [missing, server.url("/gone")]
    assert result["failed"][1]["reason"] == "HTTP 404 Not Found"
    code, out, _ = run(capsys, "ingest", feed, news)
    assert code == 0 and "0 new, 2 duplicate, 0 failed" in out
