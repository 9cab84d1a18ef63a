"""An alert in words: what fired and how it was computed, in the active language (the
notification, the e-mail and the webhook's `text` all say the same)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from keryx.listening.models import Alert, AlertKind


def _when(moment: datetime, zone: str) -> str:
    try:
        tz = ZoneInfo(zone or "UTC")
    except (KeyError, ValueError):
        tz = ZoneInfo("UTC")
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def explanation(alert: Alert) -> str:
    """What fired and how it was computed, in the active language."""
    f = alert.figures or {}
    zone = alert.workspace.timezone
    if alert.kind == AlertKind.AUTHOR:
        return ngettext("%(count)s new result from %(authors)s.",
                        "%(count)s new results from %(authors)s.", alert.count) % {
            "count": alert.count, "authors": ", ".join("@" + a for a in f.get("authors", []))}
    span = {"start": _when(alert.period_start, zone),
            "end": _when(alert.period_end, zone)[-5:]} if alert.period_start else {
        "start": "", "end": ""}
    so_far = " " + _("(the hour is not over yet)") if f.get("partial") else ""
    if alert.kind == AlertKind.NEGATIVE_SURGE:
        return _("%(negative)s negative results of %(total)s between %(start)s and %(end)s: "
                 "%(share)s negative, against %(baseline)s in the %(hours)s hours before; an "
                 "alert needs %(jump)s more than that and at least %(min)s negative results."
                 ) % {**span, "negative": f.get("negative", alert.count),
                      "total": f.get("total", 0), "share": f"{f.get('share', 0):.0%}",
                      "baseline": f"{f.get('baseline_share', 0):.0%}",
                      "hours": f.get("window_hours", 0),
                      "jump": f"{f.get('share_jump', 0):.0%}",
                      "min": f.get("min_negative", 0)} + so_far
    return _("%(count)s results between %(start)s and %(end)s, above the threshold of "
             "%(threshold)s: the median of the %(hours)s hours before (%(median)s an hour) "
             "plus %(k)s × the spread (%(spread)s), and at least %(min)s.") % {
        **span, "count": alert.count, "threshold": f"{alert.threshold:.1f}",
        "hours": f.get("window_hours", 0), "median": f"{f.get('median', 0):g}",
        "k": f"{f.get('k', 0):g}", "spread": f"{f.get('spread', 0):.1f}",
        "min": f.get("min_count", 0)} + so_far
