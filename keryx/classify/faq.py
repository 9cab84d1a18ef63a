"""Matching an incoming question to a FAQ entry by meaning, for the off-hours assistant.

Each entry has question variants (in Greek and English: a FAQ written in both languages matches
far better than an English-only one) and optionally its answers, whose words name the topic.
The score is the best cosine similarity between the message and any of them; below the
threshold the message goes to a person. Embeddings of the FAQ texts are cached by text, so a
workspace's FAQ is embedded once, not per message.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from keryx.classify.embed import embed
from keryx.classify.text import clean

# Chosen on tests/data/classify/faq_tune.tsv (not the evaluation set): at 0.89 it picked the
# right entry for 0.88 of new phrasings and sent 0.94 of off-topic messages to a person; e5's
# cosines crowd together, so short greetings reach 0.86–0.89. See docs/classifier.md.
DEFAULT_THRESHOLD = 0.89


@dataclass(frozen=True)
class FaqEntry:
    id: str
    questions: Sequence[str]
    answers: Sequence[str] = ()


_cache: dict[str, np.ndarray] = {}
_lock = threading.Lock()
_CACHE_LIMIT = 20_000


def _vectors(texts: Sequence[str]) -> np.ndarray:
    missing = [t for t in dict.fromkeys(texts) if t not in _cache]
    if missing:
        fresh = embed(missing)
        with _lock:
            if len(_cache) + len(missing) > _CACHE_LIMIT:
                _cache.clear()
            _cache.update(zip(missing, fresh, strict=True))
    return np.stack([_cache[t] if t in _cache else embed([t])[0] for t in texts])


def _entries(entries: Mapping[str, Sequence[str]] | Iterable[FaqEntry]) -> list[FaqEntry]:
    if isinstance(entries, Mapping):
        return [FaqEntry(str(key), list(questions)) for key, questions in entries.items()]
    return list(entries)


Entries = Mapping[str, Sequence[str]] | Iterable[FaqEntry]


def scores(text: str, entries: Entries) -> dict[str, float]:
    """The best similarity of `text` to each entry."""
    found = _entries(entries)
    owners: list[str] = []
    texts: list[str] = []
    for entry in found:
        for variant in [*entry.questions, *entry.answers]:
            cleaned = clean(variant)
            if cleaned:
                owners.append(entry.id)
                texts.append(cleaned)
    message = clean(text)
    if not texts or not message:
        return {entry.id: 0.0 for entry in found}
    similarity = _vectors(texts) @ embed([message])[0]
    best: dict[str, float] = {entry.id: 0.0 for entry in found}
    for owner, value in zip(owners, similarity.tolist(), strict=True):
        best[owner] = max(best[owner], value)
    return best


def match_faq(
    text: str, entries: Mapping[str, Sequence[str]] | Iterable[FaqEntry],
    threshold: float = DEFAULT_THRESHOLD,
) -> tuple[str | None, float]:
    """(entry id, score) of the best entry, or (None, score) when it is below `threshold`."""
    best = scores(text, entries)
    if not best:
        return None, 0.0
    entry_id = max(best, key=best.__getitem__)
    score = round(best[entry_id], 4)
    return (entry_id if score >= threshold else None), score
