"""Which language a comment is in: Greek, English, or another language that shows up.

Greek letters are Greek (no other language in use writes them), so Greek script decides at once.
Latin and Cyrillic text goes to py3langid, restricted to the languages a Greek or international
brand meets, so that a short English comment is not read as Xhosa. Two cases are answered
honestly with 'und' (undetermined) instead of a confident wrong guess:

- Greeklish (Greek written in Latin letters), which every detector misreads (py3langid calls
  "den einai kalo" German);
- texts too short or too ambiguous for a guess (fewer than a few letters, or a low probability).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from keryx.classify import text as textmod

UNDETERMINED = "und"

# The languages py3langid may answer; anything else is folded into one of these or 'und'.
LANGUAGES = (
    "el", "en", "de", "fr", "es", "it", "pt", "nl", "ru", "uk", "bg", "ro", "sq", "tr", "pl", "ar",
)

# Below this probability (py3langid's, calibrated by text length) the answer is 'und'.
MIN_CONFIDENCE = 0.3
# Fewer letters than this and only Greek script can be trusted.
MIN_LETTERS = 4

# Words that are Greek in Latin letters and rarely anything else in the languages above.
_GREEKLISH = frozenset(
    """
    kai einai den tha gia giati pou pws pos pote poli polu poly kala kalo kali kalimera kalhmera
    kalispera kalhspera kalinixta euxaristw eyxaristw efxaristw efxaristo eyxaristo eyxaristoume
    euxaristoume parakalw parakalo oxi nai afto auta afta edw ekei twra tora omws kati kanei
    kaneis kanete kanw eisai eimai eiste eimaste sas mou sou tous ston stin apo exei exw
    exete exoun thelw thelo mporw mporo mporeite boreite paidia ante malaka malakes gamw gamoto
    skata xazos xazoi mpravo oloi kaneis giatí ginetai kanoume paraggelia
    paraggelies lefta leftá dwrean apla prin mexri akoma akomh ksana xtes avrio shmera
    simera magazi katasthma katastima proionta proion timh timi
    """.split()
)
_WORD = re.compile(r"[a-z]+")


@dataclass(frozen=True)
class LanguageGuess:
    code: str  # ISO 639-1, or 'und'
    confidence: float  # 0–1; 0 for 'und' with no letters
    note: str | None = None  # 'greeklish', 'too_short', 'no_letters', 'low_confidence' or None


_identifier = None
_lock = threading.Lock()


def _get_identifier():  # -> py3langid LanguageIdentifier
    global _identifier
    if _identifier is None:
        with _lock:
            if _identifier is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
                identifier.set_languages(list(LANGUAGES))  # once, before anyone else sees it
                _identifier = identifier
    return _identifier


def looks_greeklish(cleaned: str) -> bool:
    words = _WORD.findall(cleaned.lower())
    if not words:
        return False
    hits = sum(1 for word in words if word in _GREEKLISH)
    # "ti" and the like are common enough in other languages: ask for two, or a short text
    # whose words are mostly Greeklish.
    return hits >= 2 and hits / len(words) >= 0.25 or (len(words) <= 2 and hits == len(words))


def detect(raw: str) -> LanguageGuess:
    """The language of `raw` (HTML and invisible characters are ignored)."""
    cleaned = textmod.clean(raw)
    found = textmod.letters(cleaned)
    if not found:
        return LanguageGuess(UNDETERMINED, 0.0, "no_letters")
    share = textmod.greek_share(cleaned)
    if share >= 0.4 and len(found) >= 2:
        return LanguageGuess("el", round(min(1.0, 0.6 + share * 0.4), 3))
    if looks_greeklish(cleaned):
        return LanguageGuess(UNDETERMINED, 0.2, "greeklish")
    if len(found) < MIN_LETTERS:
        return LanguageGuess(UNDETERMINED, 0.0, "too_short")
    code, confidence = _get_identifier().classify(cleaned[:5000])
    if confidence < MIN_CONFIDENCE:
        return LanguageGuess(UNDETERMINED, round(float(confidence), 3), "low_confidence")
    return LanguageGuess(code, round(float(confidence), 3))
