"""Account actions: invitations, member roles, personal API tokens and user preferences.

Views and API endpoints call these; the rules (who may grant what, the last owner stays) live
here so every front end enforces the same ones.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from keryx.accounts.models import ApiToken, Invitation, TokenScope
from keryx.core import audit, permissions
from keryx.core.models import Membership, Role, UserProfile, Workspace, validate_timezone
from keryx.core.permissions import Action

logger = logging.getLogger(__name__)


class InvitationError(Exception):
    """The invitation cannot be used (already accepted, meant for someone else)."""


def profile_of(user: Any) -> UserProfile:
    profile, _created = UserProfile.objects.get_or_create(user=user)
    return profile


def set_preferences(
    user: Any, *, language: str | None = None, tz: str | None = None
) -> UserProfile:
    profile = profile_of(user)
    if language is not None:
        profile.language = language
    if tz is not None:
        if tz:
            validate_timezone(tz)
        profile.timezone = tz
    profile.save()
    return profile


# ---------------------------------------------------------------------------------------------
# Members and roles
# ---------------------------------------------------------------------------------------------


def _check_may_grant(actor: Membership, role: str) -> None:
    """Admins manage members; only owners create or touch owners."""
    permissions.require(actor, Action.MANAGE_MEMBERS)
    if role == Role.OWNER and actor.role != Role.OWNER:
        raise PermissionDenied(_("Only an owner can make someone an owner."))


def invite(*, actor: Membership, email: str, role: str) -> Invitation:
    """A pending invitation. Re-inviting the same address replaces its earlier open invitation."""
    _check_may_grant(actor, role)
    email = get_user_model().objects.normalize_email(email).strip()
    workspace = actor.workspace
    if Membership.objects.filter(workspace=workspace, user__email__iexact=email).exists():
        raise ValidationError(_("%(email)s is already a member.") % {"email": email})
    with transaction.atomic():
        Invitation.objects.filter(
            workspace=workspace, email__iexact=email, accepted_at__isnull=True
        ).delete()
        invitation = Invitation.objects.create(
            workspace=workspace, email=email, role=role, invited_by=actor.user
        )
        audit.record(workspace, "member.invited", actor=actor.user, obj=invitation,
                     summary=f"{email} ({role})", email=email, role=role)
        transaction.on_commit(lambda: send_invitation(invitation), robust=True)
    return invitation


def invitation_link(invitation: Invitation) -> str:
    return settings.BASE_URL + reverse("accept_invitation", args=[invitation.token])


def send_invitation(invitation: Invitation) -> bool:
    """E-mail the invitation link (Django's e-mail backend; files under the data dir by
    default). The members page shows the link too, so a mail server that fails loses nothing:
    it is logged."""
    inviter = invitation.invited_by
    who = (inviter.get_full_name() or inviter.email) if inviter else "Keryx"
    subject = _("%(who)s invites you to %(workspace)s on Keryx") % {
        "who": who, "workspace": invitation.workspace.name}
    body = "\n\n".join([
        _("%(who)s invites you to join the workspace %(workspace)s as %(role)s.") % {
            "who": who, "workspace": invitation.workspace.name,
            "role": Role(invitation.role).label},
        _("Open this link to accept:"),
        invitation_link(invitation),
        _("If you did not expect this invitation, you can ignore this e-mail."),
    ])
    try:
        return bool(send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [invitation.email]))
    except Exception:  # the link is on the members page; a mail outage must not lose the invite
        logger.warning("could not e-mail the invitation to %s", invitation.email, exc_info=True)
        return False


def open_invitation(token: str) -> Invitation | None:
    return (
        Invitation.objects.select_related("workspace")
        .filter(token=token, accepted_at__isnull=True)
        .first()
    )


def revoke_invitation(*, actor: Membership, invitation_id: int) -> None:
    _check_may_grant(actor, Role.VIEWER)
    Invitation.objects.filter(
        pk=invitation_id, workspace=actor.workspace, accepted_at__isnull=True
    ).delete()


@transaction.atomic
def accept_invitation(invitation: Invitation, user: Any) -> Membership:
    """Join the invitation's workspace. The signed-in user's e-mail must be the invited one."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise InvitationError(_("This invitation has already been used."))
    if (user.email or "").lower() != invitation.email.lower():
        raise InvitationError(
            _("This invitation is for %(email)s. Sign in with that address to accept it.")
            % {"email": invitation.email}
        )
    membership, created = Membership.objects.get_or_create(
        workspace=invitation.workspace, user=user, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    if created:
        audit.record(invitation.workspace, "member.joined", actor=user, obj=membership,
                     summary=f"{user.email} ({membership.role})", role=membership.role)
    return membership


@transaction.atomic
def sign_up_and_accept(invitation: Invitation, password: str) -> tuple[Any, Membership]:
    """Create the invited person's account (username = e-mail) and join the workspace."""
    user_model = get_user_model()
    if user_model.objects.filter(email__iexact=invitation.email).exists():
        raise InvitationError(_("An account with this e-mail exists already; sign in instead."))
    user = user_model.objects.create_user(
        username=invitation.email, email=invitation.email, password=password
    )
    return user, accept_invitation(invitation, user)


def _owners(workspace: Workspace) -> int:
    return Membership.objects.filter(workspace=workspace, role=Role.OWNER).count()


@transaction.atomic
def change_role(*, actor: Membership, membership_id: int, role: str) -> Membership:
    Role(role)  # ValueError for an unknown role
    _check_may_grant(actor, role)
    target = Membership.objects.select_for_update().get(pk=membership_id, workspace=actor.workspace)
    if target.role == Role.OWNER:
        _check_may_grant(actor, Role.OWNER)
        if role != Role.OWNER and _owners(actor.workspace) <= 1:
            raise ValidationError(_("A workspace needs at least one owner."))
    before = target.role
    target.role = role
    target.save(update_fields=["role"])
    if before != role:
        audit.record(actor.workspace, "member.role_changed", actor=actor.user, obj=target,
                     summary=f"{target.user.email}: {before} → {role}", before=before,
                     after=role)
    return target


@transaction.atomic
def remove_member(*, actor: Membership, membership_id: int) -> None:
    _check_may_grant(actor, Role.VIEWER)
    target = Membership.objects.select_for_update().get(pk=membership_id, workspace=actor.workspace)
    if target.role == Role.OWNER:
        _check_may_grant(actor, Role.OWNER)
        if _owners(actor.workspace) <= 1:
            raise ValidationError(_("The last owner cannot be removed."))
    audit.record(actor.workspace, "member.removed", actor=actor.user, obj=target,
                 summary=f"{target.user.email} ({target.role})", role=target.role)
    target.delete()


# ---------------------------------------------------------------------------------------------
# Personal API tokens
# ---------------------------------------------------------------------------------------------


def issue_token(
    user: Any, name: str, *, scope: str = TokenScope.PUBLISH, expires_in_days: int | None = None
) -> tuple[ApiToken, str]:
    """Returns the token row and the raw token, which is never stored and shown only once.
    `scope` read: GET only; publish: everything the user's role allows. `expires_in_days`:
    None for no expiry."""
    name = name.strip()
    if not name:
        raise ValidationError(_("Give the token a name."))
    if scope not in TokenScope.values:
        raise ValidationError(_("Unknown scope %(scope)s: use read or publish.") % {"scope": scope})
    expires_at = None
    if expires_in_days is not None:
        if not 1 <= expires_in_days <= 3650:
            raise ValidationError(_("The expiry must be between 1 and 3650 days."))
        expires_at = timezone.now() + timedelta(days=expires_in_days)
    token, raw = ApiToken.issue(user, name, scope=scope, expires_at=expires_at)
    audit.record(None, "token.created", actor=user, obj=token,
                 summary=f"{token.name} ({token.prefix}…, {scope})", scope=scope)
    return token, raw


def active_tokens(user: Any) -> list[ApiToken]:
    """Not revoked (expired ones are listed, marked, until revoked)."""
    return list(ApiToken.objects.filter(user=user, revoked_at__isnull=True).order_by("-created_at"))


def revoke_token(user: Any, token_id: int) -> bool:
    done = bool(
        ApiToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
    )
    if done:
        audit.record(None, "token.revoked", actor=user, summary=str(token_id))
    return done


# ---------------------------------------------------------------------------------------------
# Sessions
# ---------------------------------------------------------------------------------------------


def sign_out_everywhere(user: Any) -> int:
    """End every session of `user` (the database session backend: each row is decoded, since
    the user id lives inside the session data). Returns how many were ended."""
    from django.contrib.auth import SESSION_KEY
    from django.contrib.sessions.models import Session

    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get(SESSION_KEY)) == str(user.pk):
            session.delete()
            ended += 1
    audit.record(None, "account.signed_out_everywhere", actor=user, summary=user.email,
                 sessions=ended)
    return ended
