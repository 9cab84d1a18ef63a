"""A Channel is one connected account on one network, owned by a workspace."""

from __future__ import annotations

from django.conf import settings as django_settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from keryx.core.crypto import EncryptedJSONField
from keryx.core.models import Workspace


class ChannelStatus(models.TextChoices):
    ACTIVE = "active", _("Connected")
    NEEDS_RECONNECT = "needs_reconnect", _("Needs reconnecting")
    DISCONNECTED = "disconnected", _("Disconnected")


class Channel(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="channels")
    network = models.CharField(_("network"), max_length=32)
    name = models.CharField(_("name"), max_length=120)
    remote_id = models.CharField(max_length=255, blank=True)
    handle = models.CharField(max_length=255, blank=True)
    display_name = models.CharField(max_length=255, blank=True)
    profile_url = models.URLField(max_length=500, blank=True)
    # Secrets (tokens, app passwords): encrypted at rest, never rendered, logged or returned.
    credentials = EncryptedJSONField(default=dict, editable=False)
    # Non-secret facts the provider needs (instance URL, max_characters, PDS URL).
    settings = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=20, choices=ChannelStatus.choices, default=ChannelStatus.ACTIVE
    )
    status_message = models.TextField(blank=True)
    created_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="unique_channel_name")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.network})"

    def __repr__(self) -> str:
        # Never let credentials reach a repr, a traceback or a log line.
        return f"<Channel {self.pk} {self.network} {self.name!r}>"


class OAuthApp(models.Model):
    """An OAuth client Keryx registered on a server (a Mastodon instance), reused by every
    workspace that connects an account there."""

    network = models.CharField(max_length=32)
    server_url = models.URLField(max_length=500)
    redirect_uri = models.URLField(max_length=500)
    secrets = EncryptedJSONField(default=dict, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["network", "server_url", "redirect_uri"], name="unique_oauth_app"
            )
        ]

    def __repr__(self) -> str:
        return f"<OAuthApp {self.network} {self.server_url}>"


class OAuthState(models.Model):
    """A pending authorization: the `state` we sent, checked once when the user comes back."""

    state = models.CharField(max_length=64, unique=True)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE)
    user = models.ForeignKey(django_settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    network = models.CharField(max_length=32)
    server_url = models.URLField(max_length=500, blank=True)
    # PKCE verifier and similar: secret until used.
    secrets = EncryptedJSONField(default=dict, editable=False)
    channel_name = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
