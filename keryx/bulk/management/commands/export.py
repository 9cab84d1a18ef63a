"""`keryx export [--from DATE] [--until DATE] FILE`

Writes the workspace's posts timed in that range (dates in the workspace's time zone, both
ends included) as Keryx CSV, which `keryx import` reads back to the same schedule. FILE "-"
writes to standard output."""

from __future__ import annotations

import sys
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from keryx.bulk import services
from keryx.channels.models import Channel
from keryx.core.cliutil import add_common_arguments, one_membership, require, resolve_actor
from keryx.core.permissions import Action
from keryx.core.timeutil import localize


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(_("%(value)s is not a date (YYYY-MM-DD).") % {"value": value}) from exc


class Command(BaseCommand):
    help = _("Export scheduled posts to a CSV file in Keryx's format.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help=_("where to write, or - for standard output"))
        parser.add_argument("--from", dest="start", help=_("first day (YYYY-MM-DD)"))
        parser.add_argument("--until", dest="end", help=_("last day (YYYY-MM-DD)"))
        parser.add_argument("--to", help=_("only these channels (names, comma-separated)"))
        add_common_arguments(parser, json_output=False)

    def handle(self, *args: Any, **options: Any) -> None:
        user = resolve_actor(options["user"])
        membership = one_membership(user, options["workspace"])
        require(membership, Action.VIEW_WORKSPACE)  # client approvers see only posts sent to them
        workspace = membership.workspace
        tz = workspace.timezone
        start = end = None
        if options["start"]:
            start = localize(datetime.combine(_date(options["start"]), time()), tz)
        if options["end"]:
            end = localize(datetime.combine(_date(options["end"]) + timedelta(days=1), time()), tz)
        channels = None
        if options["to"]:
            names = [n.strip().casefold() for n in options["to"].split(",") if n.strip()]
            channels = [c for c in Channel.objects.filter(workspace=workspace)
                        if c.name.casefold() in names]
        text = services.export_csv(workspace, start=start, end=end, channels=channels)
        if options["file"] == "-":
            sys.stdout.write(text)
            return
        try:
            with open(options["file"], "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
        except OSError as exc:
            raise CommandError(str(exc)) from exc
        self.stderr.write(_("%(count)s rows written to %(file)s.")
                          % {"count": max(text.count("\n") - 1, 0), "file": options["file"]})
