"""`keryx tokens create --name N [--scope read|publish] [--expires-days N] [--user EMAIL]`,
`keryx tokens list`, `keryx tokens revoke ID`.

Personal API tokens for scripts (`Authorization: Bearer kx_…`). The raw token is printed once,
at creation, and never stored: only its SHA-256 is kept."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from keryx.accounts.services import active_tokens, issue_token, revoke_token
from keryx.core.cliutil import one_line, resolve_actor, to_json


class Command(BaseCommand):
    help = _("Create, list or revoke personal API tokens.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help=_("create a token and print it once"))
        create.add_argument("--name", required=True, help=_("what the token is for"))
        create.add_argument("--scope", choices=["read", "publish"], default="publish",
                            help=_("read: GET only; publish: all your role allows"))
        create.add_argument("--expires-days", type=int, default=None,
                            help=_("days until the token stops working (default: never)"))
        listing = sub.add_parser("list", help=_("list active tokens (never their secret)"))
        revoke = sub.add_parser("revoke", help=_("revoke a token by id"))
        revoke.add_argument("id", type=int)
        for p in (create, listing, revoke):
            p.add_argument("--user", help=_("whose tokens (e-mail); default: the first admin"))
            p.add_argument("--json", action="store_true", help=_("print JSON only"))

    def handle(self, *args: Any, **options: Any) -> None:
        user = resolve_actor(options["user"])
        action = options["action"]
        if action == "create":
            try:
                token, raw = issue_token(user, options["name"], scope=options["scope"],
                                         expires_in_days=options["expires_days"])
            except ValidationError as exc:
                raise CommandError(one_line(" ".join(exc.messages))) from exc
            if options["json"]:
                self.stdout.write(to_json({"id": token.pk, "name": token.name, "token": raw,
                                           "scope": token.scope,
                                           "expires_at": token.expires_at}))
            else:
                self.stdout.write(raw)
                self.stderr.write(_("This token is shown only once; store it now."))
        elif action == "list":
            rows = [
                {"id": t.pk, "name": t.name, "prefix": t.prefix, "created_at": t.created_at,
                 "last_used_at": t.last_used_at, "scope": t.scope, "expires_at": t.expires_at}
                for t in active_tokens(user)
            ]
            if options["json"]:
                self.stdout.write(to_json(rows))
            else:
                for row in rows:
                    expires = row["expires_at"].date().isoformat() if row["expires_at"] else "-"
                    self.stdout.write(f"{row['id']:>5}  {row['prefix']}…  {row['scope']:<7}  "
                                      f"{expires:<10}  {row['name']}")
        else:
            if not revoke_token(user, options["id"]):
                raise CommandError(_("No active token %(id)s.") % {"id": options["id"]})
            if options["json"]:
                self.stdout.write(to_json({"id": options["id"], "revoked": True}))
            else:
                self.stdout.write(_("Revoked token %(id)s.") % {"id": options["id"]})
