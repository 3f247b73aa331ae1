"""The local index at 1M passages, built directly into its structures (no database).

Base rows: the scale corpus's articles (Reuters + HuffPost) whose passage vectors are in
the bench's vector cache, stemmed once. Replicas repeat them (``~rK~``, as the scale
corpus does) up to ``--passages``; each replica's vectors get a little noise (sigma 0.02
per dimension, renormalized: cosine ~0.9 to its original), so the dense stage ranks a
million distinct rows, not a hundred copies of each. The full text is the product's
``FullTextIndex``; the vector files are ``LocalIndex``'s format.

A second, fresh process opens the folder as ``ainews run`` would (``LocalIndex``: the
vectors from their files, the saved projection) and times, over 200 title queries, the
full-text and dense stages of the hybrid search the way ``HybridSearcher`` runs them:
full text in a thread beside the query embedding, then the vector search. (Article rows
and snippets come from the database, which this benchmark leaves out.) Peak RSS
(``VmHWM``) is that process's.

``python -m bench.million [--passages N] [--folder DIR]``
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from bench import corpus
from bench.common import CACHE_DIR, log, proc_status_mb, summarize_ms
from bench.vcache import strip_replica


def base_rows(model: str, dim: int) -> list[tuple[str, str, str, np.ndarray]]:
    """``(title, body, lang, passage vectors)`` of every base article fully in the cache."""
    cache = corpus.vector_cache(model)
    out = []
    items = corpus.scale_base()
    for start in range(0, len(items), 1000):
        chunk = items[start : start + 1000]
        texts = [corpus.passage_texts([item]) for item in chunk]
        keys = [[cache.key(strip_replica(t)) for t in ts] for ts in texts]
        found = cache.get_many([k for ks in keys for k in ks])
        for item, ks in zip(chunk, keys, strict=True):
            if ks and all(k in found for k in ks):
                raw = item.result
                blob = b"".join(found[k] for k in ks)
                vectors = np.frombuffer(blob, dtype=np.float32).reshape(len(ks), dim)
                out.append((raw.title, raw.body, raw.lang or "en", vectors))  # type: ignore[union-attr]
    return out


def build(folder: Path, passages: int, model: str, dim: int) -> dict[str, float]:
    from bot.index.fulltext import FullTextIndex
    from bot.index.local import FORMAT
    from bot.index.vectors import row_dtype
    from bot.text import index_terms

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    base = base_rows(model, dim)
    log(f"{len(base):,} base articles with cached vectors")
    stems = [(index_terms(t, lang), index_terms(b, lang)) for t, b, lang, _ in base]
    fulltext = FullTextIndex(folder / "fulltext")
    rng = np.random.default_rng(0)
    started = time.perf_counter()
    pid = aid = 0
    rows_file = open(folder / "rows.bin", "wb")
    row = row_dtype(dim)
    writer = fulltext._writer_now()
    import tantivy

    k = 1
    while pid < passages:
        for (title, body), (_t, _b, _lang, vectors) in zip(stems, base, strict=True):
            if pid >= passages:
                break
            aid += 1
            first = pid + 1
            rows = vectors
            if k > 1:
                rows = vectors + rng.normal(0, 0.02, vectors.shape).astype(np.float32)
                rows /= np.linalg.norm(rows, axis=1, keepdims=True)
            ids = np.arange(first, first + len(rows), dtype=np.int64)
            pid += len(rows)
            doc = tantivy.Document(article=aid, passage=first)
            marker = f" r{k}" if k > 1 else ""
            for part in (title, title, body + marker):
                doc.add_text("text", part)
            writer.add_document(doc)
            records = np.zeros(len(rows), row)
            records["passage"], records["article"], records["vector"] = ids, aid, rows
            records["lang"] = "en"
            rows_file.write(records.tobytes())
        k += 1
        log(f"  {pid:,} passages, {aid:,} articles ({time.perf_counter() - started:.0f}s)")
    rows_file.close()
    fulltext.commit()
    seconds = time.perf_counter() - started
    identity = {"format": FORMAT, "database": "bench", "model": model, "dim": dim}
    meta = {**identity, "rows": pid, "last": pid}
    (folder / "meta.json").write_text(json.dumps(meta))
    return {"passages": pid, "articles": aid, "build_s": round(seconds, 1)}


def search(folder: Path) -> dict[str, object]:
    """In a fresh process: open the folder as the product does, then time 200 queries."""
    from bench.common import Context
    from bot.entities import Gazetteer
    from bot.index.hybrid import QueryExpander
    from bot.index.local import LocalIndex
    from bot.lexicon import Lexicon
    from bot.settings import load_settings

    meta = json.loads((folder / "meta.json").read_text())
    identity = {k: meta[k] for k in ("format", "database", "model", "dim")}
    embedder = Context(mode="full").embedder()
    embedder.load()
    settings = load_settings()
    expander = QueryExpander(
        Lexicon.load(settings.lexicon_path), Gazetteer.load(settings.gazetteer_path)
    )
    started = time.perf_counter()
    index = LocalIndex(None, folder, identity)  # type: ignore[arg-type]
    index._from_files(int(meta["rows"]))  # what sync() does first on a restart
    index.fulltext.reload()
    open_s = time.perf_counter() - started
    queries = corpus.title_queries(corpus.scale_base()[:2000], 200)
    pool = ThreadPoolExecutor(1)
    times: dict[str, list[float]] = {"embed": [], "full text": [], "dense": [], "search": []}
    for q in queries[:20] + queries:  # the first 20 warm up
        t0 = time.perf_counter()
        ranked = pool.submit(lambda q=q: index.fulltext.search(expander.build(q), 100))
        vector = embedder.query(q)
        t1 = time.perf_counter()
        index.vectors.search(vector, 100)
        t2 = time.perf_counter()
        ranked.result()
        t3 = time.perf_counter()
        t4 = time.perf_counter()
        index.fulltext.search(expander.build(q), 100)
        t5 = time.perf_counter()
        for name, value in (
            ("embed", t1 - t0),
            ("dense", t2 - t1),
            ("search", t3 - t0),
            ("full text", t5 - t4),
        ):
            times[name].append(value)
    stats = {name: summarize_ms(v[20:]) for name, v in times.items()}
    fulltext = [f for f in (folder / "fulltext").iterdir() if f.is_file()]
    return {
        "open_s": round(open_s, 2),
        "passages": len(index.vectors),
        "articles": len(index.fulltext),
        "disk_mb": round(index.disk_bytes / 1e6, 1),
        "fulltext_disk_mb": round(sum(f.stat().st_size for f in fulltext) / 1e6, 1),
        "peak_rss_mb": proc_status_mb("VmHWM"),
        "ms": stats,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.million")
    parser.add_argument("--passages", type=int, default=1_000_000)
    parser.add_argument("--folder", type=Path, default=CACHE_DIR / "million")
    parser.add_argument("--search-only", action="store_true")
    args = parser.parse_args()
    if args.search_only:
        print(json.dumps(search(args.folder)))
        return
    from bench.common import Context

    real = Context(mode="full").embedder()
    built = build(args.folder, args.passages, real.name, 384)
    log(f"built: {built}")
    done = subprocess.run(
        [sys.executable, "-m", "bench.million", "--search-only", "--folder", str(args.folder)],
        check=True,
        capture_output=True,
        text=True,
    )
    print(json.dumps({**built, **json.loads(done.stdout)}, indent=1))


if __name__ == "__main__":
    main()
