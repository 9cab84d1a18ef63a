"""Budgets, spend and cost per result on real rows: status per currency (never converted),
alerts at 80 % and 100 % sent once per threshold to the people who manage the strategy, a
budget period with no spend, and cost per like / engagement / click / follower computed from
known analytics figures, with None where the denominator is 0 or unknown."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from keryx.analytics.models import ChannelSnapshot
from keryx.approvals.models import Notification, NotificationKind
from keryx.approvals.notifications import notification_text
from keryx.channels.models import Channel
from keryx.core.models import Membership, Role
from keryx.planner.models import Campaign
from keryx.publishing.models import Post
from keryx.strategy import budgets, costs, results
from keryx.strategy.models import BudgetAlert, SpendEntry
from tests.support.analytics import ATHENS, published, today


@pytest.fixture(autouse=True)
def english():
    from django.utils import translation

    with translation.override("en"):
        yield


def _month():
    return today().replace(day=1)


def test_status_per_currency_and_a_period_without_spend(people):
    budget = budgets.create_budget(people.acme, category="ads", amount="1000", currency="eur",
                                   month=_month().isoformat()[:7], user=people.alice)
    empty = budgets.status(budget)
    assert (empty.spent, empty.remaining, empty.percent) == (Decimal("0.00"),
                                                             Decimal("1000.00"), Decimal("0.0"))
    budgets.add_spend(people.acme, day=_month(), amount="250,50", currency="EUR",
                      category="ads")
    budgets.add_spend(people.acme, day=_month(), amount="99", currency="USD", category="ads")
    # Other category, other month, other workspace: not this budget's.
    budgets.add_spend(people.acme, day=_month(), amount="500", currency="EUR",
                      category="tools")
    budgets.add_spend(people.acme, day=_month() - timedelta(days=1), amount="500",
                      currency="EUR", category="ads")
    budgets.add_spend(people.globex, day=_month(), amount="500", currency="EUR",
                      category="ads")
    found = budgets.status(budget)
    assert (found.spent, found.remaining, found.percent) == (
        Decimal("250.50"), Decimal("749.50"), Decimal("25.1"))
    assert found.other_currencies == {"USD": Decimal("99.00")}
    assert found.json()["other_currencies"] == {"USD": "99.00"}


def test_bad_budget_input_is_refused(people):
    for kwargs, field in (({"amount": "-3"}, "amount"), ({"amount": "abc"}, "amount"),
                          ({"amount": "1.234"}, "amount"), ({"currency": "euro"}, "currency"),
                          ({"month": "2026-13"}, "month"), ({"month": None}, "month"),
                          ({"category": "snacks"}, "category")):
        args = {"category": "ads", "amount": "10", "currency": "EUR", "month": "2026-12"} | kwargs
        with pytest.raises(budgets.BudgetError) as exc:
            budgets.create_budget(people.acme, **args)
        assert exc.value.field == field
    other = Campaign.objects.create(workspace=people.globex, name="Theirs")
    with pytest.raises(budgets.BudgetError, match="No such campaign"):
        budgets.create_budget(people.acme, category="ads", amount="10", currency="EUR",
                              campaign=other.pk)


def test_alerts_at_80_and_100_percent_once(people):
    editor = Membership.objects.get(workspace=people.acme, user=people.charlie)
    editor.role = Role.EDITOR
    editor.save()
    viewer_user = type(people.alice).objects.create_user("v@example.com", "v@example.com", "x")
    Membership.objects.create(workspace=people.acme, user=viewer_user, role=Role.VIEWER)
    budget = budgets.create_budget(people.acme, category="ads", amount="100", currency="EUR",
                                   month=_month())
    budgets.add_spend(people.acme, day=_month(), amount="79.99", currency="EUR",
                      category="ads")
    assert not Notification.objects.exists()
    budgets.add_spend(people.acme, day=_month(), amount="0.01", currency="EUR",
                      category="ads")
    alerts = Notification.objects.filter(kind=NotificationKind.BUDGET_ALERT)
    # The owner and the editor manage the strategy; the viewer is not told.
    assert sorted(alerts.values_list("user__email", flat=True)) == [
        "alice@example.com", "charlie@example.com"]
    assert "80.0%" in alerts.first().detail and "≥ 80%" in alerts.first().detail
    assert "A budget passed a threshold" in notification_text(alerts.first())
    from django.test import Client
    from django.urls import reverse

    browser = Client()
    browser.force_login(people.charlie)
    bell = browser.get(reverse("approvals:notifications")).content.decode()
    assert f'href="{reverse("strategy:budgets")}"' in bell and "threshold" in bell
    budgets.add_spend(people.acme, day=_month(), amount="5", currency="EUR", category="ads")
    budgets.check_alerts(people.acme)
    assert alerts.count() == 2  # 85 %: nothing new
    budgets.add_spend(people.acme, day=_month(), amount="20", currency="USD", category="ads")
    assert alerts.count() == 2  # another currency does not count towards it
    budgets.add_spend(people.acme, day=_month(), amount="15", currency="EUR", category="ads")
    assert alerts.count() == 4
    assert sorted(BudgetAlert.objects.filter(budget=budget)
                  .values_list("threshold", flat=True)) == [80, 100]
    budgets.add_spend(people.acme, day=_month(), amount="50", currency="EUR", category="ads")
    budgets.update_budget(budget, amount="120")
    assert alerts.count() == 4  # once per threshold, whatever comes after


def test_campaign_budget_counts_only_the_campaigns_spend(people):
    launch = Campaign.objects.create(workspace=people.acme, name="Launch")
    budget = budgets.create_budget(people.acme, category="influencers", amount="400",
                                   currency="EUR", campaign=launch.pk)
    budgets.add_spend(people.acme, day=today(), amount="300", currency="EUR",
                      category="influencers", campaign=launch.pk)
    budgets.add_spend(people.acme, day=today(), amount="300", currency="EUR",
                      category="influencers")
    assert budgets.status(budget).spent == Decimal("300.00")
    assert budgets.status(budget).percent == Decimal("75.0")


@pytest.fixture
def figures(people):
    """Known analytics: two posts (30 likes; 20 likes and 5 comments) in the campaign, one
    outside it (10 likes), followers 1000 → 1025 over the period."""
    toot = Channel.objects.create(workspace=people.acme, network="mastodon", name="Toot")
    start = today() - timedelta(days=6)
    ChannelSnapshot.objects.create(channel=toot, workspace=people.acme, followers=1000,
                                   taken_at=datetime.combine(start, time(0, 30), ATHENS))
    ChannelSnapshot.objects.create(channel=toot, workspace=people.acme, followers=1025,
                                   # Early today, but never in the future (a run just
                                   # after midnight in Athens).
                                   taken_at=min(datetime.combine(today(), time(0, 10), ATHENS),
                                                timezone.now()))
    launch = Campaign.objects.create(workspace=people.acme, name="Launch")
    for day, likes, extra in ((start, 30, {}), (start + timedelta(days=1), 20, {"comments": 5}),
                              (start + timedelta(days=2), 10, {})):
        tracked = published(toot, day, likes, **extra)
        if likes != 10:
            Post.objects.filter(pk=tracked.target.post_id).update(campaign=launch)
    budgets.add_spend(people.acme, day=start, amount="100", currency="EUR", category="ads",
                      campaign=launch.pk)
    budgets.add_spend(people.acme, day=start, amount="20", currency="EUR", category="tools")
    budgets.add_spend(people.acme, day=start, amount="13", currency="USD", category="ads")
    return start, launch


def _by_figure(item):
    return {f["figure"]: f for f in item["figures"]}


def test_cost_per_result_from_known_figures(people, figures):
    start, launch = figures
    eur, usd = costs.cost_per_result(people.acme, start=start, end=today())
    assert (eur["currency"], eur["spend"], usd["currency"], usd["spend"]) == (
        "EUR", Decimal("120.00"), "USD", Decimal("13.00"))
    got = _by_figure(eur)
    assert got["cost_per_like"]["value"] == Decimal("2.00")  # 120 ÷ 60 likes
    assert got["cost_per_like"]["denominator"] == 60
    assert got["cost_per_engagement"]["value"] == Decimal("1.85")  # 120 ÷ 65
    assert got["cost_per_follower"]["value"] == Decimal("4.80")  # 120 ÷ 25
    # Mastodon reports no clicks and no ad manager results were entered: unknown, not 0.
    assert got["cost_per_click"]["value"] is None and got["cost_per_click"]["denominator"] is None
    assert got["cost_per_ad_result"]["value"] is None
    assert "spend ÷ likes" in got["cost_per_like"]["formula"]
    assert _by_figure(usd)["cost_per_like"]["value"] == Decimal("0.2167")  # 13 ÷ 60
    [campaign] = costs.cost_per_result(people.acme, campaign=launch, start=start, end=today())
    got = _by_figure(campaign)
    assert campaign["spend"] == Decimal("100.00")
    assert got["cost_per_like"]["value"] == Decimal("2.00")  # 100 ÷ 50 likes on its posts
    assert got["cost_per_engagement"]["value"] == Decimal("1.82")  # 100 ÷ 55
    assert "not attributed to a campaign" in got["cost_per_follower"]["formula"]


def test_no_spend_no_costs_and_zero_denominators(people):
    assert costs.cost_per_result(people.acme, start=today(), end=today()) == []
    budgets.add_spend(people.acme, day=today(), amount="10", currency="EUR", category="ads",
                      results="0")
    [item] = costs.cost_per_result(people.acme, start=today(), end=today())
    assert all(f["value"] is None for f in item["figures"])
    assert _by_figure(item)["cost_per_ad_result"]["denominator"] == 0


def test_results_page_shows_the_costs(people, figures):
    found = results.results(people.acme)
    assert not found["no_spend"]
    assert any(text.startswith("120.00 EUR: per like 2.00") for text in found["costs"])
    [campaign] = [c for c in found["campaigns"] if c["campaign"] == "Launch"]
    assert campaign["costs"] and "per like 2.00" in campaign["costs"][0]
    assert SpendEntry.objects.filter(workspace=people.acme).count() == 3
