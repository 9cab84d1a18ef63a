"""Which workspace a request works in. Every view and API endpoint resolves the workspace
through here, so no query runs unscoped. A module below every app's views, so views never import
each other. What a member may do there is keryx.core.permissions' answer."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import Http404, HttpRequest

from keryx.core.models import Membership, Workspace

SESSION_WORKSPACE_KEY = "keryx_workspace_id"


def memberships_of(user: AbstractBaseUser | AnonymousUser) -> list[Membership]:
    if not user.is_authenticated:
        return []
    # The workspace's security policy (keryx.accounts) comes in the same query: every page
    # checks whether the workspace requires two-factor sign-in.
    return list(Membership.objects.filter(user=user)
                .select_related("workspace", "workspace__security_policy"))


def membership_for(user: AbstractBaseUser | AnonymousUser, workspace_id: int) -> Membership:
    """The caller's membership in a workspace.

    404, not 403, so the ids of other people's workspaces reveal nothing."""
    if not user.is_authenticated:
        raise Http404("No such workspace")
    try:
        return Membership.objects.select_related("workspace").get(
            user=user, workspace_id=workspace_id
        )
    except Membership.DoesNotExist as exc:
        raise Http404("No such workspace") from exc


def current_membership(request: HttpRequest) -> Membership | None:
    """The workspace the signed-in user is working in (kept in the session), else their first."""
    memberships = memberships_of(request.user)
    if not memberships:
        return None
    chosen = request.session.get(SESSION_WORKSPACE_KEY)
    for membership in memberships:
        if membership.workspace_id == chosen:
            return membership
    return memberships[0]


def current_workspace(request: HttpRequest) -> Workspace | None:
    membership = current_membership(request)
    return membership.workspace if membership else None
