"""Spam signals a rule can see without a model: links, contacts, repetition, promotion phrases.

They are both reasons shown to a moderator ("contains a link") and features that the spam
head weighs together with the embedding, so that a link in a complaint ("your site
https://… is down") is not spam by itself, while "check my channel" plus a link is.
"""

from __future__ import annotations

import re

import numpy as np

from keryx.classify.text import fold, is_emoji_only, letters

URL = re.compile(
    r"(https?://|www\.)\S+|\b[\w-]+\.(com|net|org|gr|io|ly|me|xyz|top|shop|site|link|info|biz|"
    r"co|cc|tk|ru|app)(/\S*)?\b", re.IGNORECASE,
)
EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b")
# Greek mobiles (69x xxx xxxx), +30/00 prefixes, and any other 10+ digit run with separators.
PHONE = re.compile(r"(\+|00)\d{1,3}[\s.-]?\d[\d\s.-]{7,}\d|\b69\d[\s.-]?\d{3}[\s.-]?\d{4}\b|"
                   r"\b\d{3}[\s.-]\d{3}[\s.-]\d{4}\b")
MENTION = re.compile(r"(?<!\w)@\w+")
HASHTAG = re.compile(r"(?<!\w)#\w+")
MONEY = re.compile(r"[$€£₿]\s?\d|\d\s?[$€£]|\b\d+\s?(euro|ευρω|dollars?|usd|eur)\b", re.IGNORECASE)
REPEATED_CHAR = re.compile(r"(.)\1{5,}")

# Promotion and scam phrases, folded (lower case, no accents, σ for ς), Greek and English.
PROMO = re.compile(
    "|".join([
        r"check (out )?my (channel|profile|page|bio|account|video|link)",
        r"(visit|see|go to) my (channel|profile|page|bio)", r"link in (my )?bio",
        r"follow (me|back|4 ?follow)", r"f4f|l4l|sub ?4 ?sub", r"subscribe to (my|our)",
        r"dm me", r"(message|text|whatsapp|telegram) me", r"work from home",
        r"earn \$?\d+|make money|passive income|per (day|week) from home", r"crypto|bitcoin|forex",
        r"investment (plan|opportunity)", r"free (followers|likes|gift|iphone|money)",
        r"cheap (followers|likes)", r"buy (followers|likes)", r"click (here|the link)",
        r"limited offer|act now|winner|you have won|claim your", r"promo code|discount code",
        r"onlyfans|hot (girls|singles)", r"sugar (daddy|mommy)",
        r"δεσ το (προφιλ|καναλι|καναλι) μου", r"(ελα|ελατε|μπειτε|μπες) στο (προφιλ|καναλι)",
        r"κανε (follow|εγγραφη)|κανετε (follow|εγγραφη)", r"ακολουθησε με|ακολουθηστε με",
        r"κερδισ(ε|τε)|κερδη|δωρο|δωρεαν (followers|likes|δωρο|iphone)",
        r"(στειλε|στειλτε) (μου )?(μηνυμα|dm|inbox)", r"(γραψου|γραφτειτε) στο",
        r"εργασια απο το σπιτι|δουλεια απο το σπιτι", r"βγαλ(ε|τε) (λεφτα|χρηματα)",
        r"επενδυσ(η|εισ) (σε )?crypto|bitcoin", r"πατα (εδω|το link|στο link)",
        r"link στο (bio|προφιλ)", r"προσφορα (μονο|λιγων)", r"φθηνοι? (followers|ακολουθοι)",
    ]),
)

NAMES = (
    "link", "email", "phone", "mentions", "hashtags", "money", "repeated", "promo",
    "emoji_only", "all_caps",
)


def _repetition(folded: str) -> float:
    """Share of the words that repeat an earlier word (0 for short texts)."""
    words = re.findall(r"\w+", folded)
    if len(words) < 6:
        return 0.0
    return 1.0 - len(set(words)) / len(words)


def signals(cleaned: str) -> dict[str, float]:
    """Each named signal as a number in 0–1 (most are 0 or 1)."""
    folded = fold(cleaned)
    found = letters(cleaned)
    caps = sum(1 for ch in found if ch.isupper())
    return {
        "link": float(bool(URL.search(cleaned))),
        "email": float(bool(EMAIL.search(cleaned))),
        "phone": float(bool(PHONE.search(cleaned))),
        "mentions": min(1.0, len(MENTION.findall(cleaned)) / 3),
        "hashtags": min(1.0, len(HASHTAG.findall(cleaned)) / 5),
        "money": float(bool(MONEY.search(cleaned))),
        "repeated": float(_repetition(folded) >= 0.5 or bool(REPEATED_CHAR.search(cleaned))),
        "promo": float(bool(PROMO.search(folded))),
        "emoji_only": float(is_emoji_only(cleaned)),
        "all_caps": float(len(found) >= 8 and caps / len(found) > 0.8),
    }


def vector(cleaned: str) -> np.ndarray:
    found = signals(cleaned)
    return np.array([found[name] for name in NAMES], dtype=np.float32)


def reasons(cleaned: str) -> list[str]:
    """The names of the signals that fired, for showing a moderator why."""
    return [name for name, value in signals(cleaned).items() if value >= 0.5]
