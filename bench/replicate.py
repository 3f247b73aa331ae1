"""A larger scale database copied in SQL from a smaller one: ``python -m bench.replicate 10 10000``.

The bench's own 100k database ingests the 30.8k Reuters + HuffPost rows and then replicas of
them through the real ingester; that needs e5 vectors for ~48k distinct passages, about an
hour of encoding on this machine. This writes the cached ``scale-<N x factor>`` database
from the cached ``scale-<N>`` one instead: each article copied ``factor - 1`` more times
with the scale corpus's replica marks (``?replica=K`` on the URL, `` ~rK~`` after the body,
``-rK`` on the GUID), its passages with the same vectors, as the scale corpus's replicas
reuse their original's. Entities, figures and stories are not copied (search reads none of
them). Its ``.json`` says how it was made; figures measured on it must say so too.
"""

from __future__ import annotations

import json
import shutil
import sys

from sqlalchemy import create_engine, text

from bench import corpus
from bench.common import log

_COLUMNS = "source_id, source_name, section, lang, published_at, first_seen_at, story_id, title"


def replicate(size: int, factor: int) -> None:
    source = corpus.db_path(f"scale-{size}")
    target = corpus.db_path(f"scale-{size * factor}")
    shutil.copyfile(source, target)
    engine = create_engine(f"sqlite:///{target}")
    with engine.begin() as conn:
        top = int(conn.execute(text("SELECT max(id) FROM article")).scalar_one())
        for k in range(2, factor + 1):
            shift = (k - 1) * top
            conn.execute(
                text(
                    f"INSERT INTO article (id, url, guid, body, content_hash, {_COLUMNS}) "
                    "SELECT id + :shift, url || '?replica=' || :k, guid || '-r' || :k, "
                    f"body || ' ~r' || :k || '~', content_hash || '-r' || :k, {_COLUMNS} "
                    "FROM article WHERE id <= :top ORDER BY id"
                ),
                {"shift": shift, "k": k, "top": top},
            )
            conn.execute(
                text(
                    "INSERT INTO passage (article_id, ord, text, embedding) "
                    "SELECT article_id + :shift, ord, text, embedding FROM passage "
                    "WHERE article_id <= :top ORDER BY id"
                ),
                {"shift": shift, "top": top},
            )
            log(f"  copy {k}/{factor}")
        articles = int(conn.execute(text("SELECT count(*) FROM article")).scalar_one())
        passages = int(conn.execute(text("SELECT count(*) FROM passage")).scalar_one())
    engine.dispose()
    meta = {
        "name": f"scale-{size * factor}",
        "articles": articles,
        "passages": passages,
        "made_by": f"python -m bench.replicate {factor} {size}: scale-{size} copied {factor}x",
        "code_version": corpus.code_version(),
    }
    target.with_suffix(".json").write_text(json.dumps(meta, indent=1))
    log(f"{target.name}: {articles:,} articles, {passages:,} passages")


if __name__ == "__main__":
    replicate(int(sys.argv[2]), int(sys.argv[1]))
