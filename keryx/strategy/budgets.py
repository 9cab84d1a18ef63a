"""Budgets and spend: create, change and delete budgets, add spend by hand, each budget's
status (spent, remaining, % — per currency, never converted), and the alerts at 80 % and 100 %.

A budget's period: its month; a campaign budget without a month: the campaign's dates (all
time when it has none). Spend counts towards a budget when it is in the workspace, the
budget's category and period, and (a campaign budget) linked to the campaign. Spend in another
currency than the budget's is listed beside it, not added: there is no conversion.

A recurring budget ("every month") is one rule evaluated per month: each month from its start
month to its last month (open when none) is a period of its own, with its own status and its
own alerts (BudgetAlert.period is the month). Its status is this month's; `history` gives the
months before. When a change puts the spend back under a threshold (a raised amount), the
alert rows of that threshold are deleted, so it fires again when the spend crosses it again."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from keryx.approvals.models import NotificationKind
from keryx.approvals.notifications import notify
from keryx.core.models import Membership, Workspace
from keryx.core.permissions import Action, can
from keryx.planner.models import Campaign
from keryx.strategy.models import Budget, BudgetAlert, Category, Source, SpendEntry

THRESHOLDS = (80, 100)
CENTS = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999999.99")
PERCENT_FORMULA = "spent in the budget's currency ÷ budget × 100"
HISTORY_MONTHS = 12


class BudgetError(ValueError):
    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message, self.field = message, field


def amount_of(value: Any, field: str = "amount") -> Decimal:
    """A positive amount of money with at most two decimals ("12,50" is 12.50)."""
    text = str(value).strip().replace(" ", "")
    if re.fullmatch(r"\d+,\d{1,2}", text):
        text = text.replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        raise BudgetError(_("The amount must be a number, like 250.00."), field) from exc
    if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT:
        raise BudgetError(_("The amount must be zero or more."), field)
    if amount != amount.quantize(Decimal("0.01")):
        raise BudgetError(_("The amount has more than two decimals."), field)
    return amount.quantize(Decimal("0.01"))


def currency_of(value: Any) -> str:
    code = str(value or "").strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise BudgetError(_("The currency must be a three-letter ISO code, like EUR."),
                          "currency")
    return code


def _category(value: Any) -> str:
    if value not in Category.values:
        raise BudgetError(_("Unknown category."), "category")
    return str(value)


def _month(value: Any, field: str = "month") -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value.replace(day=1)
    match = re.fullmatch(r"(\d{4})-(\d{1,2})(?:-\d{1,2})?", str(value).strip())
    if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1:
        raise BudgetError(_("The month must be written YYYY-MM."), field)
    return date(int(match[1]), int(match[2]), 1)


def _flag(value: Any) -> bool:
    """A form's checkbox ("on"), the API's boolean, the CLI's word."""
    return value is True or str(value).strip().lower() in ("1", "true", "on", "yes")


def _check_shape(budget: Budget) -> None:
    if budget.month is None and budget.campaign_id is None:
        raise BudgetError(_("A budget is for a month, a campaign, or both."), "month")
    if budget.repeats_monthly and budget.month is None:
        raise BudgetError(_("A budget repeated every month needs its first month."), "month")
    if budget.until_month is not None and not budget.repeats_monthly:
        raise BudgetError(_("A last month is only for a budget repeated every month."),
                          "until_month")
    if budget.until_month is not None and budget.month and budget.until_month < budget.month:
        raise BudgetError(_("The last month is before the first month."), "until_month")


def _campaign(workspace: Workspace, value: Any) -> Campaign | None:
    if value in (None, ""):
        return None
    if isinstance(value, Campaign):
        if value.workspace_id != workspace.pk:
            raise BudgetError(_("No such campaign in this workspace."), "campaign")
        return value
    found = Campaign.objects.filter(workspace=workspace, pk=int(value)).first() \
        if str(value).isdecimal() else None
    if found is None:
        raise BudgetError(_("No such campaign in this workspace."), "campaign")
    return found


def create_budget(workspace: Workspace, *, category: str, amount: Any, currency: str,
                  month: Any = None, campaign: Any = None, note: str = "",
                  repeats_monthly: Any = False, until_month: Any = None,
                  user: Any = None) -> Budget:
    budget = Budget(
        workspace=workspace, category=_category(category), amount=amount_of(amount),
        currency=currency_of(currency), month=_month(month),
        campaign=_campaign(workspace, campaign), note=str(note)[:300],
        repeats_monthly=_flag(repeats_monthly),
        until_month=_month(until_month, "until_month"), created_by=user)
    _check_shape(budget)
    budget.save()
    check_alerts(workspace, [budget])
    return budget


def update_budget(budget: Budget, **changes: Any) -> Budget:
    """Change amount, currency, category, month, campaign, note, every month or the last
    month. An alert whose threshold the spend is now under (a raised amount) is re-armed: it
    is sent again when the spend crosses it again; the others stay sent."""
    if "amount" in changes:
        budget.amount = amount_of(changes["amount"])
    if "currency" in changes:
        budget.currency = currency_of(changes["currency"])
    if "category" in changes:
        budget.category = _category(changes["category"])
    if "month" in changes:
        budget.month = _month(changes["month"])
    if "campaign" in changes:
        budget.campaign = _campaign(budget.workspace, changes["campaign"])
    if "note" in changes:
        budget.note = str(changes["note"] or "")[:300]
    if "repeats_monthly" in changes:
        budget.repeats_monthly = _flag(changes["repeats_monthly"])
    if "until_month" in changes:
        budget.until_month = _month(changes["until_month"], "until_month")
    _check_shape(budget)
    with transaction.atomic():
        budget.save()
        _rearm(budget)
    check_alerts(budget.workspace, [budget])
    return budget


def _period_key(month: date | None) -> str:
    return month.strftime("%Y-%m") if month else ""


def _rearm(budget: Budget) -> None:
    """Delete the alert rows whose threshold the spend is under now: the claim is given back."""
    # The budget may carry prefetched alerts: read them fresh, and drop the stale cache.
    getattr(budget, "_prefetched_objects_cache", {}).pop("alerts", None)
    if not budget.amount:
        return
    for alert in BudgetAlert.objects.filter(budget=budget):
        if bool(alert.period) != budget.repeats_monthly:
            alert.delete()  # made when it was (or was not) recurring: another period
            continue
        found = status(budget, month=_month(alert.period) if alert.period else None)
        if found.spent * 100 < budget.amount * alert.threshold:
            alert.delete()


def delete_budget(budget: Budget) -> None:
    budget.delete()


def add_spend(workspace: Workspace, *, day: Any, amount: Any, currency: str, category: str,
              campaign: Any = None, results: Any = None, note: str = "",
              user: Any = None) -> SpendEntry:
    """Spend entered by hand (no fingerprint: two equal entries are two payments)."""
    if isinstance(day, date):
        when = day
    else:
        try:
            when = date.fromisoformat(str(day).strip())
        except ValueError as exc:
            raise BudgetError(_("The date must be written YYYY-MM-DD."), "date") from exc
    count = None
    if results not in (None, ""):
        if not str(results).strip().isdecimal():
            raise BudgetError(_("Results must be a whole number."), "results")
        count = int(str(results).strip())
    linked = _campaign(workspace, campaign)
    entry = SpendEntry.objects.create(
        workspace=workspace, date=when, amount=amount_of(amount),
        currency=currency_of(currency), category=_category(category), campaign=linked,
        campaign_name_as_imported=linked.name if linked else "", results=count,
        source=Source.MANUAL, note=str(note)[:300], created_by=user)
    check_alerts(workspace)
    return entry


def today_in(workspace: Workspace) -> date:
    """Today in the workspace's time zone: which month is "this month"."""
    return timezone.now().astimezone(ZoneInfo(workspace.timezone or "UTC")).date()


def _add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def current_month(budget: Budget, today: date) -> date | None:
    """A recurring budget's month shown as its status: this month, or its first or last
    month when this month is outside them. None for a budget with a single period."""
    if not budget.repeats_monthly or budget.month is None:
        return None
    month = max(today.replace(day=1), budget.month)
    return min(month, budget.until_month) if budget.until_month else month


def period_of(budget: Budget, month: date | None = None) -> tuple[date | None, date | None]:
    """The budget's first and last day (None: open); a recurring budget's: `month`'s."""
    start = month if budget.repeats_monthly and month else budget.month
    if start is not None:
        last = calendar.monthrange(start.year, start.month)[1]
        return start, start.replace(day=last)
    campaign = budget.campaign
    return (campaign.starts_on, campaign.ends_on) if campaign else (None, None)


def _spend_in_scope(budget: Budget) -> QuerySet[SpendEntry]:
    qs = SpendEntry.objects.filter(workspace_id=budget.workspace_id, category=budget.category)
    if budget.campaign_id:
        qs = qs.filter(campaign_id=budget.campaign_id)
    return qs


def spend_of(budget: Budget, month: date | None = None) -> QuerySet[SpendEntry]:
    first, last = period_of(budget, month)
    qs = _spend_in_scope(budget)
    if first:
        qs = qs.filter(date__gte=first)
    if last:
        qs = qs.filter(date__lte=last)
    return qs


def totals(qs: QuerySet[SpendEntry]) -> dict[str, Decimal]:
    """Currency -> total, as entered."""
    # Quantized: SQLite's sum of 99.00 comes back as 99.
    return {row["currency"]: Decimal(row["total"]).quantize(CENTS) for row in
            qs.order_by("currency").values("currency").annotate(total=Sum("amount"))}


@dataclass(frozen=True)
class BudgetStatus:
    budget: Budget
    spent: Decimal
    remaining: Decimal
    percent: Decimal | None
    other_currencies: dict[str, Decimal]
    first_day: date | None
    last_day: date | None
    # The month of a recurring budget this status is for; None for a single period.
    month: date | None = None

    @property
    def bar(self) -> int:
        """The progress bar's width, 0–100."""
        return 0 if self.percent is None else int(min(self.percent, Decimal(100)))

    def json(self) -> dict[str, Any]:
        b = self.budget
        return {
            "id": b.pk, "category": b.category, "category_label": str(b.get_category_display()),
            "month": b.month.strftime("%Y-%m") if b.month else None,
            "campaign_id": b.campaign_id, "campaign": b.campaign.name if b.campaign else None,
            "amount": str(b.amount), "currency": b.currency, "note": b.note,
            "repeats_monthly": b.repeats_monthly,
            "until_month": b.until_month.strftime("%Y-%m") if b.until_month else None,
            "period_month": self.month.strftime("%Y-%m") if self.month else None,
            "from": self.first_day, "until": self.last_day,
            "spent": str(self.spent), "remaining": str(self.remaining),
            "percent": None if self.percent is None else float(self.percent),
            "percent_formula": PERCENT_FORMULA,
            "other_currencies": {k: str(v) for k, v in self.other_currencies.items()},
            "alerts_sent": sorted(a.threshold for a in b.alerts.all()
                                  if a.period == _period_key(self.month)),
        }

    def json_with_history(self, today: date) -> dict[str, Any]:
        """With, for a recurring budget, the months before this one (spent against amount)."""
        return self.json() | {"history": [{
            "month": h.month.strftime("%Y-%m") if h.month else None, "spent": str(h.spent),
            "amount": str(h.budget.amount), "remaining": str(h.remaining),
            "percent": None if h.percent is None else float(h.percent),
        } for h in history(self.budget, today)]}


def status(budget: Budget, month: date | None = None,
           today: date | None = None) -> BudgetStatus:
    """A single-period budget's status; a recurring one's for `month` (default: this month
    in the workspace's time zone, within its first and last month)."""
    if budget.repeats_monthly:
        month = (month.replace(day=1) if month else
                 current_month(budget, today or today_in(budget.workspace)))
    else:
        month = None
    found = totals(spend_of(budget, month))
    spent = found.pop(budget.currency, Decimal("0.00"))
    percent = (spent / budget.amount * 100).quantize(Decimal("0.1"), ROUND_HALF_UP) \
        if budget.amount else None
    first, last = period_of(budget, month)
    return BudgetStatus(budget, spent, budget.amount - spent, percent, found, first, last,
                        month)


def history(budget: Budget, today: date, limit: int = HISTORY_MONTHS) -> list[BudgetStatus]:
    """A recurring budget's months before the one shown, newest first (at most `limit`)."""
    shown = current_month(budget, today)
    if shown is None or budget.month is None:
        return []
    months: list[date] = []
    month = shown
    # Checked before stepping back: the month before 0001-01 does not exist.
    while month > budget.month and len(months) < limit:
        month = _add_months(month, -1)
        months.append(month)
    return [status(budget, month=m) for m in months]


def alert_months(budget: Budget) -> list[date | None]:
    """The periods to check for alerts: a recurring budget's months that have spend."""
    if not budget.repeats_monthly or budget.month is None:
        return [None]
    qs = _spend_in_scope(budget).filter(date__gte=budget.month)
    if budget.until_month:
        qs = qs.filter(date__lte=period_of(budget, budget.until_month)[1])
    return list(qs.dates("date", "month"))


def budgets_of(workspace: Workspace) -> list[Budget]:
    return list(Budget.objects.filter(workspace=workspace).select_related("campaign")
                .prefetch_related("alerts"))


def statuses(workspace: Workspace, today: date | None = None) -> list[BudgetStatus]:
    day = today or today_in(workspace)
    return [status(b, today=day) for b in budgets_of(workspace)]


def spend_totals(workspace: Workspace, first: date | None = None,
                 last: date | None = None) -> dict[str, Decimal]:
    qs = SpendEntry.objects.filter(workspace=workspace)
    if first:
        qs = qs.filter(date__gte=first)
    if last:
        qs = qs.filter(date__lte=last)
    return totals(qs)


def _label(budget: Budget, month: date | None) -> str:
    parts = [str(budget.get_category_display())]
    if budget.campaign_id:
        parts.append(budget.campaign.name)
    if month or budget.month:
        parts.append((month or budget.month).strftime("%Y-%m"))
    return " · ".join(parts)


def _managers(workspace: Workspace) -> list[Any]:
    return [m.user for m in Membership.objects.filter(workspace=workspace)
            .select_related("user", "workspace")
            if m.user.is_active and can(m, Action.MANAGE_STRATEGY)]


def check_alerts(workspace: Workspace, only: list[Budget] | None = None) -> list[BudgetAlert]:
    """Tell the people who manage the strategy when a budget reaches 80 % and 100 %: once per
    budget, period (a recurring budget's month) and threshold (inserting the BudgetAlert row
    is the claim)."""
    sent = []
    for budget in only if only is not None else budgets_of(workspace):
        for month in alert_months(budget):
            sent.extend(_claim_alerts(workspace, budget, month))
    return sent


def _claim_alerts(workspace: Workspace, budget: Budget,
                  month: date | None) -> list[BudgetAlert]:
    sent = []
    found = status(budget, month=month)
    if found.percent is None:
        return sent
    for threshold in THRESHOLDS:
        # Exact, not the rounded percent: 79.99 % is shown as 80.0 but is not 80 %.
        if found.spent * 100 < budget.amount * threshold:
            continue
        try:
            with transaction.atomic():
                alert = BudgetAlert.objects.create(budget=budget, threshold=threshold,
                                                   period=_period_key(found.month),
                                                   percent=found.percent)
        except IntegrityError:
            continue  # sent before
        sent.append(alert)
        detail = (f"{_label(budget, found.month)}: {found.spent} / {budget.amount} "
                  f"{budget.currency} ({found.percent}%, ≥ {threshold}%)")
        notify(_managers(workspace), workspace_id=workspace.pk,
               kind=NotificationKind.BUDGET_ALERT, detail=detail)
    getattr(budget, "_prefetched_objects_cache", {}).pop("alerts", None)
    return sent
