"""The strategy measured: the channel mix (main channels, warning past MAX_MAIN_CHANNELS as
the seed advises), each channel's planned posts a week against the posts it got, its engagement
rate by followers and follower growth (keryx.analytics.services.summary), and each content
pillar's target share against the real one.

Real share of a pillar = posts published in the period carrying its label ÷ posts published
in the period × 100 (a post with two pillar labels counts in both; imported posts carry no
label, so they count in the denominator only)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from keryx.analytics import services as analytics
from keryx.channels.models import Channel
from keryx.core.models import Workspace
from keryx.planner.models import Label
from keryx.strategy.models import Strategy, StrategyChannel, StrategyPillar

MAX_MAIN_CHANNELS = 4
SHARE_FORMULA = "posts with the label ÷ posts published × 100"
RHYTHM_FORMULA = "posts published ÷ days × 7"

# The template's starting text, in the language chosen on creation.
TEMPLATES = {
    "en": {
        "title": "Social media strategy",
        "goal_summary": "What we want social media to do for us this year, and how we will "
                        "know it worked.",
        "audience": "Who we talk to: age, job, interests, what they need from us.",
        "audience_places": "Where they spend their time online, and when.",
        "notes": "Tone of voice, what we do not post, who approves what.",
    },
    "el": {
        "title": "Στρατηγική κοινωνικών δικτύων",
        "goal_summary": "Τι θέλουμε να πετύχουμε φέτος στα κοινωνικά δίκτυα και πώς θα "
                        "ξέρουμε ότι το πετύχαμε.",
        "audience": "Σε ποιους μιλάμε: ηλικία, επάγγελμα, ενδιαφέροντα, τι χρειάζονται από εμάς.",
        "audience_places": "Πού περνούν τον χρόνο τους στο διαδίκτυο και πότε.",
        "notes": "Ύφος, τι δεν δημοσιεύουμε, ποιος εγκρίνει τι.",
    },
}


class StrategyError(Exception):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def strategy_of(workspace: Workspace) -> Strategy | None:
    return Strategy.objects.filter(workspace=workspace).first()


def create_strategy(workspace: Workspace, language: str) -> Strategy:
    if language not in TEMPLATES:
        raise StrategyError(_("Choose the template's language: en or el."), "language")
    if strategy_of(workspace) is not None:
        raise StrategyError(_("This workspace has a strategy already."))
    with transaction.atomic():
        strategy = Strategy.objects.create(workspace=workspace, language=language,
                                           **TEMPLATES[language])
        for channel in Channel.objects.filter(workspace=workspace):
            StrategyChannel.objects.create(strategy=strategy, channel=channel)
    return strategy


def update_strategy(strategy: Strategy, *, text: dict[str, str] | None = None,
                    channels: list[dict[str, Any]] | None = None,
                    pillars: list[dict[str, Any]] | None = None) -> Strategy:
    """Change the text, the channel mix ({channel, main, posts_per_week, role}) and the
    pillars ({label, target_share}); channels and labels must be the workspace's."""
    workspace = strategy.workspace
    with transaction.atomic():
        for key, value in (text or {}).items():
            if key not in TEMPLATES["en"]:
                raise StrategyError(_("Unknown field %(f)s.") % {"f": key}, key)
            if key == "title" and not (value or "").strip():
                raise StrategyError(_("Give the strategy a title."), "title")
            setattr(strategy, key, (value or "")[: 200 if key == "title" else 20000])
        strategy.save()
        if channels is not None:
            for row in channels:
                channel = Channel.objects.filter(workspace=workspace, pk=row["channel"]).first()
                if channel is None:
                    raise StrategyError(_("No channel %(id)s in this workspace.")
                                        % {"id": row["channel"]}, "channels")
                ppw = row.get("posts_per_week")
                if ppw is not None and not (0 <= ppw <= 500):
                    raise StrategyError(_("Planned posts a week must be between 0 and 500."),
                                        "channels")
                StrategyChannel.objects.update_or_create(
                    strategy=strategy, channel=channel,
                    defaults={"main": bool(row.get("main")), "posts_per_week": ppw,
                              "role": (row.get("role") or "")[:300]})
        if pillars is not None:
            seen = set()
            total = 0.0
            for row in pillars:
                label = Label.objects.filter(workspace=workspace, pk=row["label"]).first()
                if label is None:
                    raise StrategyError(_("No label %(id)s in this workspace.")
                                        % {"id": row["label"]}, "pillars")
                share = row.get("target_share")
                if share is None:
                    continue
                if not (0 < share <= 100):
                    raise StrategyError(_("A pillar's target share is a percentage above 0 "
                                          "and at most 100."), "pillars")
                seen.add(label.pk)
                total += share
                StrategyPillar.objects.update_or_create(
                    strategy=strategy, label=label, defaults={"target_share": share})
            if total > 100.0001:
                raise StrategyError(_("The pillars' target shares add up to %(n)s %%, more "
                                      "than 100 %%.") % {"n": round(total, 1)}, "pillars")
            StrategyPillar.objects.filter(strategy=strategy).exclude(label_id__in=seen).delete()
    return strategy


def measured(strategy: Strategy, when: analytics.Period) -> dict[str, Any]:
    """The strategy with the period's figures beside each plan."""
    workspace = strategy.workspace
    summary = analytics.summary(workspace, when)
    by_channel = {g["channel"]: g for g in summary["by_channel"]}
    growth = {g["channel"]: g for g in summary["follower_growth_by_channel"]}
    rows = []
    for sc in strategy.channels.select_related("channel").order_by("-main", "channel__name"):
        name = sc.channel.name
        figures = by_channel.get(name, {})
        rate = (figures.get("engagement_rate_by_followers") or {})
        actual = figures.get("posts_per_week", 0.0)
        rows.append({
            "channel_id": sc.channel_id, "channel": name, "network": sc.channel.network,
            "main": sc.main, "role": sc.role, "planned_posts_per_week": sc.posts_per_week,
            "actual_posts_per_week": actual,
            "rhythm_gap": None if sc.posts_per_week is None
            else round(actual - sc.posts_per_week, 2),
            "posts": figures.get("posts", 0),
            "engagement_rate_by_followers": rate.get("value"),
            "engagement_rate_formula": rate.get("formula", ""),
            "follower_growth": growth.get(name, {}).get("follower_growth"),
            "follower_growth_percent": growth.get(name, {}).get("follower_growth_percent"),
        })
    rated = [r for r in rows if r["engagement_rate_by_followers"] is not None]
    best = max(rated, key=lambda r: r["engagement_rate_by_followers"])["channel"] \
        if rated else None
    for r in rows:
        r["best"] = r["channel"] == best
    main = [r for r in rows if r["main"]]
    warnings = []
    if len(main) > MAX_MAIN_CHANNELS:
        warnings.append(_("%(n)s main channels: focus on three or four, where your audience "
                          "is, and do them well.") % {"n": len(main)})
    posts = summary["posts"]
    per_label = {g["label_id"]: g["posts"] for g in summary["by_label"]}
    pillars = []
    for p in strategy.pillars.select_related("label").order_by("-target_share", "label__name"):
        n = per_label.get(p.label_id, 0)
        share = round(n / posts * 100, 1) if posts else None
        pillars.append({"label_id": p.label_id, "label": p.label.name,
                        "target_share": p.target_share, "posts": n, "actual_share": share,
                        "gap": None if share is None else round(share - p.target_share, 1)})
    return {
        "id": strategy.pk, "language": strategy.language, "title": strategy.title,
        "goal_summary": strategy.goal_summary, "audience": strategy.audience,
        "audience_places": strategy.audience_places, "notes": strategy.notes,
        "from": when.first_day, "until": when.last_day, "posts": posts,
        "channels": rows, "main_channels": len(main), "max_main_channels": MAX_MAIN_CHANNELS,
        "best_channel": best, "warnings": warnings, "pillars": pillars,
        "share_formula": SHARE_FORMULA, "rhythm_formula": RHYTHM_FORMULA,
        "engagement_rate_formula": summary["engagement_rate_by_followers_formula"],
        "updated_at": strategy.updated_at,
    }
