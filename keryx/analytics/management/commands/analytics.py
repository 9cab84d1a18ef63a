"""`keryx analytics posts|summary [--channel NAME] [--from DATE] [--until DATE] --json`, and
`keryx analytics experiment list|show ID|create ...|delete ID [--json]`.

posts: one object per published delivery in the period (latest counts, engagements, rates).
summary: the period's figures, the seed's overall engagement rate among them, and `benchmarks`
(the figures against each channel's targets and the 90 days before). Dates are the workspace's
local dates, both inclusive; the default period is the last 30 days.
experiment: posting-frequency experiments (keryx.analytics.experiments): two arms, each a period
with an optional planned number of posts a week per channel; `show` prints the verdicts.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from keryx.analytics import benchmarks, experiments, services
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
        experiment = sub.add_parser("experiment", help=_("posting-frequency experiments"))
        what = experiment.add_subparsers(dest="experiment_action", required=True)
        add_common_arguments(what.add_parser("list", help=_("the workspace's experiments")))
        for name, text in (("show", _("an experiment's figures and verdicts")),
                           ("delete", _("delete an experiment"))):
            one = what.add_parser(name, help=text)
            one.add_argument("id", type=int)
            add_common_arguments(one)
        create = what.add_parser("create", help=_("define an experiment"))
        create.add_argument("--name", required=True)
        create.add_argument("--channel", help=_("only these channels (names or ids, "
                                                "comma-separated); default all"))
        for arm in ("a", "b"):
            create.add_argument(f"--{arm}-from", required=True, metavar="DATE")
            create.add_argument(f"--{arm}-until", required=True, metavar="DATE")
            create.add_argument(f"--{arm}-label", default=arm.upper())
            create.add_argument(f"--{arm}-plan", type=float, metavar="POSTS_A_WEEK",
                                help=_("planned posts a week per channel"))
        create.add_argument("--notes", default="")
        add_common_arguments(create)

    def handle(self, *args: Any, **options: Any) -> None:
        user = resolve_actor(options["user"])
        membership = one_membership(user, options["workspace"])
        if options["action"] == "experiment":
            self._experiment(membership, user, options)
            return
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
        rows = services.post_rows(workspace, when, channels)
        data = services.summary(workspace, when, channels, rows=rows)
        data["benchmarks"] = benchmarks.compare(workspace, when, channels, data, rows=rows)
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

    def _experiment(self, membership: Any, user: Any, options: dict[str, Any]) -> None:
        action = options["experiment_action"]
        require(membership, Action.MANAGE_ANALYTICS if action in ("create", "delete")
                else Action.VIEW_ANALYTICS)
        workspace = membership.workspace
        if action == "list":
            rows = [experiments.summary_row(e) for e in experiments.experiments_of(workspace)]
            if options["json"]:
                self.stdout.write(to_json(rows))
                return
            if not rows:
                self.stdout.write(_("No experiments yet."))
            for r in rows:
                a, b = r["arms"]["a"], r["arms"]["b"]
                self.stdout.write(f"{r['id']}: {r['name']} — {a['label']} {a['from']}–"
                                  f"{a['until']}, {b['label']} {b['from']}–{b['until']}")
            return
        if action == "create":
            try:
                channels = (resolve_channels(workspace, options["channel"].split(","))
                            if options.get("channel") else [])
                arms = [experiments.ArmInput(_date(options[f"{k}_from"]),
                                             _date(options[f"{k}_until"]),
                                             options[f"{k}_label"], options[f"{k}_plan"])
                        for k in ("a", "b")]
                found = experiments.save_experiment(
                    workspace, experiments.ExperimentInput(
                        options["name"], arms[0], arms[1], [c.pk for c in channels],
                        options["notes"]), user=user)
            except (InputError, experiments.ExperimentError) as exc:
                raise CommandError(one_line(exc)) from exc
        else:
            try:
                found = experiments.get_experiment(workspace, options["id"])
            except LookupError as exc:
                raise CommandError(one_line(exc)) from exc
            if action == "delete":
                found.delete()
                self.stdout.write(_("Experiment %(id)d deleted.") % {"id": options["id"]})
                return
        result = experiments.evaluate(found)
        if options["json"]:
            self.stdout.write(to_json(result))
            return
        self.stdout.write(f"{result['id']}: {result['name']} ({result['status']})")
        for line in (result["per_post"]["explanation"], result["per_week"]["explanation"],
                     *result["frequency"], *result["notes_on_data"]):
            self.stdout.write(line)
