"""Translated labels for the formulas and null reasons of keryx.analytics.maths and
keryx.analytics.services, for the human-read reports (PDF, shared page, e-mail).

The machine-readable strings stay English (CSV, JSON, API); only what a person reads goes
through these. A formula is built from pieces (`(likes+comments) / followers at publish time
× 100`, `average over posts of ...`), so it is translated piece by piece; a string this module
does not know is returned as it is (never dropped).
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from keryx.analytics import benchmarks, maths, services


def _parts() -> dict[str, str]:
    return {"likes": pgettext("formula", "likes"), "comments": pgettext("formula", "comments"),
            "shares": pgettext("formula", "shares"), "saves": pgettext("formula", "saves"),
            "no counts": pgettext("formula", "no counts")}


def _bases() -> dict[str, str]:
    return {maths.BASES["followers"]: pgettext("formula", "followers at publish time"),
            maths.BASES["reach"]: pgettext("formula", "reach"),
            maths.BASES["impressions"]: pgettext("formula", "impressions"),
            maths.BASES["followers_read"]: pgettext("formula", "followers when read")}


_RATE = re.compile(r"^\((?P<parts>[^)]*)\) / (?P<base>.+) × 100$")


def _rate(formula: str) -> str | None:
    match = _RATE.match(formula)
    if not match:
        return None
    parts, bases = _parts(), _bases()
    base = bases.get(match["base"])
    if base is None:
        return None
    names = match["parts"]
    shown = parts.get(names) or "+".join(parts.get(p, p) for p in names.split("+"))
    return f"({shown}) / {base} × 100"


def formula_label(formula: str) -> str:
    """The formula in the active language (English strings unchanged when not known)."""
    if not formula:
        return ""
    fixed = {
        services.ENGAGEMENT_SERIES_FORMULA: _(
            "new likes+comments+shares+saves per day (the parts each network gives; a count "
            "that went down adds 0)"),
        "sum over posts of likes+comments+shares+saves (the parts each network gives)": _(
            "sum over posts of likes+comments+shares+saves (the parts each network gives)"),
        benchmarks.FORMULAS["posts_per_week"]: _("posts / days × 7"),
        benchmarks.FORMULAS["followers_per_month"]: _(
            "(followers at the end − at the start) / days × 30"),
        benchmarks.FORMULAS["engagement_rate_by_followers"]: _(
            "average over posts of (engagements) / followers at publish time × 100"),
        "end − start; (end − start) / start × 100": _(
            "end − start; (end − start) / start × 100"),
    }
    if formula in fixed:
        return fixed[formula]
    for prefix, label in (("average over posts of ", _("average over posts of %(formula)s")),
                          ("average per cell of ", _("average per cell of %(formula)s"))):
        if formula.startswith(prefix):
            inner = formula[len(prefix):]
            return label % {"formula": _rate(inner) or inner}
    return _rate(formula) or formula


_ONLY_POSTS = re.compile(r"^only (?P<n>\d+) posts: too few to tell good times from chance$")
_NO_FIGURE = re.compile(r"^no (?P<base>.+) figure$")
_ZERO = re.compile(r"^(?P<base>.+) is 0: no rate can be computed$")


def reason_label(reason: str) -> str:
    """Why a figure is missing (or a warning), in the active language."""
    if not reason:
        return ""
    fixed = {
        "the network gives none of likes, comments, shares, saves": _(
            "the network gives none of likes, comments, shares, saves"),
        "no posts in the period": _("no posts in the period"),
        "no post in the period has a rate": _("no post in the period has a rate"),
        "the posts' engagement is counted differently (see each formula)": _(
            "the posts' engagement is counted differently (see each formula)"),
        "no follower reading at the start or the end": _(
            "no follower reading at the start or the end"),
        "0 followers at the start: no percentage": _("0 followers at the start: no percentage"),
        "no posts with an engagement rate yet": _("no posts with an engagement rate yet"),
        "the posts' engagement is counted differently; choose channels of one network": _(
            "the posts' engagement is counted differently; choose channels of one network"),
    }
    if reason in fixed:
        return fixed[reason]
    bases = _bases()
    if match := _ONLY_POSTS.match(reason):
        return _("only %(n)s posts: too few to tell good times from chance") % {"n": match["n"]}
    if (match := _NO_FIGURE.match(reason)) and match["base"] in bases:
        return _("no %(base)s figure") % {"base": bases[match["base"]]}
    if (match := _ZERO.match(reason)) and match["base"] in bases:
        return _("%(base)s is 0: no rate can be computed") % {"base": bases[match["base"]]}
    return reason


def benchmark_name(figure: str) -> str:
    return {"engagement_rate_by_followers": _("Engagement rate by followers"),
            "posts_per_week": _("Posts a week"),
            "followers_per_month": _("New followers a month")}.get(figure, figure)


def benchmark_rows(figures: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The benchmarks' figures as a report shows them: a translated name and formula, and the
    differences as distances (the side, above or below, says which way)."""
    return [{**f, "key": key, "name": benchmark_name(key), "formula": formula_label(f["formula"]),
             "target_gap": None if f["target_difference"] is None
             else abs(f["target_difference"]),
             "trailing_gap": None if f["trailing_difference"] is None
             else abs(f["trailing_difference"])} for key, f in figures.items()]
