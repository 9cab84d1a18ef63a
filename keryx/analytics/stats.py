"""Two-sample statistics for posting-frequency experiments, as pure functions (no database, no
Django): did arm B's posts (or weeks) do better than arm A's, by how much, and could that be
chance?

Social media figures are small samples with a long tail (one post goes viral), so the test and
the effect sizes are rank-based first:

- **test**: the Mann–Whitney U statistic under a permutation test (scipy.stats.permutation_test):
  exact, over every way of splitting the values into two groups of these sizes, while there are
  at most EXACT_LIMIT ways; beyond that a Monte-Carlo estimate from MONTE_CARLO_RESAMPLES random
  splits with a fixed seed (so the same data always gives the same answer). Ties are handled by
  the permutation itself (mid-ranks). Once both arms have NORMAL_FROM values or more, the
  normal approximation with the tie correction (scipy.stats.mannwhitneyu, "asymptotic") is
  accurate and far faster (bench/experiment_stats.py), so it is used instead.
- **Cliff's delta** = P(B > A) − P(B < A), from −1 (every A above every B) to 1.
- **difference of medians** (B − A) with a 95 % percentile bootstrap interval.
- **Hedges' g**: the difference of means in pooled standard deviations, small-sample corrected
  (shown beside, since a viral post moves it a lot).

"Enough data" has a floor (at least `min_n` values in each arm) and, past it, an estimate of how
many values per arm a difference of the size seen would need for an 80 % chance of being found
at the 5 % level (Noether's sample-size formula for the Mann–Whitney test).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
from scipy import stats as sp

ALPHA = 0.05
POWER = 0.80
# Up to this many ways of splitting the values, the permutation test enumerates them all.
EXACT_LIMIT = 20_000
MONTE_CARLO_RESAMPLES = 10_000
NORMAL_FROM = 20
BOOTSTRAP_RESAMPLES = 5_000
SEED = 20_261_204
# |Cliff's delta| below this is a negligible difference (Romano et al.'s thresholds:
# 0.147 / 0.33 / 0.474 for small / medium / large).
NEGLIGIBLE_DELTA = 0.147
# Past this many values per arm the estimate is not worth giving as a number.
NEEDED_CAP = 500

NOT_ENOUGH = "not_enough"
B_HIGHER = "b_higher"
A_HIGHER = "a_higher"
NO_CLEAR_DIFFERENCE = "no_clear_difference"


@dataclass(frozen=True)
class Comparison:
    """B against A. `verdict` is one of NOT_ENOUGH, B_HIGHER, A_HIGHER, NO_CLEAR_DIFFERENCE."""

    n_a: int
    n_b: int
    min_n: int
    mean_a: float | None
    mean_b: float | None
    median_a: float | None
    median_b: float | None
    median_difference: float | None  # median B − median A
    median_difference_ci: tuple[float, float] | None  # 95 % bootstrap
    hedges_g: float | None
    cliffs_delta: float | None
    u_statistic: float | None  # U of B: the pairs where B's value is higher, ties counting half
    p_value: float | None  # two-sided
    exact: bool | None  # True: every split enumerated; False: an estimate (see `method`)
    method: str  # "exact", "monte_carlo", "normal" ("" without a test)
    verdict: str
    needed_per_arm: int | None  # values per arm a difference this size needs; None: not estimable

    @property
    def magnitude(self) -> str:
        """Cliff's delta in words: negligible, small, medium, large ("" when unknown)."""
        if self.cliffs_delta is None:
            return ""
        d = abs(self.cliffs_delta)
        if d < NEGLIGIBLE_DELTA:
            return "negligible"
        if d < 0.33:
            return "small"
        if d < 0.474:
            return "medium"
        return "large"


def cliffs_delta(a: Sequence[float], b: Sequence[float]) -> float:
    """P(B > A) − P(B < A) over every pair (one value of each arm)."""
    x = np.asarray(a, dtype=float)[:, None]
    y = np.asarray(b, dtype=float)[None, :]
    return float((np.sum(y > x) - np.sum(y < x)) / (x.size * y.size))


def u_statistic(a: Sequence[float], b: Sequence[float]) -> float:
    """Mann–Whitney U of B: pairs with B's value higher, ties counting one half."""
    x = np.asarray(a, dtype=float)[:, None]
    y = np.asarray(b, dtype=float)[None, :]
    return float(np.sum(y > x) + 0.5 * np.sum(y == x))


def hedges_g(a: Sequence[float], b: Sequence[float]) -> float | None:
    """(mean B − mean A) / pooled standard deviation × (1 − 3 / (4 (n_a + n_b) − 9)).
    None when it is undefined (fewer than 2 values in an arm, or no spread at all)."""
    n_a, n_b = len(a), len(b)
    if n_a < 2 or n_b < 2:
        return None
    var_a = float(np.var(a, ddof=1))
    var_b = float(np.var(b, ddof=1))
    pooled = math.sqrt(((n_a - 1) * var_a + (n_b - 1) * var_b) / (n_a + n_b - 2))
    if pooled == 0:
        return None
    correction = 1 - 3 / (4 * (n_a + n_b) - 9)
    return (float(np.mean(b)) - float(np.mean(a))) / pooled * correction


def _u_of_second(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    """U of y for each row (vectorised for scipy's permutation_test): rank sum of y minus its
    smallest possible value, with mid-ranks for ties."""
    ranks = sp.rankdata(np.concatenate([x, y], axis=axis), axis=axis)
    n_y = y.shape[axis]
    return np.sum(np.take(ranks, range(x.shape[axis], ranks.shape[axis]), axis=axis),
                  axis=axis) - n_y * (n_y + 1) / 2


def mann_whitney(a: Sequence[float], b: Sequence[float]) -> tuple[float, str]:
    """Two-sided p-value of U, and the method: "exact" or "monte_carlo" (permutation), or
    "normal" once both arms have NORMAL_FROM values and no exact enumeration is possible."""
    if math.comb(len(a) + len(b), len(a)) > EXACT_LIMIT and min(len(a), len(b)) >= NORMAL_FROM:
        result = sp.mannwhitneyu(np.asarray(b, dtype=float), np.asarray(a, dtype=float),
                                 alternative="two-sided", method="asymptotic",
                                 use_continuity=True)
        return min(1.0, float(result.pvalue)), "normal"
    p, exact = mann_whitney_permutation(a, b)
    return p, "exact" if exact else "monte_carlo"


def mann_whitney_permutation(a: Sequence[float], b: Sequence[float]) -> tuple[float, bool]:
    """Two-sided p-value of the U statistic under relabelling, and whether it is exact."""
    splits = math.comb(len(a) + len(b), len(a))
    exact = splits <= EXACT_LIMIT
    result = sp.permutation_test(
        (np.asarray(a, dtype=float), np.asarray(b, dtype=float)), _u_of_second,
        permutation_type="independent", vectorized=True, alternative="two-sided",
        n_resamples=EXACT_LIMIT if exact else MONTE_CARLO_RESAMPLES,
        rng=np.random.default_rng(SEED),
    )
    return min(1.0, float(result.pvalue)), exact


def median_difference_ci(a: Sequence[float], b: Sequence[float],
                         confidence: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of median B − median A (each arm resampled on its own)."""
    rng = np.random.default_rng(SEED)
    x = np.asarray(a, dtype=float)
    y = np.asarray(b, dtype=float)
    xs = rng.choice(x, size=(BOOTSTRAP_RESAMPLES, x.size), replace=True)
    ys = rng.choice(y, size=(BOOTSTRAP_RESAMPLES, y.size), replace=True)
    diffs = np.median(ys, axis=1) - np.median(xs, axis=1)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(diffs, [tail, 100 - tail])
    return float(low), float(high)


def needed_per_arm(delta: float | None, alpha: float = ALPHA, power: float = POWER) -> int | None:
    """Values per arm for a Mann–Whitney test to find a difference of this Cliff's delta with
    the given power (Noether 1987, equal arms): n = (z_{1−α/2} + z_{power})² / (6 (p − ½)²),
    with p = P(B > A) = (delta + 1) / 2. None when there is no difference to find."""
    if delta is None:
        return None
    shift = abs(delta) / 2  # p − ½
    if shift == 0:
        return None
    z = NormalDist().inv_cdf(1 - alpha / 2) + NormalDist().inv_cdf(power)
    return math.ceil(z * z / (6 * shift * shift))


def compare(a: Sequence[float], b: Sequence[float], min_n: int = 5,
            alpha: float = ALPHA) -> Comparison:
    """B against A: effect sizes, the permutation test and the verdict."""
    n_a, n_b = len(a), len(b)
    mean_a = float(np.mean(a)) if n_a else None
    mean_b = float(np.mean(b)) if n_b else None
    med_a = float(np.median(a)) if n_a else None
    med_b = float(np.median(b)) if n_b else None
    both = n_a > 0 and n_b > 0
    delta = cliffs_delta(a, b) if both else None
    median_diff = med_b - med_a if med_a is not None and med_b is not None else None
    g = hedges_g(a, b)
    if n_a < min_n or n_b < min_n:
        return Comparison(n_a, n_b, min_n, mean_a, mean_b, med_a, med_b, median_diff, None, g,
                          delta, u_statistic(a, b) if both else None, None, None, "",
                          NOT_ENOUGH, needed_per_arm(delta))
    p, method = mann_whitney(a, b)
    if p < alpha:
        verdict = B_HIGHER if (delta or 0) > 0 else A_HIGHER
    else:
        verdict = NO_CLEAR_DIFFERENCE
    return Comparison(n_a, n_b, min_n, mean_a, mean_b, med_a, med_b, median_diff,
                      median_difference_ci(a, b), g, delta, u_statistic(a, b), p,
                      method == "exact", method, verdict, needed_per_arm(delta))
