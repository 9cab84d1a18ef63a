"""`keryx budgets list [--json]` (each budget with spent, remaining and % per currency),
`keryx budgets add --category C --amount A --currency EUR [--month YYYY-MM] [--campaign C]
[--every-month [--until-month YYYY-MM]]`: a recurring budget is listed with this month's
status and the months before (`history`)."""

from __future__ import annotations

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
from keryx.strategy import budgets
from keryx.strategy.models import Category


class Command(BaseCommand):
    help = _("Budgets per month and per campaign, and what was spent of them.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help=_("every budget with what was spent"))
        add_common_arguments(listing)
        adding = sub.add_parser("add", help=_("add a budget"))
        adding.add_argument("--category", required=True, choices=Category.values)
        adding.add_argument("--amount", required=True)
        adding.add_argument("--currency", required=True)
        adding.add_argument("--month", metavar="YYYY-MM")
        adding.add_argument("--campaign", help=_("a campaign (name or id)"))
        adding.add_argument("--note", default="")
        adding.add_argument("--every-month", action="store_true", dest="repeats_monthly",
                            help=_("the same budget every month from --month on"))
        adding.add_argument("--until-month", metavar="YYYY-MM",
                            help=_("the last month of a budget repeated every month"))
        add_common_arguments(adding)

    def handle(self, *args: Any, **options: Any) -> None:
        user = resolve_actor(options["user"])
        membership = one_membership(user, options["workspace"])
        workspace = membership.workspace
        if options["action"] == "add":
            require(membership, Action.MANAGE_STRATEGY)
            campaign = None
            if value := options.get("campaign"):
                qs = Campaign.objects.filter(workspace=workspace)
                campaign = (qs.filter(pk=int(value)).first() if value.isdecimal() else None) \
                    or qs.filter(name__iexact=value).first()
                if campaign is None:
                    raise CommandError(_("No campaign %(c)s in this workspace.") % {"c": value})
            try:
                budget = budgets.create_budget(
                    workspace, category=options["category"], amount=options["amount"],
                    currency=options["currency"], month=options.get("month"),
                    campaign=campaign, note=options["note"],
                    repeats_monthly=options["repeats_monthly"],
                    until_month=options.get("until_month"), user=user)
            except budgets.BudgetError as exc:
                raise CommandError(one_line(exc.message)) from exc
            today = budgets.today_in(workspace)
            row = budgets.status(budget, today=today).json_with_history(today)
            self.stdout.write(to_json(row) if options["json"] else
                              _("Budget %(id)s added.") % {"id": budget.pk})
            return
        require(membership, Action.VIEW_ANALYTICS)
        today = budgets.today_in(workspace)
        rows = [s.json_with_history(today) for s in budgets.statuses(workspace, today)]
        if options["json"]:
            self.stdout.write(to_json(rows))
            return
        for row in rows:
            scope = " ".join(x for x in (row["period_month"] or row["month"], row["campaign"])
                             if x)
            if row["repeats_monthly"]:
                scope += " " + _("(every month)")
            percent = "—" if row["percent"] is None else f"{row['percent']}%"
            self.stdout.write(f"{row['id']} {row['category']} {scope}: {row['spent']} / "
                              f"{row['amount']} {row['currency']} ({percent})")
        if not rows:
            self.stdout.write(_("No budgets yet."))
