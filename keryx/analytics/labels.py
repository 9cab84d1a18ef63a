"""The figures' formula names and the reasons of a null figure, in the reader's language.

keryx.analytics.maths and services name formulas and reasons in English, and the JSON, the CSV
and the commands keep those machine-readable names as they are. The page shows them through
`figure_text` (the `figure_text` template filter): whole sentences are looked up, sentences
with a figure in them are matched by pattern, and formula names are translated word by word
(likes, followers at publish time, …), so every formula the maths can build has a translation.
"""

from __future__ import annotations

import re
from functools import lru_cache

from django.utils.translation import get_language, gettext_lazy

# Whole sentences (reasons, notes).
SENTENCES = {
    "no posts in the period": gettext_lazy("no posts in the period"),
    "no post in the period has a rate": gettext_lazy("no post in the period has a rate"),
    "the posts' engagement is counted differently (see each formula)": gettext_lazy(
        "the posts' engagement is counted differently (see each formula)"),
    "the network gives none of likes, comments, shares, saves": gettext_lazy(
        "the network gives none of likes, comments, shares, saves"),
    "no follower reading at the start or the end": gettext_lazy(
        "no follower reading at the start or the end"),
    "0 followers at the start: no percentage": gettext_lazy(
        "0 followers at the start: no percentage"),
    "no follower reading by that day": gettext_lazy("no follower reading by that day"),
    "the posts' engagement is counted differently; choose channels of one network":
        gettext_lazy("the posts' engagement is counted differently; choose channels of one "
                     "network"),
    "no posts with an engagement rate yet": gettext_lazy("no posts with an engagement rate yet"),
    "sum over posts of likes+comments+shares+saves (the parts each network gives)":
        gettext_lazy("sum over posts of likes+comments+shares+saves (the parts each network "
                     "gives)"),
    "new likes+comments+shares+saves per day (the parts each network gives; a count that went "
    "down adds 0)": gettext_lazy("new likes+comments+shares+saves per day (the parts each "
                                 "network gives; a count that went down adds 0)"),
}

# Sentences with a figure or a basis in them: (pattern, message with %(x)s).
PATTERNS = (
    (re.compile(r"^no (?P<basis>.+) figure$"), gettext_lazy("no %(basis)s figure")),
    (re.compile(r"^(?P<basis>.+) is 0: no rate can be computed$"),
     gettext_lazy("%(basis)s is 0: no rate can be computed")),
    (re.compile(r"^only (?P<n>\d+) posts: too few to tell good times from chance$"),
     gettext_lazy("only %(n)s posts: too few to tell good times from chance")),
)

# Formula words, longest first so "followers at publish time" wins over "followers".
WORDS = {
    "average over posts of": gettext_lazy("average over posts of"),
    "average over channel-days of": gettext_lazy("average over channel-days of"),
    "average over days of": gettext_lazy("average over days of"),
    "average per cell of": gettext_lazy("average per cell of"),
    "followers at publish time": gettext_lazy("followers at publish time"),
    "followers that day": gettext_lazy("followers that day"),
    "that day": gettext_lazy("that day"),
    "new": gettext_lazy("new"),
    "no counts": gettext_lazy("no counts"),
    "likes": gettext_lazy("likes"),
    "comments": gettext_lazy("comments"),
    "shares": gettext_lazy("shares"),
    "saves": gettext_lazy("saves"),
    "reach": gettext_lazy("reach"),
    "impressions": gettext_lazy("impressions"),
    "followers": gettext_lazy("followers"),
}
_WORD = re.compile(r"\b(" + "|".join(re.escape(w) for w in
                                     sorted(WORDS, key=len, reverse=True)) + r")\b")


def _words(text: str) -> str:
    return _WORD.sub(lambda m: str(WORDS[m.group(1)]), text)


def figure_text(text: object) -> str:
    """A formula name or a reason as the maths gives it, in the active language."""
    if text is None:
        return ""
    return _translated(get_language() or "", str(text))


@lru_cache(maxsize=1024)
def _translated(language: str, value: str) -> str:
    del language  # part of the cache key: gettext below answers in the active language
    if value in SENTENCES:
        return str(SENTENCES[value])
    for pattern, message in PATTERNS:
        match = pattern.match(value)
        if match:
            return str(message) % {k: _words(v) for k, v in match.groupdict().items()}
    return _words(value)
