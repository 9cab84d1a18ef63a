"""`keryx report --from DATE --until DATE [--channel NAME[,NAME...]] --format pdf|csv|json
--output FILE [--language en|el] [--section NAME]`.

CSV: one row per post per channel with every metric and each figure's formula (the same file
as the analytics page's export); with --section NAME, that section's CSV instead (e.g.
`--section listening`: one row per saved search). PDF: the report with the charts and tables
(keryx.analytics.reports), in the user's language unless --language says otherwise. JSON: the
period, the summary, the benchmarks and one key per section other apps add (goals,
listening).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from keryx.analytics import services
from keryx.analytics.reports import content, sections
from keryx.analytics.reports.export import LANGUAGE_CODES, language_of, pdf_report
from keryx.analytics.reports.fonts import FontMissing
from keryx.core.cliutil import (
    add_common_arguments,
    one_line,
    one_membership,
    require,
    resolve_actor,
    to_json,
)
from keryx.core.permissions import Action
from keryx.publishing.inputs import InputError, resolve_channels


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(_("Not a date (YYYY-MM-DD): %(value)s") % {"value": value}) from exc


class Command(BaseCommand):
    help = _("Write an analytics report for a period to a file.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="first", required=True, metavar="DATE")
        parser.add_argument("--until", dest="last", required=True, metavar="DATE")
        parser.add_argument("--channel", help=_("only these channels (names or ids, "
                                                "comma-separated)"))
        parser.add_argument("--format", choices=["pdf", "csv", "json"], required=True)
        parser.add_argument("--output", required=True, metavar="FILE")
        parser.add_argument("--language", choices=sorted(LANGUAGE_CODES),
                            help=_("the PDF's language (default: yours)"))
        parser.add_argument("--section", metavar="NAME",
                            help=_("with --format csv: this section's CSV (e.g. listening) "
                                   "instead of the posts"))
        add_common_arguments(parser, json_output=False)

    def handle(self, *args: Any, **options: Any) -> None:
        user = resolve_actor(options["user"])
        membership = one_membership(user, options["workspace"])
        require(membership, Action.VIEW_ANALYTICS)
        workspace = membership.workspace
        if options.get("section") and options["format"] != "csv":
            raise CommandError(_("--section goes with --format csv."))
        try:
            channels = (resolve_channels(workspace, options["channel"].split(","))
                        if options.get("channel") else None)
            when = services.period(workspace, _date(options["first"]), _date(options["last"]))
        except (InputError, ValueError) as exc:
            raise CommandError(one_line(exc)) from exc
        if options["format"] == "pdf":
            try:
                data = pdf_report(workspace, when, channels,
                                  language=options.get("language") or language_of(user))
            except FontMissing as exc:
                raise CommandError(str(exc)) from exc
            Path(options["output"]).write_bytes(data)
            self.stdout.write(_("Report for %(from)s – %(until)s written to %(file)s") % {
                "from": when.first_day, "until": when.last_day, "file": options["output"]})
            return
        if options["format"] == "json":
            report = content.gather(workspace, when, channels)
            data = {"workspace": workspace.name, "from": when.first_day,
                    "until": when.last_day, "timezone": report.timezone,
                    "summary": report.summary, "benchmarks": report.benchmarks,
                    **{name: report.extra.get(name) for name in sections.CONTENT}}
            Path(options["output"]).write_text(to_json(data), encoding="utf-8")
            self.stdout.write(_("Report for %(from)s – %(until)s written to %(file)s") % {
                "from": when.first_day, "until": when.last_day, "file": options["output"]})
            return
        if options.get("section"):
            self._section_csv(workspace, when, options["section"], options["output"])
            return
        rows = services.post_rows(workspace, when, channels)
        with Path(options["output"]).open("w", encoding="utf-8", newline="") as out:
            services.write_csv(out, rows)
        self.stdout.write(_("%(count)d posts written to %(file)s") % {
            "count": len(rows), "file": options["output"]})

    def _section_csv(self, workspace: Any, when: services.Period, name: str,
                     output: str) -> None:
        write = sections.CSV.get(name)
        if write is None:
            raise CommandError(_("No section %(name)s with a CSV (there are: %(names)s).") % {
                "name": name, "names": ", ".join(sorted(sections.CSV)) or "—"})
        make = sections.CONTENT[name]
        with Path(output).open("w", encoding="utf-8", newline="") as out:
            count = write(make(workspace, when), out)
        self.stdout.write(_("%(count)d rows of %(section)s written to %(file)s") % {
            "count": count, "section": name, "file": output})
