"""Spike detection for a saved search's hourly volume, and the negative-sentiment surge.

A spike: the last complete hour's count `c` against the trailing window (default the 168 hours
before it). With `m` the median of the window and `MAD` its median absolute deviation, the
threshold is

    threshold = max(min_count, m + k * max(1.4826 * MAD, sqrt(max(m, 1))))

(k = 4 by default; 1.4826 * MAD estimates the standard deviation of normal noise, and the
Poisson floor sqrt(m) keeps a flat or near-empty baseline — MAD 0 — from alerting on one extra
post). `c > threshold` is a spike. min_count (default 10) keeps a quiet search quiet.

A negative surge: over the same windows, the hour's negative share is at least `share_jump`
(default 0.25) above the window's negative share AND the hour has at least `min_negative`
(default 5) negative results.

Episodes: `Episode.update(flag)` says to fire only when the flag turns on; it re-arms once an
hour is back under the threshold, so an alert is sent once per episode, not every poll.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

MAD_SCALE = 1.4826


@dataclass(frozen=True)
class SpikeVerdict:
    count: int
    baseline: float
    threshold: float
    spike: bool


def spike(window: Sequence[int], count: int, *, k: float = 4.0,
          min_count: int = 10) -> SpikeVerdict:
    """Is `count` (the hour just ended) a spike over `window` (the trailing hourly counts)?"""
    if not window:
        return SpikeVerdict(count, 0.0, float(min_count), count > min_count)
    m = float(median(window))
    mad = float(median(abs(x - m) for x in window))
    spread = max(MAD_SCALE * mad, math.sqrt(max(m, 1.0)))
    threshold = max(float(min_count), m + k * spread)
    return SpikeVerdict(count, m, threshold, count > threshold)


@dataclass(frozen=True)
class SurgeVerdict:
    negative: int
    share: float
    baseline_share: float
    surge: bool


def negative_surge(window_total: int, window_negative: int, total: int, negative: int, *,
                   share_jump: float = 0.25, min_negative: int = 5) -> SurgeVerdict:
    """Is the hour's negative share (negative/total) a surge over the window's share?"""
    base = window_negative / window_total if window_total else 0.0
    share = negative / total if total else 0.0
    return SurgeVerdict(negative, share, base,
                        negative >= min_negative and share >= base + share_jump)


@dataclass
class Episode:
    """Fire once per episode: True only on the hour the condition turns on."""

    active: bool = False

    def update(self, flag: bool) -> bool:
        fire = flag and not self.active
        self.active = flag
        return fire
