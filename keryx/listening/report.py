"""The listening section of the analytics report (registered in ListeningConfig.ready, so the
reports never import this app): for the report's period, per enabled saved search, the
results, the change against the period of equal length just before, the sentiment share, the
share of voice between the searches, the top authors and the volume per day. The figures are
keryx.listening.figures' (the search page's); this module only picks and arranges them.

A workspace without enabled searches gets no section at all (None), not an empty page."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from django.utils import formats
from django.utils.translation import gettext as _

from keryx.core import csvsafe
from keryx.core.models import Workspace
from keryx.listening import figures
from keryx.listening.models import SavedSearch, Sentiment

TOP_AUTHORS = 5
CSV_COLUMNS = ["search", "from", "until", "results", "previous_results", "change_percent",
               "positive_percent", "neutral_percent", "negative_percent",
               "share_of_voice_percent"]


def _span(first: date, last: date, zone: ZoneInfo) -> figures.Period:
    # Built directly rather than with figures.period(): a report may be longer than the
    # listening pages' MAX_DAYS.
    start = datetime.combine(first, time.min).replace(tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), time.min).replace(tzinfo=zone)
    return figures.Period(start, end, first, last, zone)


def change_percent(now: int, before: int) -> float | None:
    """(now − before) / before × 100, one decimal; None when there was nothing before."""
    return round(100 * (now - before) / before, 1) if before else None


def section(workspace: Workspace, when: Any) -> dict[str, Any] | None:
    """The section's figures for the report's period `when` (first_day..last_day, local
    dates in the workspace's time zone), JSON-ready; None without enabled searches."""
    searches = list(SavedSearch.objects.filter(workspace=workspace, enabled=True)
                    .order_by("name", "pk"))
    if not searches:
        return None
    zone = ZoneInfo(workspace.timezone or "UTC")
    span = _span(when.first_day, when.last_day, zone)
    days = span.days
    before = _span(when.first_day - timedelta(days=days), when.first_day - timedelta(days=1),
                   zone)
    previous = figures.counts_per_search(workspace, before.start, before.end)
    voice = {r["search"].pk: r for r in figures.share_of_voice(workspace, span, searches)}
    rows = []
    for search in searches:
        matches = figures.matches(search, span)
        counted = figures.buckets(matches, span)
        by_day = figures.volume_by_day(counted, span)
        total = sum(n for _d, n in by_day)
        earlier = previous.get(search.pk, 0)
        rows.append({
            "id": search.pk,
            "name": search.name,
            "results": total,
            "previous_results": earlier,
            "change_percent": change_percent(total, earlier),
            "sentiment": [{**s, "label": str(s["label"])}
                          for s in figures.sentiment_share(counted)],
            "share_of_voice_percent": voice[search.pk]["percent"],
            "authors": figures.top_authors(matches, TOP_AUTHORS),
            "by_day": [{"day": d, "count": n} for d, n in by_day],
        })
    return {"from": span.first_day, "until": span.last_day,
            "previous_from": before.first_day, "previous_until": before.last_day,
            "timezone": str(zone), "searches": rows}


def sentiment_percent(row: dict[str, Any], value: str) -> float:
    return next((s["percent"] for s in row["sentiment"] if s["sentiment"] == value), 0.0)


def write_csv(listening: dict[str, Any] | None, out: TextIO) -> int:
    """One line per search (UTF-8 with a byte-order mark, like the posts' CSV); returns the
    number of searches written."""
    out.write("\ufeff")
    writer = csvsafe.writer(out)
    writer.writerow(CSV_COLUMNS)
    rows = (listening or {}).get("searches", [])
    for r in rows:
        writer.writerow([
            r["name"], listening["from"].isoformat(), listening["until"].isoformat(),
            r["results"], r["previous_results"],
            "" if r["change_percent"] is None else r["change_percent"],
            sentiment_percent(r, Sentiment.POSITIVE), sentiment_percent(r, Sentiment.NEUTRAL),
            sentiment_percent(r, Sentiment.NEGATIVE), r["share_of_voice_percent"]])
    return len(rows)


def change_text(value: float | None) -> str:
    """+12,5 % in Greek, +12.5 % in English; — when there was nothing to compare with."""
    if value is None:
        return "—"
    shown = formats.number_format(abs(value), decimal_pos=1, use_l10n=True, force_grouping=True)
    return f"{'+' if value > 0 else '−' if value < 0 else ''}{shown} %"


def pdf_page(pdf: Any, content: Any) -> None:
    """The report's "Listening" page (nothing without the section)."""
    from keryx.analytics.reports import pdfcharts
    from keryx.analytics.reports.pdf import WIDTH, num

    listening = content.extra.get("listening")
    if not listening:
        return
    rows = listening["searches"]
    pdf.add_page()
    pdf.heading(_("Listening"), size=15)
    pdf.paragraph(_("Results of the saved searches from %(from)s to %(until)s, against the "
                    "%(days)s days before (%(pfrom)s – %(puntil)s). Results marked irrelevant "
                    "are not counted.") % {
        "from": listening["from"].isoformat(), "until": listening["until"].isoformat(),
        "days": num((listening["until"] - listening["from"]).days + 1),
        "pfrom": listening["previous_from"].isoformat(),
        "puntil": listening["previous_until"].isoformat()}, size=8, muted=True)
    pdf.table_of([_("Search"), _("Results"), _("Previous period"), _("Change"),
                  _("Positive"), _("Neutral"), _("Negative"), _("Share of voice")],
                 [[r["name"], num(r["results"]), num(r["previous_results"]),
                   change_text(r["change_percent"]),
                   f"{num(sentiment_percent(r, Sentiment.POSITIVE), 1)} %",
                   f"{num(sentiment_percent(r, Sentiment.NEUTRAL), 1)} %",
                   f"{num(sentiment_percent(r, Sentiment.NEGATIVE), 1)} %",
                   f"{num(r['share_of_voice_percent'], 1)} %"] for r in rows],
                 (30, 27, 27, 17, 15, 17, 17, 23), ("LEFT",) + ("RIGHT",) * 7, size=7.5)

    none_yet = _("No results in this period")
    pdf.heading(_("Results per day"), size=11)
    series = {pdf.clean(r["name"]) or f"#{r['id']}": [(d["day"], d["count"]) for d in r["by_day"]]
              for r in rows}
    if pdf.will_page_break(60):
        pdf.add_page()
    y = pdf.get_y()
    used = pdfcharts.line_chart(pdf, 15, y, WIDTH, 50, series, none_yet)
    pdf.set_y(y + used + 3)

    pdf.heading(_("Share of voice"), size=11)
    if pdf.will_page_break(len(rows) * 7 + 12):
        pdf.add_page()
    y = pdf.get_y()
    voice = sorted(rows, key=lambda r: (-r["results"], r["name"]))
    used = pdfcharts.ranked_bars(
        pdf, 15, y, WIDTH,
        [(r["name"], float(r["share_of_voice_percent"]),
          f"{num(r['share_of_voice_percent'], 1)} %") for r in voice if r["results"]],
        pdf.fit, none_yet)
    pdf.set_y(y + used + 2)
    pdf.paragraph(_("Share of voice: a search's results divided by all the searches' results "
                    "in the period; a result two searches found counts for both."),
                  size=8, muted=True)

    authors = [[r["name"], a["handle"], a["network"], num(a["count"])]
               for r in rows for a in r["authors"]]
    if authors:
        pdf.heading(_("Top authors"), size=11)
        pdf.rows_of([_("Search"), _("Author"), _("Network"), _("Results")], authors,
                    (50, 50, 25, 25), ("LEFT", "LEFT", "LEFT", "RIGHT"), size=7.5)
    # The report's own charts follow the sections: on a page of their own, not under ours.
    pdf.add_page()
