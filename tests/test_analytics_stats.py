"""The experiment statistics (keryx.analytics.stats) against values computed by hand and against
scipy's own exact Mann–Whitney distribution (a different algorithm: a recursion over U's
distribution, where ours enumerates the relabellings)."""

from __future__ import annotations

import math
import random

import pytest
from scipy.stats import mannwhitneyu

from keryx.analytics import stats


def test_complete_separation_of_five_and_five_has_the_smallest_exact_p():
    # Every B above every A: of the C(10, 5) = 252 relabellings, one gives U = 25 and one U = 0,
    # so the two-sided p is 2 / 252.
    a, b = [1, 2, 3, 4, 5], [6, 7, 8, 9, 10]
    result = stats.compare(a, b)
    assert result.u_statistic == 25
    assert result.p_value == pytest.approx(2 / 252)
    assert result.exact is True
    assert result.cliffs_delta == 1.0
    assert result.verdict == stats.B_HIGHER
    assert result.median_difference == 5.0
    # Hedges' g by hand: means 3 and 8, both variances 2.5, pooled SD √2.5; d = 5 / √2.5;
    # J = 1 − 3 / (4 · 10 − 9) = 28/31.
    assert result.hedges_g == pytest.approx(5 / math.sqrt(2.5) * 28 / 31)
    assert stats.compare(b, a).verdict == stats.A_HIGHER


def test_four_and_four_separated_is_significant_and_three_and_three_cannot_be():
    assert stats.mann_whitney_permutation([1, 2, 3, 4], [5, 6, 7, 8])[0] == \
        pytest.approx(2 / 70)
    # C(6, 3) = 20: the most extreme split is p = 0.1, never below 0.05.
    assert stats.mann_whitney_permutation([1, 2, 3], [4, 5, 6])[0] == pytest.approx(0.1)


def test_ties_use_mid_ranks_in_the_exact_permutation_distribution():
    # A = {1, 2}, B = {2, 3}. The 6 ways to pick B out of {1, 2, 2', 3} give U of B:
    # {1,2}: 0.5, {1,2'}: 0.5, {1,3}: 2, {2,2'}: 2, {2,3}: 3.5, {2',3}: 3.5.
    # Observed U = 3.5; P(U ≥ 3.5) = 2/6, P(U ≤ 3.5) = 1; two-sided = 2 × 1/3.
    p, exact = stats.mann_whitney_permutation([1, 2], [2, 3])
    assert exact is True
    assert p == pytest.approx(2 / 3)
    assert stats.u_statistic([1, 2], [2, 3]) == 3.5


def test_cliffs_delta_and_u_by_hand():
    # Pairs (a, b) over a = 1,2,3 and b = 2,3,4: b higher in 6, lower in 1 (b=2 < a=3),
    # tied in 2 (2=2, 3=3). Delta = (6 − 1) / 9; U = 6 + 2/2.
    assert stats.cliffs_delta([1, 2, 3], [2, 3, 4]) == pytest.approx(5 / 9)
    assert stats.u_statistic([1, 2, 3], [2, 3, 4]) == 7


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_exact_p_matches_scipys_exact_mann_whitney_without_ties(seed):
    rng = random.Random(seed)
    a = [rng.uniform(0, 5) for _ in range(rng.randint(5, 8))]
    b = [rng.uniform(1, 6) for _ in range(rng.randint(5, 8))]
    p, exact = stats.mann_whitney_permutation(a, b)
    assert exact is True
    reference = mannwhitneyu(b, a, alternative="two-sided", method="exact")
    assert p == pytest.approx(reference.pvalue, abs=1e-12)
    assert stats.u_statistic(a, b) == reference.statistic


def test_middle_samples_use_a_seeded_monte_carlo_close_to_the_exact_value():
    rng = random.Random(7)
    a = [rng.gauss(2.0, 1.0) for _ in range(15)]
    b = [rng.gauss(2.9, 1.0) for _ in range(15)]
    p, method = stats.mann_whitney(a, b)
    assert method == "monte_carlo"  # C(30, 15) splits: too many to enumerate
    reference = mannwhitneyu(b, a, alternative="two-sided", method="exact").pvalue
    # 10,000 resamples: the standard error at p ≈ 0.01–0.05 is at most about 0.0022.
    assert abs(p - reference) < 0.01
    assert stats.mann_whitney(a, b)[0] == p  # the same data, the same answer


def test_large_samples_use_the_normal_approximation_which_agrees_with_the_permutation():
    rng = random.Random(11)
    # Rounded, so there are ties for the tie correction to handle.
    a = [round(rng.gauss(2.0, 1.0), 1) for _ in range(40)]
    b = [round(rng.gauss(2.5, 1.0), 1) for _ in range(30)]
    p, method = stats.mann_whitney(a, b)
    assert method == "normal"
    permutation, exact = stats.mann_whitney_permutation(a, b)
    assert exact is False and abs(p - permutation) < 0.01


def test_noether_sample_size_by_hand():
    # delta 0.5 -> P(B > A) = 0.75; (1.95996 + 0.84162)² / (6 × 0.25²) = 20.93 -> 21 per arm.
    assert stats.needed_per_arm(0.5) == 21
    # delta 1 -> (2.80159)² / (6 × 0.5²) = 5.23 -> 6
    assert stats.needed_per_arm(1.0) == 6
    assert stats.needed_per_arm(0.0) is None
    assert stats.needed_per_arm(-0.5) == 21


def test_bootstrap_interval_holds_the_observed_difference_and_is_reproducible():
    a = [1.1, 2.3, 1.8, 2.9, 2.2, 1.5, 3.1]
    b = [2.8, 3.9, 3.1, 4.4, 2.5, 3.6, 4.1]
    low, high = stats.median_difference_ci(a, b)
    observed = 3.6 - 2.2
    assert low <= observed <= high
    assert low > 0  # every bootstrap median of B beats A's by this much at least
    assert stats.median_difference_ci(a, b) == (low, high)


def test_verdicts():
    few = stats.compare([1, 2, 3, 4], [5, 6, 7, 8, 9, 10])
    assert few.verdict == stats.NOT_ENOUGH and few.p_value is None
    assert few.needed_per_arm == 6  # delta 1 (complete separation)
    same = stats.compare([1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1])
    assert same.verdict == stats.NO_CLEAR_DIFFERENCE
    assert same.p_value == pytest.approx(1.0) and same.magnitude == "negligible"
    assert same.needed_per_arm is None  # no difference at all: no sample size finds it
    close = stats.compare([1, 2, 3, 4, 5, 6], [1.5, 2.5, 3.5, 4.5, 5.5, 6.5])
    assert close.verdict == stats.NO_CLEAR_DIFFERENCE and close.magnitude == "small"
    assert close.needed_per_arm > 6
    assert stats.compare([], [1, 2]).cliffs_delta is None
    assert stats.hedges_g([1, 1, 1], [1, 1, 1]) is None  # no spread: undefined, not a crash
