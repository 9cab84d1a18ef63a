"""`keryx secrets rotate`: re-encrypt every stored credential under the current key.

Procedure (docs/security.md): put the old key in KERYX_OLD_SECRET_KEYS, the new one in
KERYX_SECRET_KEY, restart (both keys now read; only the new one writes), run this command,
then drop KERYX_OLD_SECRET_KEYS. It can be run again at any time: rows already under the new
key are skipped, so an interrupted run is finished by running it again."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from keryx.core.cliutil import to_json
from keryx.core.crypto import rotate_all


class Command(BaseCommand):
    help = _("Re-encrypt stored credentials under the current KERYX_SECRET_KEY.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        rotate = sub.add_parser("rotate", help=_("re-encrypt every stored secret"))
        rotate.add_argument("--json", action="store_true", help=_("print JSON only"))

    def handle(self, *args: Any, **options: Any) -> None:
        report = rotate_all()
        total = {k: sum(c[k] for c in report.values()) for k in ("rotated", "current", "failed")}
        if options["json"]:
            self.stdout.write(to_json({"columns": report, "total": total}))
        else:
            for name, counts in report.items():
                self.stdout.write(
                    f"{name}: {counts['rotated']} rotated, {counts['current']} already current, "
                    f"{counts['failed']} failed"
                )
            self.stdout.write(
                _("Total: %(rotated)d rotated, %(current)d already current, %(failed)d failed.")
                % total
            )
        if total["failed"]:
            raise CommandError(
                _("%(n)d stored values open with no configured key: is a key missing from "
                  "KERYX_OLD_SECRET_KEYS?") % {"n": total["failed"]}
            )
