"""Benchmarks (seed §11): the targets a workspace sets per channel, and its own trailing average
(the TRAILING_DAYS days before the period), each set against the period's figures.

Three figures, each "higher is better":

- engagement rate by followers: the seed's overall rate (the average of the posts' rates), as
  keryx.analytics.services.summary computes it;
- posts a week: the period's posts / its days × 7;
- new followers a month: the period's follower growth / its days × 30.

A target is per channel. For a figure over several channels, the posts and followers targets
add up (when every channel has one); a rate target is not combined (the channels' rates are
averages over different posts), so it is shown per channel only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from django.utils.translation import gettext as _

from keryx.analytics import services
from keryx.analytics.models import Benchmark
from keryx.channels.models import Channel
from keryx.core.models import Workspace

TRAILING_DAYS = 90
FIGURES = ("engagement_rate_by_followers", "posts_per_week", "followers_per_month")
# Model field of each figure's target.
TARGET_FIELDS = {"engagement_rate_by_followers": "engagement_rate",
                 "posts_per_week": "posts_per_week",
                 "followers_per_month": "followers_per_month"}
ADDABLE = ("posts_per_week", "followers_per_month")
LIMITS = {"engagement_rate": (0.0, 1000.0), "posts_per_week": (0.0, 500.0),
          "followers_per_month": (-10_000_000, 100_000_000)}
FORMULAS = {
    "engagement_rate_by_followers": "average over posts of (engagements) / followers at publish "
                                    "time × 100",
    "posts_per_week": "posts / days × 7",
    "followers_per_month": "(followers at the end − at the start) / days × 30",
}


class BenchmarkError(ValueError):
    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def targets_of(workspace: Workspace) -> dict[int, Benchmark]:
    """Channel id -> its targets, for the workspace's channels that have any."""
    return {b.channel_id: b for b in
            Benchmark.objects.filter(workspace=workspace).select_related("channel")}


def set_targets(workspace: Workspace, channel: Channel, *, engagement_rate: float | None,
                posts_per_week: float | None,
                followers_per_month: int | None) -> Benchmark | None:
    """Set (or, all None, remove) a channel's targets. BenchmarkError for a value out of range."""
    if channel.workspace_id != workspace.pk:
        raise BenchmarkError(_("No such channel in this workspace."), "channel")
    values = {"engagement_rate": engagement_rate, "posts_per_week": posts_per_week,
              "followers_per_month": followers_per_month}
    for field, value in values.items():
        low, high = LIMITS[field]
        if value is not None and not low <= value <= high:
            raise BenchmarkError(_("%(channel)s: %(value)s is out of range (%(low)s to "
                                   "%(high)s).") % {"channel": channel.name, "value": value,
                                                    "low": low, "high": high}, field)
    if all(v is None for v in values.values()):
        Benchmark.objects.filter(workspace=workspace, channel=channel).delete()
        return None
    bench, _created = Benchmark.objects.update_or_create(
        channel=channel, workspace=workspace, defaults=values)
    return bench


def _figures(summary: dict[str, Any] | None, days: int) -> dict[str, float | None]:
    if summary is None:
        return dict.fromkeys(FIGURES)
    growth = summary["follower_growth"]
    return {
        "engagement_rate_by_followers": summary["engagement_rate_by_followers"],
        "posts_per_week": summary["posts_per_week"],
        "followers_per_month": None if growth is None else round(growth / days * 30, 2),
    }


def _against(value: float | None, other: float | None) -> tuple[float | None, str | None]:
    if value is None or other is None:
        return None, None
    diff = round(value - other, 4)
    return diff, "above" if diff > 0 else "below" if diff < 0 else "equal"


def _compare(now: dict[str, float | None], targets: dict[str, float | None],
             trailing: dict[str, float | None]) -> dict[str, dict[str, Any]]:
    out = {}
    for figure in FIGURES:
        value = now[figure]
        t_diff, t_side = _against(value, targets.get(figure))
        r_diff, r_side = _against(value, trailing[figure])
        out[figure] = {
            "value": value, "formula": FORMULAS[figure],
            "target": targets.get(figure), "target_difference": t_diff, "against_target": t_side,
            "trailing": trailing[figure], "trailing_difference": r_diff,
            "against_trailing": r_side,
        }
    return out


def _channel_targets(bench: Benchmark | None) -> dict[str, float | None]:
    if bench is None:
        return {}
    return {figure: getattr(bench, field) for figure, field in TARGET_FIELDS.items()}


def compare(workspace: Workspace, when: services.Period, channels: Sequence[Channel] | None,
            summary: dict[str, Any], only: services.PostFilter | None = None,
            rows: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The `benchmarks` object: the period's figures against the targets and the trailing
    average, overall and for each channel in scope that has targets. `summary` is
    services.summary of the same scope (`rows` is accepted for older callers and not needed)."""
    del rows
    scope = list(channels) if channels else list(
        Channel.objects.filter(workspace=workspace).order_by("name"))
    # A period starting in year 1 has no 90 days before it (a date cannot go lower).
    trailing_when = None
    if when.first_day - date.min > timedelta(days=TRAILING_DAYS + 1):
        trailing_when = services.period(
            workspace, when.first_day - timedelta(days=TRAILING_DAYS),
            when.first_day - timedelta(days=1))
    # The trailing figures come from services.headline: the same figures as summary's, from
    # SQL aggregates only (no post rows, rankings or breakdowns).
    trailing_summary = (services.headline(workspace, trailing_when, channels, only)
                        if trailing_when else None)
    targets = targets_of(workspace)
    overall_targets: dict[str, float | None] = {}
    if len(scope) == 1:
        overall_targets = _channel_targets(targets.get(scope[0].pk))
    elif scope:
        for figure in ADDABLE:
            wanted = [getattr(targets[c.pk], TARGET_FIELDS[figure]) if c.pk in targets else None
                      for c in scope]
            if all(v is not None for v in wanted):
                overall_targets[figure] = round(sum(wanted), 4)  # type: ignore[arg-type]
    per_channel = []
    if len(scope) > 1:
        for channel in scope:
            bench = targets.get(channel.pk)
            if bench is None:
                continue
            now_c = services.headline(workspace, when, [channel], only)
            old_c = (services.headline(workspace, trailing_when, [channel], only)
                     if trailing_when else None)
            per_channel.append({
                "channel": channel.name,
                "figures": _compare(_figures(now_c, when.days), _channel_targets(bench),
                                    _figures(old_c, TRAILING_DAYS)),
            })
    note = ""
    if len(scope) > 1 and targets:
        note = _("Targets are set per channel: posts and followers targets add up over the "
                 "channels when each has one; engagement-rate targets are compared per channel.")
    return {
        "trailing": {"from": trailing_when.first_day if trailing_when else None,
                     "until": trailing_when.last_day if trailing_when else None,
                     "days": TRAILING_DAYS,
                     "posts": trailing_summary["posts"] if trailing_summary else 0},
        "figures": _compare(_figures(summary, when.days), overall_targets,
                            _figures(trailing_summary, TRAILING_DAYS)),
        "channels": per_channel,
        "note": note,
    }
