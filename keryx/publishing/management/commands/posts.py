"""`keryx posts list|show|cancel|retry|reschedule`: read and steer posts from a shell.

    keryx posts list [--state S] [--limit N] [--workspace W] [--json]
    keryx posts show ID [--json]         per channel: state, remote id, url, published_at, error
    keryx posts cancel ID                cancel every channel not yet on its way
    keryx posts retry ID [--channel NAME]   retry the failed (or unknown) channels
    keryx posts reschedule ID --at ISO-8601

Only posts in the acting user's workspaces are visible; any other id is "no such post".
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from keryx.approvals.services import visible_posts
from keryx.core.cliutil import (
    add_common_arguments,
    denied,
    find_membership,
    memberships,
    one_line,
    require,
    resolve_actor,
    to_json,
)
from keryx.core.models import Membership
from keryx.core.permissions import Action
from keryx.publishing import inputs, services
from keryx.publishing.management.render import post_detail, post_row
from keryx.publishing.models import Post, PostTarget, TargetEvent, TargetState
from keryx.publishing.schemas import LIST_ORDER, post_json


def _posts() -> QuerySet[Post]:
    return Post.objects.select_related("author", "workspace").prefetch_related(
        Prefetch("targets", queryset=PostTarget.objects.select_related("channel")),
        Prefetch("targets__events", queryset=TargetEvent.objects.order_by("at", "pk")),
        "media",
    )


# What each subcommand on one post asks keryx.core.permissions.
ACTIONS = {
    "show": Action.VIEW_POSTS,
    "cancel": Action.CANCEL_POST,
    "retry": Action.RETRY_POST,
    "reschedule": Action.RESCHEDULE_POST,
}


class Command(BaseCommand):
    help = _("List, show, cancel, retry or reschedule posts.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)

        listing = sub.add_parser("list", help=_("list posts, latest first"))
        listing.add_argument("--state", choices=[s.value for s in TargetState],
                             help=_("posts with at least one channel in this state"))
        listing.add_argument("--limit", type=int, default=50)
        add_common_arguments(listing)

        show = sub.add_parser("show", help=_("one post, per channel, with its history"))
        show.add_argument("id", type=int)
        add_common_arguments(show)

        cancel = sub.add_parser("cancel", help=_("cancel what has not gone out yet"))
        cancel.add_argument("id", type=int)
        add_common_arguments(cancel)

        retry = sub.add_parser("retry", help=_("retry the channels that failed"))
        retry.add_argument("id", type=int)
        retry.add_argument("--channel", help=_("only this channel (name or id)"))
        add_common_arguments(retry)

        reschedule = sub.add_parser("reschedule", help=_("move the post to another time"))
        reschedule.add_argument("id", type=int)
        reschedule.add_argument("--at", required=True, metavar="ISO-8601")
        add_common_arguments(reschedule)

    def handle(self, *args: Any, **options: Any) -> None:
        user = resolve_actor(options["user"])
        self.actor = user.email or user.get_username()
        action = options["action"]
        try:
            if action == "list":
                self._list(user, options)
                return
            post, membership = self._post(user, options["id"], options["workspace"])
            require(membership, ACTIONS[action], post)
            if action == "show":
                self._show(post, membership, options)
                return
            if action == "cancel":
                services.cancel_post(post, actor=self.actor)
            elif action == "retry":
                self._retry(post, options.get("channel"))
            elif action == "reschedule":
                when = inputs.resolve_when(options["at"], membership.workspace)
                if when is None:
                    raise CommandError(_("Give a date and time to reschedule to."))
                services.reschedule_post(post, when, actor=self.actor)
        except PermissionDenied as exc:
            raise denied(exc) from exc
        except (services.InvalidTransition, services.PostRejected, inputs.InputError) as exc:
            raise CommandError(one_line(exc)) from exc
        self._show(_posts().get(pk=post.pk), membership, options)

    # -- actions -------------------------------------------------------------------------------

    def _post(self, user: Any, post_id: int, workspace: str | None) -> tuple[Post, Membership]:
        named = find_membership(user, workspace)
        mine = {m.workspace_id: m for m in ([named] if named else memberships(user))}
        # A client approver reaches only the posts sent to them, as in the web UI and the API.
        post = visible_posts(user, _posts()).filter(pk=post_id, workspace_id__in=list(mine)).first()
        if post is None:
            raise CommandError(_("No such post: %(id)s") % {"id": post_id})
        return post, mine[post.workspace_id]

    def _list(self, user: Any, options: dict[str, Any]) -> None:
        named = find_membership(user, options["workspace"])
        mine = [named] if named else memberships(user)
        zones = {m.workspace_id: m.workspace.timezone for m in mine}
        qs = visible_posts(user, _posts()).filter(workspace_id__in=list(zones))
        if options["state"]:
            qs = qs.filter(targets__state=options["state"]).distinct()
        limit = max(1, options["limit"])
        posts = list(qs.order_by(*LIST_ORDER)[:limit])
        data = [post_json(p) for p in posts]
        if options["json"]:
            self.stdout.write(to_json(data))
            return
        if not data:
            self.stdout.write(_("No posts."))
            return
        for post in data:
            self.stdout.write(post_row(post, zones[post["workspace"]]))

    def _show(self, post: Post, membership: Membership, options: dict[str, Any]) -> None:
        data = post_json(post, history=True)
        if options["json"]:
            self.stdout.write(to_json(data))
        else:
            self.stdout.write("\n".join(post_detail(data, membership.workspace.timezone)))

    def _retry(self, post: Post, channel: str | None) -> None:
        targets = list(post.targets.all())
        if channel:
            wanted = inputs.resolve_channels(post.workspace, [channel])[0]
            targets = [t for t in targets if t.channel_id == wanted.pk]
            if not targets:
                raise CommandError(_("This post does not go to %(name)s.") % {"name": channel})
        retryable = [t for t in targets if t.state in (TargetState.FAILED, TargetState.UNKNOWN)]
        if not retryable:
            raise CommandError(_("Nothing to retry: no channel of this post has failed."))
        for target in retryable:
            services.retry_target(target, actor=self.actor)
