"""`keryx import FILE [--format hootsuite|keryx] [--date-format dd/mm/yyyy|mm/dd/yyyy]
[--to NAME[,NAME...]] [--dry-run] [--json]`

Validates every row, then schedules the good ones (each in its own transaction). Prints each
rejected row with its line number and reason; exits 1 when any row was rejected. --dry-run
validates only and leaves nothing behind in the database."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from keryx.bulk import parsing, services
from keryx.bulk.models import ImportFormat, RowStatus
from keryx.channels.models import Channel
from keryx.core.cliutil import (
    add_common_arguments,
    one_line,
    one_membership,
    require,
    resolve_actor,
    to_json,
)
from keryx.core.permissions import Action


class _DryRun(Exception):
    pass


def guess_format(data: bytes) -> str:
    """Keryx files start with a header naming the text and time columns; Hootsuite's don't."""
    try:
        text = parsing.decode(data[:8192]).text
    except parsing.FileRejected:
        return ImportFormat.KERYX
    first = text.splitlines()[0].lower() if text.strip() else ""
    return ImportFormat.KERYX if "text" in first and "time" in first else ImportFormat.HOOTSUITE


class Command(BaseCommand):
    help = _("Schedule posts from a CSV file (Keryx's format or Hootsuite's bulk composer).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help=_("the CSV file"))
        parser.add_argument("--format", choices=[f.value for f in ImportFormat],
                            help=_("default: guessed from the first row"))
        parser.add_argument("--date-format", choices=list(parsing.DATE_FORMATS),
                            default="dd/mm/yyyy", help=_("Hootsuite's column A"))
        parser.add_argument("--to", help=_("channel names, comma-separated (needed for "
                                           "Hootsuite files)"))
        parser.add_argument("--dry-run", action="store_true",
                            help=_("validate only; schedule nothing"))
        add_common_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        user = resolve_actor(options["user"])
        membership = one_membership(user, options["workspace"])
        require(membership, Action.IMPORT_POSTS)
        workspace = membership.workspace
        try:
            with open(options["file"], "rb") as handle:
                data = handle.read(parsing.MAX_BYTES + 1)
        except OSError as exc:
            raise CommandError(one_line(exc)) from exc
        channels = []
        for name in filter(None, (n.strip() for n in (options["to"] or "").split(","))):
            channel = Channel.objects.filter(workspace=workspace, name__iexact=name).first()
            if channel is None:
                raise CommandError(_("No channel named %(name)s in %(workspace)s.")
                                   % {"name": name, "workspace": workspace.name})
            channels.append(channel)
        opts = services.ImportOptions(
            format=options["format"] or guess_format(data), date_format=options["date_format"],
            channels=channels, filename=options["file"], allow_paths=True,
        )
        result: dict[str, Any] = {}
        try:
            with transaction.atomic():
                job = services.preview(workspace=workspace, user=user, data=data, options=opts)
                if options["dry_run"]:
                    result = self._result(job, dry_run=True)
                    raise _DryRun
            job = services.run_import(job.pk, actor=user.get_username())
            result = self._result(job, dry_run=False)
        except _DryRun:
            pass
        except services.FileRejected as exc:
            raise CommandError(one_line(exc)) from exc
        self._print(result, as_json=options["json"])
        if result["rejected"]:
            sys.exit(1)

    def _result(self, job: Any, *, dry_run: bool) -> dict[str, Any]:
        rejected = list(job.rows.filter(status=RowStatus.REJECTED).order_by("line")
                        .values("line", "reason"))
        return {
            "format": job.format, "encoding": job.encoding, "encoding_note": job.encoding_note,
            "rows": job.total, "valid": job.valid if dry_run else job.scheduled,
            "scheduled": 0 if dry_run else job.scheduled, "dry_run": dry_run,
            "rejected": rejected,
        }

    def _print(self, result: dict[str, Any], *, as_json: bool) -> None:
        if as_json:
            self.stdout.write(to_json(result))
            return
        if result["encoding_note"]:
            self.stderr.write(result["encoding_note"])
        for row in result["rejected"]:
            self.stdout.write(_("line %(line)s: %(reason)s") % row)
        summary = _("%(rows)s rows: %(valid)s valid, %(rejected)s rejected; nothing scheduled "
                    "(dry run).") if result["dry_run"] else _(
                    "%(rows)s rows: %(scheduled)s scheduled, %(rejected)s rejected.")
        self.stdout.write(summary % {**result, "rejected": len(result["rejected"])})
