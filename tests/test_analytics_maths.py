"""The engagement maths against hand-computed cases (keryx.analytics.maths, no database)."""

from __future__ import annotations

from datetime import datetime

import pytest

from keryx.analytics import maths


def test_engagements_are_likes_comments_shares_saves() -> None:
    eng = maths.engagements({"likes": 10, "comments": 3, "shares": 2, "saves": 5, "quotes": 7})
    assert eng.value == 20  # quotes are not part of the seed's definition
    assert eng.formula == "likes+comments+shares+saves"
    assert eng.missing == ()


def test_a_missing_part_is_named_not_counted_as_zero() -> None:
    eng = maths.engagements({"likes": 4, "comments": 1, "shares": 0, "saves": None})
    assert eng.value == 5
    assert eng.formula == "likes+comments+shares"
    assert eng.missing == ("saves",)
    none = maths.engagements({})
    assert none.value is None and none.missing == maths.ENGAGEMENT_PARTS


def test_rate_by_followers_reach_impressions() -> None:
    eng = maths.engagements({"likes": 30, "comments": 6, "shares": 9, "saves": 5})  # 50
    by_followers = maths.engagement_rate(eng, 2000, "followers")
    assert by_followers.value == pytest.approx(2.5)  # 50 / 2000 × 100
    assert by_followers.formula == (
        "(likes+comments+shares+saves) / followers at publish time × 100")
    assert maths.engagement_rate(eng, 400, "reach").value == pytest.approx(12.5)
    assert maths.engagement_rate(eng, 1000, "impressions").value == pytest.approx(5.0)


def test_zero_or_unknown_denominator_gives_none_with_a_reason() -> None:
    eng = maths.engagements({"likes": 3, "comments": 0, "shares": 0, "saves": 0})
    zero = maths.engagement_rate(eng, 0, "followers")
    assert zero.value is None and "is 0" in zero.reason
    unknown = maths.engagement_rate(eng, None, "reach")
    assert unknown.value is None and unknown.reason == "no reach figure"
    empty = maths.engagement_rate(maths.engagements({}), 100, "followers")
    assert empty.value is None and "none of" in empty.reason


def test_overall_rate_is_the_average_of_the_posts_rates() -> None:
    eng = [maths.engagements({"likes": n, "comments": 0, "shares": 0, "saves": 0})
           for n in (10, 30, 5)]
    rates = [maths.engagement_rate(eng[0], 1000, "followers"),   # 1.0
             maths.engagement_rate(eng[1], 1000, "followers"),   # 3.0
             maths.engagement_rate(eng[2], 0, "followers")]      # None (0 followers)
    avg = maths.average_rate(rates)
    # (1.0 + 3.0) / 2, not 40 / 2000: the seed averages the posts' rates.
    assert avg.value == pytest.approx(2.0)
    assert avg.posts == 2 and avg.without_rate == 1
    assert avg.formula == "average over posts of (likes+comments+shares+saves) / followers at " \
                          "publish time × 100"


def test_an_average_never_mixes_formulas() -> None:
    with_saves = maths.engagement_rate(
        maths.engagements({"likes": 1, "comments": 1, "shares": 1, "saves": 1}), 100, "followers")
    without = maths.engagement_rate(
        maths.engagements({"likes": 2, "comments": 0, "shares": 0}), 100, "followers")
    avg = maths.average_rate([with_saves, without])
    assert avg.value is None and "differently" in avg.reason
    assert {(f.formula.split(")")[0], f.value, f.posts) for f in avg.by_formula} == {
        ("(likes+comments+shares+saves", 4.0, 1), ("(likes+comments+shares", 2.0, 1)}


def test_empty_period() -> None:
    avg = maths.average_rate([])
    assert avg.value is None and avg.reason == "no posts in the period"


def test_counts_that_go_down_give_no_negative_deltas() -> None:
    assert maths.positive_deltas([0, 5, 3, None, 8, 8]) == [5, 0, 5, 0]
    assert maths.positive_deltas([None, None]) == []


def test_follower_growth() -> None:
    growth = maths.follower_growth(200, 250)
    assert (growth.absolute, growth.percent) == (50, pytest.approx(25.0))
    down = maths.follower_growth(200, 150)
    assert (down.absolute, down.percent) == (-50, pytest.approx(-25.0))
    zero = maths.follower_growth(0, 10)
    assert zero.absolute == 10 and zero.percent is None and "0 followers" in zero.reason
    assert maths.follower_growth(None, 10).absolute is None


def test_best_times_heatmap_averages_rates_per_weekday_and_hour() -> None:
    def rate(value: float | None) -> maths.Rate:
        return maths.Rate(value, "(likes) / followers at publish time × 100")

    # 2026-12-07 is a Monday.
    items = [(datetime(2026, 12, 7, 9, 5), rate(2.0)), (datetime(2026, 12, 14, 9, 40), rate(4.0)),
             (datetime(2026, 12, 8, 18, 0), rate(1.0)), (datetime(2026, 12, 9, 7, 0), rate(None))]
    heat = maths.best_times(items)
    assert heat.cells[(0, 9)].average == pytest.approx(3.0)
    assert heat.cells[(0, 9)].posts == 2 and heat.cells[(0, 9)].thin
    assert heat.cells[(1, 18)].average == pytest.approx(1.0)
    assert (2, 7) not in heat.cells  # no rate, not counted as 0
    assert heat.posts == 3 and "too few" in heat.warning
    mixed = maths.best_times([(datetime(2026, 12, 7, 9), rate(1.0)),
                              (datetime(2026, 12, 7, 9), maths.Rate(1.0, "other"))])
    assert mixed.cells == {} and "differently" in mixed.warning


def test_suggestions_skip_thin_cells() -> None:
    def rate(value: float) -> maths.Rate:
        return maths.Rate(value, "f")

    monday_9 = [(datetime(2026, 12, 7, 9), rate(v)) for v in (2.0, 3.0, 4.0)]  # avg 3, 3 posts
    friday_18 = [(datetime(2026, 12, 11, 18), rate(v)) for v in (1.0, 1.0, 1.0)]
    lucky = [(datetime(2026, 12, 8, 7), rate(50.0))]  # one post: thin, never suggested
    cells = maths.suggestions(maths.best_times(monday_9 + friday_18 + lucky))
    assert [(c.weekday, c.hour, c.average) for c in cells] == [(0, 9, 3.0), (4, 18, 1.0)]
    assert maths.suggestions(maths.best_times(lucky)) == []


def test_combined_group_averages_are_the_mean_of_all_posts_rates() -> None:
    formula = maths.rate_formula(("likes", "comments", "shares"), "followers")
    # Channel A: 3 posts averaging 2 %; channel B: 1 post at 6 % → (3×2 + 6) / 4 = 3 %.
    avg = maths.combine([maths.FormulaAverage(formula, 2.0, 3, ("mastodon",)),
                         maths.FormulaAverage(formula, 6.0, 1, ("mastodon",))], without=2)
    assert avg.value == pytest.approx(3.0)
    assert avg.posts == 4 and avg.without_rate == 2
    assert avg.formula == f"average over posts of {formula}"
    assert avg.by_formula[0].networks == ("mastodon",)


def test_combined_averages_of_different_formulas_stay_apart_with_their_networks() -> None:
    mastodon = maths.rate_formula(("likes", "comments", "shares"), "followers")
    bluesky = maths.rate_formula(("likes", "comments", "shares", "saves"), "followers")
    avg = maths.combine([maths.FormulaAverage(mastodon, 2.0, 2, ("mastodon",)),
                         maths.FormulaAverage(bluesky, 5.0, 1, ("bluesky",))], without=0)
    assert avg.value is None and "differently" in avg.reason
    assert {(f.formula, f.value, f.posts, f.networks) for f in avg.by_formula} == {
        (mastodon, 2.0, 2, ("mastodon",)), (bluesky, 5.0, 1, ("bluesky",))}
    assert maths.combine([], without=3).reason == "no post in the period has a rate"
    assert maths.combine([], without=0).reason == "no posts in the period"


def test_daily_engagement_rate() -> None:
    parts = ("likes", "comments", "shares")
    day = maths.daily_rate(30, 1500, parts)  # 30 / 1500 × 100
    assert day.value == pytest.approx(2.0)
    assert day.formula == "new (likes+comments+shares) that day / followers that day × 100"
    assert maths.daily_rate(0, 1500, parts).value == 0.0  # a quiet day counts as 0 %
    zero = maths.daily_rate(5, 0, parts)
    assert zero.value is None and "is 0" in zero.reason
    unknown = maths.daily_rate(5, None, parts)
    assert unknown.value is None and unknown.reason == "no follower reading by that day"
    days = maths.average_rate([maths.daily_rate(4, 200, parts), maths.daily_rate(8, 400, parts),
                               maths.daily_rate(0, 400, parts)], over="days")
    assert days.value == pytest.approx(4 / 3)  # (2 + 2 + 0) / 3
    assert days.formula.startswith("average over days of new (likes+comments+shares)")


def test_gains_between_readings_never_go_negative() -> None:
    from keryx.analytics.rollup import gained, latest_fields

    before = {"likes": 5, "comments": 2, "shares": None, "saves": None}
    after = {"likes": 4, "comments": 5, "shares": 1, "saves": None}
    assert gained(before, after) == 0 + 3 + 1  # an unlike is not -1
    assert gained({}, {"likes": 3, "comments": 0}) == 3  # from 0 at publishing
    fields = latest_fields(after)
    assert fields["engagements"] == 10 and fields["engagement_parts"] == "likes+comments+shares"


def test_formula_names_and_reasons_in_greek() -> None:
    from django.utils import translation

    from keryx.analytics.labels import figure_text

    formula = maths.rate_formula(("likes", "comments", "shares"), "followers")
    with translation.override("el"):
        greek = figure_text(f"average over posts of {formula}")
        assert greek == ("μέσος όρος των αναρτήσεων: («Μου αρέσει»+σχόλια+κοινοποιήσεις) / "
                         "ακόλουθοι τη στιγμή της δημοσίευσης × 100")
        assert figure_text("no reach figure") == "κανένα στοιχείο για: προσέγγιση"
        assert figure_text("followers at publish time is 0: no rate can be computed") == (
            "ακόλουθοι τη στιγμή της δημοσίευσης: 0, δεν υπολογίζεται ποσοστό")
        assert figure_text("only 7 posts: too few to tell good times from chance").startswith(
            "μόνο 7 αναρτήσεις")
        assert figure_text(maths.daily_formula(("likes",))) == (
            "νέα («Μου αρέσει») εκείνη την ημέρα / ακόλουθοι εκείνη την ημέρα × 100")
    with translation.override("en"):
        assert figure_text("no reach figure") == "no reach figure"
