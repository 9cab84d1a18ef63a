"""Budgets and spend: a budget per month and/or per campaign and category; spend entered by
hand or imported from the ad managers' CSV exports. Amounts are Decimal in the currency as
entered; nothing is ever converted (totals are per currency)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from keryx.core.models import Workspace
from keryx.planner.models import Campaign


class Category(models.TextChoices):
    TOOLS = "tools", _("Tools")
    CONTENT = "content", _("Content production")
    INFLUENCERS = "influencers", _("Influencer fees")
    ADS = "ads", _("Ads")


class Source(models.TextChoices):
    MANUAL = "manual", _("Entered by hand")
    META = "meta", _("Meta Ads Manager")
    LINKEDIN = "linkedin", _("LinkedIn Campaign Manager")
    X = "x", _("X Ads")
    KERYX = "keryx", _("Keryx CSV")


class Budget(models.Model):
    """A month (its first day), a campaign, or both: the campaign's budget in that month.

    Recurring ("every month"): the same amount for each month from `month` on, until
    `until_month` (included) when set; each month is its own period with its own status and
    alerts. A rule evaluated per month, not one row per month: nothing to create each month."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("month"), null=True, blank=True)
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="+")
    category = models.CharField(_("category"), max_length=12, choices=Category.choices)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    note = models.CharField(_("note"), max_length=300, blank=True)
    repeats_monthly = models.BooleanField(_("every month"), default=False)
    until_month = models.DateField(_("last month"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-month", "category", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(month__isnull=False) | Q(campaign__isnull=False),
                                   name="budget_month_or_campaign"),
            # A recurring budget starts in a month; an end month only for a recurring one.
            models.CheckConstraint(condition=Q(repeats_monthly=False, until_month__isnull=True)
                                   | Q(repeats_monthly=True, month__isnull=False),
                                   name="budget_recurring_has_start"),
        ]

    def __str__(self) -> str:
        return f"{self.category} {self.month or ''} {self.amount} {self.currency}"


class BudgetAlert(models.Model):
    """One row per budget, period and threshold reached: inserting it is the claim, so the
    alert is sent once even when two imports finish together. Deleting it re-arms the alert
    (a raised budget puts the spend back under the threshold)."""

    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="alerts")
    # "YYYY-MM" for a month of a recurring budget; "" for a budget with a single period (a
    # string, not a nullable date: NULLs would not be unique).
    period = models.CharField(max_length=7, blank=True, default="")
    threshold = models.PositiveSmallIntegerField()
    percent = models.DecimalField(max_digits=8, decimal_places=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["budget", "period", "threshold"],
                                               name="one_budget_alert_per_period_threshold")]


class SpendImport(models.Model):
    """One uploaded file: what was accepted, what was already there, what was not understood."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=10, choices=Source.choices)
    filename = models.CharField(max_length=255, blank=True)
    accepted = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    # [{"line": n, "reason": "...", "row": "..."}]
    rejected = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]


class SpendEntry(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    date = models.DateField(_("date"))
    # Matched by name on import; the link survives a later rename of the campaign.
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    campaign_name_as_imported = models.CharField(max_length=300, blank=True)
    category = models.CharField(_("category"), max_length=12, choices=Category.choices,
                                default=Category.ADS)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    # The ad manager's own "results" (or clicks): None when the export gives none.
    results = models.PositiveBigIntegerField(_("results"), null=True, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)
    batch = models.ForeignKey(SpendImport, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="entries")
    # Imported rows only: the same row of the same export gives the same fingerprint, so a
    # re-import adds nothing. None for spend entered by hand.
    fingerprint = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-pk"]
        constraints = [models.UniqueConstraint(fields=["workspace", "fingerprint"],
                                               name="one_spend_row_per_fingerprint")]
        indexes = [models.Index(fields=["workspace", "date"], name="spend_ws_date_idx")]
