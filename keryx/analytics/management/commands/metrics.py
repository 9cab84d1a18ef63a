"""`keryx metrics collect [--channel NAME] [--json]`: read every channel's counts and its
published posts' counts now, synchronously, then exit (keryx.analytics.collect.collect_now).

A channel that needs reconnecting is skipped and said so; the exit status is 0 whenever the
command ran, and each channel's "status" says what happened to it.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from keryx.analytics.collect import collect_now
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
from keryx.publishing.inputs import InputError, resolve_channels


class Command(BaseCommand):
    help = _("Collect metrics from the networks.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        collect = sub.add_parser("collect", help=_("collect now, synchronously, then exit"))
        collect.add_argument("--channel", help=_("only this channel (name or id; several "
                                                 "separated by commas)"))
        add_common_arguments(collect)

    def handle(self, *args: Any, **options: Any) -> None:
        user = resolve_actor(options["user"])
        membership = one_membership(user, options["workspace"])
        require(membership, Action.COLLECT_METRICS)
        try:
            workspace = membership.workspace
            if options.get("channel"):
                channels = resolve_channels(workspace, options["channel"].split(","))
            else:
                channels = list(Channel.objects.filter(workspace=workspace).order_by("name"))
        except (PermissionDenied, InputError) as exc:
            raise CommandError(one_line(exc)) from exc
        reports = [r.as_dict() for r in collect_now(channels)]
        if options["json"]:
            self.stdout.write(to_json(reports))
            return
        if not reports:
            self.stdout.write(_("No channels."))
        for r in reports:
            line = _("%(channel)s (%(network)s): %(status)s, %(posts)d posts read, "
                     "followers %(followers)s") % {
                "channel": r["channel"], "network": r["network"], "status": r["status"],
                "posts": r["posts_collected"],
                "followers": "—" if r["followers"] is None else r["followers"]}
            self.stdout.write(line + (f" — {r['message']}" if r["message"] else ""))
