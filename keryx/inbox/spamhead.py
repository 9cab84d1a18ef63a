"""The workspace's own spam head: retrained from its moderators' decisions (ModeratorLabel) and
used instead of the shipped head when it exists.

Small and fast on purpose: the shipped head (keryx/classify/heads/spam.npz) is the starting
point, and a few hundred steps of gradient descent on the labelled items move it, with an L2
pull back towards the shipped weights, so a dozen decisions adjust the head rather than
replace it. Only the labelled items are embedded (one batch); nothing is downloaded.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass

import numpy as np
from django.utils.translation import gettext as _

from keryx.classify import embed, heads
from keryx.classify.classifier import spam_features
from keryx.classify.text import clean
from keryx.inbox.models import Decision, ModeratorLabel, WorkspaceHead

NAME = "spam"
# Fewer decisions than this of either kind and there is nothing to learn from.
MIN_PER_CLASS = 2
STEPS = 400
LEARNING_RATE = 2.0
# The pull back towards the shipped head (per weight, squared).
ANCHOR = 1e-3


class RetrainError(Exception):
    def __init__(self, message: str, code: str = "error") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class RetrainResult:
    examples: int
    spam: int
    not_spam: int
    accuracy_before: float  # the shipped (or previous) head on the decisions, at 0.5
    accuracy_after: float

    def as_dict(self) -> dict:
        return {"examples": self.examples, "spam": self.spam, "not_spam": self.not_spam,
                "accuracy_before": round(self.accuracy_before, 4),
                "accuracy_after": round(self.accuracy_after, 4)}


_cache: dict[int, tuple[object, heads.Head]] = {}
_lock = threading.Lock()


def _to_bytes(head: heads.Head) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, weights=head.weights.astype(np.float32),
                        bias=head.bias.astype(np.float32), classes=np.array(head.classes))
    return buffer.getvalue()


def _from_bytes(data: bytes) -> heads.Head:
    with np.load(io.BytesIO(bytes(data)), allow_pickle=False) as npz:
        return heads.Head(npz["weights"], npz["bias"], tuple(str(c) for c in npz["classes"]))


def workspace_head(workspace_id: int) -> heads.Head | None:
    """The workspace's spam head, or None (then the shipped one is used)."""
    row = WorkspaceHead.objects.filter(workspace_id=workspace_id, name=NAME) \
        .values_list("pk", "trained_at").first()
    if row is None:
        return None
    cached = _cache.get(workspace_id)
    if cached and cached[0] == row:
        return cached[1]
    data = WorkspaceHead.objects.filter(pk=row[0]).values_list("data", flat=True).first()
    head = _from_bytes(data)
    with _lock:
        _cache[workspace_id] = (row, head)
    return head


def _probability(head: heads.Head, features: np.ndarray) -> np.ndarray:
    return head.probabilities(features)[:, head.classes.index("1")]


def spam_score(workspace_id: int, text: str, default: float) -> float:
    """The spam probability by the workspace's head, or `default` (the shipped head's) when
    the workspace has none or the text has nothing to judge."""
    head = workspace_head(workspace_id)
    cleaned = clean(text)
    if head is None or not cleaned:
        return default
    features = spam_features([cleaned], embed.embed([cleaned]))
    return round(float(_probability(head, features)[0]), 4)


def decisions(workspace_id: int) -> list[tuple[str, int]]:
    """(cleaned text, 1 spam / 0 not spam): the latest decision per item (or per text for an
    item deleted since), empty texts left out."""
    seen: set[object] = set()
    rows: list[tuple[str, int]] = []
    for item_id, text, decision in ModeratorLabel.objects.filter(
            workspace_id=workspace_id).order_by("-created_at", "-pk") \
            .values_list("item_id", "text", "decision"):
        key = item_id if item_id is not None else ("text", text)
        if key in seen:
            continue
        seen.add(key)
        cleaned = clean(text)
        if cleaned:
            rows.append((cleaned, 1 if decision == Decision.SPAM else 0))
    return rows


def fine_tune(base: heads.Head, features: np.ndarray, labels: np.ndarray) -> heads.Head:
    """Logistic regression started at the base head, each class weighted equally, pulled back
    towards the base weights."""
    spam_col = base.classes.index("1")
    # A two-class softmax head is a logistic regression on the difference of its columns.
    w0 = (base.weights[:, spam_col] - base.weights[:, 1 - spam_col]).astype(np.float64)
    b0 = float(base.bias[spam_col] - base.bias[1 - spam_col])
    x = features.astype(np.float64)
    y = labels.astype(np.float64)
    weight = np.where(y == 1, 0.5 / max(1, int(y.sum())), 0.5 / max(1, int((1 - y).sum())))
    w, b = w0.copy(), b0
    vw, vb = np.zeros_like(w), 0.0
    for _step in range(STEPS):
        p = 1.0 / (1.0 + np.exp(-(x @ w + b)))
        error = (p - y) * weight
        gw = x.T @ error + ANCHOR * (w - w0)
        gb = float(error.sum())
        vw = 0.9 * vw - LEARNING_RATE * gw
        vb = 0.9 * vb - LEARNING_RATE * gb
        w += vw
        b += vb
    weights = np.zeros((len(w), 2), dtype=np.float32)
    weights[:, 1] = w
    return heads.Head(weights, np.array([0.0, b], dtype=np.float32), ("0", "1"))


def retrain(workspace_id: int) -> RetrainResult:
    """Retrain and store the workspace's spam head from its moderators' decisions."""
    rows = decisions(workspace_id)
    spam = sum(label for _t, label in rows)
    ham = len(rows) - spam
    if spam < MIN_PER_CLASS or ham < MIN_PER_CLASS:
        raise RetrainError(
            _("Not enough decisions to learn from: %(spam)s spam and %(ham)s not spam; at "
              "least %(min)s of each are needed (hide, unhide or mark items in the inbox).")
            % {"spam": spam, "ham": ham, "min": MIN_PER_CLASS}, code="not_enough")
    texts = [t for t, _l in rows]
    labels = np.array([label for _t, label in rows])
    features = spam_features(texts, embed.embed(texts))
    start = workspace_head(workspace_id) or heads.get(NAME)
    before = float(((_probability(start, features) > 0.5) == (labels == 1)).mean())
    head = fine_tune(heads.get(NAME), features, labels)
    after = float(((_probability(head, features) > 0.5) == (labels == 1)).mean())
    WorkspaceHead.objects.update_or_create(
        workspace_id=workspace_id, name=NAME,
        defaults={"data": _to_bytes(head), "examples": len(rows)})
    return RetrainResult(len(rows), spam, ham, before, after)
