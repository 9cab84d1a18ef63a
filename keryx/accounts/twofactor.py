"""Two-factor sign-in: TOTP (RFC 6238, pyotp) and one-time recovery codes.

The TOTP secret is kept encrypted (keryx.core.crypto, so `keryx secrets rotate` covers it);
recovery codes are kept as SHA-256 hashes and shown once. A code is accepted in the current
30-second step or the one on either side (clock drift), and never twice: the last accepted step
is stored. Wrong codes are throttled per account like wrong passwords (keryx.accounts.throttle).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from datetime import UTC, datetime
from typing import Any

import pyotp
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keryx.accounts import throttle
from keryx.accounts.models import RecoveryCode, TwoFactor, WorkspaceSecurity
from keryx.core import audit
from keryx.core.models import Membership, Role

ISSUER = "Keryx"
RECOVERY_CODES = 10
DRIFT_STEPS = 1


def code_limit() -> throttle.Limit:
    """Wrong codes per account: the sign-in numbers (KERYX_SIGNIN_*), a scope of their own."""
    base = throttle.signin_account_limit()
    return throttle.Limit("two-factor", base.failures, base.window, base.lockout)


def is_enabled(user: Any) -> bool:
    return TwoFactor.objects.filter(user=user, confirmed_at__isnull=False).exists()


def _hash(code: str) -> str:
    return hashlib.sha256(_normalise(code).encode()).hexdigest()


def _normalise(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def start_enrolment(user: Any) -> TwoFactor:
    """A fresh secret for an unconfirmed enrolment (a confirmed one is kept as it is)."""
    if is_enabled(user):
        raise ValidationError(_("Two-factor sign-in is already on."))
    two_factor, _created = TwoFactor.objects.update_or_create(
        user=user, defaults={"secret": {"totp": pyotp.random_base32()}, "last_step": 0,
                             "confirmed_at": None},
    )
    return two_factor


def pending_secret(user: Any) -> str | None:
    row = TwoFactor.objects.filter(user=user, confirmed_at__isnull=True).first()
    return row.secret.get("totp") if row else None


def provisioning_uri(user: Any, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email or user.get_username(),
                                               issuer_name=ISSUER)


def _matching_step(secret: str, code: str, after: int, now: float) -> int | None:
    """The time step whose code is `code`, within the drift and later than `after`."""
    code = _normalise(code)
    if not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    for offset in range(-DRIFT_STEPS, DRIFT_STEPS + 1):
        at = now + offset * totp.interval
        step = totp.timecode(datetime.fromtimestamp(at, tz=UTC))
        if step > after and hmac.compare_digest(totp.at(at), code):
            return step
    return None


@transaction.atomic
def confirm_enrolment(user: Any, code: str, *, now: float | None = None) -> list[str]:
    """Turn two-factor on with a first right code; returns the recovery codes (shown once)."""
    row = TwoFactor.objects.select_for_update().filter(user=user, confirmed_at__isnull=True).first()
    if row is None:
        raise ValidationError(_("Start the set-up again: no pending two-factor secret."))
    step = _matching_step(row.secret["totp"], code, 0, time.time() if now is None else now)
    if step is None:
        raise ValidationError(_("That code is not right. Check the time on your phone and "
                                "type the six digits shown now."))
    row.confirmed_at, row.last_step = timezone.now(), step
    row.save(update_fields=["confirmed_at", "last_step"])
    audit.record(None, "account.2fa_enabled", actor=user, summary=user.email)
    return new_recovery_codes(user)


def new_recovery_codes(user: Any) -> list[str]:
    """Replace the user's recovery codes; the plain codes are returned once, never stored."""
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _i in range(RECOVERY_CODES)]
    with transaction.atomic():
        RecoveryCode.objects.filter(user=user).delete()
        RecoveryCode.objects.bulk_create(
            [RecoveryCode(user=user, code_hash=_hash(c)) for c in codes])
    return codes


def recovery_codes_left(user: Any) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


@transaction.atomic
def verify(user: Any, code: str, *, now: float | None = None) -> str | None:
    """'totp' or 'recovery' when `code` is right (a recovery code is used up), else None."""
    row = TwoFactor.objects.select_for_update().filter(
        user=user, confirmed_at__isnull=False).first()
    if row is None:
        return None
    step = _matching_step(row.secret["totp"], code, row.last_step,
                          time.time() if now is None else now)
    if step is not None:
        row.last_step = step
        row.save(update_fields=["last_step"])
        return "totp"
    used = RecoveryCode.objects.filter(
        user=user, code_hash=_hash(code), used_at__isnull=True
    ).update(used_at=timezone.now())
    if used:
        audit.record(None, "account.2fa_recovery_used", actor=user, summary=user.email,
                     left=recovery_codes_left(user))
        return "recovery"
    return None


def check_code(user: Any, code: str, address: str) -> tuple[str | None, int]:
    """verify() behind the throttle: (how, 0) on success, (None, seconds locked) on failure
    (0 when not locked yet). Locked accounts are refused without looking at the code."""
    limit = code_limit()
    key = str(user.pk)
    wait = throttle.retry_after(limit, key)
    if wait:
        return None, wait
    how = verify(user, code)
    if how:
        throttle.clear(limit, key)
        return how, 0
    audit.record(None, "account.2fa_failed", actor=user, summary=user.email, address=address)
    return None, throttle.record_failure(limit, key)


def disable(user: Any, code: str) -> None:
    """Turn two-factor off; needs a current code (or a recovery code)."""
    if not verify(user, code):
        raise ValidationError(_("That code is not right."))
    TwoFactor.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    audit.record(None, "account.2fa_disabled", actor=user, summary=user.email)


# ---------------------------------------------------------------------------------------------
# Workspace policy
# ---------------------------------------------------------------------------------------------


def workspace_requires(workspace_id: int) -> bool:
    return WorkspaceSecurity.objects.filter(
        workspace_id=workspace_id, require_two_factor=True).exists()


def must_enrol(membership: Membership) -> bool:
    """The member may not use this workspace until they turn two-factor sign-in on."""
    try:
        # Loaded with the membership (keryx.core.access), so no query on every page.
        policy = membership.workspace.security_policy
    except WorkspaceSecurity.DoesNotExist:
        return False
    return policy.require_two_factor and not is_enabled(membership.user)


def set_requirement(actor: Membership, required: bool) -> None:
    """Owners only (it locks every member out until they enrol); the owner must have 2FA on
    first, so they cannot lock themselves out."""
    if actor.role != Role.OWNER:
        raise PermissionDenied(_("Only an owner can require two-factor sign-in."))
    if required and not is_enabled(actor.user):
        raise ValidationError(_("Turn on two-factor sign-in for yourself first."))
    policy, _created = WorkspaceSecurity.objects.get_or_create(workspace=actor.workspace)
    if policy.require_two_factor != required:
        policy.require_two_factor = required
        policy.save(update_fields=["require_two_factor"])
        audit.record(actor.workspace, "settings.changed", actor=actor.user, obj=policy,
                     summary=_("Two-factor sign-in required") if required
                     else _("Two-factor sign-in optional"), require_two_factor=required)
