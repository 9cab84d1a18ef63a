"""`keryx inbox sync|list|reply|hide|done` (issue 15: scripts use these; keep them stable).

Thin: lookups are scoped to the acting user's workspace and the role is checked (before the
item is looked up, so an id reveals nothing); the work is in keryx.inbox.services.
"""

from __future__ import annotations

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
from keryx.core.models import Membership
from keryx.core.permissions import Action
from keryx.inbox import canned, services
from keryx.inbox.models import InboxItem, ReplyState, Status


class Command(BaseCommand):
    help = "The inbox: fetch, list and answer comments, mentions and direct messages."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sync = sub.add_parser("sync", help="fetch now, synchronously")
        sync.add_argument("--channel", help="only this channel (its name)")
        add_common_arguments(sync)
        listing = sub.add_parser("list", help="list inbox items")
        listing.add_argument("--status", default="open",
                             choices=["open", "pending", "done", "all"])
        add_common_arguments(listing)
        reply = sub.add_parser("reply", help="answer an item in its thread or conversation")
        reply.add_argument("item_id", type=int)
        reply.add_argument("text", nargs="?", default=None)
        reply.add_argument("--canned", metavar="CODE",
                           help="send this canned reply (in the item's language) instead of TEXT")
        add_common_arguments(reply)
        for name, text in (("hide", "hide an item on the network"), ("done", "mark it done")):
            one = sub.add_parser(name, help=text)
            one.add_argument("item_id", type=int)
            add_common_arguments(one)

    def handle(self, *args: Any, **options: Any) -> None:
        membership = one_membership(resolve_actor(options.get("user")), options.get("workspace"))
        getattr(self, "do_" + options["action"])(membership, options)

    def _item(self, membership: Membership, item_id: int) -> InboxItem:
        require(membership, Action.ANSWER_INBOX)
        item = InboxItem.objects.filter(workspace=membership.workspace, pk=item_id) \
            .select_related("channel", "conversation").first()
        if item is None:
            raise CommandError(_("No such inbox item: %(id)s.") % {"id": item_id})
        return item

    def _out(self, options: dict[str, Any], data: Any, text: str) -> None:
        self.stdout.write(to_json(data) if options.get("json") else text)

    def do_sync(self, membership: Membership, options: dict[str, Any]) -> None:
        require(membership, Action.ANSWER_INBOX)
        channels = services.inbox_channels(membership.workspace_id)
        if options.get("channel"):
            channels = [c for c in channels if c.name == options["channel"]]
            if not channels:
                raise CommandError(_("No channel %(name)s with an inbox in this workspace.")
                                   % {"name": options["channel"]})
        results = [services.sync_channel(c) for c in channels]
        data = [{"channel": r.channel, "fetched": r.fetched, "new": r.new,
                 "error": r.error or None} for r in results]
        self._out(options, data, "\n".join(
            f"{r.channel}: {r.new} new of {r.fetched}" + (f" ({r.error})" if r.error else "")
            for r in results) or _("No channel with an inbox."))
        if any(r.error for r in results) and not options.get("json"):
            raise CommandError(_("Some channels could not be fetched."))

    def do_list(self, membership: Membership, options: dict[str, Any]) -> None:
        require(membership, Action.VIEW_INBOX)
        items = [services.as_json(i)
                 for i in services.items_for(membership.workspace_id, options["status"])[:500]]
        self._out(options, items, "\n".join(
            f"{i['id']:>6} {i['status']:<7} {i['kind']:<7} {i['channel']} "
            f"@{i['author']['handle']}: {one_line(i['text'])[:80]}" for i in items))

    def do_reply(self, membership: Membership, options: dict[str, Any]) -> None:
        item = self._item(membership, options["item_id"])
        if bool(options.get("canned")) == bool(options.get("text")):
            raise CommandError(_("Give either the reply's TEXT or --canned CODE."))
        try:
            if options.get("canned"):
                reply = canned.send(item, options["canned"], user=membership.user)
            else:
                text = canned.expand(item.workspace_id, options["text"], item.language)
                reply = services.send_reply(item, text, user=membership.user)
        except services.InboxError as exc:
            raise CommandError(str(exc)) from exc
        data = services.reply_json(reply)
        if reply.state == ReplyState.GONE:
            # The draft is kept on the reply row (state "gone"), so the text is not lost.
            raise CommandError(_("The item was deleted on the network before the reply; the "
                                 "reply was not sent and is kept as reply %(id)s.")
                               % {"id": reply.pk})
        if reply.state != ReplyState.SENT:
            if options.get("json"):
                self.stdout.write(to_json(data))
            raise CommandError(_("The reply was not sent (%(state)s): %(error)s")
                               % {"state": reply.state, "error": one_line(reply.error)})
        self._out(options, data, _("Replied: %(url)s") % {"url": reply.remote_url or
                                                           reply.remote_id})

    def do_hide(self, membership: Membership, options: dict[str, Any]) -> None:
        item = self._item(membership, options["item_id"])
        try:
            services.hide(item)
        except services.InboxError as exc:
            raise CommandError(str(exc)) from exc
        self._out(options, {"id": item.pk, "hidden": True}, _("Hidden."))

    def do_done(self, membership: Membership, options: dict[str, Any]) -> None:
        item = self._item(membership, options["item_id"])
        services.set_status(item, Status.DONE)
        self._out(options, {"id": item.pk, "status": Status.DONE}, _("Done."))
