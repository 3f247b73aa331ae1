"""Benchmark corpora: the datasets as ``Item``s, replicas for 100k, cached databases, queries.

The scale corpus is Reuters-21578 + HuffPost 10k (31,578 rows, parsed exactly as
``ainews ingest file.jsonl`` parses them), shuffled once with a fixed seed. A
database of N articles holds the first N articles of that order that the
ingester accepts (it drops exact duplicates); past the unique rows it continues
with *replicas*: the same rows with `` ~rK~`` appended to the body (so the text
hash differs), ``?replica=K`` on the URL and ``-rK`` on the id. Replicas are
real articles to the ingester (stored, full-text indexed, entity-linked), but
their passage vectors come from the vector cache of the original text (see
``bench.vcache``): the 100k index costs one encoding of the 31.5k unique rows.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import random
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.common import CACHE_DIR, DATA_DIR, DATASETS, PROJECT_ROOT, log, stopwatch
from bench.vcache import CachingEmbedder, VectorCache, model_slug
from bot.ingest.files import Item, load_file
from bot.ingest.types import RawArticle
from bot.settings import Settings, load_settings

if TYPE_CHECKING:
    from bot.core import Core

SEED = 20240601
CORPUS_VERSION = "1"  # bump when the way corpora are built here changes
SCALE_FILES = ("reuters21578.jsonl", "huffpost_10k.jsonl")
# Sources whose changes alter what search reads from a cached database (schema, passages,
# full-text terms). Entity, figure and story extraction are left out on purpose: they do
# not change search, and keying on them would rebuild the 100k database (~1 h) on every
# edit. ``python -m bench --rebuild`` (or deleting bench/.cache/*.db) forces a rebuild.
VERSIONED_SOURCES = (
    "bot/ingest/pipeline.py",
    "bot/ingest/files.py",
    "bot/ingest/types.py",
    "bot/ingest/seeds.py",
    "bot/text.py",
    "bot/models.py",
    "bot/index/fulltext.py",
)


def code_version() -> str:
    digest = hashlib.sha1(CORPUS_VERSION.encode())
    for rel in VERSIONED_SOURCES:
        path = PROJECT_ROOT / rel
        digest.update(rel.encode())
        digest.update(path.read_bytes() if path.is_file() else b"<absent>")
    digest.update(str(load_settings().passage_max_chars).encode())
    return digest.hexdigest()[:10]


def bench_settings(db_path: Path, **overrides: Any) -> Settings:
    return load_settings(
        data_dir=db_path.parent, database_url=f"sqlite:///{db_path.as_posix()}", **overrides
    )


def shipped_vectors(model_name: str) -> Path:
    """The vectors of the bench's fixed corpora that ship with the repository: a fresh
    machine reads them instead of encoding ~30k passages (30-45 min on 2 cores). Texts they
    do not cover (a changed corpus, another model) are encoded as before."""
    return DATA_DIR / f"vectors-{model_slug(model_name)}.npz"


_shipped_loaded: set[str] = set()


def vector_cache(model_name: str) -> VectorCache:
    cache = VectorCache(model_name)
    shipped = shipped_vectors(model_name)
    if model_name not in _shipped_loaded and shipped.is_file() and not SKIP_SHIPPED:
        _shipped_loaded.add(model_name)
        with stopwatch() as t:
            added = cache.load_shipped(shipped)
        if added:
            log(f"vector cache: {added:,} shipped vectors added from {shipped.name} ({t[0]:.0f}s)")
    return cache


# --- datasets -------------------------------------------------------------------------------


def jsonl_items(name: str) -> list[Item]:
    """Rows of a shared JSONL dataset, parsed as the product parses them (labels ``file:line``)."""
    path = DATASETS / name
    items = list(load_file(path, name))
    return [i for i in items if isinstance(i.result, RawArticle)]


def scale_base() -> list[Item]:
    """The 31,578 Reuters + HuffPost rows in the fixed shuffled order."""
    items = [i for name in SCALE_FILES for i in jsonl_items(name)]
    random.Random(SEED).shuffle(items)
    return items


def replica(item: Item, k: int) -> Item:
    raw = item.result
    assert isinstance(raw, RawArticle)
    url = f"{raw.url}{'&' if '?' in raw.url else '?'}replica={k}" if raw.url else None
    return Item(
        f"{item.label}#r{k}",
        dataclasses.replace(
            raw,
            body=f"{raw.body} ~r{k}~",
            url=url,
            guid=f"{raw.guid}-r{k}" if raw.guid else None,
            extra=dict(raw.extra),
        ),
    )


def scale_stream(base: list[Item]) -> Iterator[Item]:
    """Base rows, then replica 2 of every row, replica 3, ... (endless)."""
    yield from base
    k = 2
    while True:
        for item in base:
            yield replica(item, k)
        k += 1


def time_ir_items(titles: str = "none") -> list[Item]:
    """TIME docs. ``titles="none"``: no title (the rows have none);
    ``"derived"``: the first sentence, as ``ainews ingest docs.jsonl`` does."""
    items = jsonl_items("time_ir/docs.jsonl")
    for item in items:
        raw = item.result
        assert isinstance(raw, RawArticle)
        if titles == "none":
            raw.title = ""
    return items


def es_news_items(n: int = 300) -> list[Item]:
    return jsonl_items("es_news_fakenewscorpus_true.jsonl")[:n]


def seed_items() -> list[Item]:
    from bot.ingest.files import iter_path

    return [i for i in iter_path(str(PROJECT_ROOT / "seeds")) if isinstance(i.result, RawArticle)]


# --- vector cache warm-up -------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _preparer():  # type: ignore[no-untyped-def]
    """A real ``Ingester`` (over an in-memory database) whose ``_prepare`` we call."""
    from bot.core import Core
    from bot.index.embedder import HashingEmbedder

    settings = load_settings(database_url="sqlite://")
    return Core.build_store(settings, embedder=HashingEmbedder()).ingester


def passage_texts(items: Iterable[Item]) -> list[str]:
    """The texts the ingester would encode for these items (same code path as ``_store``)."""
    prep = _preparer()
    texts = []
    for item in items:
        copy = Item(item.label, dataclasses.replace(item.result), item.notice)  # type: ignore[type-var]
        p = prep._prepare(copy, None)
        texts += [f"{p.raw.title}. {passage}" for passage in p.passages]
    return texts


def warm_vectors(embedder: CachingEmbedder, items: list[Item], what: str, chunk: int = 400) -> None:
    """Encode (once) every passage of ``items`` into the cache, in order, in big sorted batches."""
    done = 0
    for start in range(0, len(items), chunk):
        texts = passage_texts(items[start : start + chunk])
        before = embedder.misses
        with stopwatch() as t:
            embedder.passages(texts)
        done += len(texts)
        encoded = embedder.misses - before
        if encoded:
            log(
                f"{what}: {start + chunk}/{len(items)} articles, encoded {encoded} passages "
                f"in {t[0]:.0f}s ({encoded / t[0]:.1f}/s)"
            )


# --- cached databases -----------------------------------------------------------------------


REBUILD = False  # set by ``--rebuild``: ignore cached databases built earlier in other runs
SKIP_SHIPPED = False  # set by ``--no-shipped-vectors``: encode what the cache lacks
_built_this_run: set[Path] = set()


def db_path(name: str) -> Path:
    return CACHE_DIR / f"{name}-{code_version()}.db"


def _remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def cached_db(name: str, real_embedder: Any, fill: Callable[[Core, CachingEmbedder], int]) -> Path:
    """The database ``name`` for this code version, built now by ``fill`` if missing.

    ``fill(core, embedder)`` ingests into a Core over a fresh file and returns the
    article count; the file is checkpointed and renamed into place when complete.
    """
    path = db_path(name)
    if path.is_file() and (not REBUILD or path in _built_this_run):
        return path
    from sqlalchemy import text

    from bot.core import Core

    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    for stale in CACHE_DIR.glob(f"{name}-*.db"):
        _remove_db(stale)
        stale.with_suffix(".json").unlink(missing_ok=True)
    building = path.with_suffix(".building")
    _remove_db(building)
    embedder = CachingEmbedder(real_embedder, vector_cache(real_embedder.name))
    core = Core.build_store(bench_settings(building), embedder=embedder)
    log(f"building the cached database {path.name}")
    with stopwatch() as t:
        articles = fill(core, embedder)
    with core.engine.begin() as conn:
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    core.engine.dispose()
    for suffix in ("-wal", "-shm"):
        Path(f"{building}{suffix}").unlink(missing_ok=True)
    building.rename(path)
    _built_this_run.add(path)
    meta = {
        "name": name,
        "articles": articles,
        "seconds": round(t[0], 1),
        "cached_vectors": embedder.hits,
        "encoded_vectors": embedder.misses,
        "code_version": code_version(),
    }
    path.with_suffix(".json").write_text(json.dumps(meta, indent=1))
    log(f"built {path.name} in {t[0]:.0f}s")
    return path


def build_scale_db(size: int, real_embedder: Any) -> Path:
    """The cached N-article scale database (see the module docstring)."""

    def fill(core: Core, embedder: CachingEmbedder) -> int:
        stream = scale_stream(scale_base())
        stored = 0
        while stored < size:
            want = min(2000, size - stored)
            report = core.ingester.ingest([next(stream) for _ in range(want)])
            stored += len(report.new)
            log(
                f"  {stored:,}/{size:,} articles ({embedder.hits:,} cached vectors, "
                f"{embedder.misses:,} encoded)"
            )
        return stored

    return cached_db(f"scale-{size}", real_embedder, fill)


def build_items_db(name: str, items: Callable[[], list[Item]], real_embedder: Any) -> Path:
    def fill(core: Core, embedder: CachingEmbedder) -> int:
        report = core.ingester.ingest(items())
        log(
            f"  {len(report.new)} articles ({len(report.duplicates)} duplicates, "
            f"{len(report.failed)} failed; {embedder.misses} passages encoded)"
        )
        return len(report.new)

    return cached_db(name, real_embedder, fill)


def db_meta(name: str) -> dict[str, Any]:
    meta = db_path(name).with_suffix(".json")
    return json.loads(meta.read_text()) if meta.is_file() else {}


def scratch_dir(prefix: str) -> Path:
    """A temporary directory for throwaway databases (removed by ``drop_scratch``)."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=prefix, dir=CACHE_DIR))


def drop_scratch(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


# --- queries --------------------------------------------------------------------------------

_WORDS = re.compile(r"[a-z][a-z'\-]+")


def title_queries(items: list[Item], n: int, *, seed: int = SEED, skip: int = 0) -> list[str]:
    """``n`` distinct queries: a 3-6 word span of a title, lowercased (titles of ``items``)."""
    rng = random.Random(seed)
    out: dict[str, None] = {}
    for item in items[skip:]:
        raw = item.result
        assert isinstance(raw, RawArticle)
        words = _WORDS.findall(raw.title.lower())
        if len(words) < 3:
            continue
        length = rng.randint(3, min(6, len(words)))
        start = rng.randint(0, len(words) - length)
        out.setdefault(" ".join(words[start : start + length]), None)
        if len(out) >= n:
            break
    return list(out)
