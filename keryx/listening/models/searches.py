"""Saved searches, what they found (each result stored once per workspace and network), which
search matched which result, each source's state, and each run's counts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from keryx.core.models import Workspace


class Sentiment(models.TextChoices):
    POSITIVE = "positive", _("Positive")
    NEUTRAL = "neutral", _("Neutral")
    NEGATIVE = "negative", _("Negative")


class SavedSearch(models.Model):
    """What to listen for, in which languages, on which networks."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE,
                                  related_name="listening_searches")
    name = models.CharField(_("name"), max_length=120)
    query = models.TextField(_("query"), blank=True)  # keryx.listening.query syntax
    hashtags = models.JSONField(default=list, blank=True)  # without '#'
    mentions = models.JSONField(default=list, blank=True)  # handles, without '@'
    domain = models.CharField(max_length=255, blank=True)  # the brand's links
    languages = models.JSONField(default=list, blank=True)  # ISO 639-1; empty = all
    networks = models.JSONField(default=list, blank=True)  # e.g. ["mastodon", "bluesky", "rss"]
    feeds = models.JSONField(default=list, blank=True)  # RSS/Atom URLs
    # Servers searched without an account there (a network whose provider declares
    # ListeningSpec.public_servers: Mastodon's public hashtag timelines), as base URLs.
    servers = models.JSONField(default=list, blank=True)
    enabled = models.BooleanField(default=True)
    # Where listenui's alerts post (signed); stored here, delivered by keryx.listening.alerts.
    alert_webhook_url = models.URLField(max_length=1000, blank=True)
    poll_minutes = models.PositiveIntegerField(default=5)
    next_run_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)  # shown on the search (joined from its sources)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "name"],
                                               name="unique_listening_search_name")]

    def __str__(self) -> str:
        return self.name


class SourceState(models.Model):
    """One source of one search: a network (key "") or one feed (key = its URL)."""

    search = models.ForeignKey(SavedSearch, on_delete=models.CASCADE, related_name="sources")
    network = models.CharField(max_length=32)
    key = models.CharField(max_length=1000, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)  # last attempt
    # The last run that got through: what the next run asks from (`since`), so a failed run
    # (a rate limit, a timeout) skips nothing posted meanwhile.
    last_success_at = models.DateTimeField(null=True, blank=True)
    cursor = models.CharField(max_length=500, blank=True)
    since_id = models.CharField(max_length=255, blank=True)
    last_error = models.TextField(blank=True)
    # Set when the network refuses the search for good (disabled, needs extra access); the
    # other sources keep running.
    disabled_reason = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["search", "network", "key"],
                                               name="unique_listening_source")]


class Result(models.Model):
    """A public post found by listening, stored once per (workspace, network, remote_id)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE,
                                  related_name="listening_results")
    network = models.CharField(max_length=32)
    remote_id = models.CharField(max_length=500)
    url = models.URLField(max_length=1000, blank=True)
    author_handle = models.CharField(max_length=255, blank=True)
    author_name = models.CharField(max_length=255, blank=True)
    author_followers = models.PositiveIntegerField(null=True, blank=True)  # reach, where known
    text = models.TextField(blank=True)  # plain text, never HTML
    language = models.CharField(max_length=16, blank=True)
    language_detected = models.BooleanField(default=False)  # True: keryx.classify, not the network
    sentiment = models.CharField(max_length=10, choices=Sentiment.choices, blank=True)
    hashtags = models.JSONField(default=list, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    fetched_at = models.DateTimeField(auto_now_add=True)
    # Feedback: "irrelevant" is kept (and hides the result from counts); "sent to inbox" links
    # the inbox item made from it.
    irrelevant = models.BooleanField(default=False)
    irrelevant_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="+")
    irrelevant_at = models.DateTimeField(null=True, blank=True)
    inbox_item = models.ForeignKey("inbox.InboxItem", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-published_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["workspace", "network", "remote_id"],
                                               name="unique_listening_result")]


class Match(models.Model):
    """A result found by a search (a result can match several). published_at and irrelevant
    are copied from the result so a search's page, counts and charts read one index."""

    search = models.ForeignKey(SavedSearch, on_delete=models.CASCADE, related_name="matches")
    result = models.ForeignKey(Result, on_delete=models.CASCADE, related_name="matches")
    published_at = models.DateTimeField(null=True, blank=True)
    network = models.CharField(max_length=32, blank=True)
    sentiment = models.CharField(max_length=10, blank=True)
    irrelevant = models.BooleanField(default=False)
    matched_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-published_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["search", "result"],
                                               name="unique_listening_match")]
        indexes = [models.Index(fields=["search", "published_at"],
                                name="listen_match_time_idx"),
                   models.Index(fields=["search", "irrelevant", "-published_at", "-id"],
                                name="listen_match_page_idx")]


class Run(models.Model):
    """One run of one search: what was fetched, stored, and dropped (and why)."""

    search = models.ForeignKey(SavedSearch, on_delete=models.CASCADE, related_name="runs")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    fetched = models.PositiveIntegerField(default=0)
    new_results = models.PositiveIntegerField(default=0)
    new_matches = models.PositiveIntegerField(default=0)
    dropped_language = models.PositiveIntegerField(default=0)  # language/script not asked
    dropped_private = models.PositiveIntegerField(default=0)  # not public
    dropped_nomatch = models.PositiveIntegerField(default=0)  # failed the local re-check
    errors = models.JSONField(default=dict, blank=True)  # {source: message}
    per_source = models.JSONField(default=dict, blank=True)  # {source: {"fetched": n, ...}}

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["search", "-started_at"], name="listen_run_idx")]
