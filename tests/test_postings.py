"""The in-memory full-text index ranks exactly as FTS5 does, on both backends, as it grows."""

from __future__ import annotations

import random
from collections.abc import Iterator
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import make_settings
from sqlalchemy import Engine, create_engine, text

import bot.index.postings as postings_module
from bot.core import Core
from bot.index.embedder import HashingEmbedder
from bot.index.fulltext import FtsQuery, FullTextIndex
from bot.index.postings import PhraseSet, Postings, _hash_tokens, phrase_hash, term_hash
from bot.ingest.files import Item
from bot.ingest.types import RawArticle

_WORDS = (
    "china qwen downloads model open source chip nvidia export market bank rate cut oil price "
    "election campaign labs training southeast asia alibaba deepseek huawei tariffs investors "
    "descargas modelos abiertos mercado banco precio petroleo elecciones laboratorios entrenan"
).split()
_PHRASES = ["open models", "modelos abiertos", "Hugging Face", "tipos de interés", "interest rates"]
QUERIES = [
    "descargas de Qwen",
    "chinese open models downloads",
    "modelos abiertos chinos",
    "bank interest rates cut",
    "Hugging Face downloads",
    "oil price election",
    "nvidia chip export tariffs",
]


def _corpus(n: int, seed: int = 7) -> list[Item]:
    rnd = random.Random(seed)
    items = []
    for i in range(n):
        words = [rnd.choice(_WORDS) for _ in range(rnd.randint(8, 60))]
        for _ in range(rnd.randint(0, 3)):
            words.insert(rnd.randrange(len(words) + 1), rnd.choice(_PHRASES))
        title = " ".join(rnd.choice(_WORDS) for _ in range(rnd.randint(2, 6)))
        if i % 5 == 0:
            title += " " + rnd.choice(_PHRASES)
        body = ". ".join(" ".join(words[j : j + 9]) for j in range(0, len(words), 9)) + "."
        raw = RawArticle(title=title.capitalize(), body=body, lang="es" if i % 3 else "en")
        items.append(Item(f"synthetic-{i}", raw))
    return items


def _database_path(fulltext: FullTextIndex) -> FullTextIndex:
    """The same index answered by the database (a fresh instance never loaded into memory)."""
    return FullTextIndex(fulltext.engine, phrases=fulltext.memory.phrases)


def _assert_same_ranking(got: list[tuple[int, float]], want: list[tuple[int, float]]) -> None:
    """Same scores in the same order, each article with its reference score.

    ``want`` may run longer than ``got``: an article tied with the last one kept may sit
    just past the cut on one side.
    """
    assert np.allclose([s for _, s in got], [s for _, s in want[: len(got)]], rtol=1e-5)
    wanted = dict(want)
    for aid, score in got:
        assert wanted.get(aid) == pytest.approx(score, rel=1e-5), aid


@pytest.fixture
def sqlite_reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Core]:
    tmp = tmp_path_factory.mktemp("reference")
    built = Core.build(
        make_settings(tmp, database_url=f"sqlite:///{tmp / 'ref.db'}"), embedder=HashingEmbedder()
    )
    yield built
    built.engine.dispose()


@pytest.mark.parametrize("prune", [False, True])
def test_memory_ranks_as_fts5_on_both_backends(
    core: Core,
    sqlite_reference: Core,
    prune: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Same articles, same scores, whichever backend holds them: FTS5's bm25() is the reference."""
    import bot.index.fulltext as fulltext_module

    if prune:  # common terms dropped from the query, as past 1,000 articles
        monkeypatch.setattr(fulltext_module, "_PRUNE_MIN_DOCS", 1)
    items = _corpus(120)
    core.ingester.ingest(items)
    sqlite_reference.ingester.ingest(items)
    assert core.fulltext.in_memory and len(core.fulltext.memory) == 120
    reference = _database_path(sqlite_reference.fulltext)
    expander = core.searcher.expander
    for query in QUERIES:
        fts_query = expander.build(query)
        got = core.fulltext.search(fts_query, 30)
        want = reference.search(fts_query, 60)
        assert want, query
        # article ids match: both databases numbered the same items in the same order
        _assert_same_ranking(got, want)


def test_document_count_is_read_on_a_machine_just_booted(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``time.monotonic()`` counts from boot. In a VM up for less than the counts' cache
    lifetime, the article count was taken as 0: no pruning, and negative IDF on Postgres."""
    import bot.index.fulltext as fulltext_module

    monkeypatch.setattr(fulltext_module, "time", SimpleNamespace(monotonic=lambda: 5.0))
    core.ingester.ingest(_corpus(30))
    index = _database_path(core.fulltext)
    with core.engine.connect() as conn:
        assert index._total_docs(conn) == 30


def test_refreshes_in_small_segments_match_one_load(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Articles arriving a few at a time (refresh after each ingest) are merged, not piled up,
    and rank exactly as one bulk load of the same database."""
    monkeypatch.setattr(postings_module, "SEGMENT_DOCS", 8)
    monkeypatch.setattr(postings_module, "_MAX_SMALL", 2)
    items = _corpus(60, seed=11)
    for start in range(0, len(items), 3):
        core.ingester.ingest(items[start : start + 3])
    grown = core.fulltext.memory
    assert len(grown) == 60
    assert len(grown._snap.segments) <= 60 // 8 + 3
    loaded = Postings(phrases=grown.phrases)
    assert loaded.refresh(core.engine) == 60
    assert loaded.refresh(core.engine) == 0, "a second refresh finds nothing new"
    for query in QUERIES:
        q = core.searcher.expander.build(query)
        _assert_same_ranking(
            grown.search(q.terms, q.phrases, 40), loaded.search(q.terms, q.phrases, 80)
        )


def test_new_articles_are_searchable_at_once(core: Core) -> None:
    core.ingester.ingest(_corpus(10))
    assert not core.fulltext.search(FtsQuery(("zyzzyva",)), 5)
    raw = RawArticle(title="Zyzzyva beetles", body="A zyzzyva is a weevil.", lang="en")
    core.ingester.ingest([Item("beetle", raw)])
    hits = core.fulltext.search(FtsQuery(("zyzzyva",)), 5)
    assert len(hits) == 1


def _fts_engine(rows: list[tuple[str, str]]) -> Engine:
    """A bare FTS5 table as the migration creates it, holding ``rows`` as stored."""
    engine = create_engine("sqlite://")
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE VIRTUAL TABLE article_fts USING fts5("
                "title, body, tokenize='unicode61 remove_diacritics 2')"
            )
        )
        for i, (title, body) in enumerate(rows, start=1):
            conn.execute(
                text("INSERT INTO article_fts(rowid, title, body) VALUES (:i, :t, :b)"),
                {"i": i, "t": title, "b": body},
            )
    return engine


def _fts5(engine: Engine, query: FtsQuery) -> list[tuple[int, float]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT rowid, -bm25(article_fts, 2.0, 1.0) AS s FROM article_fts "
                "WHERE article_fts MATCH :q ORDER BY s DESC"
            ),
            {"q": query.fts5()},
        )
        return [(int(r[0]), float(r[1])) for r in rows]


def test_phrases_odd_characters_and_columns_as_fts5() -> None:
    """Known phrases count exactly (never across title and body); unknown ones fall back to
    "all its words" (same articles, approximate frequency); underscores and non-ASCII split
    as FTS5's tokenizer splits them."""
    rows = [
        ("open model", "china ships an open model and another open model"),
        ("open", "model weights are open"),  # a phrase must not span title and body
        ("beijing", "open source model from 北京 labs naïve foo_bar"),
        ("rates", "interest rate cut and interest rate hike"),
        ("foo", "bar foo bar"),
    ] + [("filler", f"word{i} text") for i in range(20)]
    engine = _fts_engine(rows)
    memory = Postings(phrases=PhraseSet([("open", "model"), ("interest", "rate")]))
    assert memory.refresh(engine) == len(rows)
    for query in [
        FtsQuery(("china",), (("open", "model"),)),
        FtsQuery((), (("interest", "rate"),)),
        FtsQuery(("北京", "naïve"), ()),
        FtsQuery(("word3", "text", "open"), ()),
    ]:
        _assert_same_ranking(memory.search(query.terms, query.phrases), _fts5(engine, query))
    unknown = memory.search((), [("source", "model")])
    assert [a for a, _ in unknown] == [3], "an unknown phrase matches articles with all its words"
    split = FtsQuery(("foo_bar",), ())  # FTS5 reads it as the phrase "foo bar": the same articles
    assert {a for a, _ in memory.search(split.terms)} == {a for a, _ in _fts5(engine, split)}


def test_vectorized_hash_is_the_query_hash() -> None:
    tokens = ["qwen", "descarg", "ñandu", "北京", "h20", "a", "z" * 40]
    hashes, columns = _hash_tokens(" ".join(tokens[:4]) + "\n" + " ".join(tokens[4:]) + "\n")
    assert [int(h) for h in hashes] == [term_hash(t) for t in tokens]
    assert columns.tolist() == [0, 0, 0, 0, 1, 1, 1]
    assert phrase_hash(["open", "model"]) != phrase_hash(["model", "open"])
    assert phrase_hash(["open", "model"]) not in {term_hash("open"), term_hash("model")}
