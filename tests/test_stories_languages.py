"""Stories across languages with the bundled model: the seeds and an English follow-up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from checkout import PROJECT_ROOT
from sqlmodel import Session, select

from bot.core import Core
from bot.digest import build_digest, digest_reply
from bot.index.embedder import Embedder
from bot.ingest.files import iter_path
from bot.models import Article, Subscription
from bot.service import Service
from bot.settings import Settings
from bot.stories import StorySources, story_sources

QWEN_EN = PROJECT_ROOT / "tests" / "data" / "stories" / "qwen_billion_en.md"
QWEN_SEED = "004_cfe0271cdde873fb.txt"  # Qwen passes 700 million downloads (Spanish)


def _ingest(core: Core, path: Path) -> list[int]:
    report = core.ingester.ingest(iter_path(str(path)))
    assert not report.failed, report.failed
    return [o.article_id for o in report.new if o.article_id is not None]


@pytest.mark.model
def test_seeds_and_the_english_qwen_article_are_one_story(
    settings: Settings, real_embedder: Embedder
) -> None:
    """Acceptance 1: the English article joins the Spanish seed about Qwen's downloads, and
    the story's sources show one EN and one ES; the other seeds stay apart."""
    core = Core.build(settings, embedder=real_embedder)
    try:
        seeds = _ingest(core, PROJECT_ROOT / "seeds")
        assert len(seeds) == 3
        # Another process (the CLI's `ingest`): the 28-day-old story comes from the database.
        cli = Core.build_store(settings, embedder=real_embedder)
        try:
            (english,) = _ingest(cli, QWEN_EN)
        finally:
            cli.engine.dispose()
        with Session(core.engine) as session:
            rows = session.execute(select(Article.url, Article.lang, Article.story_id)).all()
        by_story: dict[int, list[str]] = {}
        for url, _lang, sid in rows:
            by_story.setdefault(int(sid), []).append(str(url))
        story_id = next(
            int(sid) for url, _lang, sid in rows if url.endswith("qwen-one-billion-downloads")
        )
        assert sorted(u.rsplit("/", 1)[-1] for u in by_story[story_id]) == sorted(
            ["qwen-one-billion-downloads", QWEN_SEED]
        )
        assert len(by_story) == 3  # the two other seeds are their own stories
        with Session(core.engine) as session:
            sources = story_sources(session, [story_id])[story_id]
        assert sources == StorySources(total=2, by_lang={"en": 1, "es": 1})
        assert sources.describe("en") == "2 sources · 1 EN, 1 ES"
        assert sources.describe("es") == "2 fuentes · 1 EN, 1 ES"

        # What a reader sees: the digest's card and the `story` reply, in either language.
        now = datetime.now(UTC) + timedelta(minutes=1)
        for lang, line in (("en", "2 sources · 1 EN, 1 ES"), ("es", "2 fuentes · 1 EN, 1 ES")):
            with Session(core.engine) as session:
                sub = Subscription(platform="slack", workspace="T1", channel="C1", lang=lang)
                built = build_digest(session, sub, now, since=now - timedelta(hours=1))
            qwen = next(c for c in digest_reply(built).cards if c.story_id == story_id)
            assert qwen.snippet.endswith("\n" + line)
            assert [s.by_lang for s in built.stories if s.story_id == story_id] == [sources]
            verb = "story" if lang == "en" else "historia"
            reply = Service(core).handle_text(f"{verb} {story_id}")
            assert line in reply.text and english in {c.article_id for c in reply.cards}
    finally:
        core.engine.dispose()
