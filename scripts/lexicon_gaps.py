"""List the frequent news words the hand-written lexicon does not link across languages.

Answers judge a cross-language sentence by the lexicon (``config/lexicon_es_en.tsv``): a
question word that no entry matches is linked only by the noisy induced pairs, so everyday
news words ("cárcel", "detenido", "journalist") went unanswered. This script finds which
ones, so the lexicon grows by frequency rather than by the words one question set happened
to use: it counts the content words (the bot's tokenizer and stopwords) of the Spanish news
(fakenewscorpus, ``seeds/``) and the English news (AI feeds, HuffPost, UCI, Reuters-21578),
groups the surface forms by Snowball stem, and prints, most frequent first, the stems none
of whose forms the lexicon matches (loaded through ``bot.lexicon.Lexicon`` as the bot does,
so accent/case folding and word boundaries are the bot's).

Each output line is ``count<TAB>stem<TAB>forms`` (the stem's most frequent unmatched forms,
with their counts), flagged ``(partly covered)`` when another form of the stem is matched. Run::

    .venv/bin/python scripts/lexicon_gaps.py --lang es --top 1500
    .venv/bin/python scripts/lexicon_gaps.py --lang en --top 1500
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from induce_lexicon import DATASETS, _rows, english_texts, spanish_texts  # noqa: E402

from bot.lexicon import Lexicon  # noqa: E402
from bot.text import is_stopword, stem_tokens, tokens  # noqa: E402

LEXICON = ROOT / "config" / "lexicon_es_en.tsv"


def news_texts(lang: str) -> Iterator[str]:
    """The language's news texts (English adds Reuters-21578 to the induction corpus)."""
    if lang == "es":
        yield from spanish_texts()
        return
    yield from english_texts()
    for row in _rows(DATASETS / "reuters21578.jsonl"):
        yield f"{row.get('title', '')} {row.get('body', '')}"


def word_counts(texts: Iterable[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(w for w in tokens(text) if len(w) >= 3 and w.isalpha() and not is_stopword(w))
    return counts


Gap = tuple[int, str, list[str], bool]


def gaps(counts: Counter[str], lang: str, lexicon: Lexicon) -> list[Gap]:
    """``(count, stem, forms, partly)`` of the stems with forms no lexicon entry matches.

    ``count`` sums the unmatched forms only; ``partly`` says another form of the stem is
    matched (an entry lacking a plural or a conjugation, rather than a missing word).
    """
    missing: dict[str, list[str]] = defaultdict(list)
    covered: set[str] = set()
    for word, _ in counts.most_common():
        stem = stem_tokens([word], lang)[0]
        if lexicon.expand(word):
            covered.add(stem)
        else:
            missing[stem].append(word)
    rows = [
        (sum(counts[w] for w in words), stem, words, stem in covered)
        for stem, words in missing.items()
    ]
    return sorted(rows, key=lambda row: -row[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lang", choices=("es", "en"), required=True)
    parser.add_argument("--top", type=int, default=1500, help="stems to list")
    parser.add_argument("--forms", type=int, default=5, help="surface forms shown per stem")
    args = parser.parse_args(argv)
    lexicon = Lexicon.load(LEXICON)
    counts = word_counts(news_texts(args.lang))
    for total, stem, words, partly in gaps(counts, args.lang, lexicon)[: args.top]:
        shown = " ".join(f"{w}:{counts[w]}" for w in words[: args.forms])
        print(f"{total}\t{stem}\t{shown}" + ("\t(partly covered)" if partly else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
