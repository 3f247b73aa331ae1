"""Story clustering at ingest: same event in any language joins, unrelated stays apart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.core import Core
from bot.index.embedder import Embedder
from bot.ingest.files import Item
from bot.ingest.types import RawArticle
from bot.models import Article, Story
from bot.settings import Settings
from bot.stories import KeyExtractor, source_key

DAY = datetime(2025, 6, 3, 9, 0, tzinfo=UTC)

NVIDIA_EN = RawArticle(
    title="Nvidia shares fall after US bans H20 chip exports to China",
    body=(
        "The US government on Tuesday restricted exports of Nvidia's H20 accelerators to China, "
        "and Nvidia shares fell 6% in early trading. The H20 was designed to comply with "
        "earlier export controls. Analysts expect a multibillion-dollar charge."
    ),
    url="https://news.example.com/nvidia-h20-ban",
    lang="en",
    source_name="Example News",
    published_at=DAY,
)
NVIDIA_ES = RawArticle(
    title=(
        "Las acciones de Nvidia caen tras el veto de EE. UU. a la exportación de chips H20 a China"
    ),
    body=(
        "El Gobierno de Estados Unidos restringió el martes la exportación de los aceleradores "
        "H20 de Nvidia a China, y las acciones de Nvidia cayeron un 6 % en las primeras horas. "
        "El H20 se diseñó para cumplir los controles de exportación anteriores."
    ),
    url="https://noticias.example.es/nvidia-h20-veto",
    lang="es",
    source_name="Noticias Ejemplo",
    published_at=DAY + timedelta(hours=3),
)
LLAMA_EN = RawArticle(
    title="Meta releases Llama 4 open-weight models with a 10 million token context",
    body=(
        "Meta on Saturday released Llama 4 Scout and Llama 4 Maverick, mixture-of-experts "
        "models with open weights. Scout fits on a single GPU, the company said."
    ),
    url="https://news.example.com/llama-4",
    lang="en",
    source_name="Example News",
    published_at=DAY + timedelta(hours=1),
)
ARAGON_ES = RawArticle(
    title="Microsoft invertirá 2.000 millones en nuevos centros de datos en Aragón",
    body=(
        "Microsoft ampliará su capacidad de computación en la nube en España con tres centros "
        "de datos en Aragón, según anunció la compañía. La inversión creará empleo en la región."
    ),
    url="https://noticias.example.es/microsoft-aragon",
    lang="es",
    source_name="Noticias Ejemplo",
    published_at=DAY + timedelta(hours=2),
)


def copy(raw: RawArticle, **changes: object) -> RawArticle:
    values = {f: getattr(raw, f) for f in RawArticle.__dataclass_fields__}
    values["extra"] = dict(raw.extra)
    values.update(changes)
    return RawArticle(**values)  # type: ignore[arg-type]


def ingest(core: Core, *raws: RawArticle) -> list[int]:
    report = core.ingester.ingest([Item(r.url or r.title, r) for r in raws])
    assert not report.failed, report.failed
    return [o.article_id for o in report.new if o.article_id is not None]


def story_of(core: Core, article_id: int) -> Story:
    with Session(core.engine) as session:
        article = session.get(Article, article_id)
        assert article is not None and article.story_id is not None
        story = session.get(Story, article.story_id)
        assert story is not None
        return story


def stories(core: Core) -> int:
    with Session(core.engine) as session:
        return int(session.execute(select(func.count()).select_from(Story)).scalar_one())


def test_same_event_in_spanish_and_english_is_one_story(core: Core) -> None:
    en, llama, aragon, es = ingest(core, NVIDIA_EN, LLAMA_EN, ARAGON_ES, NVIDIA_ES)
    story = story_of(core, en)
    assert story_of(core, es).id == story.id
    assert story.article_count == 2 and story.source_count == 2
    assert story_of(core, llama).id != story.id
    assert story_of(core, aragon).id not in {story.id, story_of(core, llama).id}
    assert stories(core) == 3


def test_joins_across_batches_and_processes(core: Core, settings: Settings) -> None:
    """A second Core (another process) on the same database joins the stored story."""
    (en,) = ingest(core, NVIDIA_EN)
    from bot.index.embedder import HashingEmbedder

    other = Core.build(settings, embedder=HashingEmbedder())
    try:
        (es,) = ingest(other, NVIDIA_ES)
        assert story_of(other, es).id == story_of(other, en).id
        # The first core's cache is now stale: it must notice and still join.
        (again,) = ingest(
            core,
            copy(
                NVIDIA_EN,
                url="https://other.example.org/h20",
                body=(NVIDIA_EN.body + " Nvidia declined to comment on the US decision."),
                source_name="Other Wire",
            ),
        )
        story = story_of(core, again)
        assert story.id == story_of(core, en).id
        assert story.article_count == 3 and story.source_count == 3
    finally:
        other.engine.dispose()


def test_source_count_counts_distinct_sources(core: Core) -> None:
    same_source = copy(
        NVIDIA_EN,
        url="https://news.example.com/nvidia-h20-ban-update",
        body=NVIDIA_EN.body + " Update: Nvidia confirmed the US licence requirement.",
        published_at=DAY + timedelta(hours=5),
    )
    ids = ingest(core, NVIDIA_EN, same_source, NVIDIA_ES)
    story = story_of(core, ids[0])
    assert {story_of(core, i).id for i in ids} == {story.id}
    assert story.article_count == 3
    assert story.source_count == 2  # Example News twice, Noticias Ejemplo once
    first = story.first_seen_at.replace(tzinfo=UTC)
    last = story.last_seen_at.replace(tzinfo=UTC)
    assert first == DAY and last == DAY + timedelta(hours=5)


def test_same_topic_outside_the_window_is_a_new_story(core: Core) -> None:
    later = copy(
        NVIDIA_EN,
        url="https://news.example.com/nvidia-h20-ban-again",
        body=NVIDIA_EN.body + " (Republished.)",
        published_at=DAY + timedelta(days=10),
    )
    first, second = ingest(core, NVIDIA_EN, later)
    assert story_of(core, first).id != story_of(core, second).id


def test_story_assignment_is_atomic_with_the_article(core: Core) -> None:
    def boom(session: Session, ids: list[int]) -> None:
        raise RuntimeError("crash after the stories were assigned")

    core.ingester.on_stored = boom
    # A failed write costs only its items (issue 25): each is named, none half-written.
    report = core.ingester.ingest([Item(r.url or r.title, r) for r in (NVIDIA_EN, LLAMA_EN)])
    assert [o.label for o in report.failed] == [NVIDIA_EN.url, LLAMA_EN.url]
    assert all("crash after the stories were assigned" in (o.reason or "") for o in report.failed)
    assert not report.new
    core.ingester.on_stored = None
    assert stories(core) == 0
    ingest(core, NVIDIA_EN, NVIDIA_ES)
    assert stories(core) == 1
    with Session(core.engine) as session:
        ids = session.execute(select(Article.story_id)).scalars().all()
        known = session.execute(select(Story.id)).scalars().all()
    assert set(ids) == set(known)


def test_keys_bridge_spanish_and_english(core: Core) -> None:
    keys = KeyExtractor(core.gazetteer, core.lexicon)
    es = keys.keys("EE. UU. prohíbe exportar chips H20; despidos en Nvidia", "", "es")
    en = keys.keys("US bans H20 chip exports; layoffs at Nvidia", "", "en")
    shared = set(es) & set(en)
    assert {"e:United States", "e:Nvidia", "e:Nvidia H20"} <= shared
    assert any(k.startswith("c:") for k in shared)  # exportar/exports, despidos/layoffs


def test_source_key() -> None:
    assert source_key("El País", None, 1) == source_key("el pais", "https://x.org/a", 2)
    assert source_key("", "https://www.Example.com/a", 3) == "h:example.com"
    assert source_key(None, None, 7) == "a:7"


def test_every_article_gets_a_story_and_counts_add_up(core: Core) -> None:
    ingest(core, NVIDIA_EN, LLAMA_EN, ARAGON_ES, NVIDIA_ES)
    with Session(core.engine) as session:
        rows = session.execute(
            select(Article.story_id, func.count()).group_by(col(Article.story_id))
        ).all()
        counts = {s.id: s.article_count for s in session.execute(select(Story)).scalars()}
    assert None not in dict(rows)
    assert dict(rows) == counts


@pytest.mark.model
def test_real_model_joins_translations_and_separates_same_topic(
    settings: Settings, real_embedder: Embedder
) -> None:
    core = Core.build(settings, embedder=real_embedder)
    try:
        en, llama, aragon, es = ingest(core, NVIDIA_EN, LLAMA_EN, ARAGON_ES, NVIDIA_ES)
        assert story_of(core, en).id == story_of(core, es).id
        assert len({story_of(core, i).id for i in (en, llama, aragon)}) == 3
    finally:
        core.engine.dispose()


def test_from_settings_uses_the_story_settings(core: Core, tmp_path: Path) -> None:
    from conftest import make_settings

    from bot.stories import StoryClusterer

    settings = make_settings(
        tmp_path, story_threshold=0.7, story_keyword_threshold=0.6, story_window_days=1
    )
    clusterer = StoryClusterer.from_settings(settings, core.gazetteer, core.lexicon)
    assert clusterer.params.threshold == 0.7 and clusterer.params.keyword_threshold == 0.6
    assert clusterer.params.window == timedelta(days=1)
    assert clusterer.dense_languages == frozenset({"en"})


@pytest.mark.postgres
def test_stories_on_postgres(postgres_url: str, tmp_path: Path) -> None:
    """Window queries compare stored timestamps: the same behaviour on PostgreSQL."""
    from conftest import make_settings
    from sqlalchemy import create_engine, text

    from bot.index.embedder import HashingEmbedder

    engine = create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    settings = make_settings(tmp_path, database_url=postgres_url)
    first = Core.build(settings, embedder=HashingEmbedder())
    second = Core.build(settings, embedder=HashingEmbedder())
    try:
        en, llama = ingest(first, NVIDIA_EN, LLAMA_EN)
        (es,) = ingest(second, NVIDIA_ES)
        later = copy(NVIDIA_EN, url="https://x.example/late", body=NVIDIA_EN.body + " Later.")
        later.published_at = DAY + timedelta(days=10)
        (late,) = ingest(first, later)
        story = story_of(first, en)
        assert story_of(first, es).id == story.id != story_of(first, llama).id
        assert story.article_count == 2 and story.source_count == 2
        assert story_of(first, late).id != story.id
    finally:
        first.engine.dispose()
        second.engine.dispose()


def test_index_scores_only_the_articles_window() -> None:
    """Stories far from an article's date are never scored: bulk imports stay linear."""
    from bot.stories import Features, Params, StoryIndex, StoryState

    index = StoryIndex(Params())
    keys = {"e:Nvidia": 1.0, "s:ban": 1.0}
    for day in range(0, 300, 10):
        when = DAY + timedelta(days=day)
        index.add_story(StoryState.start(Features(keys, None, when, f"n:{day}")))
    near = DAY + timedelta(days=101)
    assert [index.stories[s].first for s in index.window(near)] == [DAY + timedelta(days=100)]
    slot, _ = index.best(Features(keys, None, near, "n:x"))
    assert slot is not None and index.stories[slot].first == DAY + timedelta(days=100)


def test_compacted_index_reloads_stories_from_the_database(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the in-memory cap the least recently used stories are dropped, not forgotten."""
    import bot.stories

    monkeypatch.setattr(bot.stories, "_CACHE_SIZE", 1)
    en, llama = ingest(core, NVIDIA_EN, LLAMA_EN)
    assert len(core.ingester.stories._slots) <= 1
    (es,) = ingest(core, NVIDIA_ES)
    assert story_of(core, es).id == story_of(core, en).id
    assert story_of(core, llama).id != story_of(core, en).id


def test_stories_no_batch_looks_at_leave_memory(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server polling recent news keeps only recent stories in memory."""
    import bot.stories

    monkeypatch.setattr(bot.stories, "_IDLE_BATCHES", 2)
    ids = [
        ingest(
            core,
            copy(
                LLAMA_EN,
                url=f"https://news.example.com/llama-{n}",
                body=f"{LLAMA_EN.body} Part {n}.",
                published_at=DAY + timedelta(days=100 * n),
            ),
        )[0]
        for n in range(4)
    ]
    clusterer = core.ingester.stories
    assert sorted(clusterer._slots) == sorted(story_of(core, i).id for i in ids[2:])
    assert story_of(core, ids[0]).id not in clusterer._slots
    (near,) = ingest(  # joins the evicted story, reloaded from the database
        core,
        copy(
            LLAMA_EN,
            url="https://other.example.org/llama-0",
            body=f"{LLAMA_EN.body} Part 0, updated.",
            published_at=DAY + timedelta(hours=3),
            source_name="Other Wire",
        ),
    )
    assert story_of(core, near).id == story_of(core, ids[0]).id


def _feat(keys: dict[str, float], vector: list[float], when: datetime, source: str, lang: str):  # type: ignore[no-untyped-def]
    import numpy as np

    from bot.stories import Features

    v = np.asarray(vector, dtype=np.float32)
    return Features(keys, v / np.linalg.norm(v), when, source, lang)


def test_cross_language_threshold_applies_only_where_the_story_lacks_the_language() -> None:
    """Across languages keys meet only on names: the lower ``cross_threshold`` applies."""
    from bot.stories import Params, StoryIndex, StoryState

    params = Params(threshold=0.8, cross_threshold=0.6, keyword_weight=0.0)
    index = StoryIndex(params)
    slot = index.add_story(StoryState.start(_feat({"e:Qwen": 1.0}, [1.0, 0.0], DAY, "n:a", "es")))
    near = [0.7, 0.71]  # cosine ~0.70: between the two thresholds
    english = _feat({"e:Qwen": 1.0}, near, DAY + timedelta(hours=2), "n:b", "en")
    spanish = _feat({"e:Qwen": 1.0}, near, DAY + timedelta(hours=2), "n:c", "es")
    assert index.best(english)[0] == slot
    assert index.best(spanish)[0] is None
    index.join(slot, english)  # now the story has English too: the same-language rule
    turned = [0.375, 0.927]  # cosine ~0.70 with the moved centroid (22.7 degrees)
    assert index.best(_feat({"e:Qwen": 1.0}, turned, DAY, "n:d", "en"))[0] is None


def test_follow_ups_join_past_the_window_only_with_a_shared_entity_from_a_new_source() -> None:
    from bot.stories import Params, StoryIndex, StoryState

    params = Params(
        threshold=0.7,
        keyword_weight=0.0,
        followup_window=timedelta(days=31),
        followup_margin=0.05,
    )
    index = StoryIndex(params)
    slot = index.add_story(StoryState.start(_feat({"e:Qwen": 1.0}, [1.0, 0.0], DAY, "n:a", "es")))
    later = DAY + timedelta(days=28)
    close = [1.0, 0.3]  # cosine ~0.96
    assert index.best(_feat({"e:Qwen": 1.0}, close, later, "n:b", "en"))[0] == slot
    assert index.best(_feat({"s:qwen": 1.0}, close, later, "n:b", "en"))[0] is None  # no entity
    assert index.best(_feat({"e:Qwen": 1.0}, close, later, "n:a", "en"))[0] is None  # same source
    too_late = DAY + timedelta(days=40)
    assert index.best(_feat({"e:Qwen": 1.0}, close, too_late, "n:b", "en"))[0] is None
    # within the margin above the threshold: enough inside the window, not past it
    edge = [1.0, 0.9]  # cosine ~0.74
    assert index.best(_feat({"e:Qwen": 1.0}, edge, DAY + timedelta(days=1), "n:b", "en"))[0] == slot
    assert index.best(_feat({"e:Qwen": 1.0}, edge, later, "n:b", "en"))[0] is None
    off = StoryIndex(Params(threshold=0.7, keyword_weight=0.0))
    off.add_story(StoryState.start(_feat({"e:Qwen": 1.0}, [1.0, 0.0], DAY, "n:a", "es")))
    assert off.best(_feat({"e:Qwen": 1.0}, close, later, "n:b", "en"))[0] is None


def test_figures_are_keys_in_any_language(core: Core) -> None:
    keys = KeyExtractor(core.gazetteer, core.lexicon)
    es = keys.keys("Anthropic ya vale 61.500 millones de dólares", "", "es")
    en = keys.keys("Anthropic raises Series E at $61.5B post-money valuation", "", "en")
    assert "n:6.15e+10usd" in set(es) & set(en)


def test_the_bundled_model_is_calibrated_for_every_language(core: Core, tmp_path: Path) -> None:
    from conftest import make_settings

    from bot.settings import E5_MODEL
    from bot.stories import CALIBRATIONS, StoryClusterer

    settings = make_settings(tmp_path)
    clusterer = StoryClusterer.from_settings(settings, core.gazetteer, core.lexicon, model=E5_MODEL)
    calibrated = CALIBRATIONS[E5_MODEL]
    assert clusterer.dense_languages is None  # one space for Spanish and English
    assert clusterer.params.threshold == calibrated.threshold
    assert clusterer.params.cross_threshold == calibrated.cross_threshold
    assert clusterer.params.followup_window == timedelta(days=settings.story_followup_days)
    mine = make_settings(tmp_path, story_threshold=0.8, story_followup_days=0)
    clusterer = StoryClusterer.from_settings(mine, core.gazetteer, core.lexicon, model=E5_MODEL)
    assert clusterer.params.threshold == 0.8 and clusterer.params.reach == timedelta(days=3)
