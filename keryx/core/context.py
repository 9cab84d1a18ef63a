from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from keryx.core.access import current_membership, memberships_of


def workspace_context(request: HttpRequest) -> dict[str, Any]:
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    return {
        "current_membership": current_membership(request),
        "all_memberships": memberships_of(request.user),
    }
