"""Alerts on a saved search: the rules (what to watch, where to tell), what fired (with the
figures that made it fire), and every delivery attempt (the log, and the retry schedule)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from keryx.core.crypto import EncryptedJSONField
from keryx.core.models import Workspace
from keryx.listening.models.searches import SavedSearch


class AlertKind(models.TextChoices):
    SPIKE = "spike", _("Volume spike")
    NEGATIVE_SURGE = "negative_surge", _("Surge of negative sentiment")
    AUTHOR = "author", _("A result from a watched author")


class AlertRule(models.Model):
    """One rule of one search. Channels: in-app (the workspace's members who read listening),
    e-mail addresses, and a webhook (URL + signing secret, the secret encrypted at rest)."""

    search = models.ForeignKey(SavedSearch, on_delete=models.CASCADE, related_name="alert_rules")
    kind = models.CharField(max_length=20, choices=AlertKind.choices)
    enabled = models.BooleanField(default=True)
    authors = models.JSONField(default=list, blank=True)  # handles, lower case, without '@'
    # Thresholds (keryx.listening.spikes): k, min_count for a spike; share_jump, min_negative
    # for a negative surge; the baseline is the window_hours before the hour.
    k = models.FloatField(default=4.0)
    min_count = models.PositiveIntegerField(default=10)
    share_jump = models.FloatField(default=0.25)
    min_negative = models.PositiveIntegerField(default=5)
    window_hours = models.PositiveIntegerField(default=168)
    # Channels.
    in_app = models.BooleanField(default=True)
    emails = models.JSONField(default=list, blank=True)
    language = models.CharField(max_length=8, default="en")  # e-mails to unknown addresses
    webhook_url = models.URLField(max_length=1000, blank=True)
    webhook_secret = EncryptedJSONField(default=dict, editable=False)  # {"secret": "..."}
    # The rule made for SavedSearch.alert_webhook_url (kept in step with that field).
    from_search = models.BooleanField(default=False)
    # Episode state: once per episode, re-armed when an hour is back under the threshold.
    active = models.BooleanField(default=False)
    evaluated_until = models.DateTimeField(null=True, blank=True)  # complete hours before it
    last_match_id = models.PositiveBigIntegerField(default=0)  # author rules: matches seen
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["search", "pk"]

    def __str__(self) -> str:
        return f"{self.search} · {self.kind}"


class Alert(models.Model):
    """An alert that fired: when, for which hour (or which results), and the figures."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE,
                                  related_name="listening_alerts")
    search = models.ForeignKey(SavedSearch, on_delete=models.CASCADE, related_name="alerts")
    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=20, choices=AlertKind.choices)
    fired_at = models.DateTimeField()
    # The hour the volume figures are about (spike, negative surge); empty for an author alert.
    period_start = models.DateTimeField(null=True, blank=True)
    period_end = models.DateTimeField(null=True, blank=True)
    count = models.PositiveIntegerField(default=0)  # results in the hour (negative ones: surge)
    baseline = models.FloatField(default=0.0)  # median per hour (surge: negative share)
    threshold = models.FloatField(default=0.0)  # what the count had to pass (surge: share)
    figures = models.JSONField(default=dict, blank=True)  # everything else, for the sentence
    result_ids = models.JSONField(default=list, blank=True)  # author alerts: the results

    class Meta:
        ordering = ["-fired_at", "-pk"]
        indexes = [models.Index(fields=["workspace", "-fired_at"], name="listen_alert_idx")]
        # One alert per rule and hour: a second process evaluating the same hour cannot
        # fire it twice. Author alerts have no hour (NULLs are distinct).
        constraints = [models.UniqueConstraint(fields=["rule", "period_start"],
                                               name="unique_listening_alert_hour")]


class DeliveryChannel(models.TextChoices):
    IN_APP = "in_app", _("In the app")
    EMAIL = "email", _("E-mail")
    WEBHOOK = "webhook", _("Webhook")


class DeliveryStatus(models.TextChoices):
    OK = "ok", _("Delivered")
    FAILED = "failed", _("Failed")
    BLOCKED = "blocked", _("Refused (private address)")


class AlertDelivery(models.Model):
    """One attempt to deliver one alert on one channel to one target (an address, a URL, the
    members). A failed attempt that may be retried carries retry_at; the periodic job makes the
    next attempt then (a new row), up to alerts.MAX_ATTEMPTS."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=10, choices=DeliveryChannel.choices)
    target = models.CharField(max_length=1000, blank=True)
    attempt = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    at = models.DateTimeField()
    retry_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["alert", "at", "pk"]
