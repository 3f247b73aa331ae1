"""In-memory BM25 over the full-text index's stored terms: the full-text stage of a search.

FTS5 must score every article matching any of a query's ~13 expanded stems before it
can sort, which took ~45 ms at 100k articles: twice the query embedding it runs beside.
Here each term's postings are two numpy slices, and a query is a vectorized BM25 over
them plus one ``bincount``: ~1-2 ms at 100k, for ~30 MB of memory.

The score is FTS5's ``bm25()``, term for term: k1 = 1.2, b = 0.75, a term frequency
weighted per column (title ``title_weight``, body 1), the document length over both
columns, IDF ``log((N - n + 0.5) / (n + 0.5))`` floored at 1e-6. So ranking does not
depend on which path answered, nor on the backend (Postgres has no BM25 of its own).
Positions are not kept. The phrases a query can hold are known in advance (multi-word
lexicon variants and entity aliases, ``PhraseSet``), so each is found at indexing and
counted as a term of its own: exact phrase frequencies. Any other phrase matches the
articles holding all of its stems, at their smallest weighted frequency.

The database stays the source of truth. Like ``VectorIndex`` this mirrors it and catches
up with ``refresh()`` (articles with a larger id). Postings live in segments of at most
``SEGMENT_DOCS`` articles, each sorted by term, so a load or a merge never needs more
than one segment's worth of temporaries; small segments from refreshes are merged once
there are ``_MAX_SMALL`` of them.
"""

from __future__ import annotations

import ctypes
import itertools
import math
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Engine, text

K1 = 1.2
B = 0.75
SEGMENT_DOCS = 10_000
TITLE_WEIGHT = 2.0  # a title term counts as two body terms (FTS5's bm25() column weight)
_MAX_SMALL = 8
_LOAD_CHUNK = 1_000
_HASH_BYTES = 1 << 18  # text hashed per numpy pass: bounds the temporaries (~35 bytes a byte)

# FTS5's unicode61 tokenizer keeps letters and digits and splits on everything else.
_TOKEN = re.compile(r"[^\W_]+")
# One lexeme of a tsvector's text form: 'term':1A,5,9B (quotes doubled inside).
_LEXEME = re.compile(r"'((?:[^']|'')*)'(?::([0-9A-D,]+))?")

# Terms are held as 64-bit polynomial hashes of their UTF-8 bytes (x_i = byte + 1), so
# loading never makes a Python string per token: ~7M of them at 100k articles took
# seconds and left ~150 MB of pinned allocator pools. Collisions among the ~10^5 terms
# of an index are ~10^-9 likely.
_P = 0x100000001B3
_P_INV = pow(_P, -1, 1 << 64)
_MIX = 0x9E3779B97F4A7C15  # phrase hash: h = h * _MIX + next word's hash
_MASK = (1 << 64) - 1
_FILTER_SLOTS = 1 << 20

Docs = NDArray[np.int32]
Freqs = NDArray[np.float16]
Hashes = NDArray[np.uint64]


def _is_plain(stored: str) -> bool:
    """Stored terms are folded ``\\w+`` tokens: ASCII without ``_`` is already FTS5's tokens."""
    return stored.isascii() and "_" not in stored


def split_terms(stored: str) -> list[str]:
    """The tokens FTS5 holds for a stored (pre-stemmed) string."""
    return stored.split() if _is_plain(stored) else _TOKEN.findall(stored.lower())


def term_hash(term: str) -> int:
    value = 0
    for byte in term.encode():
        value = (value * _P + byte + 1) & _MASK
    return value


def phrase_hash(words: Sequence[str]) -> int:
    value = 0
    for i, word in enumerate(words):
        value = term_hash(word) if i == 0 else (value * _MIX + term_hash(word)) & _MASK
    return value


def _powers(base: int, n: int) -> Hashes:
    out = np.full(n, base, dtype=np.uint64)
    out[0] = 1
    return np.cumprod(out, out=out)  # wraps modulo 2**64, as the hash wants


def _hash_tokens(text_: str) -> tuple[Hashes, NDArray[np.int32]]:
    """Hash of every space-separated token, and how many newlines precede it (its column)."""
    buf = np.frombuffer(text_.encode(), dtype=np.uint8)
    n = len(buf)
    if not n:
        return np.zeros(0, np.uint64), np.zeros(0, np.int32)
    newline = buf == 10
    word = ~(newline | (buf == 32))
    edge = np.diff(word.astype(np.int8), prepend=0, append=0)
    starts, ends = np.flatnonzero(edge == 1), np.flatnonzero(edge == -1)
    x = buf.astype(np.uint64) + np.uint64(1)
    x[~word] = 0
    x *= _powers(_P, n)[::-1]  # byte i weighs P^(n-1-i)
    prefix = np.zeros(n + 1, dtype=np.uint64)
    np.cumsum(x, out=prefix[1:])
    # sum over a token [s, e) = P^(n-e) * hash, so multiply by P^-(n-e)
    hashes = (prefix[ends] - prefix[starts]) * _powers(_P_INV, n + 1)[n - ends]
    return hashes, np.cumsum(newline, dtype=np.int32)[starts]


class PhraseSet:
    """The phrases queries can ask for (lexicon variants, entity aliases), found at indexing.

    Counting a known phrase as a term of its own gives FTS5's exact phrase frequency
    without keeping positions. A phrase not in the set falls back to "all its stems".
    """

    def __init__(self, phrases: Iterable[Sequence[str]] = ()) -> None:
        by_length: dict[int, set[int]] = {}
        for phrase in phrases:
            words = [w for part in phrase for w in split_terms(part)]
            if len(words) > 1:
                by_length.setdefault(len(words), set()).add(phrase_hash(words))
        self.hashes = {h for hs in by_length.values() for h in hs}
        self._by_length = {n: np.array(sorted(hs), dtype=np.uint64) for n, hs in by_length.items()}
        # A bitmap on the low hash bits rules out nearly every window before a binary search.
        self._maybe = np.zeros(_FILTER_SLOTS, dtype=bool)
        self._maybe[[h % _FILTER_SLOTS for h in self.hashes]] = True

    def found(self, hashes: Hashes, columns: NDArray[np.int32]) -> tuple[Hashes, NDArray[np.int32]]:
        """Hash and column of each known phrase occurring in a token stream."""
        out_h, out_c = [np.zeros(0, np.uint64)], [np.zeros(0, np.int32)]
        window = hashes
        for length in range(2, max(self._by_length, default=1) + 1):
            if len(hashes) < length:
                break
            window = window[:-1] * np.uint64(_MIX) + hashes[length - 1 :]
            known = self._by_length.get(length)
            if known is None:
                continue
            at = np.flatnonzero(self._maybe[window & np.uint64(_FILTER_SLOTS - 1)])
            at = at[columns[at] == columns[at + length - 1]]  # within one column
            slot = np.minimum(np.searchsorted(known, window[at]), len(known) - 1)
            at = at[known[slot] == window[at]]
            out_h.append(window[at])
            out_c.append(columns[at])
        return np.concatenate(out_h), np.concatenate(out_c)


@dataclass(frozen=True, slots=True)
class _Segment:
    """Postings of consecutive articles grouped by term (CSR): ``docs[offsets[t]:offsets[t+1]]``."""

    keys: Hashes  # term hashes, ascending
    offsets: NDArray[np.int64]
    docs: Docs  # document numbers, ascending within a term
    freqs: Freqs  # weighted term frequency (small integers with the default weights)
    size: int  # articles covered

    def find(self, keys: Hashes) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Start and end of each key's postings (equal where a key is absent)."""
        at = np.searchsorted(self.keys, keys)
        found = at < len(self.keys)
        found[found] = self.keys[at[found]] == keys[found]
        starts = np.where(found, self.offsets[np.minimum(at, len(self.keys))], 0)
        ends = np.where(found, self.offsets[np.minimum(at + 1, len(self.keys))], 0)
        return starts, ends

    def postings(self, key: int) -> tuple[Docs, Freqs]:
        (start,), (end,) = self.find(np.array([key], dtype=np.uint64))
        return self.docs[start:end], self.freqs[start:end]

    @property
    def nbytes(self) -> int:
        return int(self.keys.nbytes + self.offsets.nbytes + self.docs.nbytes + self.freqs.nbytes)


def _segment(keys: Hashes, docs: Docs, freqs: NDArray[np.floating], size: int) -> _Segment:
    """A segment from postings whose documents ascend within each term; equal
    (term, document) pairs are summed."""
    order = np.argsort(keys, kind="stable")
    keys, docs, freqs = keys[order], docs[order], freqs[order]
    del order
    pair = np.flatnonzero(
        (np.diff(keys, prepend=~keys[:1]) != 0) | (np.diff(docs, prepend=-1) != 0)
    )
    freqs = np.add.reduceat(freqs, pair) if len(pair) else freqs
    keys, docs = keys[pair], docs[pair]
    term = np.flatnonzero(np.diff(keys, prepend=~keys[:1]))
    offsets = np.append(term, len(keys)).astype(np.int64)
    return _Segment(keys[term], offsets, docs.astype(np.int32), freqs.astype(np.float16), size)


def _build(
    rows: Iterator[tuple[int, str, str]], first: int, title_weight: float, known: PhraseSet
) -> tuple[_Segment, list[int], NDArray[np.int64]] | None:
    """A segment from up to ``SEGMENT_DOCS`` stored ``(article id, title, body)`` rows,
    numbered from ``first``; with the article ids and each one's length in tokens.

    Rows are hashed a few hundred kilobytes at a time and only the hashes are kept,
    so a load never holds a segment's worth of text.
    """
    hashes, columns, lengths = [], [], []
    articles: list[int] = []
    pending: list[str] = []
    size = 0
    for row in itertools.chain(itertools.islice(rows, SEGMENT_DOCS), [None]):
        if pending and (size > _HASH_BYTES or row is None):
            chunk = "".join(pending)
            if not _is_plain(chunk):  # rare: split the odd characters as FTS5 does
                chunk = "\n".join(" ".join(split_terms(c)) for c in chunk.split("\n"))
            h, c = _hash_tokens(chunk)
            lengths.append(np.bincount(c // 2, minlength=len(pending)))
            ph, pc = known.found(h, c)
            done = 2 * (len(articles) - len(pending))
            hashes += [h, ph]
            columns += [c + done, pc + done]
            pending, size = [], 0
        if row is not None:
            articles.append(row[0])
            pending.append(f"{row[1]}\n{row[2]}\n")
            size += len(row[1]) + len(row[2])
    if not articles:
        return None
    column = np.concatenate(columns)
    weights = np.where(column % 2 == 0, np.float32(title_weight), np.float32(1.0))
    docs = (column // 2 + first).astype(np.int32)
    segment = _segment(np.concatenate(hashes), docs, weights, len(articles))
    return segment, articles, np.concatenate(lengths)


def _merge(segments: Sequence[_Segment]) -> _Segment:
    """One segment from several (their documents do not overlap)."""
    return _segment(
        np.concatenate([np.repeat(s.keys, np.diff(s.offsets)) for s in segments]),
        np.concatenate([s.docs for s in segments]),
        np.concatenate([s.freqs for s in segments]).astype(np.float32),
        sum(s.size for s in segments),
    )


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """What one search reads: replaced whole by ``refresh``, never changed in place."""

    segments: tuple[_Segment, ...]
    articles: NDArray[np.int64]  # document number -> article id (ascending)
    lengths: NDArray[np.float32]  # document number -> tokens in title + body
    count: int
    total_length: float


_EMPTY = _Snapshot((), np.zeros(0, np.int64), np.zeros(0, np.float32), 0, 0.0)


class PostingsIndex(Protocol):
    """What ``FullTextIndex`` needs of its in-memory index: ``Postings`` here, or
    ``bot.index.ftserver.RemotePostings`` in a helper process."""

    @property
    def title_weight(self) -> float: ...

    @property
    def phrases(self) -> PhraseSet: ...

    @property
    def loaded(self) -> bool: ...

    @property
    def nbytes(self) -> int: ...

    def __len__(self) -> int: ...

    def refresh(self, engine: Engine) -> int: ...

    def search(
        self,
        terms: Sequence[str],
        phrases: Sequence[Sequence[str]] = (),
        limit: int = 100,
        *,
        max_df: float = 1.0,
        prune_min_docs: int = 0,
    ) -> list[tuple[int, float]]: ...


class Postings:
    """The in-memory BM25 index; ``search`` is thread-safe, ``refresh`` serializes itself."""

    def __init__(
        self, *, title_weight: float = TITLE_WEIGHT, phrases: PhraseSet | None = None
    ) -> None:
        self.title_weight = title_weight
        self.phrases = phrases or PhraseSet()
        self.loaded = False
        self._snap = _EMPTY
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self._snap.count

    @property
    def last_article_id(self) -> int:
        snap = self._snap
        return int(snap.articles[snap.count - 1]) if snap.count else 0

    @property
    def nbytes(self) -> int:
        snap = self._snap
        held = sum(s.nbytes for s in snap.segments)
        return int(held + snap.articles.nbytes + snap.lengths.nbytes)

    def refresh(self, engine: Engine) -> int:
        """Index articles newer than the last one held; returns how many were added."""
        with self._lock:
            before = self._snap.count
            rows = _stored_rows(engine, self.last_article_id)
            while built := _build(rows, self._snap.count, self.title_weight, self.phrases):
                self._append(*built)
            self.loaded = True
            added = self._snap.count - before
        if added >= SEGMENT_DOCS:
            release_freed_memory()
        return added

    def _append(self, segment: _Segment, ids: list[int], lengths: NDArray[np.int64]) -> None:
        snap = self._snap
        start, end = snap.count, snap.count + len(ids)
        articles, held = snap.articles, snap.lengths
        if end > len(articles):  # grow by half: refreshes add a few articles at a time
            capacity = max(end, int(len(articles) * 1.5), 1024)
            articles, held = np.resize(articles, capacity), np.resize(held, capacity)
        articles[start:end] = ids
        held[start:end] = lengths
        segments = (*snap.segments, segment)
        if sum(s.size < SEGMENT_DOCS for s in segments) > _MAX_SMALL:
            segments = _compact(segments)
        total = snap.total_length + float(lengths.sum())
        self._snap = _Snapshot(segments, articles, held, end, total)

    def search(
        self,
        terms: Sequence[str],
        phrases: Sequence[Sequence[str]] = (),
        limit: int = 100,
        *,
        max_df: float = 1.0,
        prune_min_docs: int = 0,
    ) -> list[tuple[int, float]]:
        """Best ``(article_id, score)`` first, as FTS5's ``-bm25()`` would rank them.

        Single terms in more than ``max_df`` of the articles are dropped (past
        ``prune_min_docs`` articles), keeping at least one alternative, as the database
        path does.
        """
        snap = self._snap
        if not snap.count:
            return []
        singles: dict[int, None] = {}
        multi: dict[tuple[str, ...], None] = {}
        for alternative in [*([t] for t in terms), *phrases]:
            words = tuple(w for part in alternative for w in split_terms(part))
            if len(words) == 1:
                singles[term_hash(words[0])] = None
            elif words:
                multi[words] = None
        known = [phrase_hash(w) for w in multi if phrase_hash(w) in self.phrases.hashes]
        unknown = [w for w in multi if phrase_hash(w) not in self.phrases.hashes]
        wanted = np.array([*singles, *known], dtype=np.uint64)
        spans = [segment.find(wanted) for segment in snap.segments]
        df = sum((ends - starts for starts, ends in spans), np.zeros(len(wanted), np.int64))
        keep = np.ones(len(wanted), dtype=bool)
        if singles and max_df < 1.0 and snap.count >= prune_min_docs:
            common = df[: len(singles)] > max_df * snap.count
            if common.all() and not multi:  # keep the rarest term at least
                common[int(np.argmin(df[: len(singles)]))] = False
            keep[: len(singles)] = ~common
        hits = [
            [
                (segment.docs[s[j] : e[j]], segment.freqs[s[j] : e[j]])
                for segment, (s, e) in zip(snap.segments, spans, strict=True)
                if e[j] > s[j]
            ]
            for j in np.flatnonzero(keep)
        ]
        for words in unknown:
            hits.append([p for s in snap.segments if (p := _all_of(s, words)) is not None])
        return _rank(snap, hits, limit)


def _all_of(segment: _Segment, words: tuple[str, ...]) -> tuple[Docs, Freqs] | None:
    """Articles of ``segment`` holding every word, at the smallest weighted frequency."""
    docs, freqs = segment.postings(term_hash(words[0]))
    for word in dict.fromkeys(words[1:]):
        other_docs, other_freqs = segment.postings(term_hash(word))
        docs, mine, theirs = np.intersect1d(
            docs, other_docs, assume_unique=True, return_indices=True
        )
        freqs = np.minimum(freqs[mine], other_freqs[theirs])
    return (docs, freqs) if len(docs) else None


def _rank(
    snap: _Snapshot, hits: list[list[tuple[Docs, Freqs]]], limit: int
) -> list[tuple[int, float]]:
    """FTS5's BM25 over every alternative's postings, summed per document, best first."""
    n = snap.count
    avgdl = snap.total_length / n if snap.total_length else 1.0
    idfs: list[NDArray[np.float64]] = []
    docs: list[Docs] = []
    freqs: list[Freqs] = []
    for found in hits:
        df = sum(len(d) for d, _ in found)
        if not df:
            continue
        idf = math.log((n - df + 0.5) / (df + 0.5))
        idfs.append(np.full(df, idf if idf > 0 else 1e-6))
        docs.extend(d for d, _ in found)
        freqs.extend(f for _, f in found)
    if not docs:
        return []
    at = np.concatenate(docs)
    tf = np.concatenate(freqs).astype(np.float64)
    norm = K1 * (1.0 - B + B * snap.lengths[at] / avgdl)
    scores = np.bincount(at, weights=np.concatenate(idfs) * tf * (K1 + 1.0) / (tf + norm))
    take = min(limit, int(np.count_nonzero(scores)))
    if take <= 0:
        return []
    top = np.argpartition(-scores, take - 1)[:take] if take < len(scores) else np.arange(take)
    top = top[np.argsort(-scores[top], kind="stable")]
    return [(int(snap.articles[d]), float(scores[d])) for d in top if scores[d] > 0]


def _compact(segments: tuple[_Segment, ...]) -> tuple[_Segment, ...]:
    """Merge runs of small segments into as few as fit under ``SEGMENT_DOCS`` each."""
    out: list[_Segment] = []
    pending: list[_Segment] = []
    for seg in segments:
        if pending and (
            seg.size >= SEGMENT_DOCS or sum(p.size for p in pending) + seg.size > SEGMENT_DOCS
        ):
            out.append(_merge(pending) if len(pending) > 1 else pending[0])
            pending = []
        (out if seg.size >= SEGMENT_DOCS else pending).append(seg)
    if pending:
        out.append(_merge(pending) if len(pending) > 1 else pending[0])
    return tuple(out)


def _stored_rows(engine: Engine, after: int) -> Iterator[tuple[int, str, str]]:
    """``(article id, title terms, body terms)`` past ``after`` in id order, space-separated.

    Read from the full-text index itself (not re-stemmed from the articles), so the
    terms are exactly those the database path would match.
    """
    sqlite = engine.dialect.name == "sqlite"
    sql = (
        "SELECT rowid, title, body FROM article_fts WHERE rowid > :last ORDER BY rowid LIMIT :n"
        if sqlite
        else "SELECT article_id, tsv::text FROM article_fts WHERE article_id > :last "
        "ORDER BY article_id LIMIT :n"
    )
    last = after
    while True:
        with engine.connect() as conn:
            rows = conn.execute(text(sql), {"last": last, "n": _LOAD_CHUNK}).all()
        for row in rows:
            last = int(row[0])
            if sqlite:
                yield last, row[1] or "", row[2] or ""
            else:
                yield last, *_tsvector_terms(str(row[1]))
        if len(rows) < _LOAD_CHUNK:
            return


def release_freed_memory() -> None:
    """Hand memory freed after a bulk load back to the OS (glibc keeps it otherwise).

    Loading 100k articles frees ~40 MB of row text in fragments that ``free`` alone
    leaves in the heap; peak RSS is a budget (1 GB at 100k articles).
    """
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass


def _tsvector_terms(tsv: str) -> tuple[str, str]:
    """Title (weight A) and body terms of a tsvector's text form, back in position order
    (phrases are found by adjacency)."""
    placed: list[tuple[int, bool, str]] = []
    for match in _LEXEME.finditer(tsv):
        term = match.group(1).replace("''", "'")
        for position in (match.group(2) or "1").split(","):
            placed.append((int(position.rstrip("ABCD")), position.endswith("A"), term))
    placed.sort()
    title = " ".join(term for _, in_title, term in placed if in_title)
    body = " ".join(term for _, in_title, term in placed if not in_title)
    return title, body
