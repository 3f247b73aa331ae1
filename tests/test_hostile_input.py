"""Hostile bytes through every way in (issue #25): files, folders, JSONL, feeds, web pages
and commands, on SQLite and Postgres.

The corpus: NUL characters, lone surrogates, control characters, JSON nested 100,000 deep,
a named pipe called ``*.txt``, a 10 MB one-article text, superscript digits, 25-digit ids
and ``lang=fr``. For each: no crash, no hang, no lost batch (the good items beside a bad
one are stored), and a named message (a failed item's reason, an ingest note, or a
localized reply).
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import string
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from checkout import PROJECT_ROOT
from conftest import make_settings
from httpserver import LocalServer
from sqlalchemy import func, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from bot.core import Core
from bot.i18n import t
from bot.index.embedder import HashingEmbedder
from bot.ingest import pipeline
from bot.ingest.fetch import Fetcher
from bot.ingest.files import iter_path
from bot.ingest.pipeline import IngestReport, Outcome
from bot.ingest.poller import Poller, items_from_url
from bot.ingest.safejson import MAX_JSON_DEPTH, json_depth
from bot.models import Article, ChannelSettings, Passage, Source, Subscription
from bot.service import Service
from bot.sources import add_source
from bot.text import clean_text, scrub

NUL, SURROGATE = "\x00", "\ud800"
DEEP = "[" * 100_000 + "]" * 100_000  # Python's parser recursed once per bracket


def prose(topic: str, sentences: int = 4) -> str:
    """Distinct article text about ``topic`` (distinct texts are distinct articles)."""
    return " ".join(
        f"The {topic} team reported result number {i} about {topic} models this week."
        for i in range(sentences)
    )


def dirty(value: str) -> bool:
    return NUL in value or any("\ud800" <= c <= "\udfff" for c in value)


def stored(core: Core) -> list[Article]:
    with Session(core.engine) as session:
        return list(session.execute(select(Article).order_by(col(Article.id))).scalars())


def by_label(report: IngestReport) -> dict[str, Outcome]:
    return {o.label: o for o in report.outcomes}


@pytest.fixture
def hcore(tmp_path: Path, database_url: str) -> Iterator[Core]:
    """The fake embedder on the test's backend; local servers allowed as feed sources."""
    settings = make_settings(tmp_path, database_url=database_url, allow_private_networks=True)
    built = Core.build(settings, embedder=HashingEmbedder())
    yield built
    built.engine.dispose()


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as srv:
        yield srv


def fetcher() -> Fetcher:
    return Fetcher(allow_private_networks=True, per_host_interval=0.0, retries=0, deadline=10.0)


# ---------------------------------------------------------------------- the cleaning itself


def test_clean_text_drops_nul_and_surrogates_and_normalises_controls() -> None:
    assert clean_text("a\x00b\ud800c\udfffd") == "abcd"
    assert clean_text("one\r\ntwo\rthree\x0bfour\x0cfive\u2028six") == (
        "one\ntwo\nthree\nfour\nfive\nsix"
    )
    assert clean_text("tab\tand\nnewline stay") == "tab\tand\nnewline stay"
    assert clean_text("bell\x07 del\x7f c1\x9b") == "bell  del  c1 "
    assert scrub("x\x00\ud800y") == ("xy", 2)
    plain = "ordinary text, ñ, 中文, emoji 😀"
    assert clean_text(plain) is plain  # clean text is not copied
    assert clean_text("😀") == "😀"  # a real astral character is not a surrogate pair in str


def test_json_depth_is_measured_without_recursion() -> None:
    assert json_depth(DEEP) == 100_000
    assert json_depth('{"a": "[[[[[[", "b": [1, {"c": []}]}') == 4  # not inside strings
    assert json_depth('"\\"[[["') == 0


# ---------------------------------------------------------------------- files and folders


def write_corpus(folder: Path) -> dict[str, str]:
    """Write the hostile folder; returns the expected status of every input label."""
    folder.mkdir()
    (folder / "good.txt").write_text(prose("Nvidia"), encoding="utf-8")
    (folder / "good.md").write_text("# Mistral raises\n\n" + prose("Mistral"), encoding="utf-8")
    (folder / "nul.txt").write_text(
        f"OpenAI releases{NUL} a model\n\n" + prose("OpenAI") + NUL, encoding="utf-8"
    )
    (folder / "controls.txt").write_text(
        "Anthropic\x07 update\x1b[0m\n\n" + prose("Anthropic").replace(" ", "\x0c", 3),
        encoding="utf-8",
    )
    # Bytes of an encoded surrogate (CESU-8) are not UTF-8: read as Windows-1252, noted.
    (folder / "surrogate_bytes.txt").write_bytes(
        b"Qwen \xed\xa0\x80 update\n\n" + prose("Qwen").encode()
    )
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02\x03" * 4000)
    # One 6,000-letter capitalised "name": too long for a unique index entry on Postgres.
    word = "X" + "".join(
        random.Random(7).choices(string.ascii_lowercase, k=6000)
    )  # compresses badly
    (folder / "longword.txt").write_text(
        f"Huawei {word} news\n\n" + prose("Huawei") + f" {word} Corp.", encoding="utf-8"
    )
    (folder / "empty.txt").write_text("", encoding="utf-8")
    os.mkfifo(folder / "pipe.txt")  # opening it for reading would block until a writer came
    deep_field = json.dumps({"title": "Deep", "body": "x"})[:-1] + ', "x": ' + DEEP + "}"
    lines = [
        json.dumps({"title": "Good line one", "body": prose("Meta")}),
        json.dumps({"title": f"NUL{NUL} in the title", "body": prose("Google") + NUL}),
        json.dumps({"title": f"Lone {SURROGATE} surrogate", "body": prose("Baidu") + SURROGATE}),
        DEEP,
        deep_field,
        "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1),
        '{"title": "Raw NUL \x00 inside a string", "body": "' + prose("Tencent") + '"}',
        json.dumps({"title": "Line separator", "body": prose("Apple") + "\u2028more"}),
        "{not json",
        json.dumps({"title": "Good line two", "body": prose("Amazon")}),
    ]
    (folder / "lines.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")
    base = str(folder)
    expected = {
        f"{base}/good.txt": "new",
        f"{base}/good.md": "new",
        f"{base}/nul.txt": "new",
        f"{base}/controls.txt": "new",
        f"{base}/surrogate_bytes.txt": "new",
        f"{base}/binary.txt": "failed",
        f"{base}/longword.txt": "new",
        f"{base}/empty.txt": "failed",
        f"{base}/pipe.txt": "failed",
    }
    jsonl = ["new", "new", "new", "failed", "failed", "failed", "new", "new", "failed", "new"]
    expected |= {f"{base}/lines.jsonl:{n}": s for n, s in enumerate(jsonl, start=1)}
    return expected


@pytest.mark.timeout(60)
def test_hostile_folder_every_input_named_and_the_good_ones_stored(
    hcore: Core, tmp_path: Path
) -> None:
    folder = tmp_path / "hostile"
    expected = write_corpus(folder)
    report = hcore.ingester.ingest(iter_path(str(folder)))

    outcomes = by_label(report)
    assert {label: o.status for label, o in outcomes.items()} == expected
    base = str(folder)
    reasons = {label: o.reason for label, o in outcomes.items() if o.status == "failed"}
    assert "not a regular file (a named pipe)" in reasons[f"{base}/pipe.txt"]
    assert reasons[f"{base}/binary.txt"] == "binary file, not text"
    too_deep = f"JSON nested deeper than {MAX_JSON_DEPTH} levels"
    assert [reasons[f"{base}/lines.jsonl:{n}"] for n in (4, 5, 6)] == [too_deep] * 3
    assert reasons[f"{base}/lines.jsonl:9"].startswith("invalid JSON")
    notices = {o.label: o.notice for o in report.notices}
    assert "2 invalid character(s) removed" in str(notices[f"{base}/nul.txt"])
    assert "2 invalid character(s) removed" in str(notices[f"{base}/lines.jsonl:2"])
    assert "2 invalid character(s) removed" in str(notices[f"{base}/lines.jsonl:3"])
    assert "not UTF-8" in str(notices[f"{base}/surrogate_bytes.txt"])

    articles = stored(hcore)
    assert len(articles) == len(report.new) == list(expected.values()).count("new") == 12
    for article in articles:
        for value in (article.title, article.body, article.url or ""):
            assert not dirty(value), article.title
            assert not any(ord(c) < 32 and c not in "\t\n" for c in value), article.title
    titles = {a.title for a in articles}
    assert {"NUL in the title", "Lone surrogate", "Raw NUL inside a string"} <= titles
    with Session(hcore.engine) as session:
        assert session.execute(select(func.count()).select_from(Passage)).scalar_one() >= 10


@pytest.mark.timeout(20)
def test_a_named_pipe_given_directly_is_refused_not_opened(tmp_path: Path) -> None:
    pipe = tmp_path / "news.txt"
    os.mkfifo(pipe)
    items = list(iter_path(str(pipe)))
    assert [(i.label, str(i.result)) for i in items] == [
        (str(pipe), "not a regular file (a named pipe): not read")
    ]


def test_a_file_name_that_is_not_utf8_is_stored_under_a_printable_label(
    hcore: Core, tmp_path: Path
) -> None:
    folder = tmp_path / "names"
    folder.mkdir()
    raw = os.fsencode(folder) + b"/caf\xe9.txt"  # Latin-1 bytes in a name
    with open(raw, "wb") as handle:
        handle.write(prose("Samsung").encode())
    report = hcore.ingester.ingest(iter_path(str(folder)))
    assert [o.status for o in report.outcomes] == ["new"]
    assert report.outcomes[0].label == f"{folder}/caf\ufffd.txt"
    assert not dirty(stored(hcore)[0].url or "")


# ---------------------------------------------------------------------- the 10 MB article

BIG_SCRIPT = """
import json, resource, sys, time
from pathlib import Path
from bot.core import Core
from bot.index.embedder import HashingEmbedder
from bot.ingest.files import iter_path
from bot.settings import load_settings

url, path, data = sys.argv[1:4]
core = Core.build(load_settings(data_dir=Path(data), database_url=url), embedder=HashingEmbedder())
started = time.perf_counter()
report = core.ingester.ingest(iter_path(path))
seconds = time.perf_counter() - started
print(json.dumps({
    "seconds": seconds,
    "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "outcomes": [[o.label, o.status, o.reason, o.notice, o.article_id] for o in report.outcomes],
}))
"""


def big_article(size: int) -> str:
    """One article of ``size`` characters: distinct sentences in paragraphs."""
    words = "model chips data training weights release market price benchmark agent".split()
    parts = ["A very long report on the state of the AI industry", ""]
    total, n = 0, 0
    while total < size:
        sentence = f"The {words[n % 10]} of lab {n} rose {n % 97} percent in quarter {n % 4}."
        parts.append(sentence + ("\n" if n % 6 == 5 else ""))
        total += len(sentence) + 2
        n += 1
    return "\n".join(parts)


@pytest.mark.timeout(120)
def test_a_10mb_article_is_stored_capped_fast_and_small(
    tmp_path: Path, database_url: str, backend: str
) -> None:
    path = tmp_path / "huge.txt"
    path.write_text(big_article(10_200_000), encoding="utf-8")
    assert path.stat().st_size >= 10_000_000
    done = subprocess.run(
        [sys.executable, "-c", BIG_SCRIPT, database_url, str(path), str(tmp_path)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=110,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"10 MB article on {backend}: {result['seconds']:.1f} s, {result['max_rss_mb']:.0f} MB")
    [(label, status, _reason, notice, article_id)] = result["outcomes"]
    assert (label, status) == (str(path), "new")
    assert "text cut to" in notice and "of 1" in notice and "AINEWS_MAX_ARTICLE_CHARS" in notice
    assert result["seconds"] < 60
    assert result["max_rss_mb"] < 1024

    core = Core.build(
        make_settings(tmp_path, database_url=database_url), embedder=HashingEmbedder()
    )
    try:
        with Session(core.engine) as session:
            body = session.execute(select(Article.body).where(Article.id == article_id)).one()[0]
            passages = session.execute(
                select(func.count()).select_from(Passage).where(Passage.article_id == article_id)
            ).scalar_one()
    finally:
        core.engine.dispose()
    limit = core.settings.max_article_chars
    assert limit == 200_000
    assert 0.8 * limit <= len(body) <= limit
    assert body.endswith(".")  # cut at a sentence end
    # Each passage but the last holds more than half of passage_max_chars (or one long
    # sentence), so the count is bounded by the cap, whatever the input's size.
    assert 0 < passages <= 2 * limit // core.settings.passage_max_chars + 1


def test_the_cap_is_a_setting(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, max_article_chars=1000)
    core = Core.build(settings, embedder=HashingEmbedder())
    try:
        (tmp_path / "a.txt").write_text(prose("Intel", 60), encoding="utf-8")
        report = core.ingester.ingest(iter_path(str(tmp_path / "a.txt")))
        [outcome] = report.outcomes
        assert outcome.status == "new" and "AINEWS_MAX_ARTICLE_CHARS=1,000" in str(outcome.notice)
        assert 800 <= len(stored(core)[0].body) <= 1000
    finally:
        core.engine.dispose()


# ---------------------------------------------------------------------- feeds and pages


def json_feed(items: list[dict[str, object]]) -> bytes:
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": "Hostile", "items": items}
    return json.dumps(feed).encode()


HOSTILE_ITEMS: list[dict[str, object]] = [
    {"id": "a", "url": "http://h.example/a", "title": "Good A", "content_text": prose("Arm")},
    {
        "id": f"nul{NUL}",
        "url": f"http://h.example/n{NUL}",
        "title": f"NUL{NUL} item",
        "content_text": prose("Cohere") + NUL,
    },
    {
        "id": "sur",
        "url": "http://h.example/s",
        "title": f"Surrogate {SURROGATE} item",
        "content_html": f"<p>{prose('xAI')} {SURROGATE}</p><p>more{NUL}</p>",
    },
    {"id": "b", "url": "http://h.example/b", "title": "Good B", "content_text": prose("AMD")},
]


@pytest.mark.timeout(60)
def test_a_feed_with_nul_and_surrogates_is_stored_whole_and_never_fails_the_source(
    hcore: Core, server: LocalServer
) -> None:
    server.content("/feed.json", json_feed(HOSTILE_ITEMS), "application/feed+json")
    source = add_source(hcore, server.url("/feed.json"), name="hostile")
    with fetcher() as f:
        polls = [Poller(hcore, f).poll_source(source) for _ in range(6)]
    first = polls[0]
    assert (first.error, first.new, first.failed_items) == (None, 4, 0)
    assert all(p.error is None and p.change is None for p in polls)
    assert sum(p.new for p in polls) == 4  # later polls find the same items stored
    titles = sorted(a.title for a in stored(hcore))
    assert titles == ["Good A", "Good B", "NUL item", "Surrogate item"]
    for article in stored(hcore):
        assert not dirty(article.body) and not dirty(article.url or "")
        assert not dirty(article.guid or "")
    with Session(hcore.engine) as session:
        row = session.get(Source, source.id)
        assert row is not None
        assert row.enabled and row.consecutive_failures == 0 and row.last_error is None


@pytest.mark.timeout(60)
def test_a_deeply_nested_json_feed_is_a_named_source_error(
    hcore: Core, server: LocalServer
) -> None:
    body = b'{"version": "https://jsonfeed.org/version/1.1", "items": ' + DEEP.encode() + b"}"
    server.content("/deep.json", body, "application/feed+json")
    server.content("/good.json", json_feed(HOSTILE_ITEMS[:1]), "application/feed+json")
    deep = add_source(hcore, server.url("/deep.json"), name="deep")
    add_source(hcore, server.url("/good.json"), name="good")
    with fetcher() as f:
        report = Poller(hcore, f).poll_all()
    errors = {s.name: s.error for s in report.sources}
    assert errors == {
        "deep": f"not a feed: could not parse the JSON (JSON nested deeper than {MAX_JSON_DEPTH}"
        " levels)",
        "good": None,
    }
    assert [a.title for a in stored(hcore)] == ["Good A"]
    with Session(hcore.engine) as session:
        row = session.get(Source, deep.id)
        assert row is not None and row.last_error == errors["deep"]


@pytest.mark.timeout(60)
def test_a_web_page_with_nul_bytes_and_deep_json_ld_is_read(
    hcore: Core, server: LocalServer
) -> None:
    page = (
        "<html><head><title>Page</title>"
        f'<script type="application/ld+json">{DEEP}</script></head><body><article>'
        f"<h1>Groq opens a data center</h1><p>{prose('Groq', 6)}\x00 &#0; &#xD800;</p>"
        "</article></body></html>"
    ).encode()
    server.content("/page.html", page, "text/html; charset=utf-8")
    with fetcher() as f:
        items = items_from_url(f, server.url("/page.html"))
    report = hcore.ingester.ingest(items)
    assert [o.status for o in report.outcomes] == ["new"], report.outcomes
    [article] = stored(hcore)
    assert "Groq" in article.body and not dirty(article.body) and not dirty(article.title)


@pytest.mark.timeout(60)
def test_hostile_urls_are_cleaned_or_named_and_the_good_ones_read(
    hcore: Core, server: LocalServer
) -> None:
    """``ainews ingest URL...``: each URL as typed is cleaned, then read or named."""
    server.content("/feed.json", json_feed(HOSTILE_ITEMS[:1]), "application/feed+json")
    server.content("/b.json", json_feed(HOSTILE_ITEMS[3:]), "application/feed+json")
    urls = [
        server.url("/feed.json") + NUL,
        "http://" + "a" * 300 + ".com/feed",
        "http://127.0.0.1:99999999/feed",
        f"{NUL}{SURROGATE}",
        server.url(f"/b.json{SURROGATE}"),
    ]
    with fetcher() as f:
        items = [item for url in urls for item in items_from_url(f, url)]
    report = hcore.ingester.ingest(items)
    outcomes = sorted((o.label.split(" :: ")[0], o.status, o.reason) for o in report.outcomes)
    good = server.url("")
    assert outcomes == [
        ("", "failed", "unsupported URL scheme 'none' (only http and https): "),
        (f"{good}/b.json", "new", ""),
        (f"{good}/feed.json", "new", ""),
        ("http://127.0.0.1:99999999/feed", "failed", "invalid URL: http://127.0.0.1:99999999/feed"),
        (urls[1], "failed", f"invalid host name: {urls[1]}"),
    ]
    assert sorted(a.title for a in stored(hcore)) == ["Good A", "Good B"]


# ---------------------------------------------------------------------- one bad item, not its batch


@pytest.mark.timeout(60)
def test_an_item_the_encoder_or_database_refuses_costs_only_itself(
    hcore: Core, server: LocalServer, monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    """Defense in depth: with the boundary cleaning switched off, the NUL and surrogate items
    reach the encoder and the database as the probe saw them. The batch is retried one item
    at a time: the bad items are named with a short reason, the good ones stored."""
    monkeypatch.setattr("bot.ingest.feeds.clean_text", lambda value: value)
    monkeypatch.setattr(pipeline, "_scrub_article", lambda raw: 0)
    items: list[dict[str, object]] = [
        HOSTILE_ITEMS[0],
        {"id": "n", "url": "http://h.example/n", "title": f"NUL{NUL} item", "content_text": "x"},
        {"id": "s", "url": "http://h.example/s", "title": "Surrogate item", "content_text": "y"},
        HOSTILE_ITEMS[3],
    ]
    items[1]["content_text"] = prose("Cohere") + NUL
    items[2]["content_text"] = prose("xAI") + SURROGATE
    server.content("/feed.json", json_feed(items), "application/feed+json")
    source = add_source(hcore, server.url("/feed.json"), name="raw")
    with fetcher() as f:
        poll = Poller(hcore, f).poll_source(source)
    assert poll.error is None and poll.change is None
    titles = {a.title for a in stored(hcore)}
    assert {"Good A", "Good B"} <= titles
    assert "Surrogate item" not in titles  # never stored, named instead
    failed = [note for note in poll.notes if "could not store it" in note]
    assert any(note.startswith("raw: http://h.example/s: could not") for note in failed), failed
    if backend == "postgres":  # SQLite stores a NUL; Postgres refuses it
        assert "NUL\x00 item" not in titles
        assert any(note.startswith("raw: http://h.example/n: could not") for note in failed)
    assert poll.failed_items == len(failed)
    for note in poll.notes:
        assert "[SQL" not in note and "INSERT" not in note and len(note) < 400


@pytest.mark.timeout(60)
def test_a_failed_store_shows_a_short_reason_never_sql(
    hcore: Core, server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.content("/feed.json", json_feed(HOSTILE_ITEMS[:1]), "application/feed+json")
    source = add_source(hcore, server.url("/feed.json"), name="broken")

    def fail(*args: object, **kwargs: object) -> list[Outcome]:
        statement = "INSERT INTO article (title, body) VALUES (%(title)s, %(body)s)"
        orig = sqlite3.OperationalError("database is locked\nDETAIL: x")
        raise OperationalError(statement, {"title": "secret title"}, orig)

    # The database itself in trouble (not one item): the run stops and the poll is retried.
    monkeypatch.setattr(hcore.ingester, "_write", fail)
    with fetcher() as f:
        poll = Poller(hcore, f).poll_source(source)
    assert poll.error == "could not store the items: OperationalError: database is locked"
    with Session(hcore.engine) as session:
        row = session.get(Source, source.id)
        assert row is not None and row.last_error == poll.error
        # A row written before this change, SQL and all, is shown shortened.
        row.last_error = "DataError: NUL\n[SQL: INSERT INTO article ...]\n[parameters: {...}]"
        session.add(row)
        session.commit()
    reply = Service(hcore).handle_text("sources")
    shown = " ".join(value for _name, value in reply.fields)
    assert "DataError: NUL" in shown and "INSERT" not in shown and "[SQL" not in shown


# ---------------------------------------------------------------------- commands


COMMAND_CASES = [
    ("subscribe 09:00 UTC lang=fr", "Unsupported language: fr (use es or en)."),
    ("suscribir 09:00 UTC idioma=fr", "Idioma no admitido: fr (usa es o en)."),
    ("subscribe 09:00 UTC min=²", "min= must be a number between 1 and 20 (got “²”)."),
    ("story ²", "Usage: `story <id>`"),
    ("historia ²", "Uso: `historia <id>`"),
    ("story 99999999999999999999999", "There is no story 99999999999999999999999."),
    ("story #2147483648", "There is no story 2147483648."),
    ("trending ²", "Give a number of days between 1 and 90."),
    ("trending 99999999999999999999999", "Give a number of days between 1 and 90."),
    ("latest 99999999999999999999999", "Give a number between 1 and 20."),
    ("sources remove 99999999999999999999999", "There is no source “99999999999999999999999”."),
    ("sources remove ²", "There is no source “²”."),
    ("sources add http://example.com:99999999/feed", "is not a valid http(s) URL"),
    ("sources add http://a.example/" + "a" * 3000, "That URL is too long (at most 2048"),
    (f"sources add http://127.0.0.1:9/{NUL}feed{SURROGATE}", "Refused: http://127.0.0.1:9/feed"),
    ("story " + "9" * 5000, "There is no story 9999"),
    ("sources add http://" + "a" * 300 + ".com/feed", "is not a valid http(s) URL"),
    ("sources add http://a..b/feed", "is not a valid http(s) URL"),
]


@pytest.mark.timeout(60)
def test_hostile_command_arguments_get_named_localized_messages(hcore: Core) -> None:
    service = Service(hcore)
    service.core.settings.allow_private_networks = False  # "sources add" refuses 127.0.0.1
    for command, expected in COMMAND_CASES:
        reply = service.handle_text(command)
        assert expected in reply.text, (command, reply.text)
        assert reply.error, command
        assert t("internal_error", reply.lang) not in reply.text


@pytest.mark.timeout(60)
def test_nul_and_surrogates_in_commands_never_reach_the_database(hcore: Core) -> None:
    service = Service(hcore)
    reply = service.handle_text(f"subscribe 09:00 UTC Qwen{NUL} Mistral{SURROGATE}")
    assert not reply.error and "Qwen Mistral" in reply.text
    with Session(hcore.engine) as session:
        [sub] = session.execute(select(Subscription)).scalars().all()
        assert sub.topics == "Qwen Mistral"
    for command in (f"search Qwen{NUL}", f"ask what about{SURROGATE} Qwen?{NUL}", f"{NUL}"):
        reply = service.handle_text(command)
        assert not dirty(reply.text), command


HOSTILE_ARGS = [
    "²",
    "٣",
    "99999999999999999999999",
    "-1",
    "#²",
    "0",
    "lang=fr",
    "min=²",
    NUL,
    SURROGATE,
    f"Qwen{NUL}{SURROGATE}\x07",
    "9" * 5000,
    "x" * 3000,
    DEEP[:2000],
]


@pytest.mark.timeout(60)
def test_no_command_argument_crashes_the_service(hcore: Core) -> None:
    from bot.commands import VERBS

    service = Service(hcore)
    verbs = sorted({verb for verb, _lang in VERBS.values()} - {"ask", "search"})
    aliases = [next(alias for alias, (v, _) in VERBS.items() if v == verb) for verb in verbs]
    aliases += ["sources remove", "sources add", "subscribe 09:00"]
    for alias in aliases:
        for arg in HOSTILE_ARGS:
            reply = service.handle_text(f"{alias} {arg}")  # raising here is the failure
            assert reply.text and not dirty(reply.text), (alias, arg)
    with Session(hcore.engine) as session:  # every row written holds clean text
        for model in (Subscription, Source, ChannelSettings):
            table = model.__tablename__
            for row in session.execute(text(f"SELECT * FROM {table}")).all():
                assert not any(isinstance(v, str) and dirty(v) for v in row), (table, row)
