"""Conversations, the items in them, our replies (deliveries with a fixed idempotency key),
notes, and the moderation rules with the log of what they did."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from keryx.channels.models import Channel
from keryx.core.models import Workspace
from keryx.publishing.models import PostTarget


class Kind(models.TextChoices):
    COMMENT = "comment", _("Comment")
    MENTION = "mention", _("Mention")
    MESSAGE = "message", _("Direct message")


class Status(models.TextChoices):
    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending")
    DONE = "done", _("Done")


class Conversation(models.Model):
    """A thread under a post, or one direct-message conversation, on one channel."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE,
                                  related_name="conversations")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="conversations")
    remote_id = models.CharField(max_length=500)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # The Keryx delivery the thread hangs under, when it is one of our posts.
    target = models.ForeignKey(PostTarget, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="conversations")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    labels = models.JSONField(default=list, blank=True)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-last_activity_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["channel", "remote_id"],
                                               name="unique_conversation")]


class InboxItem(models.Model):
    """One comment, mention or message, stored once per (channel, remote_id)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="inbox_items")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="inbox_items")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE,
                                     related_name="items")
    remote_id = models.CharField(max_length=500)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    author_id = models.CharField(max_length=255, blank=True)
    author_handle = models.CharField(max_length=255, blank=True)
    author_name = models.CharField(max_length=255, blank=True)
    # The handle lower-cased without a leading @: the author's history and the author rule
    # conditions look items up by it (indexed with the workspace).
    author_key = models.CharField(max_length=255, blank=True)
    text = models.TextField(blank=True)  # plain text, never the network's HTML
    in_reply_to = models.CharField(max_length=500, blank=True)
    visibility = models.CharField(max_length=20, blank=True)
    url = models.URLField(max_length=1000, blank=True)
    created_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    target = models.ForeignKey(PostTarget, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="inbox_items")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN,
                              db_index=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    labels = models.JSONField(default=list, blank=True)
    # The network's language tag if it gave one, else the classifier's.
    language = models.CharField(max_length=16, blank=True)
    # The offline classifier, run before anyone sees the item (keryx.classify).
    sentiment = models.CharField(max_length=10, blank=True)
    spam = models.FloatField(null=True, blank=True)
    offensive = models.FloatField(null=True, blank=True)
    hidden = models.BooleanField(default=False)
    flagged = models.BooleanField(default=False)
    # Set when the network says the item is gone (a reply found it deleted).
    deleted_remotely = models.BooleanField(default=False)

    class Meta:
        ordering = ["-received_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["channel", "remote_id"],
                                               name="unique_inbox_item")]
        indexes = [models.Index(fields=["workspace", "status", "-received_at"],
                                name="inbox_list_idx"),
                   # An author's items newest first (their history) straight from the index.
                   models.Index(fields=["workspace", "author_key", "-received_at", "-id"],
                                name="inbox_author_time_idx"),
                   # The stream of every status (?status=all) in its order, without a sort of
                   # the whole workspace's items.
                   models.Index(fields=["workspace", "-received_at", "-id"],
                                name="inbox_stream_idx")]


class SyncState(models.Model):
    """When a channel's inbox was fetched and is next due. The periodic job claims a channel by
    moving next_sync_at with a guarded UPDATE, so several processes never fetch it twice."""

    channel = models.OneToOneField(Channel, on_delete=models.CASCADE, related_name="inbox_sync")
    next_sync_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)


class Note(models.Model):
    """An internal note on a conversation: seen by the team, never sent."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                               related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]


class ReplyState(models.TextChoices):
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    UNKNOWN = "unknown", _("Unknown, being checked")
    GONE = "gone", _("The item was deleted")


class Reply(models.Model):
    """Our answer to one item: a delivery like a post's target. The key is chosen once when the
    row is written, before the first attempt, and every retry sends it again."""

    item = models.ForeignKey(InboxItem, on_delete=models.CASCADE, related_name="replies")
    text = models.TextField()
    idempotency_key = models.CharField(max_length=64, unique=True)
    state = models.CharField(max_length=20, choices=ReplyState.choices,
                             default=ReplyState.SENDING)
    attempts = models.PositiveIntegerField(default=0)
    automatic = models.BooleanField(default=False)
    remote_id = models.CharField(max_length=500, blank=True)
    remote_url = models.URLField(max_length=1000, blank=True)
    error = models.TextField(blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]


class RuleAction(models.TextChoices):
    HIDE = "hide", _("Hide")
    FLAG = "flag", _("Flag for review")
    LABEL = "label", _("Add a label")
    DONE = "done", _("Mark done")
    DELETE = "delete", _("Delete")
    ASSIGN = "assign", _("Assign to a member")
    REPLY = "reply", _("Reply with a canned answer")


class CannedReply(models.Model):
    """A saved answer with a short code (typed as `/code` in the reply box), in Greek and
    English; the item's language picks the text, the other one stands in when it is empty."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE,
                                  related_name="canned_replies")
    code = models.SlugField(max_length=40)
    title = models.CharField(max_length=120, blank=True)
    text_el = models.TextField(blank=True)
    text_en = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["workspace", "code"],
                                               name="unique_canned_code")]

    def text_for(self, language: str) -> str:
        first, second = (self.text_el, self.text_en) if language == "el" \
            else (self.text_en, self.text_el)
        return first or second


class BlockedAuthor(models.Model):
    """An author the workspace blocks (a rule condition): by channel network and handle."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE,
                                  related_name="blocked_authors")
    network = models.CharField(max_length=30)
    handle = models.CharField(max_length=255)  # as the item carries it, compared lower-case
    reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["network", "handle"]
        constraints = [models.UniqueConstraint(fields=["workspace", "network", "handle"],
                                               name="unique_blocked_author")]


class ModerationRule(models.Model):
    """Conditions (all must hold; empty ones are ignored) and one action. Rules are tried by
    `priority` (lowest first) and the first that matches wins."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE,
                                  related_name="moderation_rules")
    name = models.CharField(max_length=120)
    priority = models.IntegerField(default=100)
    active = models.BooleanField(default=True)
    dry_run = models.BooleanField(default=False)
    # Conditions.
    keywords = models.JSONField(default=list, blank=True)  # any of them, case-insensitive
    has_link = models.BooleanField(null=True, blank=True)
    has_contact = models.BooleanField(null=True, blank=True)  # an e-mail or a phone number
    only_emoji = models.BooleanField(null=True, blank=True)
    all_caps = models.BooleanField(null=True, blank=True)
    kinds = models.JSONField(default=list, blank=True)
    channels = models.JSONField(default=list, blank=True)  # channel ids
    languages = models.JSONField(default=list, blank=True)
    spam_above = models.FloatField(null=True, blank=True)
    offensive_above = models.FloatField(null=True, blank=True)
    only_mentions = models.BooleanField(null=True, blank=True)  # nothing but @handles
    min_words = models.PositiveIntegerField(null=True, blank=True)
    max_words = models.PositiveIntegerField(null=True, blank=True)
    new_author = models.BooleanField(null=True, blank=True)  # the first item from them
    blocked_author = models.BooleanField(null=True, blank=True)  # on the block list
    # What it does.
    action = models.CharField(max_length=20, choices=RuleAction.choices)
    label = models.CharField(max_length=60, blank=True)
    assign_to = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    canned = models.ForeignKey(CannedReply, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="rules")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["priority", "pk"]


# A deleted item cannot be brought back, a sent reply cannot be unsent.
REVERSIBLE_ACTIONS = frozenset({RuleAction.HIDE, RuleAction.FLAG, RuleAction.LABEL,
                                RuleAction.DONE, RuleAction.ASSIGN})


class ModerationLog(models.Model):
    """What a rule did (or, in dry-run, would have done) to an item, and whether it was undone."""

    item = models.ForeignKey(InboxItem, on_delete=models.CASCADE, related_name="moderation")
    rule = models.ForeignKey(ModerationRule, null=True, on_delete=models.SET_NULL,
                             related_name="log")
    rule_name = models.CharField(max_length=120)
    action = models.CharField(max_length=20, choices=RuleAction.choices)
    label = models.CharField(max_length=60, blank=True)  # the label it added, to remove it again
    dry_run = models.BooleanField(default=False)
    applied = models.BooleanField(default=False)
    # Why it could not be applied (a network that refuses hiding), empty when it was.
    message = models.TextField(blank=True)
    reverted_at = models.DateTimeField(null=True, blank=True)
    reverted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    @property
    def reversible(self) -> bool:
        return self.action in REVERSIBLE_ACTIONS


class Decision(models.TextChoices):
    SPAM = "spam", _("Spam")
    NOT_SPAM = "not_spam", _("Not spam")


class ModeratorLabel(models.Model):
    """A moderator's decision on an item, kept as labelled data for retraining the workspace's
    spam head: hide / mark spam count as spam, unhide / undo / mark not spam as not spam. The
    latest decision per item is the one that counts."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE,
                                  related_name="moderator_labels")
    item = models.ForeignKey(InboxItem, null=True, on_delete=models.SET_NULL,
                             related_name="moderator_labels")
    text = models.TextField()  # kept, so the label survives the item
    decision = models.CharField(max_length=10, choices=Decision.choices)
    source = models.CharField(max_length=20)  # hide, unhide, mark, undo
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]


class WorkspaceHead(models.Model):
    """A workspace's own classifier head (the spam head retrained from its moderators' labels),
    the .npz bytes; used instead of the shipped head when it exists."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=20, default="spam")
    data = models.BinaryField()
    examples = models.PositiveIntegerField(default=0)
    trained_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "name"],
                                               name="unique_workspace_head")]

# The off-hours assistant's models live in their own module (keryx.inbox.assistant_models).
from keryx.inbox.assistant_models import (  # noqa: E402, F401
    AssistantDecision,
    AssistantSettings,
    FaqEntry,
    FaqQuestion,
    FaqVector,
)
