"""``select_in``, the search's row fetch below SQLAlchemy's execution layer, on both backends."""

from __future__ import annotations

from datetime import datetime

import pytest
from conftest import SEEDS
from sqlalchemy import bindparam, text
from sqlalchemy.exc import OperationalError, ProgrammingError

from bot.core import Core
from bot.index.hybrid import _ARTICLE_ROWS, _datetime
from bot.ingest.files import iter_path
from bot.store import select_in


def test_select_in_returns_what_sqlalchemy_returns(core: Core) -> None:
    core.ingester.ingest(iter_path(str(SEEDS)))
    query = text(
        "SELECT id, title, url, source_name, published_at, lang, story_id "
        "FROM article WHERE id IN :ids ORDER BY id"
    ).bindparams(bindparam("ids", expanding=True))
    with core.engine.connect() as conn:
        ids = [int(i) for i in conn.execute(text("SELECT id FROM article")).scalars()]
        wanted = [tuple(row) for row in conn.execute(query, {"ids": ids})]
    assert len(ids) == 3
    got = sorted(select_in(core.engine, _ARTICLE_ROWS, [*ids, 10**9]))  # a missing id: no row
    assert [row[:4] + row[5:] for row in got] == [row[:4] + row[5:] for row in wanted]
    # timestamps come as each driver gives them; _datetime makes them the same datetimes
    with core.engine.connect() as conn:
        stored = dict(conn.execute(text("SELECT id, first_seen_at FROM article")).all())
    seen_rows = select_in(
        core.engine, "SELECT id, first_seen_at FROM article WHERE id IN ({ids})", ids
    )
    assert len(seen_rows) == 3
    for row in seen_rows:
        seen = _datetime(row[1])
        assert isinstance(seen, datetime)
        assert seen == _datetime(stored[row[0]])
    hits = core.searcher.search("Qwen", mode="bm25")
    assert hits and all(h.published_at is None or h.published_at.tzinfo for h in hits)


def test_select_in_raises_sqlalchemy_errors(core: Core) -> None:
    """Callers (the service's "database unavailable" reply) catch SQLAlchemy's errors."""
    with pytest.raises((OperationalError, ProgrammingError)) as caught:
        select_in(core.engine, "SELECT id FROM no_such_table WHERE id IN ({ids})", [1, 2])
    assert "no_such_table" in str(caught.value)
    assert select_in(core.engine, "SELECT id FROM article WHERE id IN ({ids})", [1]) == []
    assert select_in(core.engine, "SELECT id FROM article WHERE id IN ({ids})", []) == []
