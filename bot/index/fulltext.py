"""Full text: BM25 over articles in a tantivy index (segmented, on local disk).

Text is analysed in Python (``bot.text.index_terms``: stopwords dropped, the article
language's Snowball stemmer, accents folded), so a query meets an article on common
stems whatever its language; the query side asks for its stems under both stemmers.
tantivy splits the stems on whitespace and keeps their positions for phrases.

A title is indexed twice: a title term weighs as two body terms, in one BM25 over the
article (the column weight FTS5's ``bm25()`` had). The two copies sit in separate
values of the field, so no phrase matches across them. tantivy releases the GIL while
it searches, so the hybrid search ranks here in a thread while it embeds the query.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import tantivy

from bot.text import index_terms

TEXT = "text"
_ANALYZER = "stems"
_WRITER_HEAP = 64_000_000


@dataclass(frozen=True, slots=True)
class FtsQuery:
    """Alternatives to match: single stems and multi-stem phrases."""

    terms: tuple[str, ...]
    phrases: tuple[tuple[str, ...], ...] = ()


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("article", indexed=True, fast=True)
    builder.add_integer_field("passage", indexed=True, fast=True)  # the article's first
    builder.add_text_field(TEXT, tokenizer_name=_ANALYZER, index_option="position")
    return builder.build()


class FullTextIndex:
    """One tantivy index; ``search`` is thread-safe, writes come from ``LocalIndex`` (under
    its lock)."""

    def __init__(self, folder: Path | None) -> None:
        self.schema = _schema()
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
        self.index = tantivy.Index(self.schema, path=str(folder) if folder else None)
        analyzer = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build()
        self.index.register_tokenizer(_ANALYZER, analyzer)
        self._searcher = self.index.searcher()
        self._writer: tantivy.IndexWriter | None = None

    def __len__(self) -> int:
        return int(self._searcher.num_docs)

    def add(self, rows: Sequence[tuple[int, int, str, str, str]]) -> None:
        """Index ``(first passage id, article id, title, body, lang)`` rows (uncommitted)."""
        if not rows:
            return
        writer = self._writer_now()
        for passage, article, title, body, lang in rows:
            doc = tantivy.Document(article=article, passage=passage)
            head = index_terms(title, lang)
            for part in (head, head, index_terms(body, lang)):
                doc.add_text(TEXT, part)
            writer.add_document(doc)

    def discard_after(self, passage: int) -> None:
        """Drop articles past ``passage``: written by a sync that never recorded them."""
        query = tantivy.Query.range_query(
            self.schema, "passage", tantivy.FieldType.Integer, passage, None, include_lower=False
        )
        self._writer_now().delete_documents_by_query(query)

    def commit(self) -> None:
        """Make what ``add`` wrote durable and searchable, and let go of the writer (and of
        the index's write lock, which another process sharing the folder may want)."""
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.commit()
            writer.wait_merging_threads()
        self.reload()

    def reload(self) -> None:
        self.index.reload()
        self._searcher = self.index.searcher()

    def _writer_now(self) -> tantivy.IndexWriter:
        if self._writer is None:
            self._writer = self.index.writer(heap_size=_WRITER_HEAP, num_threads=1)
        return self._writer

    def search(self, query: FtsQuery, limit: int = 100) -> list[tuple[int, float]]:
        """Best ``(article_id, BM25 score)`` first: the sum over the matching alternatives."""
        schema = self.schema
        clauses = [
            (tantivy.Occur.Should, tantivy.Query.term_query(schema, TEXT, term))
            for term in query.terms
        ] + [
            (tantivy.Occur.Should, tantivy.Query.phrase_query(schema, TEXT, list(phrase)))
            for phrase in query.phrases
            if len(phrase) > 1
        ]
        searcher = self._searcher
        hits = searcher.search(tantivy.Query.boolean_query(clauses), limit, count=False).hits
        ids = searcher.fast_field_values("article", [address for _, address in hits])
        return [(int(aid), float(score)) for (score, _), aid in zip(hits, ids, strict=True)]  # type: ignore[arg-type]
