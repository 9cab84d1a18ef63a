"""Helpers shared by the web views of every app (a module below all of them, so views never
import each other): resolve the signed-in user's current membership and ask
keryx.core.permissions whether it may do the view's action."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from keryx.core.access import SESSION_WORKSPACE_KEY, current_membership
from keryx.core.models import Membership, Role
from keryx.core.permissions import Action, require

View = Callable[..., HttpResponse]


def workspace_view(action: Action | None = None, *, clients: bool = False
                   ) -> Callable[[View], View]:
    """Sign-in required; `request.membership` is the current workspace membership.

    A user with no workspace is sent to create one. With `action`, a role that may not do it
    gets 403 (keryx.core.permissions.require).
    A client approver (who sees only the posts sent to them) is sent to their review inbox,
    unless the view says `clients=True` and scopes what it shows itself."""

    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            membership = current_membership(request)
            if membership is None:
                return redirect("workspace_create")
            from keryx.accounts import twofactor

            if twofactor.must_enrol(membership):
                messages.warning(request, _(
                    "%(workspace)s requires two-factor sign-in. Turn it on to continue.")
                    % {"workspace": membership.workspace.name})
                return redirect("two_factor")
            if membership.role == Role.CLIENT_APPROVER and not clients:
                return redirect("approvals:inbox")
            if action is not None:
                require(membership, action)
            request.membership = membership  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def switch_workspace(request: HttpRequest, membership: Membership) -> None:
    request.session[SESSION_WORKSPACE_KEY] = membership.workspace_id


def safe_next(request: HttpRequest, fallback: str = "/") -> str:
    """The `next` target when it stays on this site, else the fallback."""
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback
