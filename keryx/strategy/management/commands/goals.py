"""`keryx goals list [--json]`, `keryx goals add --name … --metric … --target … --deadline …
[--channel NAME|ID | --campaign NAME|ID]`, `keryx goals progress` (compute now)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from keryx.core.cliutil import (
    add_common_arguments,
    one_line,
    one_membership,
    require,
    resolve_actor,
    to_json,
)
from keryx.core.permissions import Action
from keryx.planner.models import Campaign
from keryx.publishing.inputs import InputError, resolve_channels
from keryx.strategy import goals
from keryx.strategy.models import Metric

FIELDS = ("id", "name", "metric", "channel", "campaign", "target", "deadline", "start_value",
          "current", "status", "projected_value_at_deadline", "projected_reached_on")


def _row(goal: Any) -> dict[str, Any]:
    data = goals.goal_json(goal)
    return {k: data[k] for k in FIELDS} | {"projection_method": goals.PROJECTION_METHOD}


class Command(BaseCommand):
    help = _("S.M.A.R.T. goals on the workspace's figures.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help=_("every goal with its progress"))
        add_common_arguments(listing)
        adding = sub.add_parser("add", help=_("set a goal (its start value is measured now)"))
        adding.add_argument("--name", required=True)
        adding.add_argument("--metric", required=True, choices=Metric.values)
        adding.add_argument("--target", required=True, type=float)
        adding.add_argument("--deadline", required=True, metavar="YYYY-MM-DD")
        adding.add_argument("--channel", help=_("a channel (name or id); default: the workspace"))
        adding.add_argument("--campaign", help=_("a campaign (name or id)"))
        add_common_arguments(adding)
        progress = sub.add_parser("progress", help=_("compute every goal's progress now"))
        add_common_arguments(progress)

    def handle(self, *args: Any, **options: Any) -> None:
        user = resolve_actor(options["user"])
        membership = one_membership(user, options["workspace"])
        action = options["action"]
        require(membership, Action.VIEW_ANALYTICS if action == "list"
                else Action.MANAGE_STRATEGY)
        workspace = membership.workspace
        if action == "add":
            try:
                deadline = date.fromisoformat(options["deadline"])
            except ValueError as exc:
                raise CommandError(_("--deadline must be a date, YYYY-MM-DD.")) from exc
            channel = campaign = None
            try:
                if options.get("channel"):
                    [channel] = resolve_channels(workspace, [options["channel"]])
            except InputError as exc:
                raise CommandError(one_line(exc)) from exc
            if options.get("campaign"):
                value = options["campaign"]
                qs = Campaign.objects.filter(workspace=workspace)
                campaign = (qs.filter(pk=int(value)).first() if value.isdecimal() else None) \
                    or qs.filter(name__iexact=value).first()
                if campaign is None:
                    raise CommandError(_("No campaign %(c)s in this workspace.") % {"c": value})
            try:
                goal = goals.create_goal(workspace, name=options["name"],
                                         metric=options["metric"], target=options["target"],
                                         deadline=deadline, channel=channel, campaign=campaign,
                                         user=user)
            except goals.GoalError as exc:
                raise CommandError(one_line(exc.message)) from exc
            self.stdout.write(to_json(_row(goal)) if options["json"] else
                              _("Goal %(id)s added: %(status)s.") % {
                                  "id": goal.pk, "status": goal.get_status_display()})
            return
        found = goals.goals_of(workspace)
        if action == "progress":
            found = [goals.progress(g) for g in found]
        rows = [_row(g) for g in found]
        if options["json"]:
            self.stdout.write(to_json(rows))
            return
        for g, row in zip(found, rows, strict=True):
            now = "—" if row["current"] is None else row["current"]
            self.stdout.write(
                f"{g.pk} {g.name}: {row['metric']} {now}"
                f" / {row['target']} by {row['deadline']} — {g.get_status_display()}"
                + (f" ({_('reached on')} {row['projected_reached_on']})"
                   if row["projected_reached_on"] else ""))
        if not rows:
            self.stdout.write(_("No goals yet."))
