"""An independent reference for Hearth's embeddings: the sentence-transformers BERT
forward pass written out in NumPy, read straight from the model's safetensors, with the
Hugging Face `tokenizers` package for token ids.

    python bert_reference.py MODEL_DIR < sentences.json > reference.json

Input: a JSON list of strings. Output: {"ids": [[...]], "embeddings": [[...]]}, mean
pooled and L2-normalized as the model's sentence-transformers modules say. It shares no
code with llama.cpp or Hearth: GELU is the exact erf form, attention and layer norm are
plain float64 NumPy.
"""

import json
import math
import struct
import sys
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer


def load_safetensors(path):
    raw = Path(path).read_bytes()
    (size,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + size])
    data = raw[8 + size :]
    types = {"F32": np.float32, "F16": np.float16}
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__" or info["dtype"] not in types:
            continue  # metadata, and integer buffers such as position_ids
        start, end = info["data_offsets"]
        array = np.frombuffer(data[start:end], dtype=types[info["dtype"]])
        tensors[name] = array.reshape(info["shape"]).astype(np.float64)
    return tensors


def layer_norm(x, weight, bias, eps):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


_erf = np.vectorize(math.erf)


def gelu(x):
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def softmax(x):
    x = x - x.max(-1, keepdims=True)
    e = np.exp(x)
    return e / e.sum(-1, keepdims=True)


def encode(t, config, ids):
    eps = config["layer_norm_eps"]
    heads = config["num_attention_heads"]
    n = len(ids)
    x = (
        t["embeddings.word_embeddings.weight"][ids]
        + t["embeddings.position_embeddings.weight"][:n]
        + t["embeddings.token_type_embeddings.weight"][0]
    )
    x = layer_norm(x, t["embeddings.LayerNorm.weight"], t["embeddings.LayerNorm.bias"], eps)
    hidden = x.shape[1]
    head = hidden // heads
    for layer in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{layer}."
        linear = lambda v, m: v @ t[p + m + ".weight"].T + t[p + m + ".bias"]
        q = linear(x, "attention.self.query").reshape(n, heads, head).transpose(1, 0, 2)
        k = linear(x, "attention.self.key").reshape(n, heads, head).transpose(1, 0, 2)
        v = linear(x, "attention.self.value").reshape(n, heads, head).transpose(1, 0, 2)
        attention = softmax(q @ k.transpose(0, 2, 1) / math.sqrt(head))
        context = (attention @ v).transpose(1, 0, 2).reshape(n, hidden)
        x = layer_norm(
            x + linear(context, "attention.output.dense"),
            t[p + "attention.output.LayerNorm.weight"],
            t[p + "attention.output.LayerNorm.bias"],
            eps,
        )
        inner = gelu(linear(x, "intermediate.dense"))
        x = layer_norm(
            x + linear(inner, "output.dense"),
            t[p + "output.LayerNorm.weight"],
            t[p + "output.LayerNorm.bias"],
            eps,
        )
    pooled = x.mean(0)
    return pooled / np.linalg.norm(pooled)


def main():
    model = Path(sys.argv[1])
    config = json.loads((model / "config.json").read_text())
    tensors = load_safetensors(model / "model.safetensors")
    tokenizer = Tokenizer.from_file(str(model / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    sentences = json.load(sys.stdin)
    ids = [tokenizer.encode(s).ids for s in sentences]
    vectors = [encode(tensors, config, i).tolist() for i in ids]
    json.dump({"ids": ids, "embeddings": vectors}, sys.stdout)


if __name__ == "__main__":
    main()
