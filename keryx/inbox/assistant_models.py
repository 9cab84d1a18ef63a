"""The off-hours assistant's tables: per-workspace settings (hours, away messages, threshold),
the FAQ base, the vectors of FAQ texts (so they are embedded once), and one decision per
incoming item (the claim that makes "at most one automatic reply per item" hold).

Imported by keryx.inbox.models, so Django sees these as the inbox app's models.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from keryx.core.models import Workspace

DEFAULT_AWAY_EL = ("Σας ευχαριστούμε για το μήνυμά σας! Αυτή τη στιγμή είμαστε εκτός ωραρίου· "
                   "θα σας απαντήσουμε μόλις ανοίξουμε.")
DEFAULT_AWAY_EN = ("Thank you for your message! We are away right now and will answer as soon "
                   "as we are back.")
DEFAULT_HOURS = "mon-fri 09:00-17:00"
DEFAULT_SYNC_SECONDS = 30


class AssistantSettings(models.Model):
    """One row per workspace (made with the defaults on first use)."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE,
                                     related_name="assistant")
    enabled = models.BooleanField(default=False)
    enabled_at = models.DateTimeField(null=True, blank=True)
    # Answer even during business hours.
    always = models.BooleanField(default=False)
    # Blank: the workspace's own time zone.
    timezone = models.CharField(max_length=64, blank=True)
    hours = models.CharField(max_length=500, default=DEFAULT_HOURS)  # the canonical SPEC
    holidays = models.JSONField(default=list, blank=True)  # ISO dates
    threshold = models.FloatField(null=True, blank=True)  # null: keryx.classify's default
    away_message_el = models.TextField(default=DEFAULT_AWAY_EL)
    away_message_en = models.TextField(default=DEFAULT_AWAY_EN)
    sync_seconds = models.PositiveIntegerField(default=DEFAULT_SYNC_SECONDS)
    updated_at = models.DateTimeField(auto_now=True)


class FaqEntry(models.Model):
    """A FAQ entry: its question variants (FaqQuestion) and an answer in each language."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="faq")
    key = models.CharField(max_length=100)  # the CSV's `faq` id
    answer_el = models.TextField(blank=True)
    answer_en = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key", "pk"]
        constraints = [models.UniqueConstraint(fields=["workspace", "key"],
                                               name="unique_faq_key")]


class FaqQuestion(models.Model):
    entry = models.ForeignKey(FaqEntry, on_delete=models.CASCADE, related_name="questions")
    language = models.CharField(max_length=8)
    text = models.TextField()

    class Meta:
        ordering = ["pk"]


class FaqVector(models.Model):
    """Embedding of one FAQ text (keryx.classify.faq.Vectors), by a hash of the text."""

    key = models.CharField(max_length=64, unique=True)
    data = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)


class AutoAction(models.TextChoices):
    ANSWER = "answer", _("Answered from the FAQ")
    AWAY = "away", _("Away message")
    SKIP = "skip", _("Not answered")


class AssistantDecision(models.Model):
    """What the assistant did about one incoming item. Unique per item: the row is written
    before anything is sent, so a second sync (or a second process) never answers again."""

    item = models.OneToOneField("inbox.InboxItem", on_delete=models.CASCADE,
                                related_name="assistant_decision")
    action = models.CharField(max_length=10, choices=AutoAction.choices)
    reason = models.CharField(max_length=200, blank=True)
    faq = models.ForeignKey(FaqEntry, null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="+")
    score = models.FloatField(null=True, blank=True)
    language = models.CharField(max_length=8, blank=True)
    reply = models.ForeignKey("inbox.Reply", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
