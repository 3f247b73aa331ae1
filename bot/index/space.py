"""Which model made the stored vectors, and re-embedding them with another one.

Cosines between vectors of two models mean nothing, so a database remembers the model
that embedded its passages (``index_meta``) and the bot refuses to start with another
one until ``ainews reindex`` has re-embedded every passage.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import numpy as np
from sqlalchemy import Engine, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.i18n import UserError
from bot.index.embedder import Embedder
from bot.models import Article, IndexMeta, Passage
from bot.settings import MINILM_MODEL

KEY = "embedding_model"
DATABASE_KEY = "database_id"
_REINDEX_BATCH = 256  # passages embedded and committed at a time


class ModelMismatch(UserError):
    """The database's vectors come from another model than the configured one."""


def embedding_text(title: str, passage: str) -> str:
    """What is embedded for a passage: its article's title gives every passage context."""
    return f"{title}. {passage}"


def stored_model(engine: Engine) -> str | None:
    """The model that embedded the stored passages; ``None`` for an empty index."""
    with Session(engine) as session:
        row = session.get(IndexMeta, KEY)
        if row is not None:
            return row.value
        has_passages = session.execute(select(Passage.id).limit(1)).first() is not None
    # Passages from before the model was recorded were made by the previous default.
    return MINILM_MODEL if has_passages else None


def _first(engine: Engine, key: str, value: str) -> str:
    """The value recorded under ``key``, recording ``value`` if there is none yet."""
    with Session(engine) as session:
        row = session.get(IndexMeta, key)
        if row is None:
            try:
                session.add(IndexMeta(key=key, value=value))
                session.commit()
            except IntegrityError:  # another process recorded one first: that one holds
                session.rollback()
            row = session.get(IndexMeta, key)
        assert row is not None
        return row.value


def database_id(engine: Engine) -> str:
    """A random id the database keeps from its first search on: a local index built from
    another database, or from an earlier one at the same address, is never reused."""
    return _first(engine, DATABASE_KEY, uuid.uuid4().hex)


def claim(engine: Engine, name: str) -> None:
    """Record ``name`` as the index's model, or refuse if the vectors are another model's."""
    stored = stored_model(engine) or _first(engine, KEY, name)
    if stored != name:
        raise ModelMismatch("model_mismatch", stored=stored, configured=name)


def reindex(
    engine: Engine, embedder: Embedder, *, progress: Callable[[int, int], None] = lambda *_: None
) -> int:
    """Re-embed every passage with ``embedder`` and record it as the index's model.

    Committed batch by batch, in passage-id order: an interrupted run is resumed by running
    it again (it starts over; the model is recorded only once every passage is done).
    """
    with Session(engine) as session:
        total = int(session.execute(select(func.count()).select_from(Passage)).scalar_one())
    done, last = 0, 0
    progress(0, total)
    while True:
        with Session(engine) as session:
            rows = session.execute(
                select(Passage.id, Passage.text, Article.title)
                .join(Article, col(Article.id) == col(Passage.article_id))
                .where(col(Passage.id) > last)
                .order_by(col(Passage.id))
                .limit(_REINDEX_BATCH)
            ).all()
            if not rows:
                break
            vectors = embedder.passages([embedding_text(t, p) for _i, p, t in rows])
            updates = [
                {"id": pid, "embedding": np.asarray(vector, dtype=np.float32).tobytes()}
                for (pid, _p, _t), vector in zip(rows, vectors, strict=True)
            ]
            session.execute(update(Passage), updates)  # by primary key, one statement
            session.commit()
        last = int(rows[-1][0])
        done += len(rows)
        progress(done, total)
    with Session(engine) as session:
        session.merge(IndexMeta(key=KEY, value=embedder.name))  # insert, or update the row
        session.commit()
    return done
