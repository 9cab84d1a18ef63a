"""`keryx channels add <network> …` and `keryx channels list [--json]`.

Every network in the registry gets `add <network>` with --access-token, --refresh-token,
--expires-at (where the network takes tokens), --name and one flag per field the network declares
(`page_id` -> --page-id, `app_password` -> --app-password), so `keryx channels add <network>
--help` lists what it needs.

Acts as --user EMAIL, or as the first superuser. --workspace takes an id, slug or name and is
needed only when that user belongs to several workspaces."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from keryx.channels import access, connect, errors, flows
from keryx.core.cliutil import (
    add_common_arguments,
    denied,
    find_membership,
    one_workspace,
    resolve_actor,
    to_json,
)
from keryx.networks import registry


class Command(BaseCommand):
    help = "Connect and list channels (connected social media accounts)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)

        add = sub.add_parser("add", help="connect an account")
        networks = add.add_subparsers(dest="network", required=True)
        for network in registry.names():
            try:
                fields = flows.connect_fields(network)
                display = registry.get_provider_class(network).display_name
            except (KeyError, ImportError):
                continue  # a network that cannot load must not break the whole command
            sub_parser = networks.add_parser(
                network, help=f"connect a {display} account without a browser",
                description=f"Connect a {display} account with credentials made elsewhere; "
                            f"see {flows.docs_hint(network)}.",
            )
            for field in fields:
                sub_parser.add_argument(
                    "--" + field.name.replace("_", "-"), dest=f"field_{field.name}",
                    required=field.required, default=None,
                    help=field.help or field.label,
                )
            sub_parser.add_argument("--name", default=None)
            add_common_arguments(sub_parser)

        listing = sub.add_parser("list", help="list channels")
        add_common_arguments(listing)

    def handle(self, *args: Any, **options: Any) -> None:
        user = resolve_actor(options.get("user"))
        try:
            if options["action"] == "list":
                self._list(user, options)
            else:
                self._add(user, options)
        except errors.ChannelError as exc:
            raise CommandError(exc.message) from exc
        except PermissionDenied as exc:
            raise denied(exc) from exc

    def _add(self, user: Any, options: dict[str, Any]) -> None:
        workspace = one_workspace(user, options.get("workspace"))
        values = {
            key.removeprefix("field_"): value
            for key, value in options.items() if key.startswith("field_") and value
        }
        channel = connect.connect_with_credentials(
            workspace, user, options["network"], values, name=options["name"]
        )
        if options["json"]:
            self.stdout.write(to_json(access.describe_channel(channel)))
        else:
            self.stdout.write(
                f"Connected {channel.name} ({channel.network} {channel.handle}) "
                f"in {workspace.name} [id {channel.pk}]"
            )

    def _list(self, user: Any, options: dict[str, Any]) -> None:
        membership = find_membership(user, options.get("workspace"))
        workspace = membership.workspace if membership else None
        channels = access.channels_for(user, workspace)
        if options["json"]:
            self.stdout.write(to_json([access.describe_channel(c) for c in channels]))
            return
        if not channels:
            self.stdout.write("No channels.")
            return
        for c in channels:
            self.stdout.write(
                f"{c.pk:>4}  {c.workspace.slug:<16} {c.network:<9} {c.name:<24} "
                f"{c.handle:<32} {c.status}"
            )
