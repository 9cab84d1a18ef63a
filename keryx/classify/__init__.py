"""Offline text intelligence for the inbox and listening: no Django, nothing downloaded.

- `detect_language(text)`: Greek, English or another language in use, or 'und' (Greeklish,
  too short, too unsure) — see `language`.
- `classify(text)` / `classify_many(texts)`: language, spam and offensive-language
  probabilities and sentiment — see `classifier`.
- `match_faq(text, entries, threshold)`: the FAQ entry a message asks about, or None — see `faq`.

Models load lazily, once per process, thread-safely. Figures and retraining: docs/classifier.md.
"""

from keryx.classify.classifier import Classification, classify, classify_many
from keryx.classify.faq import DEFAULT_THRESHOLD, FaqEntry, match_faq
from keryx.classify.language import LanguageGuess
from keryx.classify.language import detect as detect_language
from keryx.classify.signals import reasons as spam_signals

__all__ = [
    "DEFAULT_THRESHOLD", "Classification", "FaqEntry", "LanguageGuess", "classify",
    "classify_many", "detect_language", "match_faq", "spam_signals",
]
