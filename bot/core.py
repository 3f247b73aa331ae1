"""The core service container: engine, model, indexes and the operations built on them.

Adapters and the CLI receive a ``Core``; nothing here knows about platforms.
Construction is explicit (no globals, nothing at import time) so tests can pass
a fake embedder and an in-memory database. What an entry point needs decides which
constructor it calls (``bot.app`` composes the whole service from a search core):

- ``Core.build_store``: store only (``ainews ingest``, ``stats``, workers). The model
  loads on the first new article, the local index on the first search, if any.
- ``Core.build``: store and search (``ainews run``, ``chat``, ``search``, ``ask``): the
  model is loaded and the local index (``bot.index.local``) in step with the database.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, func, text
from sqlmodel import Session, select

from bot.entities import EntityExtractor, Gazetteer
from bot.index.embedder import Embedder, make_embedder
from bot.index.fulltext import FullTextIndex
from bot.index.hybrid import HybridSearcher, QueryExpander
from bot.index.local import LocalIndex
from bot.index.space import claim
from bot.index.vectors import VectorIndex
from bot.ingest.pipeline import Ingester
from bot.lexicon import Lexicon
from bot.models import Article, ArticleEntity, Entity, Passage, Source
from bot.settings import Settings
from bot.store import init_schema, make_engine, redacted_url
from bot.stories import StoryClusterer


@dataclass
class Core:
    settings: Settings
    engine: Engine
    embedder: Embedder
    lexicon: Lexicon
    gazetteer: Gazetteer
    expander: QueryExpander
    ingester: Ingester
    _index: LocalIndex | None = None
    _searcher: HybridSearcher | None = None
    _opening: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def build_store(
        cls, settings: Settings, *, embedder: Embedder | None = None, engine: Engine | None = None
    ) -> Core:
        """A core that stores; its model and local index load when first needed."""
        engine = engine or make_engine(settings.resolved_database_url)
        init_schema(engine)
        if embedder is None:
            embedder = make_embedder(settings.embedding_model, threads=settings.embedding_threads)
        lexicon = Lexicon.load(settings.lexicon_path, settings.induced_lexicon_path)
        gazetteer = Gazetteer.load(settings.gazetteer_path)
        core: Core
        ingester = Ingester(
            engine=engine,
            embedder=embedder,
            extractor=EntityExtractor(gazetteer),
            passage_max_chars=settings.passage_max_chars,
            max_article_chars=settings.max_article_chars,
            batch_size=settings.embedding_batch_size,
            after_commit=lambda: core.refresh(),
            stories=StoryClusterer.from_settings(settings, gazetteer, lexicon, model=embedder.name),
        )
        core = cls(
            settings=settings,
            engine=engine,
            embedder=embedder,
            lexicon=lexicon,
            gazetteer=gazetteer,
            expander=QueryExpander(lexicon, gazetteer),
            ingester=ingester,
        )
        return core

    @classmethod
    def build(
        cls, settings: Settings, *, embedder: Embedder | None = None, engine: Engine | None = None
    ) -> Core:
        """A core that stores and searches, ready: model loaded, local index in step."""
        core = cls.build_store(settings, embedder=embedder, engine=engine)
        load = getattr(core.embedder, "load", None)
        if load is not None and not core.embedder.dim:
            load()  # the dimension is the model's: known once it is loaded
        loading = threading.Thread(target=load, name="model-load") if load else None
        if loading is not None:  # the model loads while the index opens
            loading.start()
        try:
            core.open_index()
        finally:
            if loading is not None:
                loading.join()
        return core

    def open_index(self) -> LocalIndex:
        """The local index, opened (and synced with the database) on first use."""
        with self._opening:
            if self._index is None:
                claim(self.engine, self.embedder.name)
                self._index = LocalIndex.open(
                    self.engine,
                    self.settings.data_dir,
                    model=self.embedder.name,
                    dim=self.embedder.dim,
                )
            return self._index

    @property
    def vectors(self) -> VectorIndex:
        return self.open_index().vectors

    @property
    def fulltext(self) -> FullTextIndex:
        return self.open_index().fulltext

    @property
    def searcher(self) -> HybridSearcher:
        if self._searcher is None:
            index, settings = self.open_index(), self.settings
            self._searcher = HybridSearcher(
                engine=self.engine,
                embedder=self.embedder,
                vectors=index.vectors,
                fulltext=index.fulltext,
                expander=self.expander,
                max_query_chars=settings.max_query_chars,
                recency_weight=settings.recency_weight,
                recency_half_life_days=settings.recency_half_life_days,
                dense_languages=settings.dense_languages(self.embedder.languages),
                min_dense_score=(
                    self.embedder.min_score
                    if settings.min_dense_score is None
                    else settings.min_dense_score
                ),
            )
        return self._searcher

    def close(self) -> None:
        """Close the database connections."""
        self.engine.dispose()

    def refresh(self) -> int:
        """Pick up passages stored by this or other processes (replicas, the CLI), if this
        core searches; returns how many it added."""
        return self._index.sync() if self._index is not None else 0

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
                **self._index_stats(),
                "database": redacted_url(self.engine),
                "embedding_model": self.embedder.name,
                "lexicon_entries": len(self.lexicon),
                "gazetteer_entities": len(self.gazetteer.entities),
            }

    def _index_stats(self) -> dict[str, Any]:
        index = self._index
        if index is None:  # a store-only core: no local index opened
            return {}
        return {
            "indexed_vectors": len(index.vectors),
            "indexed_articles": len(index.fulltext),
            "vector_index_mb": round(index.vectors.nbytes / 1e6, 1),
            "index_disk_mb": round(index.disk_bytes / 1e6, 1),
        }

    def ping_database(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
