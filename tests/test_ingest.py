"""Dedup, idempotence, atomic batches and what gets indexed."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SEEDS
from sqlalchemy import func, select
from sqlmodel import Session

from bot.core import Core
from bot.ingest.files import Item, iter_path
from bot.ingest.pipeline import canonical_url
from bot.ingest.types import RawArticle
from bot.models import Article, ArticleEntity, Entity, Passage


def _count(core: Core, model: type) -> int:
    with Session(core.engine) as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())


def test_ingesting_seeds_twice_is_a_noop(core: Core) -> None:
    first = core.ingester.ingest(iter_path(str(SEEDS)))
    assert len(first.new) == 3 and not first.failed
    before = (_count(core, Article), _count(core, Passage), _count(core, ArticleEntity))
    second = core.ingester.ingest(iter_path(str(SEEDS)))
    assert len(second.new) == 0 and len(second.duplicates) == 3
    assert {o.reason for o in second.duplicates} == {"same URL already stored"}
    assert (_count(core, Article), _count(core, Passage), _count(core, ArticleEntity)) == before


def test_same_text_under_another_path_is_a_duplicate(core: Core, tmp_path: Path) -> None:
    core.ingester.ingest(iter_path(str(SEEDS)))
    copy = tmp_path / "copy.txt"
    copy.write_bytes((SEEDS / "004_cfe0271cdde873fb.txt").read_bytes())
    report = core.ingester.ingest(iter_path(str(copy)))
    assert [o.reason for o in report.duplicates] == ["same text already stored"]


def test_canonical_url() -> None:
    assert canonical_url("HTTPS://Example.com:443/a/b/?utm_source=x&id=3#frag") == (
        "https://example.com/a/b?id=3"
    )
    assert canonical_url("seeds/004.txt") == "seeds/004.txt"
    assert canonical_url("  ") is None


def test_a_route_in_the_fragment_names_the_page() -> None:
    """Two stories of a site that routes in the browser differ only after "#!": they
    are two pages, not one (es_news rows of MVS Noticias were folded into one)."""
    meade = "http://www.mvsnoticias.com/#!/noticias/aumento-a-gasolina-meade-670"
    other = "http://www.mvsnoticias.com/#!/noticias/otra-nota-671"
    assert canonical_url(meade) == meade
    assert canonical_url(meade) != canonical_url(other)
    assert canonical_url("https://app.example/#/post/42") == "https://app.example/#/post/42"
    assert canonical_url("https://example.com/a#section-2") == "https://example.com/a"


def test_duplicates_within_one_batch(core: Core) -> None:
    raw = dict(title="Same", body="Exactly the same body text about Nvidia and OpenAI.")
    items = [Item("a", RawArticle(**raw)), Item("b", RawArticle(**raw))]
    report = core.ingester.ingest(items)
    assert [o.status for o in report.outcomes] == ["new", "duplicate"]


def test_passages_fulltext_vectors_and_entities_are_written(core: Core) -> None:
    core.ingester.ingest(iter_path(str(SEEDS)))
    passages = _count(core, Passage)
    assert passages >= 9 and len(core.vectors) == passages
    assert len(core.fulltext) == 3
    with Session(core.engine) as s:
        names = set(s.execute(select(Entity.name)).scalars())
    assert {"Alibaba", "Qwen", "Hugging Face", "Nvidia", "DeepSeek"} <= names


def test_a_failed_batch_leaves_nothing_half_written(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*_a: object, **_k: object) -> None:
        raise RuntimeError("crash mid-write")

    monkeypatch.setattr(core.ingester, "_figures", boom)
    report = core.ingester.ingest(iter_path(str(SEEDS)))
    # The batch, then each article alone, failed: each is named; none is half written.
    assert [o.status for o in report.outcomes] == ["failed"] * 3
    assert all(
        o.reason == "could not store it: RuntimeError: crash mid-write" for o in report.failed
    )
    assert (_count(core, Article), _count(core, Passage)) == (0, 0)
    monkeypatch.undo()
    assert len(core.ingester.ingest(iter_path(str(SEEDS))).new) == 3


def test_a_second_core_finds_what_the_first_indexed(core: Core, settings) -> None:  # type: ignore[no-untyped-def]
    core.ingester.ingest(iter_path(str(SEEDS)))
    other = Core.build(settings, embedder=core.embedder)
    assert len(other.vectors) == len(core.vectors) and len(other.fulltext) == 3
    assert other.refresh() == 0


def test_duplicates_across_overlapping_batches(core: Core) -> None:
    """Batch N+1 is screened while batch N is still being written: its duplicates of N count."""
    core.ingester.batch_size = 2
    a = RawArticle(title="Qwen passes 700M downloads", body="Alibaba said so on Monday.")
    b = RawArticle(title="DeepSeek trains abroad", body="In Malaysia, sources said.")
    c = RawArticle(title="Nvidia H20 sales resume", body="Shipments restart in May.")
    again = RawArticle(title=a.title, body=a.body)
    items = [Item(n, r) for n, r in (("a", a), ("b", b), ("a2", again), ("c", c), ("a3", again))]
    report = core.ingester.ingest(items)
    assert [(o.label, o.status) for o in report.outcomes] == [
        ("a", "new"),
        ("b", "new"),
        ("a2", "duplicate"),
        ("c", "new"),
        ("a3", "duplicate"),
    ]
    with Session(core.engine) as session:
        assert session.execute(select(func.count()).select_from(Article)).scalar_one() == 3
