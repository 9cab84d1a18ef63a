"""`keryx spend import FILE [--format meta|linkedin|x|keryx] [--json]` (rows not understood
are listed with their line numbers; the exit is 0 when the file was read, even with some),
`keryx spend list [--from YYYY-MM-DD] [--until YYYY-MM-DD] [--json]`."""

from __future__ import annotations

from datetime import date
from pathlib import Path
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
from keryx.strategy import spend_import
from keryx.strategy.models import SpendEntry


def _day(value: str | None, option: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(_("%(option)s must be a date, YYYY-MM-DD.") % {"option": option}) \
            from exc


class Command(BaseCommand):
    help = _("Spend: import the ad managers' CSV exports, list what was spent.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        importing = sub.add_parser("import", help=_("import a spend CSV"))
        importing.add_argument("file")
        importing.add_argument("--format", choices=list(spend_import.LAYOUTS),
                               help=_("default: recognised from the header"))
        add_common_arguments(importing)
        listing = sub.add_parser("list", help=_("spend, newest first"))
        listing.add_argument("--from", dest="first", metavar="YYYY-MM-DD")
        listing.add_argument("--until", dest="last", metavar="YYYY-MM-DD")
        add_common_arguments(listing)

    def handle(self, *args: Any, **options: Any) -> None:
        user = resolve_actor(options["user"])
        membership = one_membership(user, options["workspace"])
        if options["action"] == "list":
            require(membership, Action.VIEW_ANALYTICS)
            qs = SpendEntry.objects.filter(workspace=membership.workspace) \
                .select_related("campaign")
            if first := _day(options.get("first"), "--from"):
                qs = qs.filter(date__gte=first)
            if last := _day(options.get("last"), "--until"):
                qs = qs.filter(date__lte=last)
            rows = [{"id": e.pk, "date": e.date, "campaign": e.campaign.name if e.campaign
                     else None, "campaign_name_as_imported": e.campaign_name_as_imported,
                     "category": e.category, "amount": str(e.amount), "currency": e.currency,
                     "results": e.results, "source": e.source} for e in qs]
            if options["json"]:
                self.stdout.write(to_json(rows))
                return
            for row in rows:
                name = row["campaign"] or row["campaign_name_as_imported"] or "—"
                self.stdout.write(f"{row['date']} {row['amount']} {row['currency']} "
                                  f"{row['category']} {name}")
            if not rows:
                self.stdout.write(_("No spend yet."))
            return
        require(membership, Action.MANAGE_STRATEGY)
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(_("Cannot read %(file)s: %(error)s") % {
                "file": path, "error": exc.strerror or exc}) from exc
        try:
            batch = spend_import.import_spend(membership.workspace, data,
                                              fmt=options.get("format"), filename=path.name,
                                              user=user)
        except spend_import.SpendImportError as exc:
            raise CommandError(one_line(str(exc))) from exc
        result = {"id": batch.pk, "format": batch.source, "accepted": batch.accepted,
                  "duplicates": batch.duplicates, "rejected": batch.rejected}
        if options["json"]:
            self.stdout.write(to_json(result))
            return
        self.stdout.write(_("%(format)s: %(a)s rows accepted, %(d)s already imported, "
                            "%(r)s not understood.") % {
            "format": batch.source, "a": batch.accepted, "d": batch.duplicates,
            "r": len(batch.rejected)})
        for row in batch.rejected:
            self.stdout.write(_("line %(line)s: %(reason)s") % row)
