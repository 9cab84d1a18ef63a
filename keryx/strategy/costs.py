"""Cost per result: spend divided by what the posts brought, per currency (never converted).

Spend: the workspace's SpendEntry rows dated in the period (a campaign: those linked to it).
Results, from keryx.analytics over the same period, on the posts published in it (a campaign:
its posts):
- likes: the sum of the likes networks report (TrackedPost.likes, the latest reading);
- engagements: analytics' engagements (likes+comments+shares+saves, the parts each network
  gives);
- clicks: the sum of the clicks networks report (only some do: LinkedIn pages);
- followers gained: analytics' follower growth of every channel read at both ends of the
  period (followers are not attributed to a campaign: for a campaign this is still the whole
  workspace's growth, and the formula says so);
- the ad manager's results: the sum of the results the imported spend rows carry.
A figure is None ("—") when its denominator is 0, negative (followers lost) or unknown."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Sum
from django.utils.translation import gettext_lazy as _

from keryx.analytics import services as analytics
from keryx.analytics.models import TrackedPost
from keryx.core.models import Workspace
from keryx.planner.models import Campaign
from keryx.strategy.budgets import totals
from keryx.strategy.models import SpendEntry

FORMULAS = {
    "cost_per_like": _("spend ÷ likes on the posts published in the period"),
    "cost_per_engagement": _("spend ÷ engagements (likes+comments+shares+saves) on the posts "
                             "published in the period"),
    "cost_per_click": _("spend ÷ clicks on the posts published in the period (networks that "
                        "report clicks)"),
    "cost_per_follower": _("spend ÷ followers gained by the channels in the period"),
    "cost_per_follower_campaign": _("campaign spend ÷ followers gained by all the workspace's "
                                    "channels in the period (followers are not attributed to "
                                    "a campaign)"),
    "cost_per_ad_result": _("spend ÷ the results the ad manager reported on the spend rows"),
}
LABELS = {
    "cost_per_like": _("Cost per like"),
    "cost_per_engagement": _("Cost per engagement"),
    "cost_per_click": _("Cost per click"),
    "cost_per_follower": _("Cost per follower gained"),
    "cost_per_ad_result": _("Cost per ad-manager result"),
}
FIGURES = ("cost_per_like", "cost_per_engagement", "cost_per_click", "cost_per_follower",
           "cost_per_ad_result")
CENTS = Decimal("0.01")


def _local_day(workspace: Workspace, value: date | datetime, *, end: bool) -> date:
    """A date as given; a datetime as its local day (an end is exclusive: the day before)."""
    if isinstance(value, datetime):
        moment = value - timedelta(microseconds=1) if end else value
        return moment.astimezone(ZoneInfo(workspace.timezone or "UTC")).date()
    return value


def denominators(workspace: Workspace, when: analytics.Period,
                 campaign: Campaign | None) -> dict[str, int | None]:
    """The results of the period from analytics (None: unknown)."""
    only = analytics.PostFilter(campaign=campaign.pk) if campaign is not None else None
    summary = analytics.summary(workspace, when, None, only)
    posts = TrackedPost.objects.filter(workspace=workspace, published_at__gte=when.start,
                                       published_at__lt=when.end)
    if campaign is not None:
        posts = posts.filter(target__post__campaign=campaign)
    sums = posts.aggregate(likes_sum=Sum("likes"), likes_n=Count("likes"),
                           clicks_sum=Sum("clicks"), clicks_n=Count("clicks"),
                           eng_n=Count("engagements"))
    return {
        "likes": int(sums["likes_sum"] or 0) if sums["likes_n"] else None,
        "engagements": int(summary["engagements"]) if sums["eng_n"] else None,
        "clicks": int(sums["clicks_sum"] or 0) if sums["clicks_n"] else None,
        "followers": summary["follower_growth"],
    }


def _divide(spend: Decimal, by: int | None) -> Decimal | None:
    if by is None or by <= 0:
        return None
    return (spend / Decimal(by)).quantize(CENTS if spend / by >= 1 else Decimal("0.0001"),
                                          ROUND_HALF_UP)


def cost_per_result(workspace: Workspace, *, campaign: Campaign | None = None,
                    start: date | datetime, end: date | datetime) -> list[dict[str, Any]]:
    """One item per currency spent in the period: the spend and each cost per result with
    its formula and denominator. [] when nothing was spent."""
    first, last = _local_day(workspace, start, end=False), _local_day(workspace, end, end=True)
    spend = SpendEntry.objects.filter(workspace=workspace, date__gte=first, date__lte=last)
    if campaign is not None:
        spend = spend.filter(campaign=campaign)
    by_currency = totals(spend)
    if not by_currency:
        return []
    when = analytics.period(workspace, first, last)
    found = denominators(workspace, when, campaign)
    ad_results = {row["currency"]: row["n"] for row in spend.filter(results__isnull=False)
                  .order_by("currency").values("currency").annotate(n=Sum("results"))}
    out = []
    for currency, total in by_currency.items():
        counts = {"cost_per_like": found["likes"], "cost_per_engagement": found["engagements"],
                  "cost_per_click": found["clicks"], "cost_per_follower": found["followers"],
                  "cost_per_ad_result": ad_results.get(currency)}
        figures = []
        for key in FIGURES:
            formula = FORMULAS["cost_per_follower_campaign"] if (
                key == "cost_per_follower" and campaign is not None) else FORMULAS[key]
            figures.append({"figure": key, "label": str(LABELS[key]),
                            "value": _divide(total, counts[key]),
                            "denominator": counts[key], "formula": str(formula)})
        out.append({"currency": currency, "spend": total,
                    "campaign": campaign.name if campaign else None,
                    "campaign_id": campaign.pk if campaign else None,
                    "from": first, "until": last, "figures": figures})
    return out


def by_campaign(workspace: Workspace, *, start: date, end: date) -> list[dict[str, Any]]:
    """cost_per_result for the whole workspace, then for each campaign with spend in the
    period (spend not linked to a campaign counts in the first only)."""
    rows = cost_per_result(workspace, start=start, end=end)
    ids = (SpendEntry.objects.filter(workspace=workspace, date__gte=start, date__lte=end,
                                     campaign__isnull=False)
           .values_list("campaign_id", flat=True).distinct())
    for campaign in Campaign.objects.filter(workspace=workspace, pk__in=list(ids)):
        rows += cost_per_result(workspace, campaign=campaign, start=start, end=end)
    return rows
