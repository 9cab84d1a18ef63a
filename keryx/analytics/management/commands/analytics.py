"""`keryx analytics posts|summary [--channel NAME] [--from DATE] [--until DATE] --json`.

posts: one object per published delivery in the period (latest counts, engagements, rates).
summary: the period's figures, the seed's overall engagement rate among them. Dates are the
workspace's local dates, both inclusive; the default period is the last 30 days.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from keryx.analytics import services
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
    help = _("Engagement figures of published posts.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        for name, text in (("posts", _("one line per published post")),
                           ("summary", _("the period's figures"))):
            action = sub.add_parser(name, help=text)
            action.add_argument("--channel", help=_("only this channel (name or id; several "
                                                    "separated by commas)"))
            action.add_argument("--from", dest="first", metavar="DATE")
            action.add_argument("--until", dest="last", metavar="DATE")
            add_common_arguments(action)

    def handle(self, *args: Any, **options: Any) -> None:
        user = resolve_actor(options["user"])
        membership = one_membership(user, options["workspace"])
        require(membership, Action.VIEW_ANALYTICS)
        workspace = membership.workspace
        try:
            channels = (resolve_channels(workspace, options["channel"].split(","))
                        if options.get("channel") else None)
            when = services.period(
                workspace,
                _date(options["first"]) if options.get("first") else None,
                _date(options["last"]) if options.get("last") else None,
            )
        except (InputError, ValueError) as exc:
            raise CommandError(one_line(exc)) from exc
        if options["action"] == "posts":
            rows = [services.public_row(r) for r in services.post_rows(workspace, when, channels)]
            if options["json"]:
                self.stdout.write(to_json(rows))
                return
            if not rows:
                self.stdout.write(_("No posts were published in this period."))
            for r in rows:
                rate = r["engagement_rate"]["by_followers"]
                self.stdout.write(
                    f"{r['published_at']:%Y-%m-%d %H:%M} {r['channel']}: "
                    f"{r['engagements'] if r['engagements'] is not None else '—'} "
                    f"engagements, {'—' if rate is None else f'{rate:.2f} %'} {r['url']}")
            return
        data = services.summary(workspace, when, channels)
        if options["json"]:
            self.stdout.write(to_json(data))
            return
        rate = data["engagement_rate_by_followers"]
        self.stdout.write(_("%(posts)d posts, %(from)s – %(until)s") % {
            "posts": data["posts"], "from": data["from"], "until": data["until"]})
        self.stdout.write(_("Followers: %(start)s → %(end)s") % {
            "start": data["followers_start"], "end": data["followers_end"]})
        self.stdout.write(_("Engagement rate: %(rate)s (%(formula)s)") % {
            "rate": "—" if rate is None else f"{rate:.2f} %",
            "formula": data["engagement_rate_by_followers_formula"]
            or data["engagement_rate"]["by_followers"]["reason"]})
