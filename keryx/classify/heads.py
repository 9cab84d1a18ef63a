"""Small linear heads on top of the embeddings: softmax regression in numpy.

A head is a weight matrix, a bias and its class names, saved as a tiny .npz beside this module.
Two classes is logistic regression; three is sentiment. Training is full-batch gradient descent
with L2 regularisation and per-example weights (so a few hand-written Greek examples can count
as much as many English ones), which is plenty for a few thousand 400-dimensional rows.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HEADS_DIR = Path(__file__).resolve().parent / "heads"


@dataclass(frozen=True)
class Head:
    weights: np.ndarray  # (features, classes)
    bias: np.ndarray  # (classes,)
    classes: tuple[str, ...]

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """(n, classes) probabilities for (n, features) rows."""
        return softmax(features @ self.weights + self.bias)

    def save(self, path: Path) -> None:
        np.savez_compressed(
            path, weights=self.weights.astype(np.float32), bias=self.bias.astype(np.float32),
            classes=np.array(self.classes),
        )

    @classmethod
    def load(cls, path: Path) -> Head:
        with np.load(path, allow_pickle=False) as data:
            return cls(data["weights"], data["bias"], tuple(str(c) for c in data["classes"]))


def softmax(scores: np.ndarray) -> np.ndarray:
    shifted = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def fit(
    features: np.ndarray, labels: np.ndarray, classes: tuple[str, ...], *,
    sample_weight: np.ndarray | None = None, l2: float = 1e-3, steps: int = 1500,
    learning_rate: float = 0.1,
) -> Head:
    """Softmax regression by gradient descent with momentum; labels are class indices."""
    n, d = features.shape
    k = len(classes)
    weight = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    weight = weight / weight.sum()
    onehot = np.eye(k)[labels]
    w = np.zeros((d, k))
    b = np.zeros(k)
    vw = np.zeros_like(w)
    vb = np.zeros_like(b)
    # e5 vectors crowd into a narrow cone: standardise so that plain gradient descent converges,
    # then fold the scaling back into the weights so that the saved head takes raw vectors.
    raw = features.astype(np.float64)
    mean = raw.mean(axis=0)
    scale = raw.std(axis=0) + 1e-6
    x = (raw - mean) / scale
    for _ in range(steps):
        error = (softmax(x @ w + b) - onehot) * weight[:, None]
        gw = x.T @ error + l2 * w
        gb = error.sum(axis=0)
        vw = 0.9 * vw - learning_rate * gw
        vb = 0.9 * vb - learning_rate * gb
        w += vw
        b += vb
    w = w / scale[:, None]
    b = b - mean @ w
    return Head(w.astype(np.float32), b.astype(np.float32), classes)


_cache: dict[str, Head] = {}
_lock = threading.Lock()


def get(name: str) -> Head:
    """The committed head `name` (offensive, sentiment, spam), loaded once."""
    head = _cache.get(name)
    if head is None:
        with _lock:
            head = _cache.get(name)
            if head is None:
                head = Head.load(HEADS_DIR / f"{name}.npz")
                _cache[name] = head
    return head
