"""The strategy and the results as PDFs, built with the analytics reports' machinery
(keryx.analytics.reports.pdf.ReportPDF: the font with Greek letters, page X of Y)."""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from keryx.analytics.reports.fonts import report_font
from keryx.analytics.reports.pdf import ReportPDF, num


def _v(value: Any, digits: int = 2) -> str:
    return "—" if value is None else num(value, digits)


def _goal_rows(goals: list[dict[str, Any]]) -> list[list[str]]:
    return [[g["name"], g["metric_label"], g["channel"] or g["campaign"] or _("Workspace"),
             _v(g["current"]), _v(g["target"]), g["deadline"].isoformat(), g["status_label"],
             g["projected_reached_on"].isoformat() if g["projected_reached_on"] else "—"]
            for g in goals]


def report_goals_section(pdf: ReportPDF, content: Any) -> None:
    """The analytics report's goals section (registered in StrategyConfig.ready)."""
    from keryx.strategy.goals import PROJECTION_METHOD_TEXT

    goals_section(pdf, content.extra.get("goals") or [], str(PROJECTION_METHOD_TEXT))


def goals_section(pdf: ReportPDF, goals: list[dict[str, Any]], method: str) -> None:
    if not goals:
        return
    pdf.heading(_("Goals"))
    pdf.table_of([_("Goal"), _("Metric"), _("For"), _("Now"), _("Target"), _("Deadline"),
                  _("Status"), _("Reached on (projected)")], _goal_rows(goals),
                 (26, 24, 18, 11, 11, 16, 14, 18), ("LEFT",) * 3 + ("RIGHT",) * 2
                 + ("LEFT",) * 3, size=7.5)
    pdf.paragraph(_("Projection: %(method)s.") % {"method": method}, size=8, muted=True)


def render_plan(plan: dict[str, Any], workspace_name: str, goals: list[dict[str, Any]],
                method: str, language: str | None = None) -> bytes:
    with translation.override(language or plan["language"]):
        pdf = ReportPDF(report_font(), f"Keryx · {workspace_name}")
        pdf.set_title(f"{workspace_name} · {plan['title']}")
        pdf.set_creator("Keryx")
        pdf.add_page()
        pdf.heading(plan["title"], size=16)
        pdf.paragraph(f"{workspace_name} · {plan['from'].isoformat()} – "
                      f"{plan['until'].isoformat()}", muted=True)
        for key, title in (("goal_summary", _("What the strategy is for")),
                           ("audience", _("Audience")),
                           ("audience_places", _("Where the audience spends its time"))):
            if plan[key]:
                pdf.heading(title, size=11)
                pdf.paragraph(plan[key])
        pdf.heading(_("Channel mix"))
        for warning in plan["warnings"]:
            pdf.paragraph(warning)
        pdf.table_of([_("Channel"), _("Main"), _("Planned a week"), _("Posted a week"),
                      _("Engagement rate by followers"), _("Follower growth")],
                     [[r["channel"] + (" ★" if r["best"] else ""),
                       _("yes") if r["main"] else _("no"),
                       _v(r["planned_posts_per_week"]), _v(r["actual_posts_per_week"]),
                       _v(r["engagement_rate_by_followers"]), _v(r["follower_growth"], 0)]
                      for r in plan["channels"]],
                     (30, 10, 16, 16, 22, 16), ("LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT",
                                                "RIGHT"), size=8)
        pdf.paragraph(_("Posted a week: %(f)s. Engagement rate by followers: %(r)s.") % {
            "f": plan["rhythm_formula"], "r": plan["engagement_rate_formula"] or "—"},
            size=8, muted=True)
        if plan["pillars"]:
            pdf.heading(_("Content pillars"))
            pdf.table_of([_("Pillar"), _("Target share"), _("Real share"), _("Posts")],
                         [[p["label"], f"{_v(p['target_share'], 1)} %",
                           "—" if p["actual_share"] is None else f"{_v(p['actual_share'], 1)} %",
                           _v(p["posts"], 0)] for p in plan["pillars"]],
                         (40, 20, 20, 14), ("LEFT", "RIGHT", "RIGHT", "RIGHT"), size=8)
            pdf.paragraph(_("Real share: %(f)s.") % {"f": plan["share_formula"]}, size=8,
                          muted=True)
        goals_section(pdf, goals, method)
        if plan["notes"]:
            pdf.heading(_("Notes"), size=11)
            pdf.paragraph(plan["notes"])
        return bytes(pdf.output())


def figure_name(key: str) -> str:
    return {"followers": _("Follower growth"), "posts": _("Posts"),
            "posts_per_week": _("Posts a week"),
            "engagement_rate_by_followers": _("Engagement rate by followers")}.get(key, key)


def render_results(res: dict[str, Any], workspace_name: str, language: str | None = None
                   ) -> bytes:
    with translation.override(language or translation.get_language()):
        pdf = ReportPDF(report_font(), f"Keryx · {workspace_name}")
        pdf.set_title(f"{workspace_name} · {_('Results')}")
        pdf.set_creator("Keryx")
        pdf.add_page()
        pdf.heading(f"{_('Results')} · {workspace_name}", size=16)
        t, last = res["this_year"], res["last_year"]
        pdf.paragraph(_("This year %(a)s – %(b)s against last year %(c)s – %(d)s.") % {
            "a": t["from"].isoformat(), "b": t["until"].isoformat(),
            "c": last["from"].isoformat(), "d": last["until"].isoformat()}, muted=True)
        pdf.table_of([_("Figure"), _("This year"), _("Last year"), _("Change"), _("Formula")],
                     [[figure_name(f["figure"]), _v(f["this_year"]), _v(f["last_year"]),
                       "—" if f["change_percent"] is None else f"{f['change_percent']:+.1f} %",
                       f["formula"]] for f in res["figures"]],
                     (24, 14, 14, 12, 46), ("LEFT", "RIGHT", "RIGHT", "RIGHT", "LEFT"), size=8)
        if res["best_posts"]:
            pdf.heading(_("Best posts"))
            pdf.table_of([_("Post"), _("Channel"), _("Engagements"),
                          _("Engagement rate by followers")],
                         [[p["text"][:120], p["channel"], _v(p["engagements"], 0),
                           _v(p["engagement_rate"]["by_followers"])] for p in res["best_posts"]],
                         (60, 20, 14, 20), ("LEFT", "LEFT", "RIGHT", "RIGHT"), size=8)
        pdf.heading(_("Campaigns and their cost per result"))
        if res["campaigns"]:
            pdf.table_of([_("Campaign"), _("Posts"), _("Engagements"),
                          _("Engagement rate by followers"), _("Cost per result")],
                         [[c["campaign"], _v(c["posts"], 0), _v(c["engagements"], 0),
                           _v(c["engagement_rate_by_followers"]),
                           "; ".join(c["costs"]) or _("no spend recorded")]
                          for c in res["campaigns"]],
                         (26, 10, 14, 18, 40), ("LEFT", "RIGHT", "RIGHT", "RIGHT", "LEFT"),
                         size=8)
        if res["no_spend"]:
            pdf.paragraph(_("No spend recorded: cost per result needs the spend entered or "
                            "imported under budgets."), size=8, muted=True)
        return bytes(pdf.output())
