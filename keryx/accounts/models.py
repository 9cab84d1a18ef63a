"""Personal API tokens and workspace invitations."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from keryx.core.crypto import EncryptedJSONField
from keryx.core.models import Role, Workspace

TOKEN_PREFIX = "kx_"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class TokenScope(models.TextChoices):
    READ = "read", _("Read only")
    PUBLISH = "publish", _("Read and publish")


class ApiToken(models.Model):
    """A bearer token. Only its SHA-256 is stored; the raw token is shown once at creation.

    `scope` read: safe methods only (any other answers 403 `token_read_only`); publish: all the
    user's role allows. Past `expires_at` the token no longer signs in (401)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    scope = models.CharField(
        _("scope"), max_length=16, choices=TokenScope.choices, default=TokenScope.PUBLISH
    )

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(
        cls, user: object, name: str, *, scope: str = TokenScope.PUBLISH,
        expires_at: object = None,
    ) -> tuple[ApiToken, str]:
        raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user, name=name, token_hash=hash_token(raw), prefix=raw[:8], scope=scope,
            expires_at=expires_at,
        )
        return token, raw


class Invitation(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.EDITOR)
    token = models.CharField(max_length=64, unique=True, default=secrets.token_urlsafe)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.email} -> {self.workspace} ({self.role})"


class Throttle(models.Model):
    """Failed attempts against one key (an account or an address, hashed) in the current window.

    Kept in the database, not in a process's memory, so the count holds across the web
    processes and survives a restart (keryx.accounts.throttle reads and writes it)."""

    key = models.CharField(max_length=64, unique=True)
    failures = models.PositiveIntegerField(default=0)
    window_start = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.key[:12]}… {self.failures}"


class TwoFactor(models.Model):
    """A user's TOTP (RFC 6238) secret, encrypted at rest with keryx.core.crypto. Until
    `confirmed_at` is set (a first right code), sign-in does not ask for codes."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="two_factor"
    )
    secret = EncryptedJSONField(default=dict, editable=False)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The last time step accepted: a code is good once (no replay within its 30 s window).
    last_step = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"2FA {self.user_id} ({'on' if self.confirmed_at else 'enrolling'})"


class RecoveryCode(models.Model):
    """One-time recovery code; only its SHA-256 is kept, the code is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes"
    )
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"recovery code {self.pk} of {self.user_id}"


class WorkspaceSecurity(models.Model):
    """Per-workspace security policy set by an owner: require two-factor sign-in of members."""

    workspace = models.OneToOneField(
        Workspace, on_delete=models.CASCADE, related_name="security_policy"
    )
    require_two_factor = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.workspace_id}: 2FA {'required' if self.require_two_factor else 'optional'}"
