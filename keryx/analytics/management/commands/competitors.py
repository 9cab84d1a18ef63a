"""`keryx competitors list|add|remove|collect`: the public accounts a workspace follows.

list [--from DATE] [--until DATE] [--json]: the workspace's channels and the competitors side by
side (the same object as GET /api/v1/analytics/competitors). add NETWORK HANDLE [--channel
NAME]: follow one (read at once; an unknown account is refused). remove ID|HANDLE. collect: read
every competitor now.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from keryx.analytics import competitors, services
from keryx.analytics.models import Competitor
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


def _date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(_("Not a date (YYYY-MM-DD): %(value)s") % {"value": value}) from exc


def _figure(value: Any, suffix: str = "") -> str:
    return "—" if value is None else f"{value}{suffix}"


class Command(BaseCommand):
    help = _("Public accounts followed beside the workspace's channels.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help=_("channels and competitors side by side"))
        listing.add_argument("--from", dest="first", metavar="DATE")
        listing.add_argument("--until", dest="last", metavar="DATE")
        add_common_arguments(listing)
        adding = sub.add_parser("add", help=_("follow a public account"))
        adding.add_argument("network", help=_("mastodon or bluesky"))
        adding.add_argument("handle", help=_("@name@server, name.bsky.social, or a profile URL"))
        adding.add_argument("--channel", help=_("the channel to read it through (name or id)"))
        add_common_arguments(adding)
        removing = sub.add_parser("remove", help=_("stop following"))
        removing.add_argument("competitor", help=_("its id or handle"))
        add_common_arguments(removing)
        collect = sub.add_parser("collect", help=_("read every competitor now"))
        add_common_arguments(collect)

    def handle(self, *args: Any, **options: Any) -> None:
        user = resolve_actor(options["user"])
        membership = one_membership(user, options["workspace"])
        action = options["action"]
        require(membership, Action.VIEW_ANALYTICS if action == "list"
                else Action.MANAGE_COMPETITORS)
        workspace = membership.workspace
        if action == "list":
            try:
                when = services.period(workspace, _date(options.get("first")),
                                       _date(options.get("last")))
            except ValueError as exc:
                raise CommandError(one_line(exc)) from exc
            table = competitors.comparison(workspace, when)
            if options["json"]:
                self.stdout.write(to_json(table))
                return
            for row in [*table["channels"], *table["competitors"]]:
                rate = row["engagement_rate_by_followers"]
                self.stdout.write(
                    f"{'*' if row['kind'] == 'channel' else ' '} {row['handle'] or row['name']} "
                    f"({row['network']}): {_('followers')} {_figure(row['followers'])}, "
                    f"{_('growth')} {_figure(row['follower_growth'])}, "
                    f"{_('posts a week')} {_figure(row['posts_per_week'])}, "
                    f"{_('engagement rate')} "
                    f"{'—' if rate is None else f'{rate:.2f} %'}"
                    + (f" — {row['gone_reason'] or row['message']}"
                       if row["gone"] or row["message"] else ""))
            if not table["competitors"]:
                self.stdout.write(_("No competitors followed yet."))
            return
        if action == "add":
            channel = None
            try:
                if options.get("channel"):
                    [channel] = resolve_channels(workspace, [options["channel"]])
                found = competitors.add(workspace, options["network"], options["handle"],
                                        actor=user, channel=channel)
            except (InputError, competitors.CompetitorError) as exc:
                raise CommandError(one_line(exc)) from exc
            data = {"id": found.pk, "network": found.network, "handle": found.handle,
                    "ref": found.ref, "status": found.last_status,
                    "message": found.last_message}
            self.stdout.write(to_json(data) if options["json"] else
                              _("Following %(handle)s (id %(id)s).")
                              % {"handle": found.handle, "id": found.pk})
            return
        if action == "remove":
            try:
                found = competitors.find(workspace, options["competitor"])
            except LookupError as exc:
                raise CommandError(one_line(exc)) from exc
            competitors.remove(found, actor=user)
            self.stdout.write(to_json({"removed": found.handle}) if options["json"] else
                              _("No longer following %(handle)s.") % {"handle": found.handle})
            return
        reports = []
        for competitor in Competitor.objects.filter(workspace=workspace).order_by("pk"):
            status = competitors.read_now(competitor)
            competitor.refresh_from_db()
            reports.append({"id": competitor.pk, "handle": competitor.handle,
                            "status": str(status), "message": competitor.last_message})
        if options["json"]:
            self.stdout.write(to_json(reports))
            return
        for r in reports:
            self.stdout.write(f"{r['handle']}: {r['status']}"
                              + (f" — {r['message']}" if r["message"] else ""))
