"""Sources: the curated list, the ``ainews sources`` CLI with health, and ``ingest URL``."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from checkout import PROJECT_ROOT
from httpserver import LocalServer
from sqlmodel import Session, select

from bot import cli
from bot.core import Core
from bot.index.embedder import HashingEmbedder
from bot.models import Article, Source
from bot.settings import Settings
from bot.sources import SourceError, add_source, health, load_feed_specs, remove_source

FEEDS = PROJECT_ROOT / "config" / "feeds.toml"
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


# ---------------------------------------------------------------------- --json, progress, OPML

AI_FEEDS = PROJECT_ROOT.parent / "shared" / "datasets" / "feeds" / "ai"


def test_sources_json_before_or_after_the_action(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "sources", "add", "https://example.com/feed.xml", "--json")[0] == 0
    for argv in (
        ("sources", "--json"),
        ("sources", "list", "--json"),
        ("sources", "--json", "list"),
    ):
        code, out, _ = run(capsys, *argv)
        (row,) = json.loads(out)["sources"]
        assert code == 0 and row["url"] == "https://example.com/feed.xml", argv
        assert row["state"] == "never polled" and row["next_try_at"] is None
    code, out, _ = run(capsys, "sources", "disable", "1", "--json")
    assert code == 0 and json.loads(out)["state"] == "disabled"


def test_poll_and_ingest_report_each_source_as_it_finishes(
    env: Path,
    server: LocalServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Not a terminal: one line per source (poll, on stdout) or URL (ingest, on stderr)."""
    monkeypatch.setenv("AINEWS_ALLOW_PRIVATE_NETWORKS", "true")
    server.static("/good.xml", GOOD_FEED, content_type="application/rss+xml")
    server.content("/down.xml", b"", "text/plain", status=503)
    for path in ("/good.xml", "/down.xml"):
        assert run(capsys, "sources", "add", server.url(path))[0] == 0
    code, out, _ = run(capsys, "sources", "poll")
    lines = out.splitlines()
    assert code == 1 and len(lines) == 3, lines
    assert lines[0].endswith(": 1 new, 0 duplicate, 0 failed")
    assert lines[1].startswith("  2. 127.0.0.1: FAILED: HTTP 503")
    assert lines[2] == "1 new articles from 2 sources"
    code, out, err = run(capsys, "ingest", server.url("/good.xml"), server.url("/down.xml"))
    assert f"fetched {server.url('/good.xml')}: 1 item(s)" in err
    assert f"fetched {server.url('/down.xml')}: FAILED: HTTP 503" in err
    assert "0 new, 1 duplicate, 1 failed" in out


def _opml_of(folder: Path, base: str) -> str:
    """What a feed reader exports: feeds in a folder, titles from the feeds themselves."""
    from bot.ingest.feeds import parse_feed

    outlines = []
    for path in sorted(folder.glob("*.xml")):
        title = parse_feed(path.read_bytes(), url=f"{base}/{path.name}").title or path.stem
        safe = title.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
        outlines.append(
            f'<outline type="rss" text="{safe}" title="{safe}" xmlUrl="{base}/{path.name}"/>'
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<opml version="1.0"><head><title>AI</title>'
        '</head><body><outline text="AI labs">' + "".join(outlines) + "</outline></body></opml>"
    )


def _sources(env: Path) -> list[tuple[str, str, str | None, bool]]:
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{env / 'cli.db'}")
    with Session(engine) as session:
        rows = session.execute(select(Source)).scalars()
        found = sorted((s.url, s.name, s.lang, s.full_text) for s in rows)
    engine.dispose()
    return found


@pytest.mark.skipif(not AI_FEEDS.is_dir(), reason="shared datasets not present")
def test_opml_import_of_the_34_ai_feeds_and_round_trip(
    env: Path,
    server: LocalServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AINEWS_ALLOW_PRIVATE_NETWORKS", "true")
    (env / "ai.opml").write_text(_opml_of(AI_FEEDS, server.url("/ai")), encoding="utf-8")
    code, out, _ = run(capsys, "sources", "import", str(env / "ai.opml"))
    assert code == 0 and out.splitlines()[-1] == "34 added, 0 already present, 0 refused"
    code, out, _ = run(capsys, "sources", "import", str(env / "ai.opml"))
    assert out.splitlines()[-1] == "0 added, 34 already present, 0 refused"
    assert run(capsys, "sources", "add", "https://example.com/es.xml", "--lang", "es")[0] == 0
    assert run(capsys, "sources", "add", "https://example.com/t.xml", "--full-text")[0] == 0
    before = _sources(env)
    assert (
        len(before) == 36 and ("https://example.com/es.xml", "example.com", "es", False) in before
    )

    code, out, _ = run(capsys, "sources", "export", str(env / "out.opml"))
    assert code == 0 and out.strip() == f"wrote 36 sources to {env / 'out.opml'}"
    code, stdout_opml, _ = run(capsys, "sources", "export")

    def undated(opml: bytes) -> bytes:  # two exports differ only in their creation time
        return re.sub(rb"<dateCreated>[^<]*</dateCreated>", b"", opml)

    assert undated(stdout_opml.encode()) == undated((env / "out.opml").read_bytes())
    (env / "cli.db").unlink()  # an empty database
    code, out, _ = run(capsys, "sources", "import", str(env / "out.opml"), "--json")
    assert code == 0 and len(json.loads(out)["added"]) == 36
    assert _sources(env) == before


HOSTILE_OPML = {
    "entity bomb": (
        b'<?xml version="1.0"?><!DOCTYPE o [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><opml><body>'
        b'<outline text="&b;" xmlUrl="https://example.com/x.xml"/></body></opml>',
        "DTD",
    ),
    "external entity": (
        b'<?xml version="1.0"?><!DOCTYPE o [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<opml><body><outline text="&x;" xmlUrl="https://example.com/x.xml"/></body></opml>',
        "DTD",
    ),
    "not xml": (b"\x00\xff{not: xml}", "not readable OPML"),
    "html": (b"<html><body>hi</body></html>", "root element is <html>"),
    "no feeds": (b"<opml><body></body></opml>", "lists no feed"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_OPML))
def test_hostile_opml_is_refused_with_a_reason(
    env: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    data, words = HOSTILE_OPML[case]
    (env / "x.opml").write_bytes(data)
    code, out, err = run(capsys, "sources", "import", str(env / "x.opml"))
    assert code == 2 and words in err, err
    assert _sources(env) == []


def test_opml_bad_entries_are_named_and_the_rest_imported(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (env / "x.opml").write_text(
        '<opml version="2.0"><body>'
        '<outline text="Fine" xmlUrl="https://example.com/ok.xml" language="es-ES"/>'
        '<outline text="No URL"/>'
        '<outline text="FTP" xmlUrl="ftp://example.com/feed"/>'
        "</body></opml>"
    )
    code, out, err = run(capsys, "sources", "import", str(env / "x.opml"))
    assert code == 1 and out.splitlines()[-1] == "1 added, 0 already present, 2 refused"
    assert "refused ftp://example.com/feed:" in err
    assert "refused outline 2 (No URL): no xmlUrl" in err
    assert _sources(env) == [("https://example.com/ok.xml", "Fine", "es", False)]
    (env / "big.opml").write_bytes(b"<opml>" + b" " * 5_000_001 + b"</opml>")
    code, _, err = run(capsys, "sources", "import", str(env / "big.opml"))
    assert code == 2 and "larger than 5 MB" in err


def test_chat_import_from_a_url_for_managers_only(
    core: Core, server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.service import Context, Service

    core.settings.allow_private_networks = True
    core.settings.fetch_host_interval = 0
    server.content(
        "/list.opml",
        b'<opml version="2.0"><body><outline text="Good" xmlUrl="https://example.com/g.xml"/>'
        b'<outline text="Folder"><outline text="Bad" xmlUrl="gopher://x"/></outline>'
        b"</body></opml>",
        "text/x-opml",
    )
    service = Service(core)
    url = server.url("/list.opml")
    refused = service.handle_text(f"sources import {url}", Context(can_manage=False))
    assert refused.error and not list_sources_of(core)
    reply = service.handle_text(f"fuentes importar {url}", Context())
    assert reply.text == "1 fuentes añadidas, 0 ya estaban, 1 rechazadas.", reply.text
    assert reply.fields[0][0] == "gopher://x"
    assert [s.url for s in list_sources_of(core)] == ["https://example.com/g.xml"]
    # Chat never reads the server's files; a bad URL is a clear refusal.
    local = service.handle_text("fuentes importar /etc/passwd", Context())
    assert local.error and "Indica la URL (http o https) de un OPML" in local.text
    gone = service.handle_text(f"sources import {server.url('/missing.opml')}", Context())
    assert gone.error and gone.text.startswith("Could not download the OPML at http://")


def list_sources_of(core: Core) -> list[Source]:
    from bot.sources import list_sources

    return list_sources(core)


def test_poll_with_every_source_backing_off_says_when_it_tries_next(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import create_engine, update

    assert run(capsys, "sources", "poll")[1].startswith("no enabled feed sources")
    assert run(capsys, "sources", "add", "https://example.com/feed.xml")[0] == 0
    later = datetime.now(UTC) + timedelta(hours=2)
    engine = create_engine(f"sqlite:///{env / 'cli.db'}")
    with engine.begin() as conn:
        conn.execute(update(Source).values(next_try_at=later, last_error="HTTP 503"))
    engine.dispose()
    code, out, _ = run(capsys, "sources", "poll")
    assert code == 0 and out.strip() == (
        f"nothing due: 1 failing source(s) backing off, the next one is tried at "
        f"{later:%Y-%m-%d %H:%M} UTC (`ainews sources enable ID` retries one now)"
    )
    assert "next try " in run(capsys, "sources")[1]
