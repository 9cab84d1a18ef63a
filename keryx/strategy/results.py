"""Results (seed §18): this year against last year, from the workspace's history.

Both periods run from 1 January to the same day of the year (last year: to today's date a year
ago), so the comparison is like for like. Figures come from keryx.analytics.services.summary,
each with its formula; cost per result from keryx.strategy.costs."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils.translation import gettext_lazy as _

from keryx.analytics import services as analytics
from keryx.core.models import Workspace
from keryx.planner.models import Campaign
from keryx.strategy.costs import cost_per_result

FIGURE_NAMES = {"cost_per_like": _("per like"), "cost_per_engagement": _("per engagement"),
                "cost_per_click": _("per click"), "cost_per_follower": _("per follower gained"),
                "cost_per_ad_result": _("per ad-manager result")}
FORMULAS = {
    "followers": "followers at the end − followers at the start (channels read at both ends)",
    "posts": "posts published in the period",
    "posts_per_week": "posts published ÷ days × 7",
}


def _same_day_last_year(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _change(now: float | None, before: float | None) -> float | None:
    if now is None or before is None or before == 0:
        return None
    return round((now - before) / abs(before) * 100, 1)


def costs(workspace: Workspace, campaign: Campaign | None, start: Any, end: Any
          ) -> list[dict[str, Any]]:
    return cost_per_result(workspace, campaign=campaign, start=start, end=end)


def _cost_text(item: dict[str, Any]) -> str:
    """"120.00 EUR: per like 0.52, per engagement 0.40, per click —, …"."""
    parts = [f"{FIGURE_NAMES.get(f['figure'], f['figure'])} "
             f"{'—' if f['value'] is None else f['value']}" for f in item["figures"]]
    return f"{item['spend']} {item['currency']}: " + ", ".join(parts)


def results(workspace: Workspace, today: date | None = None) -> dict[str, Any]:
    today = today or analytics.period(workspace).last_day
    this = analytics.period(workspace, date(today.year, 1, 1), today)
    last_end = _same_day_last_year(today)
    last = analytics.period(workspace, date(today.year - 1, 1, 1), last_end)
    now, before = analytics.summary(workspace, this), analytics.summary(workspace, last)
    figures = []
    for key, label_key, formula in (
            ("follower_growth", "followers", FORMULAS["followers"]),
            ("posts", "posts", FORMULAS["posts"]),
            ("posts_per_week", "posts_per_week", FORMULAS["posts_per_week"]),
            ("engagement_rate_by_followers", "engagement_rate_by_followers",
             now["engagement_rate_by_followers_formula"]
             or before["engagement_rate_by_followers_formula"]
             or "average over posts of engagements ÷ followers at publish time × 100")):
        figures.append({"figure": label_key, "this_year": now[key], "last_year": before[key],
                        "change_percent": _change(now[key], before[key]), "formula": formula})
    campaigns = []
    for c in now["by_campaign"]:
        campaign = Campaign.objects.filter(workspace=workspace, pk=c["campaign_id"]).first()
        found = costs(workspace, campaign, this.start, this.end)
        campaigns.append({
            "campaign": c["campaign"], "posts": c["posts"], "engagements": c["engagements"],
            "engagement_rate_by_followers": c["engagement_rate_by_followers"]["value"],
            "costs": [_cost_text(x) for x in found],
        })
    overall = costs(workspace, None, this.start, this.end)
    return {
        "this_year": {"from": this.first_day, "until": this.last_day},
        "last_year": {"from": last.first_day, "until": last.last_day},
        "figures": figures,
        "best_posts": now["top_posts"],
        "campaigns": campaigns,
        "costs": [_cost_text(x) for x in overall],
        "no_spend": not overall and not any(c["costs"] for c in campaigns),
    }
