"""Posting-frequency experiments (seed §13: "try posting more or less often and see whether
engagement rises"): define two arms (periods, each with the posting frequency planned for it),
then compare what the arms' posts did, with keryx.analytics.stats.

Two comparisons, each with its effect sizes, a permutation test and a verdict in plain words:

1. **per post**: each post's engagement rate by followers (the seed's formula, taken from
   keryx.analytics.services.post_rows, not computed again here);
2. **in total**: engagements per complete week of each arm (a week's posts' engagements), since
   posting more often can lower the rate per post and still raise the total.

Beside them, the posting frequency each arm achieved (posts a week per channel) against its plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keryx.analytics import services, stats
from keryx.analytics.models import Experiment
from keryx.channels.models import Channel
from keryx.core.models import Workspace

MIN_POSTS_PER_ARM = 5
# The fewest weeks per arm with which the exact test can reach the 5 % level at all
# (4 + 4 weeks: the most extreme split has p = 2 / C(8, 4) ≈ 0.029).
MIN_WEEKS_PER_ARM = 4
MAX_ARM_DAYS = 366
MAX_PLANNED_PER_WEEK = 100.0
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)
MAX_NOTES = 5000
# Posts younger than this may still be gaining engagement (they are read until 30 days).
SETTLING_DAYS = 7
MIXED_FORMULAS = "mixed_formulas"
ARMS = ("a", "b")


class ExperimentError(ValueError):
    """A definition that cannot be saved; `field` names the input at fault ("" for several)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class ArmInput:
    first: date
    last: date
    label: str = ""  # "": the arm's letter
    planned_per_week: float | None = None


@dataclass(frozen=True)
class ExperimentInput:
    name: str
    a: ArmInput
    b: ArmInput
    channel_ids: Sequence[int] = ()
    notes: str = ""


def _check(workspace: Workspace, data: ExperimentInput) -> list[Channel]:
    if not data.name.strip():
        raise ExperimentError(_("Give the experiment a name."), "name")
    if len(data.name) > 200:
        raise ExperimentError(_("The name is longer than 200 characters."), "name")
    if len(data.notes) > MAX_NOTES:
        raise ExperimentError(_("The notes are longer than %(max)d characters.")
                              % {"max": MAX_NOTES}, "notes")
    for key, arm in (("a", data.a), ("b", data.b)):
        label = arm.label.strip() or key.upper()
        for part, day in (("first", arm.first), ("last", arm.last)):
            if not EARLIEST <= day <= LATEST:
                raise ExperimentError(
                    _("Arm %(arm)s: %(day)s is outside %(earliest)s – %(latest)s.")
                    % {"arm": label, "day": day, "earliest": EARLIEST, "latest": LATEST},
                    f"{key}_{part}")
        if arm.first > arm.last:
            raise ExperimentError(_("Arm %(arm)s ends before it starts.") % {"arm": label},
                                  f"{key}_last")
        if (arm.last - arm.first).days + 1 > MAX_ARM_DAYS:
            raise ExperimentError(_("Arm %(arm)s is longer than %(days)d days.")
                                  % {"arm": label, "days": MAX_ARM_DAYS}, f"{key}_last")
        planned = arm.planned_per_week
        if planned is not None and not 0 < planned <= MAX_PLANNED_PER_WEEK:
            raise ExperimentError(
                _("Arm %(arm)s: the planned posts a week must be above 0 and at most "
                  "%(max)d.") % {"arm": label, "max": int(MAX_PLANNED_PER_WEEK)},
                f"{key}_planned_per_week")
        if len(arm.label) > 60:
            raise ExperimentError(_("Arm %(arm)s: the name is longer than 60 characters.")
                                  % {"arm": key.upper()}, f"{key}_label")
    if (data.a.label.strip() or "A").casefold() == (data.b.label.strip() or "B").casefold():
        raise ExperimentError(_("The two arms need different names."), "b_label")
    if data.a.first <= data.b.last and data.b.first <= data.a.last:
        raise ExperimentError(
            _("The two arms overlap (%(a_first)s – %(a_last)s and %(b_first)s – %(b_last)s): a "
              "post would count in both. Choose periods that do not share a day.")
            % {"a_first": data.a.first, "a_last": data.a.last, "b_first": data.b.first,
               "b_last": data.b.last}, "b_first")
    wanted = set(data.channel_ids)
    channels = list(Channel.objects.filter(workspace=workspace, pk__in=wanted))
    missing = wanted - {c.pk for c in channels}
    if missing:
        raise ExperimentError(_("No channel %(ids)s in this workspace.")
                              % {"ids": ", ".join(map(str, sorted(missing)))}, "channels")
    return channels


def save_experiment(workspace: Workspace, data: ExperimentInput, *, user: Any = None,
                    instance: Experiment | None = None) -> Experiment:
    """Create (or, with `instance`, change) an experiment; ExperimentError says what is wrong."""
    channels = _check(workspace, data)
    experiment = instance or Experiment(workspace=workspace, created_by=user)
    if experiment.workspace_id != workspace.pk:
        raise ExperimentError(_("No such experiment in this workspace."))
    experiment.name = data.name.strip()
    experiment.notes = data.notes
    for key in ARMS:
        arm: ArmInput = getattr(data, key)
        setattr(experiment, f"{key}_label", arm.label.strip() or key.upper())
        setattr(experiment, f"{key}_first", arm.first)
        setattr(experiment, f"{key}_last", arm.last)
        setattr(experiment, f"{key}_planned_per_week", arm.planned_per_week)
    with transaction.atomic():
        experiment.save()
        experiment.channels.set(channels)
    return experiment


# ---------------------------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------------------------


def _number(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _p(value: float | None) -> str:
    """"p = 0.012", or "p < 0.001" for the smallest (a Monte-Carlo p is never exactly 0)."""
    if value is None:
        return "p = —"
    return "p < 0.001" if value < 0.001 else f"p = {value:.3f}"


def explain(result: stats.Comparison | None, a: str, b: str, unit: str,
            formulas: Sequence[str] = ()) -> str:
    """The verdict in plain words (translated). unit: "posts" or "weeks"."""
    if result is None:
        return _("The posts' engagement is counted differently on these channels (%(formulas)s), "
                 "so their rates cannot be compared. Choose channels of one network.") % {
            "formulas": "; ".join(formulas)}
    values = {"a": a, "b": b, "n_a": result.n_a, "n_b": result.n_b, "min": result.min_n,
              "p": _p(result.p_value), "needed": result.needed_per_arm}
    if result.verdict == stats.NOT_ENOUGH:
        if unit == "posts":
            text = _("Not enough posts yet to tell: %(a)s has %(n_a)d posts with an engagement "
                     "rate and %(b)s has %(n_b)d; at least %(min)d in each are needed.") % values
        else:
            text = _("Not enough weeks yet to tell: %(a)s has %(n_a)d complete weeks and %(b)s "
                     "has %(n_b)d; at least %(min)d in each are needed.") % values
        needed = result.needed_per_arm
        if needed is not None and needed > result.min_n and needed <= stats.NEEDED_CAP:
            text += " " + (_("For a difference the size seen so far, about %(needed)d posts in "
                             "each arm would be needed.") if unit == "posts" else
                           _("For a difference the size seen so far, about %(needed)d weeks "
                             "in each arm would be needed.")) % values
        return text
    if result.verdict == stats.B_HIGHER:
        return _("%(b)s is higher, and that is unlikely to be chance (%(p)s).") % values
    if result.verdict == stats.A_HIGHER:
        return _("%(a)s is higher, and that is unlikely to be chance (%(p)s).") % values
    text = _("No clear difference: a gap like this could well be chance (%(p)s).") % values
    needed = result.needed_per_arm
    if needed is None or needed > stats.NEEDED_CAP or result.magnitude == "negligible":
        text += " " + _("The two arms are very close; more data is unlikely to change that.")
    elif needed > min(result.n_a, result.n_b):
        text += " " + (_("If the difference seen so far is real, about %(needed)d posts in each "
                         "arm would be needed to show it.") if unit == "posts" else
                       _("If the difference seen so far is real, about %(needed)d weeks in each "
                         "arm would be needed to show it.")) % values
    return text


def _comparison_json(result: stats.Comparison | None, text: str, unit: str,
                     formulas: Sequence[str]) -> dict[str, Any]:
    if result is None:
        return {"unit": unit, "verdict": MIXED_FORMULAS, "explanation": text,
                "formulas": list(formulas)}
    ci = result.median_difference_ci
    return {
        "unit": unit,
        "verdict": result.verdict,
        "explanation": text,
        "n_a": result.n_a,
        "n_b": result.n_b,
        "min_per_arm": result.min_n,
        "mean_a": _round(result.mean_a),
        "mean_b": _round(result.mean_b),
        "median_a": _round(result.median_a),
        "median_b": _round(result.median_b),
        "median_difference": _round(result.median_difference),
        "median_difference_ci95": [_round(ci[0]), _round(ci[1])] if ci else None,
        "hedges_g": _round(result.hedges_g),
        "cliffs_delta": _round(result.cliffs_delta),
        "magnitude": result.magnitude,
        "u_statistic": result.u_statistic,
        "p_value": _round(result.p_value, 6),
        "p_text": _p(result.p_value) if result.p_value is not None else "",
        "test": "Mann–Whitney U, two-sided, " + {
            "exact": "exact permutation",
            "monte_carlo": f"Monte-Carlo permutation ({stats.MONTE_CARLO_RESAMPLES} resamples)",
            "normal": "normal approximation with tie correction",
        }[result.method] if result.method else "",
        "needed_per_arm": result.needed_per_arm,
        "formulas": list(formulas),
    }


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def _arm(workspace: Workspace, experiment: Experiment, key: str, channels: list[Channel],
         today: date, now: datetime) -> dict[str, Any]:
    first: date = getattr(experiment, f"{key}_first")
    last: date = getattr(experiment, f"{key}_last")
    planned: float | None = getattr(experiment, f"{key}_planned_per_week")
    zone = ZoneInfo(workspace.timezone or "UTC")
    when = services.period(workspace, first, last)
    rows = services.post_rows(workspace, when, channels or None)
    if today < first:
        status, elapsed = "planned", 0
    elif today <= last:
        status, elapsed = "running", (today - first).days + 1
    else:
        status, elapsed = "finished", when.days
    rated = [r for r in rows if r["engagement_rate"]["by_followers"] is not None]
    names = [c.name for c in channels] or sorted(
        Channel.objects.filter(workspace=workspace).values_list("name", flat=True))
    per_channel: dict[str, int] = {name: 0 for name in names}
    for r in rows:
        per_channel[r["channel"]] = per_channel.get(r["channel"], 0) + 1
    engagements = sum(r["engagements"] or 0 for r in rows)
    # Complete weeks only: week i is days first + 7i … first + 7i + 6, all of them before today.
    done_until = min(last, today - timedelta(days=1))
    weeks = max(0, ((done_until - first).days + 1) // 7)
    weekly = [0] * weeks
    for r in rows:
        index = (r["published_at"].astimezone(zone).date() - first).days // 7
        if index < weeks:
            weekly[index] += r["engagements"] or 0
    per_week = (lambda count: round(count / elapsed * 7, 2)) if elapsed else (lambda _c: None)
    achieved = per_week(len(rows))
    per_channel_week = (round(achieved / len(names), 2)
                        if achieved is not None and names else None)
    return {
        "label": getattr(experiment, f"{key}_label"),
        "from": first,
        "until": last,
        "status": status,
        "days": when.days,
        "days_elapsed": elapsed,
        "posts": len(rows),
        "posts_with_rate": len(rated),
        "posts_per_week": achieved,
        "posts_per_week_per_channel": per_channel_week,
        "planned_per_week_per_channel": planned,
        "posts_per_week_by_channel": {name: per_week(count)
                                      for name, count in sorted(per_channel.items())},
        "engagements": engagements,
        "engagements_per_week": per_week(engagements),
        "complete_weeks": weeks,
        "engagements_by_week": weekly,
        "young_posts": sum(1 for r in rows
                           if now - r["published_at"] < timedelta(days=SETTLING_DAYS)),
        "_rates": [float(r["engagement_rate"]["by_followers"]) for r in rated],
        "_formulas": {r["engagement_rate_formula"]["by_followers"] for r in rated},
    }


def _plan_text(arm: dict[str, Any]) -> str:
    achieved = arm["posts_per_week_per_channel"]
    planned = arm["planned_per_week_per_channel"]
    if achieved is None:
        return _("%(arm)s has not started yet.") % {"arm": arm["label"]}
    values = {"arm": arm["label"], "achieved": _number(achieved, 1),
              "planned": _number(planned, 1)}
    if planned is None:
        return _("%(arm)s: %(achieved)s posts a week per channel.") % values
    if abs(achieved - planned) <= 0.25 * planned:
        return _("%(arm)s: %(achieved)s posts a week per channel, as planned (%(planned)s).") \
            % values
    if achieved < planned:
        return _("%(arm)s: %(achieved)s posts a week per channel, fewer than planned "
                 "(%(planned)s).") % values
    return _("%(arm)s: %(achieved)s posts a week per channel, more than planned "
             "(%(planned)s).") % values


def evaluate(experiment: Experiment, now: datetime | None = None) -> dict[str, Any]:
    """The experiment's figures and verdicts, JSON-ready (dates as date objects)."""
    workspace = experiment.workspace
    now = now or timezone.now()
    today = now.astimezone(ZoneInfo(workspace.timezone or "UTC")).date()
    channels = list(experiment.channels.filter(workspace=workspace).order_by("name"))
    arms = {key: _arm(workspace, experiment, key, channels, today, now) for key in ARMS}
    a, b = arms["a"], arms["b"]
    formulas = sorted(a["_formulas"] | b["_formulas"])
    mixed = len(formulas) > 1
    per_post = None if mixed else stats.compare(a["_rates"], b["_rates"], MIN_POSTS_PER_ARM)
    weekly = None if mixed else stats.compare(a["engagements_by_week"],
                                              b["engagements_by_week"], MIN_WEEKS_PER_ARM)
    per_post_text = explain(per_post, a["label"], b["label"], "posts", formulas)
    weekly_text = explain(weekly, a["label"], b["label"], "weeks", formulas)
    young = a["young_posts"] + b["young_posts"]
    notes = []
    if young:
        notes.append(_("%(count)d of the posts are less than %(days)d days old; their "
                       "engagement may still grow.") % {"count": young, "days": SETTLING_DAYS})
    status = ("planned" if a["status"] == b["status"] == "planned" else
              "finished" if a["status"] == b["status"] == "finished" else "running")
    return {
        "id": experiment.pk,
        "name": experiment.name,
        "notes": experiment.notes,
        "status": status,
        "channels": [c.name for c in channels],
        "rate_formula": formulas[0] if len(formulas) == 1 else "",
        "arms": {key: {k: v for k, v in arm.items() if not k.startswith("_")}
                 for key, arm in arms.items()},
        "per_post": _comparison_json(per_post, per_post_text, "posts", formulas),
        "per_week": _comparison_json(weekly, weekly_text, "weeks", formulas),
        "frequency": [_plan_text(a), _plan_text(b)],
        "notes_on_data": notes,
        "method": ("Per post: engagement rate by followers (the seed's formula, from the "
                   "analytics figures). In total: engagements per complete week of each arm. "
                   "Test: Mann–Whitney U under a permutation test (exact for small samples; the "
                   "normal approximation once both arms have 20 or more). "
                   "Effect sizes: Cliff's delta, the difference of medians with a 95 % "
                   "bootstrap interval, Hedges' g."),
    }


def summary_row(experiment: Experiment) -> dict[str, Any]:
    """What a list shows of an experiment, without computing its figures."""
    return {
        "id": experiment.pk, "name": experiment.name,
        "arms": {key: {"label": getattr(experiment, f"{key}_label"),
                       "from": getattr(experiment, f"{key}_first"),
                       "until": getattr(experiment, f"{key}_last"),
                       "planned_per_week_per_channel":
                           getattr(experiment, f"{key}_planned_per_week")}
                 for key in ARMS},
        "channels": sorted(c.name for c in experiment.channels.all()),
    }


def experiments_of(workspace: Workspace) -> list[Experiment]:
    return list(Experiment.objects.filter(workspace=workspace).prefetch_related("channels"))


def get_experiment(workspace: Workspace, pk: int) -> Experiment:
    """The workspace's experiment `pk`; LookupError for any other (another workspace's too)."""
    found = Experiment.objects.filter(workspace=workspace, pk=pk).first()
    if found is None:
        raise LookupError(_("No experiment %(id)s in this workspace.") % {"id": pk})
    return found

