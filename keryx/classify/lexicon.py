"""Swear words and insults as a signal for the offensive head, Greek and English.

The embedding carries most of the meaning, but e5-small learned its sense of abuse mostly from
English: Greek slang («μαλάκα», «καριόλη», «παπάρια») often lands near ordinary complaints.
A word list is the cheap fix. Words are matched on folded text (lower case, no accents, σ for
ς), so «ΜΑΛΑΚΑ», «μαλάκα» and «μαλακα» are the same. Most entries are stems that match the
start of a word (inflections: «γαμήσου», «γαμιέστε», «γαμημένοι»); a few are whole words
because their stem is also an everyday word («μαλακό» is soft, «γάμος» a wedding). The hits
are features the head weighs with the embedding (trained in train.py), never a verdict alone:
a mild expletive about oneself («γαμώτο, ξέχασα το κουπόνι») is not abuse.
"""

from __future__ import annotations

import re

import numpy as np

from keryx.classify.text import fold

# Folded stems matched at the start of a word.
GREEK_STEMS = (
    "γαμησ", "γαμηθ", "γαμιε", "γαμιο", "γαμημεν", "γαμω", "γαματα", "μαλακι", "καριολ",
    "πουταν", "πουτσ", "πουστ", "αρχιδ", "παπαρι", "παπαρε", "μουνι", "μουνο", "κωλο", "σκατ",
    "βλακ", "βλαμμεν", "ηλιθι", "κρετιν", "καθικ", "καθαρμ", "κερατα", "τσογλαν", "λαμογι",
    "μπασταρδ", "αλητ", "κοπαν", "γουρουν", "σκουληκ", "τσουλ", "ψοφηστ", "χεσου", "χεστηκ",
    "χεσε", "καραγκιοζ", "ξεφτιλ", "χαζοβιολ", "στριγκλ", "πιθηκ", "διαολ", "κουφαλ",
    "μπουρδελ", "τομαρι", "παλιογρι", "παλιομουτρ", "βρωμιαρ", "βρωμερ", "παλιοαλητ",
    "ξεκουμπιστ",
)
# Folded whole words (their stems are also harmless words).
GREEK_WORDS = frozenset({
    "μαλακα", "μαλακασ", "μαλακεσ", "μαλακων", "ζωον", "ψοφα", "χαζη", "χαζε", "χαζοι",
    "βουλωσ", "βουλωσε", "βουλωστε", "σκασε", "σκαστε",
})
# Mild expletives that share a stem above but insult nobody.
GREEK_MILD = frozenset({"γαμωτο", "κωλοσ", "κωλο", "βλακεια", "βλακειεσ"})
ENGLISH_STEMS = (
    "fuck", "shit", "bitch", "cunt", "asshole", "bastard", "idiot", "moron", "retard", "dumbass",
    "wanker", "twat", "whore", "slut", "scum", "dickhead", "motherf", "jackass", "imbecil",
    "douche", "prick", "loser", "clown",
)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
SIZE = 2  # features: Greek hits, English hits


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def _greek_hit(word: str) -> bool:
    if word in GREEK_MILD:
        return False
    return word in GREEK_WORDS or word.startswith(GREEK_STEMS)


def hits(text: str) -> tuple[int, int]:
    """(Greek, English) words in the text that are on the lists."""
    found = words(text)
    greek = sum(1 for w in found if _greek_hit(w))
    english = sum(1 for w in found if w.startswith(ENGLISH_STEMS))
    return greek, english


def vector(text: str) -> np.ndarray:
    """Hits capped at 2 and scaled to 0–1, as features for the offensive head."""
    greek, english = hits(text)
    return np.array([min(greek, 2) / 2, min(english, 2) / 2], dtype=np.float32)


def matrix(texts: list[str]) -> np.ndarray:
    return np.stack([vector(t) for t in texts]) if texts else np.zeros((0, SIZE), np.float32)
