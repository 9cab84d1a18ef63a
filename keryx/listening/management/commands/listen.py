"""`keryx listen add|run|results|list` (issue 10: scripts use these; keep them stable).

Thin: scoped to the acting user's workspace, role checked first; the work is in
keryx.listening.services."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.timezone import get_current_timezone, is_naive, make_aware
from django.utils.translation import gettext as _

from keryx.core.cliutil import (
    add_common_arguments,
    one_line,
    one_membership,
    require,
    resolve_actor,
    to_json,
)
from keryx.core.models import Membership
from keryx.core.permissions import Action
from keryx.listening import services
from keryx.listening.models import SavedSearch


def _csv(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _since(value: str) -> datetime:
    when = parse_datetime(value)
    if when is None:
        day = parse_date(value)
        if day is None:
            raise CommandError(_("--since %(v)s is not a date (YYYY-MM-DD) or a time "
                                 "(YYYY-MM-DDTHH:MM).") % {"v": value})
        when = datetime(day.year, day.month, day.day)
    return make_aware(when, get_current_timezone()) if is_naive(when) else when


def search_json(search: SavedSearch) -> dict[str, Any]:
    return {"id": search.pk, "name": search.name, "query": search.query,
            "hashtags": search.hashtags, "mentions": search.mentions, "domain": search.domain,
            "languages": search.languages, "networks": search.networks, "feeds": search.feeds,
            "servers": search.servers,
            "enabled": search.enabled, "alert_webhook_url": search.alert_webhook_url,
            "last_run_at": search.last_run_at, "last_error": search.last_error,
            "results": search.matches.filter(irrelevant=False).count()}


def run_json(search: SavedSearch, run: Any) -> dict[str, Any]:
    return {"search": search.name, "fetched": run.fetched, "new_results": run.new_results,
            "new_matches": run.new_matches, "dropped_language": run.dropped_language,
            "dropped_private": run.dropped_private, "dropped_nomatch": run.dropped_nomatch,
            "errors": run.errors}


class Command(BaseCommand):
    help = "Social listening: saved searches over the networks and feeds, and what they found."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="save a search")
        add.add_argument("name")
        add.add_argument("--query", required=True,
                         help='keywords, "phrases", AND OR NOT, ( ), #hashtags, @handles')
        add.add_argument("--networks", help="comma-separated, e.g. mastodon,bluesky,reddit,rss")
        add.add_argument("--languages", help="comma-separated ISO codes, e.g. el,en")
        add.add_argument("--feed", action="append", default=[], help="an RSS/Atom feed URL")
        add.add_argument("--server", action="append", default=[],
                         help="a Mastodon server to search without an account there "
                              "(its public hashtag timelines), e.g. mastodon.social")
        add.add_argument("--alert-webhook", default="", help="where alerts are posted")
        add.add_argument("--domain", default="", help="the brand's links (a domain)")
        add_common_arguments(add)
        run = sub.add_parser("run", help="search now, synchronously")
        run.add_argument("name", nargs="?")
        add_common_arguments(run)
        res = sub.add_parser("results", help="what a search found, newest first")
        res.add_argument("name")
        res.add_argument("--since", help="a date or time, in the workspace's time zone")
        res.add_argument("--limit", type=int, default=1000)
        add_common_arguments(res)
        listing = sub.add_parser("list", help="the saved searches")
        add_common_arguments(listing)

    def handle(self, *args: Any, **options: Any) -> None:
        membership = one_membership(resolve_actor(options.get("user")), options.get("workspace"))
        try:
            getattr(self, "do_" + options["action"])(membership, options)
        except services.ListeningError as exc:
            raise CommandError(one_line(exc)) from exc

    def _search(self, membership: Membership, name: str) -> SavedSearch:
        search = SavedSearch.objects.filter(workspace=membership.workspace, name=name).first()
        if search is None:
            raise CommandError(_("No saved search named %(name)s.") % {"name": name})
        return search

    def _out(self, options: dict[str, Any], data: Any, text: str) -> None:
        self.stdout.write(to_json(data) if options.get("json") else text)

    def do_add(self, membership: Membership, options: dict[str, Any]) -> None:
        require(membership, Action.MANAGE_LISTENING)
        search = services.create_search(
            membership.workspace, name=options["name"], query=options["query"],
            networks=_csv(options.get("networks")), languages=_csv(options.get("languages")),
            feeds=options.get("feed") or [], servers=options.get("server") or [],
            alert_webhook_url=options.get("alert_webhook", ""),
            domain=options.get("domain", ""), user=membership.user)
        self._out(options, search_json(search),
                  _("Saved search %(name)s (%(networks)s).") % {
                      "name": search.name, "networks": ", ".join(search.networks)})

    def do_run(self, membership: Membership, options: dict[str, Any]) -> None:
        require(membership, Action.MANAGE_LISTENING)
        if options.get("name"):
            searches = [self._search(membership, options["name"])]
        else:
            searches = list(SavedSearch.objects.filter(workspace=membership.workspace,
                                                       enabled=True))
        out = [run_json(s, services.run_search(s)) for s in searches]
        lines = [_("%(search)s: %(new)s new of %(fetched)s fetched; dropped %(lang)s (language), "
                   "%(private)s (not public)") % {
                       "search": r["search"], "new": r["new_matches"], "fetched": r["fetched"],
                       "lang": r["dropped_language"], "private": r["dropped_private"]}
                 + "".join(f"\n  {k}: {v}" for k, v in r["errors"].items()) for r in out]
        self._out(options, out if not options.get("name") else out[0],
                  "\n".join(lines) or _("No saved searches."))

    def do_results(self, membership: Membership, options: dict[str, Any]) -> None:
        require(membership, Action.VIEW_LISTENING)
        search = self._search(membership, options["name"])
        since = _since(options["since"]) if options.get("since") else None
        rows = list(services.results(search, since=since)[:max(1, options["limit"])])
        for row in rows:
            row.search = search
        data = [services.as_json(m) for m in rows]
        self._out(options, data, "\n".join(
            f"{d['published_at']}  {d['network']}  @{d['author']}  [{d['sentiment']}, "
            f"{d['language']}]  {' '.join(d['text'].split())[:100]}" for d in data)
            or _("No results."))

    def do_list(self, membership: Membership, options: dict[str, Any]) -> None:
        require(membership, Action.VIEW_LISTENING)
        data = [search_json(s) for s in SavedSearch.objects.filter(
            workspace=membership.workspace)]
        self._out(options, data, "\n".join(
            f"{d['name']}: {d['query']}  ({', '.join(d['networks'])}; {d['results']} results)"
            + (f"\n  {d['last_error']}" if d["last_error"] else "") for d in data)
            or _("No saved searches."))
