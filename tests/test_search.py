"""Search in both languages with the real bundled model (acceptance of the foundation issue)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import DATASETS, SEEDS, make_settings

from bot.core import Core
from bot.i18n import t
from bot.index.embedder import Embedder
from bot.index.hybrid import QueryError, make_snippet
from bot.ingest.files import Item, iter_path
from bot.ingest.types import RawArticle

pytestmark = pytest.mark.model


def _top(core: Core, query: str, **kw: object) -> list[str]:
    hits = core.searcher.search(query, **kw)  # type: ignore[arg-type]
    return [(h.url or "").rsplit("/", 1)[-1][:3] for h in hits]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("descargas de Qwen", "004"),
        ("Qwen downloads", "004"),
        ("¿Cuántas descargas superaron los modelos Qwen?", "004"),
        ("Alibaba stock jumps", "004"),
        ("Why are Chinese tech firms training models in Southeast Asia?", "000"),
        ("empresas chinas entrenan modelos en el extranjero", "000"),
        ("Nvidia H20 export restrictions", "000"),
        ("share of open-model downloads, China vs the US", "002"),
        ("cuota de descargas de modelos abiertos China frente a Estados Unidos", "002"),
        ("MIT Hugging Face study on open model downloads", "002"),
    ],
)
def test_the_right_seed_comes_first(seeded_core: Core, query: str, expected: str) -> None:
    assert _top(seeded_core, query)[0] == expected


def test_results_carry_what_a_user_needs(seeded_core: Core) -> None:
    hit = seeded_core.searcher.search("descargas de Qwen", limit=1)[0]
    assert hit.url == f"{SEEDS}/004_cfe0271cdde873fb.txt"  # as the fixture ingested it
    assert hit.title.startswith("Alibaba se dispara en bolsa")
    assert hit.published_at is not None and hit.published_at.date().isoformat() == "2026-01-13"
    assert hit.lang == "es" and hit.score > 0
    assert "Qwen" in hit.snippet and len(hit.snippet) <= 245


@pytest.mark.parametrize(
    ("query", "code"),
    [("", "empty_query"), ("   ?! ", "empty_query"), ("x" * 10_000, "query_too_long")],
)
def test_bad_queries_get_a_clear_localized_message(
    seeded_core: Core, query: str, code: str
) -> None:
    with pytest.raises(QueryError) as info:
        seeded_core.searcher.search(query)
    assert info.value.code == code
    assert "10000" in t(code, "en", **info.value.params) or code == "empty_query"
    assert t(code, "es", **info.value.params) != t(code, "en", **info.value.params)


def test_snippet_starts_near_the_match() -> None:
    passage = "Intro words here. " * 20 + "The Qwen models passed 700 million downloads worldwide."
    snippet = make_snippet(passage, {"qwen"})
    assert "Qwen" in snippet and snippet.startswith("…")


def test_undated_imports_do_not_push_dated_news_down(
    tmp_path: Path, real_embedder: Embedder
) -> None:
    """Bulk-imported articles without a date are not "brand new": no recency boost for them."""
    if not (DATASETS / "es_news_fakenewscorpus_true.jsonl").is_file():
        pytest.skip("shared datasets not found")
    from bench.corpus import shipped_vectors
    from bench.vcache import CachingEmbedder, VectorCache

    # The model's own vectors for these rows ship with the bench (bench/data): the same
    # ranking without encoding 150 long articles, about three minutes on two cores.
    cache = VectorCache(real_embedder.name, path=tmp_path / "vectors.sqlite")
    cache.load_shipped(shipped_vectors(real_embedder.name))
    embedder = CachingEmbedder(real_embedder, cache)
    core = Core.build(make_settings(tmp_path), embedder=embedder)
    core.ingester.ingest(iter_path(str(SEEDS)))
    lines = (DATASETS / "es_news_fakenewscorpus_true.jsonl").read_text(encoding="utf-8")
    distractors = tmp_path / "es_news.jsonl"
    distractors.write_text("\n".join(lines.splitlines()[:150]) + "\n", encoding="utf-8")
    core.ingester.ingest(iter_path(str(distractors)))
    for query, seed in [
        ("empresas chinas entrenan modelos de IA en el sudeste asiático", "000"),
        ("Qwen passes 700 million downloads", "004"),
        ("China supera a Estados Unidos en descargas de modelos de IA", "002"),
    ]:
        assert _top(core, query)[0] == seed, query
    assert embedder.misses <= 10, embedder.misses  # the seeds' few passages are encoded
    core.engine.dispose()


def test_fulltext_ranks_phrases_and_weighs_titles(core: Core) -> None:
    """BM25 over stems: a title term weighs as two body terms, a phrase needs its words in
    order, and what another article holds does not leak into the count."""
    from bot.index.fulltext import FtsQuery
    from bot.text import index_terms

    items = [
        Item("t", RawArticle(title="Qwen downloads", body="A report on models.")),
        Item("b", RawArticle(title="A report", body="Qwen downloads and models.")),
        Item("o", RawArticle(title="Other", body="Models downloads Qwen, out of order.")),
    ]
    ids = {o.label: o.article_id for o in core.ingester.ingest(items).new}
    qwen, downloads = index_terms("Qwen", "en"), index_terms("downloads", "en")
    ranked = [aid for aid, _ in core.fulltext.search(FtsQuery((qwen,)), 5)]
    assert ranked[0] == ids["t"] and set(ranked) == set(ids.values())
    phrase = [aid for aid, _ in core.fulltext.search(FtsQuery((), ((qwen, downloads),)), 5)]
    assert sorted(phrase) == sorted([ids["t"], ids["b"]])
    assert core.fulltext.search(FtsQuery(("zyzzyva",)), 5) == []


def test_a_feed_that_never_names_its_company_is_found_by_the_company(core: Core) -> None:
    """A company's own blog says "our Series B", not its name: the source's name is text too."""
    from bot.index.fulltext import FtsQuery
    from bot.text import index_terms

    items = [
        Item(
            "own",
            RawArticle(
                title="Announcing our Series B",
                body="We raised a round to build memory for AI.",
                source_name="Pinecone Blog",
            ),
        ),
        Item("other", RawArticle(title="Series B news", body="Another startup raised money.")),
    ]
    ids = {o.label: o.article_id for o in core.ingester.ingest(items).new}
    found = [aid for aid, _ in core.fulltext.search(FtsQuery((index_terms("Pinecone", "en"),)), 5)]
    assert found == [ids["own"]]
