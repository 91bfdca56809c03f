"""The numpy sentence encoder against the reference BERT implementation and on real words."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from oyster_nodes.world.prompt.embed import default_model_path, load_encoder
from oyster_nodes.world.prompt.minilm import MiniLM

TEXTS = ["a misty pine forest", "lighthouse", "", "three cabins by the lake at dawn, no trees", "ünïcödé rocks!"]


def test_matches_the_reference_bert_on_a_tiny_random_model(tmp_path: Path) -> None:
    import torch
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    config = BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                        intermediate_size=64, max_position_embeddings=64)
    model = BertModel(config, add_pooling_layer=False).eval()
    model.save_pretrained(tmp_path, safe_serialization=True)
    shutil.copy(default_model_path() / "tokenizer.json", tmp_path / "tokenizer.json")
    ours = MiniLM(tmp_path, max_tokens=64).encode(TEXTS)
    tokenizer = MiniLM(tmp_path, max_tokens=64).tokenizer
    tokenizer.enable_padding()  # the reference runs one padded batch
    tok = tokenizer.encode_batch(TEXTS)
    ids = torch.tensor([e.ids for e in tok])
    mask = torch.tensor([e.attention_mask for e in tok], dtype=torch.float32)
    with torch.inference_mode():
        hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
    mean = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
    reference = torch.nn.functional.normalize(mean, dim=1).numpy()
    np.testing.assert_allclose(ours, reference, atol=2e-5)


def test_real_model_gives_unit_vectors_that_group_meanings() -> None:
    enc = load_encoder()
    vectors = enc.encode(["pine", "conifer", "desert", "pine"])
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
    np.testing.assert_array_equal(vectors[0], vectors[3])


def test_a_text_alone_and_inside_any_batch_gives_the_same_bits() -> None:
    """Batching (and so BLAS blocking) must not change a vector: the vocabulary alone vs batched, shuffled."""
    from oyster_nodes.world.prompt.concepts import CONCEPTS

    model = load_encoder().model
    texts = [c.phrase for c in CONCEPTS][:24] + ["pine", "conifer", "desert", "pine", "a calm lake at dawn"]
    batched = model.encode(texts)
    alone = np.stack([model.encode([t])[0] for t in texts])
    np.testing.assert_array_equal(alone, batched)
    order = np.random.default_rng(0).permutation(len(texts))
    np.testing.assert_array_equal(model.encode([texts[i] for i in order], batch_size=5), batched[order])
