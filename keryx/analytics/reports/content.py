"""One report's figures, gathered once from keryx.analytics.services (which does the maths)
and handed to the PDF, the shared HTML view and the e-mail alike."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.utils import timezone

from keryx.analytics import benchmarks, maths, services
from keryx.analytics.reports import sections
from keryx.analytics.reports.logo import logo_png
from keryx.channels.models import Channel
from keryx.core.models import Workspace
from keryx.planner.models import Campaign, Label

# The PDF lists at most this many posts (the CSV export has them all).
POSTS_LISTED = 200


@dataclass
class ReportContent:
    workspace_name: str
    timezone: str
    period: services.Period
    channel_names: list[str]  # empty: every channel
    campaign: str
    labels: list[str]
    summary: dict[str, Any]
    rows: list[dict[str, Any]]
    followers: dict[str, list[tuple[date, int]]]
    engagements: list[tuple[date, int]]
    heatmap: maths.Heatmap
    engagement_series_formula: str
    generated_at: datetime
    benchmarks: dict[str, Any] = field(default_factory=dict)
    logo: bytes | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.rows


def gather(workspace: Workspace, when: services.Period,
           channels: Sequence[Channel] | None = None,
           only: services.PostFilter | None = None) -> ReportContent:
    """Everything one report shows: the posts (one post_rows call, for the table), the figures
    from the SQL aggregates (summary, headline figures for the benchmarks, heatmap)."""
    chosen = list(channels or [])
    rows = services.post_rows(workspace, when, chosen or None, only)
    campaign = ""
    labels: list[str] = []
    if only and only.campaign:
        campaign = Campaign.objects.filter(workspace=workspace, pk=only.campaign) \
            .values_list("name", flat=True).first() or ""
    if only and only.labels:
        labels = sorted(Label.objects.filter(workspace=workspace, pk__in=only.labels)
                        .values_list("name", flat=True))
    figures = services.summary(workspace, when, chosen or None, only, rows=rows)
    return ReportContent(
        extra={name: found for name, make in sections.CONTENT.items()
               if (found := make(workspace, when)) is not None},
        workspace_name=workspace.name,
        timezone=workspace.timezone or "UTC",
        period=when,
        channel_names=sorted(c.name for c in chosen),
        campaign=campaign,
        labels=labels,
        summary=figures,
        # The page's benchmarks object: targets and the trailing average, overall and per
        # channel with targets (keryx.analytics.benchmarks reads the 90 days before).
        benchmarks=benchmarks.compare(workspace, when, chosen or None, figures, only),
        rows=rows,
        followers=services.follower_series(workspace, when, chosen or None),
        engagements=services.engagement_series(workspace, when, chosen or None, only),
        heatmap=services.heatmap(workspace, when, chosen or None, only=only),
        engagement_series_formula=services.ENGAGEMENT_SERIES_FORMULA,
        generated_at=timezone.now(),
        logo=logo_png(workspace),
    )

