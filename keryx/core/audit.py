"""The audit log: one call, `record(...)`, from the services that change things people care
about (posts, approvals, channels, members, settings). Views never write entries themselves,
so every front end (web, API, CLI) leaves the same trail."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from keryx.core.models import AuditLog, Workspace

# The actions the log knows, with the words the audit page shows for them.
ACTIONS: dict[str, Any] = {
    "post.created": _("Post created"),
    "post.submitted": _("Post submitted for approval"),
    "post.approved": _("Post approved"),
    "post.rejected": _("Post rejected"),
    "post.edited": _("Post edited"),
    "post.cancelled": _("Post cancelled"),
    "post.rescheduled": _("Post rescheduled"),
    "media.alt_text_changed": _("Alt text changed"),
    "channel.connected": _("Channel connected"),
    "channel.renamed": _("Channel renamed"),
    "channel.deleted": _("Channel deleted"),
    "member.invited": _("Member invited"),
    "member.joined": _("Member joined"),
    "member.role_changed": _("Member's role changed"),
    "member.removed": _("Member removed"),
    "settings.changed": _("Settings changed"),
    "competitor.added": _("Competitor followed"),
    "competitor.removed": _("Competitor removed"),
    "report.scheduled": _("Scheduled report made"),
    "report.edited": _("Scheduled report edited"),
    "report.deleted": _("Scheduled report deleted"),
    "report.sent_now": _("Scheduled report sent now"),
    "share_link.created": _("Share link made"),
    "share_link.revoked": _("Share link revoked"),
    "report_logo.uploaded": _("Report logo uploaded"),
    "report_logo.removed": _("Report logo removed"),
    # Account events (no workspace: a sign-in is not in one).
    "account.password_reset_requested": _("Password reset requested"),
    "account.password_reset": _("Password reset"),
    "account.2fa_enabled": _("Two-factor sign-in turned on"),
    "account.2fa_disabled": _("Two-factor sign-in turned off"),
    "account.2fa_failed": _("Wrong two-factor code"),
    "account.2fa_recovery_used": _("Recovery code used"),
    "account.signed_out_everywhere": _("Signed out everywhere"),
    "account.signin_locked": _("Sign-in locked"),
    "token.created": _("API token created"),
    "token.revoked": _("API token revoked"),
}


def _label(actor: Any) -> str:
    if actor is None:
        return ""
    if isinstance(actor, str):
        return actor
    return getattr(actor, "email", "") or actor.get_username()


def record(
    workspace: Workspace | int | None,
    action: str,
    *,
    actor: Any = None,
    obj: models.Model | None = None,
    summary: str = "",
    **data: Any,
) -> AuditLog:
    """Write one entry. `actor` is a user, or a string for non-people ("scheduler") and for
    callers that know only the name; `data` holds small JSON-safe details (old and new role)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    user = actor if getattr(actor, "pk", None) and not isinstance(actor, str) else None
    workspace_id = workspace if isinstance(workspace, int) or workspace is None else workspace.pk
    return AuditLog.objects.create(
        workspace_id=workspace_id,
        actor=user,
        actor_label=_label(actor)[:150],
        action=action,
        object_type=obj._meta.model_name if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        summary=summary[:500],
        data=data,
    )
