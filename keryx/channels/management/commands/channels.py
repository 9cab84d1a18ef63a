"""`keryx channels add bluesky|mastodon …` and `keryx channels list [--json]`.

Acts as --user EMAIL, or as the first superuser. --workspace takes an id, slug or name and is
needed only when that user belongs to several workspaces."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from keryx.channels import services
from keryx.core.models import Membership, Workspace


def resolve_actor(email: str | None) -> Any:
    users = get_user_model().objects
    if email:
        user = users.filter(email__iexact=email, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user with e-mail {email}.")
        return user
    user = users.filter(is_superuser=True, is_active=True).order_by("pk").first()
    if user is None:
        raise CommandError("No admin user yet: run `keryx init` first, or pass --user EMAIL.")
    return user


def resolve_workspace(user: Any, value: str | None) -> Workspace | None:
    """The workspace the user means; None with no --workspace means "all" (for listing)."""
    memberships = list(Membership.objects.filter(user=user).select_related("workspace"))
    if not memberships:
        raise CommandError(f"{user.email} is not a member of any workspace.")
    if value is None:
        return None
    for membership in memberships:
        workspace = membership.workspace
        if value in {str(workspace.pk), workspace.slug} or value.lower() == workspace.name.lower():
            return workspace
    names = ", ".join(f"{m.workspace.slug}" for m in memberships)
    raise CommandError(f"No workspace {value!r} for {user.email}; yours: {names}.")


def one_workspace(user: Any, value: str | None) -> Workspace:
    workspace = resolve_workspace(user, value)
    if workspace is not None:
        return workspace
    memberships = list(Membership.objects.filter(user=user).select_related("workspace"))
    if len(memberships) > 1:
        names = ", ".join(m.workspace.slug for m in memberships)
        raise CommandError(f"Several workspaces ({names}): choose one with --workspace.")
    return memberships[0].workspace


class Command(BaseCommand):
    help = "Connect and list channels (connected social media accounts)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)

        def common(p: CommandParser) -> None:
            p.add_argument("--workspace", help="workspace id, slug or name")
            p.add_argument("--user", help="act as this user (e-mail); default: first admin")
            p.add_argument("--json", action="store_true", help="print JSON only")

        add = sub.add_parser("add", help="connect an account")
        networks = add.add_subparsers(dest="network", required=True)
        bluesky = networks.add_parser("bluesky", help="connect with a handle and app password")
        bluesky.add_argument("--handle", required=True)
        bluesky.add_argument("--app-password", required=True)
        bluesky.add_argument("--service", default=None, help="PDS URL (default bsky.social)")
        bluesky.add_argument("--name", default=None)
        common(bluesky)
        mastodon = networks.add_parser("mastodon", help="connect with an access token")
        mastodon.add_argument("--instance", required=True, help="server URL, e.g. mastodon.social")
        mastodon.add_argument("--access-token", required=True)
        mastodon.add_argument("--name", default=None)
        common(mastodon)

        listing = sub.add_parser("list", help="list channels")
        common(listing)

    def handle(self, *args: Any, **options: Any) -> None:
        user = resolve_actor(options.get("user"))
        try:
            if options["action"] == "list":
                self._list(user, options)
            else:
                self._add(user, options)
        except services.ChannelError as exc:
            raise CommandError(exc.message) from exc
        except PermissionDenied as exc:
            raise CommandError(str(exc) or "Your role does not allow this.") from exc

    def _add(self, user: Any, options: dict[str, Any]) -> None:
        workspace = one_workspace(user, options.get("workspace"))
        if options["network"] == "bluesky":
            channel = services.connect_bluesky(
                workspace, user, options["handle"], options["app_password"],
                service=options["service"], name=options["name"],
            )
        else:
            channel = services.connect_mastodon_token(
                workspace, user, options["instance"], options["access_token"],
                name=options["name"],
            )
        if options["json"]:
            self.stdout.write(json.dumps(services.describe_channel(channel)))
        else:
            self.stdout.write(
                f"Connected {channel.name} ({channel.network} {channel.handle}) "
                f"in {workspace.name} [id {channel.pk}]"
            )

    def _list(self, user: Any, options: dict[str, Any]) -> None:
        workspace = resolve_workspace(user, options.get("workspace"))
        channels = services.channels_for(user, workspace)
        if options["json"]:
            self.stdout.write(json.dumps([services.describe_channel(c) for c in channels]))
            return
        if not channels:
            self.stdout.write("No channels.")
            return
        for c in channels:
            self.stdout.write(
                f"{c.pk:>4}  {c.workspace.slug:<16} {c.network:<9} {c.name:<24} "
                f"{c.handle:<32} {c.status}"
            )
