"""A BERT-style sentence encoder evaluated in numpy: tokenizer.json + model.safetensors → unit vectors.

all-MiniLM-L6-v2 is six small transformer layers followed by mean pooling and normalisation.
Running those steps here, rather than through a deep-learning framework, loads in well under a
second (importing the frameworks alone costs several) and gives the same vectors to ~1e-6.

A text's vector does not depend on what else is encoded with it or on the BLAS kernel the CPU
picks. A batch holds texts of one token count only, so no padding enters any sum, and everything
is computed in float64 with the weights widened once: batching and kernels change only how a
matrix product's sums are ordered, which moves float64 results by ~1e-16, and the one rounding to
float32 at the end (resolution 6e-8) does not see it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np


@dataclass(kw_only=True, slots=True)
class Layer:
    qkv_w: np.ndarray  # (hidden, 3 * hidden)
    qkv_b: np.ndarray
    out_w: np.ndarray
    out_b: np.ndarray
    ln1: tuple[np.ndarray, np.ndarray]
    up_w: np.ndarray
    up_b: np.ndarray
    down_w: np.ndarray
    down_b: np.ndarray
    ln2: tuple[np.ndarray, np.ndarray]


def _layer_norm(x: np.ndarray, weight_bias: tuple[np.ndarray, np.ndarray], eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight_bias[0] + weight_bias[1]


def _gelu(x: np.ndarray, erf: Any) -> np.ndarray:
    return 0.5 * x * (1.0 + erf(x * (1.0 / np.sqrt(2.0))))


class MiniLM:
    """Encode texts into L2-normalised, mean-pooled sentence embeddings."""

    def __init__(self, folder: str | Path, *, max_tokens: int = 256):
        from safetensors.numpy import load_file
        from scipy.special import erf
        from tokenizers import Tokenizer

        self._erf = erf
        folder = Path(folder)
        config = json.loads((folder / "config.json").read_text())
        if config.get("model_type") != "bert" or config.get("hidden_act") != "gelu":
            raise RuntimeError(f"{folder} is not a BERT sentence encoder with GELU activations")
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config["layer_norm_eps"])
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_tokens)
        self.tokenizer.no_padding()  # batches hold texts of one length: no pad tokens
        w = {k: v.astype(np.float64) for k, v in load_file(str(folder / "model.safetensors")).items()}
        self.word, self.position = w["embeddings.word_embeddings.weight"], w["embeddings.position_embeddings.weight"]
        self.token_type = w["embeddings.token_type_embeddings.weight"]
        self.ln0 = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self.layers = [self._layer(w, f"encoder.layer.{i}.") for i in range(int(config["num_hidden_layers"]))]

    @staticmethod
    def _layer(w: dict[str, np.ndarray], p: str) -> Layer:
        att = p + "attention."
        return Layer(
            qkv_w=np.concatenate([w[f"{att}self.{k}.weight"].T for k in ("query", "key", "value")], axis=1),
            qkv_b=np.concatenate([w[f"{att}self.{k}.bias"] for k in ("query", "key", "value")]),
            out_w=w[f"{att}output.dense.weight"].T, out_b=w[f"{att}output.dense.bias"],
            ln1=(w[f"{att}output.LayerNorm.weight"], w[f"{att}output.LayerNorm.bias"]),
            up_w=w[f"{p}intermediate.dense.weight"].T, up_b=w[f"{p}intermediate.dense.bias"],
            down_w=w[f"{p}output.dense.weight"].T, down_b=w[f"{p}output.dense.bias"],
            ln2=(w[f"{p}output.LayerNorm.weight"], w[f"{p}output.LayerNorm.bias"]),
        )

    def encode(self, texts: list[str], *, batch_size: int = 64) -> np.ndarray:
        """One unit vector per text; texts of one token count are batched together (no padding)."""
        encodings = self.tokenizer.encode_batch(list(texts))
        by_length: dict[int, list[int]] = {}
        for i, e in enumerate(encodings):
            by_length.setdefault(len(e.ids), []).append(i)
        out = np.empty((len(texts), self.word.shape[1]), np.float32)
        for rows in by_length.values():
            for start in range(0, len(rows), batch_size):
                chunk = rows[start:start + batch_size]
                ids = np.array([encodings[i].ids for i in chunk])
                types = np.array([encodings[i].type_ids for i in chunk])
                out[chunk] = self._batch(ids, types)
        return out

    def _batch(self, ids: np.ndarray, types: np.ndarray) -> np.ndarray:
        """(texts, tokens) ids of equal length -> float32 unit vectors, computed in float64."""
        x = self.word[ids] + self.position[: ids.shape[1]][None] + self.token_type[types]
        x = _layer_norm(x, self.ln0, self.eps)
        for layer in self.layers:
            x = self._block(x, layer)
        mean = x.mean(1)
        unit = mean / np.maximum(np.sqrt((mean * mean).sum(1, keepdims=True)), 1e-12)
        return unit.astype(np.float32)

    def _block(self, x: np.ndarray, layer: Layer) -> np.ndarray:
        """One transformer layer; dense maps run on (tokens, features) so each is one matrix product."""
        b, n, d = x.shape
        h = self.heads
        flat = x.reshape(b * n, d)
        q, k, v = (t.reshape(b, n, h, d // h).transpose(0, 2, 1, 3)
                   for t in np.split((flat @ layer.qkv_w + layer.qkv_b).reshape(b, n, 3 * d), 3, axis=-1))
        scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(d // h)
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        attended = (scores / scores.sum(-1, keepdims=True) @ v).transpose(0, 2, 1, 3).reshape(b * n, d)
        flat = _layer_norm(flat + attended @ layer.out_w + layer.out_b, layer.ln1, self.eps)
        hidden = _gelu(flat @ layer.up_w + layer.up_b, self._erf)
        return _layer_norm(flat + hidden @ layer.down_w + layer.down_b, layer.ln2, self.eps).reshape(b, n, d)
