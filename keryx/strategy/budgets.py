"""Budgets and spend: create, change and delete budgets, add spend by hand, each budget's
status (spent, remaining, % — per currency, never converted), and the alerts at 80 % and 100 %.

A budget's period: its month; a campaign budget without a month: the campaign's dates (all
time when it has none). Spend counts towards a budget when it is in the workspace, the
budget's category and period, and (a campaign budget) linked to the campaign. Spend in another
currency than the budget's is listed beside it, not added: there is no conversion."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet, Sum
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


def _month(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value.replace(day=1)
    match = re.fullmatch(r"(\d{4})-(\d{1,2})(?:-\d{1,2})?", str(value).strip())
    if not match or not 1 <= int(match[2]) <= 12:
        raise BudgetError(_("The month must be written YYYY-MM."), "month")
    return date(int(match[1]), int(match[2]), 1)


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
                  user: Any = None) -> Budget:
    month_value, campaign_value = _month(month), _campaign(workspace, campaign)
    if month_value is None and campaign_value is None:
        raise BudgetError(_("A budget is for a month, a campaign, or both."), "month")
    budget = Budget.objects.create(
        workspace=workspace, category=_category(category), amount=amount_of(amount),
        currency=currency_of(currency), month=month_value, campaign=campaign_value,
        note=str(note)[:300], created_by=user)
    check_alerts(workspace, [budget])
    return budget


def update_budget(budget: Budget, **changes: Any) -> Budget:
    """Change amount, currency, category, month, campaign or note. Alerts already sent stay
    sent (once per threshold); a raised amount does not send them again."""
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
        budget.note = str(changes["note"])[:300]
    if budget.month is None and budget.campaign_id is None:
        raise BudgetError(_("A budget is for a month, a campaign, or both."), "month")
    budget.save()
    check_alerts(budget.workspace, [budget])
    return budget


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


def period_of(budget: Budget) -> tuple[date | None, date | None]:
    """The budget's first and last day (None: open)."""
    if budget.month is not None:
        last = calendar.monthrange(budget.month.year, budget.month.month)[1]
        return budget.month, budget.month.replace(day=last)
    campaign = budget.campaign
    return (campaign.starts_on, campaign.ends_on) if campaign else (None, None)


def spend_of(budget: Budget) -> QuerySet[SpendEntry]:
    first, last = period_of(budget)
    qs = SpendEntry.objects.filter(workspace_id=budget.workspace_id, category=budget.category)
    if budget.campaign_id:
        qs = qs.filter(campaign_id=budget.campaign_id)
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
            "from": self.first_day, "until": self.last_day,
            "spent": str(self.spent), "remaining": str(self.remaining),
            "percent": None if self.percent is None else float(self.percent),
            "percent_formula": PERCENT_FORMULA,
            "other_currencies": {k: str(v) for k, v in self.other_currencies.items()},
            "alerts_sent": sorted(a.threshold for a in b.alerts.all()),
        }


def status(budget: Budget) -> BudgetStatus:
    found = totals(spend_of(budget))
    spent = found.pop(budget.currency, Decimal("0.00"))
    percent = (spent / budget.amount * 100).quantize(Decimal("0.1"), ROUND_HALF_UP) \
        if budget.amount else None
    first, last = period_of(budget)
    return BudgetStatus(budget, spent, budget.amount - spent, percent, found, first, last)


def budgets_of(workspace: Workspace) -> list[Budget]:
    return list(Budget.objects.filter(workspace=workspace).select_related("campaign")
                .prefetch_related("alerts"))


def statuses(workspace: Workspace) -> list[BudgetStatus]:
    return [status(b) for b in budgets_of(workspace)]


def spend_totals(workspace: Workspace, first: date | None = None,
                 last: date | None = None) -> dict[str, Decimal]:
    qs = SpendEntry.objects.filter(workspace=workspace)
    if first:
        qs = qs.filter(date__gte=first)
    if last:
        qs = qs.filter(date__lte=last)
    return totals(qs)


def _label(budget: Budget) -> str:
    parts = [str(budget.get_category_display())]
    if budget.campaign_id:
        parts.append(budget.campaign.name)
    if budget.month:
        parts.append(budget.month.strftime("%Y-%m"))
    return " · ".join(parts)


def _managers(workspace: Workspace) -> list[Any]:
    return [m.user for m in Membership.objects.filter(workspace=workspace)
            .select_related("user", "workspace")
            if m.user.is_active and can(m, Action.MANAGE_STRATEGY)]


def check_alerts(workspace: Workspace, only: list[Budget] | None = None) -> list[BudgetAlert]:
    """Tell the people who manage the strategy when a budget reaches 80 % and 100 %: once per
    budget and threshold (inserting the BudgetAlert row is the claim)."""
    sent = []
    for budget in only if only is not None else budgets_of(workspace):
        found = status(budget)
        if found.percent is None:
            continue
        for threshold in THRESHOLDS:
            # Exact, not the rounded percent: 79.99 % is shown as 80.0 but is not 80 %.
            if found.spent * 100 < budget.amount * threshold:
                continue
            try:
                with transaction.atomic():
                    alert = BudgetAlert.objects.create(budget=budget, threshold=threshold,
                                                       percent=found.percent)
            except IntegrityError:
                continue  # sent before
            sent.append(alert)
            detail = (f"{_label(budget)}: {found.spent} / {budget.amount} {budget.currency}"
                      f" ({found.percent}%, ≥ {threshold}%)")
            notify(_managers(workspace), workspace_id=workspace.pk,
                   kind=NotificationKind.BUDGET_ALERT, detail=detail)
    return sent
