"""`keryx validate TEXT (--to NAME[,NAME...] | --network NETWORK[,NETWORK...]) [--media PATH]...
[--content-warning CW] [--json]`

Prints, per channel or network, whether the post fits, the counted length, the limit and each
problem. Exit code 0 when every target accepts it, 1 when one refuses it, 2 for bad usage (an
unknown channel or network, a missing file).

--to checks against connected channels with the scheduler's own code (their servers' limits
included); the media are stored only for the check and removed afterwards. --network needs no
account: each provider's rules on their defaults.
"""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import FileField
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from keryx.composer.services import UnknownNetwork, check, check_networks, media_from_path
from keryx.core.cliutil import (
    add_common_arguments,
    one_line,
    one_membership,
    resolve_actor,
    to_json,
)
from keryx.publishing import inputs, services

UNITS = {
    "characters": gettext_lazy("characters"), "weighted": gettext_lazy("weighted characters"),
    "bytes": gettext_lazy("bytes (UTF-8)"), "utf16": gettext_lazy("UTF-16 code units"),
}


class _Rollback(Exception):
    """Undoes the check's temporary media rows."""


def _delete_derived_files(media: Any) -> None:
    """Files made from this media during the check (per-network adaptations, cached by whichever
    app keeps them): the rows go with the rollback, the files must go by hand."""
    for relation in media._meta.related_objects:
        model = relation.related_model
        file_fields = [f.name for f in model._meta.fields if isinstance(f, FileField)]
        if not file_fields or not relation.one_to_many:
            continue
        for row in model.objects.filter(**{relation.field.name: media}):
            for name in file_fields:
                getattr(row, name).delete(save=False)


class Command(BaseCommand):
    help = _("Check a post against networks' rules without saving anything.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("text", help=_("the post's text"))
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--to", metavar="NAME[,NAME...]",
                            help=_("connected channel names (or ids), comma-separated"))
        target.add_argument("--network", metavar="NETWORK[,NETWORK...]",
                            help=_("network identifiers (x, mastodon, bluesky, …)"))
        parser.add_argument("--media", action="append", default=[], metavar="PATH",
                            help=_("a file to attach (repeatable)"))
        parser.add_argument("--content-warning", default="", metavar="CW")
        add_common_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        for path in options["media"]:
            if not os.path.isfile(path):
                raise CommandError(_("No such file: %(path)s") % {"path": path}, returncode=2)
        if options["network"]:
            names = [n.strip().lower() for n in options["network"].split(",") if n.strip()]
            try:
                result = check_networks(
                    names, text=options["text"], content_warning=options["content_warning"],
                    media=[media_from_path(p) for p in options["media"]],
                )
            except UnknownNetwork as exc:
                raise CommandError(one_line(exc), returncode=2) from exc
        else:
            result = self._check_channels(options)
        if options["json"]:
            self.stdout.write(to_json(result))
        else:
            self.stdout.write("\n".join(self._lines(result)))
        if not result["valid"]:
            raise SystemExit(1)

    def _check_channels(self, options: dict[str, Any]) -> dict[str, Any]:
        user = resolve_actor(options["user"])
        workspace = one_membership(user, options["workspace"]).workspace
        try:
            channels = inputs.resolve_channels(workspace, options["to"].split(","))
        except inputs.InputError as exc:
            raise CommandError(one_line(exc), returncode=2) from exc
        stored: list[Any] = []
        result: dict[str, Any] = {}
        try:
            with transaction.atomic():
                for path in options["media"]:
                    with open(path, "rb") as handle:
                        stored.append(services.save_media(
                            workspace=workspace, user=user, file=handle,
                            filename=os.path.basename(path)))
                result = check(workspace=workspace, text=options["text"], channels=channels,
                               media=stored, content_warning=options["content_warning"])
                for media in stored:
                    _delete_derived_files(media)
                raise _Rollback
        except _Rollback:
            pass
        except services.MediaRejected as exc:
            raise CommandError(one_line(exc), returncode=2) from exc
        finally:
            for media in stored:
                media.file.delete(save=False)
        return result

    @staticmethod
    def _lines(result: dict[str, Any]) -> list[str]:
        lines = []
        for row in result["channels"]:
            mark = "ok" if row["valid"] else "REFUSED"
            counts = "; ".join(
                f"{m['count']}/{m['limit']} {UNITS.get(m['unit'], m['unit'])}"
                + (f" ({_('over by %(n)s') % {'n': m['over_by']}})" if m["over_by"] else "")
                for m in row["measures"]
            )
            lines.append(f"{row['channel']} [{row['network']}]: {mark}  {counts}".rstrip())
            lines += [f"  - {p['message']}" for p in row["problems"]]
        for problem in result.get("problems", []):
            if problem.get("channel") is None:
                lines.append(f"- {problem['message']}")
        return lines
