"""Editing a budget (web page, API PATCH), recurring monthly budgets (a status per month,
alerts once per budget and month) and alerts re-armed when a raised budget puts the spend
back under a threshold: permissions, workspace isolation, the CLI's JSON, Greek."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from keryx.approvals.models import Notification, NotificationKind
from keryx.planner.models import Campaign
from keryx.strategy import budgets
from keryx.strategy.models import Budget, BudgetAlert
from tests.api_support import Caller
from tests.support.analytics import today


@pytest.fixture(autouse=True)
def english():
    from django.utils import translation

    with translation.override("en"):
        yield


def _browser(user, language: str = "") -> Client:
    browser = Client()
    browser.force_login(user)
    if language:
        browser.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return browser


def _months_back(count: int) -> date:
    """The first day of the month `count` months before this one (in Athens, Acme's zone)."""
    month = today().replace(day=1)
    for _ in range(count):
        month = (month - timedelta(days=1)).replace(day=1)
    return month


def _alerts():
    return Notification.objects.filter(kind=NotificationKind.BUDGET_ALERT,
                                       user__email="alice@example.com")


def test_recurring_budget_has_a_status_per_month(people):
    first, previous, this = _months_back(2), _months_back(1), _months_back(0)
    budget = budgets.create_budget(people.acme, category="ads", amount="100", currency="EUR",
                                   month=first.isoformat()[:7], repeats_monthly=True)
    for day, amount in ((first, "90"), (previous, "30"), (this, "50"),
                        (_months_back(3), "999")):  # before its first month: not counted
        budgets.add_spend(people.acme, day=day, amount=amount, currency="EUR", category="ads")
    # Another category and another workspace do not count either.
    budgets.add_spend(people.acme, day=this, amount="40", currency="EUR", category="tools")
    budgets.add_spend(people.globex, day=this, amount="40", currency="EUR", category="ads")
    assert budgets.status(budget, month=first).spent == Decimal("90.00")
    second = budgets.status(budget, month=previous + timedelta(days=17))
    assert (second.spent, second.remaining, second.percent) == (
        Decimal("30.00"), Decimal("70.00"), Decimal("30.0"))
    current = budgets.status(budget)
    assert (current.month, current.spent, current.percent) == (this, Decimal("50.00"),
                                                               Decimal("50.0"))
    assert (current.first_day, current.last_day.month) == (this, this.month)
    past = budgets.history(budget, today())
    assert [(h.month, h.spent) for h in past] == [(previous, Decimal("30.00")),
                                                  (first, Decimal("90.00"))]
    # An end month: after it, the status is its last month's, and nothing after it counts.
    budgets.update_budget(budget, until_month=previous.isoformat()[:7])
    ended = budgets.status(budget)
    assert (ended.month, ended.spent) == (previous, Decimal("30.00"))
    row = ended.json_with_history(today())
    assert (row["repeats_monthly"], row["until_month"], row["period_month"]) == (
        True, previous.strftime("%Y-%m"), previous.strftime("%Y-%m"))
    assert row["history"] == [{"month": first.strftime("%Y-%m"), "spent": "90.00",
                               "amount": "100.00", "remaining": "10.00", "percent": 90.0}]


def test_recurring_and_edit_refusals_name_the_field(people):
    campaign = Campaign.objects.create(workspace=people.acme, name="Launch")
    for kwargs, field in (({"month": None, "campaign": campaign.pk, "repeats_monthly": True},
                           "month"),
                          ({"until_month": "2026-12"}, "until_month"),
                          ({"repeats_monthly": True, "until_month": "2026-10"}, "until_month"),
                          ({"repeats_monthly": True, "until_month": "2026-13"}, "until_month"),
                          ({"repeats_monthly": True, "until_month": "0000-01"}, "until_month")):
        args = {"category": "ads", "amount": "10", "currency": "EUR",
                "month": "2026-11"} | kwargs
        with pytest.raises(budgets.BudgetError) as exc:
            budgets.create_budget(people.acme, **args)
        assert exc.value.field == field, kwargs
    assert not Budget.objects.exists()
    # The first month there is: no month before it to show, nothing breaks.
    oldest = budgets.create_budget(people.acme, category="ads", amount="10", currency="EUR",
                                   month="0001-01", repeats_monthly=True,
                                   until_month="0001-01")
    assert budgets.history(oldest, today()) == []
    assert budgets.status(oldest).month == date(1, 1, 1)
    long_ago = budgets.create_budget(people.acme, category="ads", amount="10", currency="EUR",
                                     month="2001-01", repeats_monthly=True)
    assert len(budgets.history(long_ago, today())) == budgets.HISTORY_MONTHS


def test_recurring_budget_alerts_once_per_month(people):
    previous, this = _months_back(1), _months_back(0)
    budget = budgets.create_budget(people.acme, category="ads", amount="100", currency="EUR",
                                   month=previous, repeats_monthly=True)
    budgets.add_spend(people.acme, day=previous, amount="80", currency="EUR", category="ads")
    assert _alerts().count() == 1 and previous.strftime("%Y-%m") in _alerts().get().detail
    budgets.add_spend(people.acme, day=previous, amount="5", currency="EUR", category="ads")
    budgets.check_alerts(people.acme)
    assert _alerts().count() == 1  # once in that month
    # This month starts again from nothing: its own 80 %.
    budgets.add_spend(people.acme, day=this, amount="79.99", currency="EUR", category="ads")
    assert _alerts().count() == 1
    budgets.add_spend(people.acme, day=this, amount="0.01", currency="EUR", category="ads")
    assert _alerts().count() == 2
    budgets.add_spend(people.acme, day=this, amount="20", currency="EUR", category="ads")
    budgets.check_alerts(people.acme)
    assert sorted(BudgetAlert.objects.filter(budget=budget)
                  .values_list("period", "threshold")) == [
        (previous.strftime("%Y-%m"), 80), (this.strftime("%Y-%m"), 80),
        (this.strftime("%Y-%m"), 100)]
    assert _alerts().count() == 3
    assert budgets.status(budget).json()["alerts_sent"] == [80, 100]
    assert budgets.status(budget, month=previous).json()["alerts_sent"] == [80]


def test_raised_budget_rearms_its_alerts(people):
    month = _months_back(0)
    budget = budgets.create_budget(people.acme, category="ads", amount="100", currency="EUR",
                                   month=month)
    budgets.add_spend(people.acme, day=month, amount="105", currency="EUR", category="ads")
    assert _alerts().count() == 2  # 80 % and 100 %
    # Raised to 125: 84 % — under 100 % again (re-armed), still over 80 % (stays sent).
    budgets.update_budget(budget, amount="125")
    assert list(BudgetAlert.objects.filter(budget=budget).values_list("threshold", flat=True)
                ) == [80]
    assert _alerts().count() == 2  # re-arming sends nothing
    budgets.add_spend(people.acme, day=month, amount="5", currency="EUR", category="ads")
    assert _alerts().count() == 2  # 88 %: not crossed again
    budgets.add_spend(people.acme, day=month, amount="15", currency="EUR", category="ads")
    assert _alerts().count() == 3 and "≥ 100%" in _alerts().order_by("-pk").first().detail
    # Lowered: nothing re-armed, nothing sent twice.
    budgets.update_budget(budget, amount="50")
    assert _alerts().count() == 3
    # Raised far above: both re-armed; each fires once more when crossed again.
    budgets.update_budget(budget, amount="1000")
    assert not BudgetAlert.objects.filter(budget=budget).exists()
    budgets.add_spend(people.acme, day=month, amount="700", currency="EUR", category="ads")
    assert _alerts().count() == 4  # 825 of 1000: the 80 % again
    budgets.check_alerts(people.acme)
    assert _alerts().count() == 4


def test_raise_rearms_only_the_months_back_under(people):
    previous, this = _months_back(1), _months_back(0)
    budget = budgets.create_budget(people.acme, category="ads", amount="100", currency="EUR",
                                   month=previous, repeats_monthly=True)
    budgets.add_spend(people.acme, day=previous, amount="150", currency="EUR", category="ads")
    budgets.add_spend(people.acme, day=this, amount="85", currency="EUR", category="ads")
    assert _alerts().count() == 3
    budgets.update_budget(budget, amount="160")  # previous 93.75 %, this 53 %
    assert sorted(BudgetAlert.objects.filter(budget=budget)
                  .values_list("period", "threshold")) == [(previous.strftime("%Y-%m"), 80)]
    budgets.add_spend(people.acme, day=this, amount="50", currency="EUR", category="ads")
    assert _alerts().count() == 4  # this month crossed 80 % again (135 of 160)


def test_edit_on_the_web_page(people):
    campaign = Campaign.objects.create(workspace=people.acme, name="Launch")
    budget = budgets.create_budget(people.acme, category="ads", amount="100", currency="EUR",
                                   month="2026-11", note="<i>old</i>")
    alice = _browser(people.alice)
    url = reverse("strategy:budget_edit", args=[budget.pk])
    page = alice.get(reverse("strategy:budgets")).content.decode()
    assert f'href="{url}"' in page
    form = alice.get(url)
    assert form.status_code == 200
    html = form.content.decode()
    assert 'value="100.00"' in html and 'value="2026-11"' in html
    assert "&lt;i&gt;old&lt;/i&gt;" in html  # the note is escaped in the form too
    changed = alice.post(url, {"category": "tools", "amount": "249,90", "currency": "usd",
                               "month": "2026-10", "campaign": str(campaign.pk),
                               "note": "new", "repeats_monthly": "on",
                               "until_month": "2027-03"})
    assert changed.status_code == 302
    budget.refresh_from_db()
    assert (budget.category, budget.amount, budget.currency, budget.month, budget.campaign,
            budget.note, budget.repeats_monthly, budget.until_month) == (
        "tools", Decimal("249.90"), "USD", date(2026, 10, 1), campaign, "new", True,
        date(2027, 3, 1))
    # Unchecked, the campaign emptied, the end month removed: all three change.
    assert alice.post(url, {"category": "tools", "amount": "249.90", "currency": "USD",
                            "month": "2026-10", "campaign": "", "note": ""}).status_code == 302
    budget.refresh_from_db()
    assert (budget.repeats_monthly, budget.until_month, budget.campaign) == (False, None, None)
    # Refused: the form again, as sent, with the field named; nothing saved.
    bad = alice.post(url, {"category": "tools", "amount": "12.345", "currency": "USD",
                           "month": "2026-10"})
    assert bad.status_code == 400
    html = bad.content.decode()
    assert "<strong>Amount</strong>: The amount has more than two decimals." in html
    assert 'value="12.345"' in html and 'class="error field-error"' in html
    bad = alice.post(url, {"category": "tools", "amount": "1", "currency": "USD",
                           "month": "2026-10", "until_month": "2026-12"})
    assert bad.status_code == 400
    assert "<strong>Last month</strong>: A last month is only for" in bad.content.decode()
    bad = alice.post(url, {"category": "tools", "amount": "1", "currency": "USD", "month": ""})
    assert bad.status_code == 400 and "<strong>Month</strong>:" in bad.content.decode()
    other = Campaign.objects.create(workspace=people.globex, name="Theirs")
    bad = alice.post(url, {"category": "tools", "amount": "1", "currency": "USD",
                           "month": "2026-10", "campaign": str(other.pk)})
    assert bad.status_code == 400 and "No such campaign" in bad.content.decode()
    budget.refresh_from_db()
    assert (budget.amount, budget.month, budget.campaign) == (Decimal("249.90"),
                                                              date(2026, 10, 1), None)


def test_edit_permissions_and_isolation(people):
    budget = budgets.create_budget(people.acme, category="ads", amount="100", currency="EUR",
                                   month="2026-11")
    url = reverse("strategy:budget_edit", args=[budget.pk])
    sent = {"category": "ads", "amount": "1", "currency": "EUR", "month": "2026-11"}
    viewer = _browser(people.charlie)
    assert viewer.get(url).status_code == 403
    assert viewer.post(url, sent).status_code == 403
    assert 'strategy:budget_edit' not in viewer.get(reverse("strategy:budgets")).content.decode()
    assert reverse("strategy:budget_edit", args=[budget.pk]) not in viewer.get(
        reverse("strategy:budgets")).content.decode()
    outsider = _browser(people.bob)
    assert outsider.get(url).status_code == 404
    assert outsider.post(url, sent).status_code == 404
    budget.refresh_from_db()
    assert budget.amount == Decimal("100.00")
    # The API: the viewer may not change it, another workspace does not find it.
    ws = people.acme.pk
    assert Caller(people.charlie).patch(f"/strategy/budgets/{budget.pk}", {
        "workspace": ws, "amount": "1"}).status_code == 403
    assert Caller(people.bob).patch(f"/strategy/budgets/{budget.pk}", {
        "amount": "1"}).status_code == 404
    budget.refresh_from_db()
    assert budget.amount == Decimal("100.00")


def test_page_shows_this_month_and_the_months_before(people):
    first, previous, this = _months_back(2), _months_back(1), _months_back(0)
    budgets.create_budget(people.acme, category="ads", amount="200", currency="EUR",
                          month=first, repeats_monthly=True, note="monthly")
    budgets.add_spend(people.acme, day=previous, amount="150", currency="EUR", category="ads")
    budgets.add_spend(people.acme, day=this, amount="20", currency="EUR", category="ads")
    html = _browser(people.charlie).get(reverse("strategy:budgets")).content.decode()
    assert "Every month from" in html and "Previous months" in html
    assert html.count('class="history-row"') == 2
    assert "150.00 EUR" in html and 'value="10"' in html  # this month: 20 of 200
    greek = _browser(people.alice, "el").get(reverse("strategy:budgets")).content.decode()
    assert "Κάθε μήνα από" in greek and "Προηγούμενοι μήνες" in greek


def test_edit_page_in_greek(people):
    budget = budgets.create_budget(people.acme, category="ads", amount="100", currency="EUR",
                                   month="2026-11")
    alice = _browser(people.alice, "el")
    url = reverse("strategy:budget_edit", args=[budget.pk])
    html = alice.get(url).content.decode()
    assert "Επεξεργασία του προϋπολογισμού" in html and "Κάθε μήνα" in html
    bad = alice.post(url, {"category": "ads", "amount": "1", "currency": "EUR",
                           "month": "2026-11", "repeats_monthly": "on",
                           "until_month": "2026-01"}).content.decode()
    assert "Τελευταίος μήνας" in bad and "πριν από τον πρώτο μήνα" in bad


def test_api_patch_and_cli_show_the_new_fields(people):
    alice, ws = Caller(people.alice), people.acme.pk
    made = alice.post("/strategy/budgets", {"workspace": ws, "category": "ads",
                                            "amount": "100", "currency": "EUR",
                                            "month": _months_back(1).strftime("%Y-%m"),
                                            "repeats_monthly": True})
    assert made.status_code == 201, made.content
    row = made.json()
    assert (row["repeats_monthly"], row["period_month"]) == (True,
                                                            _months_back(0).strftime("%Y-%m"))
    assert [h["month"] for h in row["history"]] == [_months_back(1).strftime("%Y-%m")]
    budget_id = row["id"]
    path = f"/strategy/budgets/{budget_id}?workspace={ws}"
    changed = alice.patch(path, {"until_month": "2030-12", "amount": "80"})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["until_month"], changed.json()["amount"]) == ("2030-12", "80.00")
    refused = alice.patch(path, {"until_month": "1999-01"})
    assert refused.status_code == 422
    assert refused.json()["error"]["details"]["field"] == "until_month"
    # null clears the end month; the other fields are left as they were.
    cleared = alice.patch(path, {"until_month": None, "note": None})
    assert cleared.status_code == 200
    assert (cleared.json()["until_month"], cleared.json()["amount"]) == (None, "80.00")
    assert alice.patch(path, {"repeats_monthly": False}).json()["repeats_monthly"] is False
    out = io.StringIO()
    call_command("budgets", "add", "--category", "tools", "--amount", "20", "--currency",
                 "EUR", "--month", _months_back(2).strftime("%Y-%m"), "--every-month",
                 "--until-month", _months_back(1).strftime("%Y-%m"), "--json",
                 "--user", "alice@example.com", "--workspace", str(ws), stdout=out)
    assert json.loads(out.getvalue())["until_month"] == _months_back(1).strftime("%Y-%m")
    out = io.StringIO()
    call_command("budgets", "list", "--json", "--user", "alice@example.com", "--workspace",
                 str(ws), stdout=out)
    rows = {r["category"]: r for r in json.loads(out.getvalue())}
    assert (rows["ads"]["repeats_monthly"], rows["ads"]["until_month"]) == (False, None)
    tools = rows["tools"]
    assert (tools["repeats_monthly"], tools["period_month"]) == (
        True, _months_back(1).strftime("%Y-%m"))
    assert [h["month"] for h in tools["history"]] == [_months_back(2).strftime("%Y-%m")]
    out = io.StringIO()
    call_command("budgets", "list", "--user", "alice@example.com", "--workspace", str(ws),
                 stdout=out)
    assert "(every month)" in out.getvalue()


def test_add_form_takes_every_month_and_names_a_refused_field(people):
    alice = _browser(people.alice)
    made = alice.post(reverse("strategy:budget_add"), {
        "category": "ads", "month": "2026-09", "amount": "50", "currency": "EUR",
        "repeats_monthly": "on", "until_month": "2026-12"})
    assert made.status_code == 302
    budget = Budget.objects.get(workspace=people.acme)
    assert (budget.repeats_monthly, budget.until_month) == (True, date(2026, 12, 1))
    refused = alice.post(reverse("strategy:budget_add"), {
        "category": "ads", "month": "2026-09", "amount": "50", "currency": "EUR",
        "repeats_monthly": "on", "until_month": "2026-13"})
    assert refused.status_code == 400
    assert "<strong>Last month</strong>: The month must be written YYYY-MM." in \
        refused.content.decode()
    assert Budget.objects.filter(workspace=people.acme).count() == 1
