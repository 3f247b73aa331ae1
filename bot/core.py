"""The core service container: engine, model, indexes and the operations built on them.

Adapters and the CLI receive a ``Core``; nothing here knows about platforms.
Construction is explicit (no globals, nothing at import time) so tests can pass
a fake embedder and an in-memory database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, text
from sqlmodel import Session, select

from bot.entities import EntityExtractor, Gazetteer
from bot.index.embedder import Embedder, make_embedder
from bot.index.ftserver import RemotePostings
from bot.index.fulltext import FullTextIndex
from bot.index.hybrid import HybridSearcher, QueryExpander
from bot.index.postings import TITLE_WEIGHT, PhraseSet
from bot.index.preload import Preload
from bot.index.space import claim
from bot.index.vectors import VectorIndex
from bot.ingest.pipeline import Ingester
from bot.lexicon import Lexicon
from bot.models import Article, ArticleEntity, Entity, Passage, Source
from bot.settings import E5_MODEL, Settings
from bot.store import init_schema, make_engine, redacted_url
from bot.stories import StoryClusterer


@dataclass
class Core:
    settings: Settings
    engine: Engine
    embedder: Embedder
    vectors: VectorIndex
    fulltext: FullTextIndex
    lexicon: Lexicon
    gazetteer: Gazetteer
    searcher: HybridSearcher
    ingester: Ingester

    @classmethod
    def build(
        cls,
        settings: Settings,
        *,
        embedder: Embedder | None = None,
        engine: Engine | None = None,
        load_vectors: bool = True,
        eager_model: bool = True,
        preload: bool = False,
    ) -> Core:
        """``preload`` (``ainews run``, ``chat``): a helper process reads the indexes from
        the database while this one loads the model, so a cold start waits for the slower
        of the two, not both (``bot.index.preload``)."""
        engine = engine or make_engine(settings.resolved_database_url)
        init_schema(engine)
        real: Any = None
        if embedder is None:
            real = embedder = make_embedder(
                settings.embedding_model, threads=settings.embedding_threads
            )
        if load_vectors:
            claim(engine, embedder.name)
        helper = server = None
        if load_vectors and preload:  # both load while the model does; the server stays
            if embedder.dim:
                helper = Preload.start(engine, dim=embedder.dim)
            server = RemotePostings.start(
                engine,
                lexicon_path=settings.lexicon_path,
                gazetteer_path=settings.gazetteer_path,
                title_weight=TITLE_WEIGHT,
            )
        try:
            if real is not None and (eager_model or not real.dim) and hasattr(real, "load"):
                real.load()
            lexicon = Lexicon.load(settings.lexicon_path, settings.induced_lexicon_path)
            gazetteer = Gazetteer.load(settings.gazetteer_path)
            expander = QueryExpander(lexicon, gazetteer)
            phrases = PhraseSet(expander.known_phrases())
            fulltext = FullTextIndex(engine, title_weight=TITLE_WEIGHT, phrases=phrases)
            if server is not None:
                fulltext.memory = server.falling_back_to(fulltext.memory)
            vectors = VectorIndex(embedder.dim)
            if load_vectors:
                loaded = helper.collect() if helper else None
                if loaded is not None:
                    vectors = loaded
                fulltext.refresh()  # all of it, or what the helper missed: first, so its
                vectors.refresh(engine)  # load temporaries never meet the vectors'
        except BaseException:
            if server is not None:
                server.close()
            raise
        finally:
            if helper is not None:
                helper.cancel()
        searcher = HybridSearcher(
            engine=engine,
            embedder=embedder,
            vectors=vectors,
            fulltext=fulltext,
            expander=expander,
            max_query_chars=settings.max_query_chars,
            recency_weight=settings.recency_weight,
            recency_half_life_days=settings.recency_half_life_days,
            dense_languages=settings.dense_languages(embedder.languages),
            min_dense_score=(
                embedder.min_score if settings.min_dense_score is None else settings.min_dense_score
            ),
        )
        ingester = Ingester(
            engine=engine,
            embedder=embedder,
            vectors=vectors,
            fulltext=fulltext,
            extractor=EntityExtractor(gazetteer),
            passage_max_chars=settings.passage_max_chars,
            max_article_chars=settings.max_article_chars,
            batch_size=settings.embedding_batch_size,
            stories=StoryClusterer.from_settings(
                settings,
                gazetteer,
                lexicon,
                # story_threshold is calibrated on MiniLM's cosines (bench/clustering.py);
                # e5 clusters on keywords until it is calibrated for it.
                dense_languages=frozenset() if embedder.name == E5_MODEL else frozenset({"en"}),
            ),
        )
        return cls(
            settings=settings,
            engine=engine,
            embedder=embedder,
            vectors=vectors,
            fulltext=fulltext,
            lexicon=lexicon,
            gazetteer=gazetteer,
            searcher=searcher,
            ingester=ingester,
        )

    def close(self) -> None:
        """Stop the full-text helper, if any, and close the database connections."""
        if isinstance(self.fulltext.memory, RemotePostings):
            self.fulltext.memory.close()
        self.engine.dispose()

    def refresh(self) -> int:
        """Pick up articles stored by other processes (replicas, the CLI); returns passages."""
        if self.fulltext.in_memory:
            self.fulltext.refresh()
        return self.vectors.refresh(self.engine)

    def stats(self) -> dict[str, Any]:
        with Session(self.engine) as session:

            def count(model: type) -> int:
                return int(session.execute(select(func.count()).select_from(model)).scalar_one())

            langs: dict[str, int] = dict(
                session.execute(select(Article.lang, func.count()).group_by(Article.lang)).all()
            )
            newest = session.execute(
                select(func.max(func.coalesce(Article.published_at, Article.first_seen_at)))
            ).scalar_one()
            return {
                "articles": count(Article),
                "passages": count(Passage),
                "sources": count(Source),
                "entities": count(Entity),
                "entity_mentions": count(ArticleEntity),
                "languages": langs,
                "newest": newest.isoformat() if newest else None,
                "indexed_vectors": len(self.vectors),
                "vector_index_mb": round(self.vectors.nbytes / 1e6, 1),
                "fulltext_index_mb": round(self.fulltext.memory.nbytes / 1e6, 1),
                "database": redacted_url(self.engine),
                "embedding_model": self.embedder.name,
                "lexicon_entries": len(self.lexicon),
                "gazetteer_entities": len(self.gazetteer.entities),
            }

    def ping_database(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
