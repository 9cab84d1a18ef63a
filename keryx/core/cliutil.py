"""What every `keryx` management command needs: who acts, in which workspace, and JSON output.

The CLI acts as `--user EMAIL`, or else as the first superuser (the admin `keryx init` made).
`--workspace` takes an id, slug or name, and is needed only when that user has several.
Errors are CommandError with one line, so `keryx` exits non-zero with one line on stderr; a
role that may not do the command (keryx.core.permissions) exits with PERMISSION_DENIED_EXIT, so
scripts can tell "not allowed" from "went wrong".
"""

from __future__ import annotations

import json
import os
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError, CommandParser
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.translation import gettext as _

from keryx.core import permissions
from keryx.core.models import Membership, Workspace
from keryx.core.permissions import Action

# sysexits.h's EX_NOPERM: "You did not have sufficient permission to perform the operation."
PERMISSION_DENIED_EXIT = getattr(os, "EX_NOPERM", 77)


def add_common_arguments(parser: CommandParser, *, json_output: bool = True) -> None:
    parser.add_argument("--workspace", help=_("workspace id, slug or name"))
    parser.add_argument("--user", help=_("act as this user (e-mail); default: the first admin"))
    if json_output:
        parser.add_argument("--json", action="store_true", help=_("print JSON only"))


def resolve_actor(email: str | None) -> Any:
    users = get_user_model().objects
    if email:
        user = users.filter(email__iexact=email, is_active=True).first()
        if user is None:
            raise CommandError(_("No active user with e-mail %(email)s.") % {"email": email})
        return user
    user = users.filter(is_superuser=True, is_active=True).order_by("pk").first()
    if user is None:
        raise CommandError(_("No admin user yet: run `keryx init` first, or pass --user EMAIL."))
    return user


def memberships(user: Any) -> list[Membership]:
    found = list(
        Membership.objects.filter(user=user).select_related("workspace").order_by("workspace_id")
    )
    if not found:
        raise CommandError(
            _("%(user)s is not a member of any workspace.") % {"user": _label(user)}
        )
    return found


def find_membership(user: Any, value: str | None) -> Membership | None:
    """The membership in the workspace the user names; None when nothing is named."""
    mine = memberships(user)
    if value is None:
        return None
    for membership in mine:
        workspace = membership.workspace
        if value in {str(workspace.pk), workspace.slug} or value.lower() == workspace.name.lower():
            return membership
    raise CommandError(
        _("No workspace %(value)r for %(user)s; yours: %(names)s.")
        % {"value": value, "user": _label(user),
           "names": ", ".join(m.workspace.slug for m in mine)}
    )


def one_membership(user: Any, value: str | None) -> Membership:
    """The named workspace, or the user's only one."""
    membership = find_membership(user, value)
    if membership is not None:
        return membership
    mine = memberships(user)
    if len(mine) > 1:
        raise CommandError(
            _("Several workspaces (%(names)s): choose one with --workspace.")
            % {"names": ", ".join(m.workspace.slug for m in mine)}
        )
    return mine[0]


def denied(exc: Exception) -> CommandError:
    """The CLI's answer to a PermissionDenied from a check or a service."""
    message = one_line(exc) or _("Your role does not allow this.")
    return CommandError(message, returncode=PERMISSION_DENIED_EXIT)


def require(membership: Membership, action: Action, obj: Any = None) -> None:
    """keryx.core.permissions.require, said as the CLI says errors."""
    try:
        permissions.require(membership, action, obj)
    except permissions.PermissionDenied as exc:
        raise denied(exc) from exc


def one_workspace(user: Any, value: str | None) -> Workspace:
    return one_membership(user, value).workspace


def to_json(data: Any) -> str:
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)


def one_line(message: object) -> str:
    """Error text for stderr: one line, whatever the exception said."""
    return " ".join(str(message).split())


def _label(user: Any) -> str:
    return user.email or user.get_username()
