"""Per network: what is counted, in which unit, against which limit, and where the text stops
fitting. The composer's counters and the "over by N from here" highlight come from here; the
verdicts themselves come from each provider's validate() (publishing.services.validate_post), and
tests/test_counting_networks.py checks that both count the same.

Each network's counting function and limits are its provider module's own (looked up through the
registry's module path, so nothing here duplicates a rule).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from keryx.networks import registry
from keryx.networks.text import graphemes, utf8_length, utf16_length

__all__ = ["Measure", "Rule", "fits", "graphemes", "measure", "measures", "overflow_at", "rules"]

Counter = Callable[[str], int]


@dataclass(frozen=True)
class Measure:
    """One limit on one text. `overflow_at` is the code-point index from which the text no
    longer fits (None when it fits): the composer marks text[overflow_at:] as the part over."""

    unit: str  # "characters" | "weighted" | "bytes" | "utf16"
    count: int
    limit: int
    overflow_at: int | None = None

    @property
    def over_by(self) -> int:
        return max(self.count - self.limit, 0)

    @property
    def fits(self) -> bool:
        return self.count <= self.limit

    def as_dict(self) -> dict[str, Any]:
        return {
            "unit": self.unit, "count": self.count, "limit": self.limit,
            "remaining": self.limit - self.count, "over_by": self.over_by,
            "overflow_at": self.overflow_at,
        }


@dataclass(frozen=True)
class Rule:
    unit: str
    count: Counter
    limit: int


def _module(network: str) -> ModuleType:
    path = registry.PROVIDERS[network]
    return importlib.import_module(path.partition(":")[0])


def rules(
    network: str,
    settings: Mapping[str, Any] | None = None,
    *,
    media_kinds: Sequence[str] = (),
    content_warning: str = "",
) -> list[Rule]:
    """The text limits `network` applies to a post's main text, given the channel's settings
    (a Mastodon server's own limit, X's premium length) and the kinds of attached media
    ("image", "video"), which change the limit on some networks (Telegram captions, TikTok
    photo posts). Unknown networks get no rule."""
    settings = settings or {}
    if network not in registry.PROVIDERS:
        return []
    m = _module(network)
    if network == "x":
        limit = int(settings.get("max_weighted_length") or m.MAX_WEIGHTED_LENGTH)
        return [Rule("weighted", m.weighted_length, limit)]
    if network == "mastodon":
        url_length = int(settings.get("characters_reserved_per_url") or m.DEFAULT_URL_LENGTH)
        warning = m.mastodon_length(content_warning, url_length) if content_warning else 0
        limit = int(settings.get("max_characters") or m.DEFAULT_MAX_CHARACTERS)
        # The content warning shares the budget: it is counted with the text.
        return [Rule("characters", lambda t: warning + m.mastodon_length(t, url_length), limit)]
    if network == "bluesky":
        return [Rule("characters", graphemes, m.MAX_GRAPHEMES),
                Rule("bytes", utf8_length, m.MAX_BYTES)]
    if network == "threads":
        return [Rule("characters", m.threads_length, m.TEXT_LIMIT)]
    if network == "instagram":
        return [Rule("utf16", m.caption_length, m.CAPTION_LIMIT)]
    if network == "facebook":
        return [Rule("characters", graphemes, m.TEXT_LIMIT)]
    if network in ("linkedin", "discord"):
        return [Rule("utf16", utf16_length, m.TEXT_LIMIT)]
    if network == "google_business":
        return [Rule("utf16", utf16_length, m.SUMMARY_LIMIT)]
    if network == "youtube":
        return [Rule("bytes", utf8_length, m.DESCRIPTION_LIMIT)]
    if network == "telegram":
        return [Rule("utf16", utf16_length, m.CAPTION_LIMIT if media_kinds else m.TEXT_LIMIT)]
    if network == "tiktok":
        photos = bool(media_kinds) and "video" not in media_kinds
        return [Rule("utf16", utf16_length,
                     m.PHOTO_DESCRIPTION_MAX if photos else m.VIDEO_TITLE_MAX)]
    if network == "pinterest":
        return [Rule("characters", len, m.DESCRIPTION_MAX)]
    if network == "reddit":
        return [Rule("characters", len, m.TEXT_MAX)]
    return []


def _cluster_start(text: str, index: int) -> int:
    """Move index back to the start of the grapheme cluster it falls in, so the highlight never
    cuts an emoji or an accented letter in two."""
    while 0 < index < len(text) and graphemes(text[index - 1 : index + 1]) == 1:
        index -= 1
    return index


def overflow_at(text: str, rule: Rule) -> int | None:
    """The shortest prefix that no longer fits, as a code-point index; None if the text fits.

    Exponential then binary search over prefixes: limits are small next to long texts, so the
    prefixes counted stay short and the search is cheap even on 5,000 characters."""
    if rule.count(text) <= rule.limit:
        return None
    low, high = 0, max(rule.limit, 1)
    while high < len(text) and rule.count(text[:high]) <= rule.limit:
        low, high = high, high * 2
    high = min(high, len(text))
    # Invariant: text[:low] fits, text[:high] does not.
    while high - low > 1:
        middle = (low + high) // 2
        if rule.count(text[:middle]) <= rule.limit:
            low = middle
        else:
            high = middle
    return _cluster_start(text, low)


def measure(text: str, rule: Rule) -> Measure:
    count = rule.count(text)
    return Measure(rule.unit, count, rule.limit,
                   overflow_at(text, rule) if count > rule.limit else None)


def measures(text: str, network: str, settings: Mapping[str, Any] | None = None, *,
             media_kinds: Sequence[str] = (), content_warning: str = "") -> list[Measure]:
    return [measure(text, rule) for rule in rules(network, settings, media_kinds=media_kinds,
                                                  content_warning=content_warning)]


def fits(text: str, network: str, settings: Mapping[str, Any] | None = None, **kw: Any) -> bool:
    return all(rule.count(text) <= rule.limit for rule in rules(network, settings, **kw))
