"""The contact book (a person or brand with a handle per network, so `@{Name}` becomes the right
mention everywhere), saved hashtag groups, and the workspace's composer preferences."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from keryx.core.models import Workspace


class Contact(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="contacts")
    # What the author types between the braces of @{Name}, and what networks without a handle
    # for them show.
    name = models.CharField(_("name"), max_length=100)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), "workspace", name="unique_contact_name"),
        ]

    def __str__(self) -> str:
        return self.name


class ContactHandle(models.Model):
    """How one network knows the contact: `alice.bsky.social`, `alice@mastodon.social`,
    `urn:li:person:abc` (LinkedIn), `alice` (X, Instagram, Threads, ...)."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="handles")
    network = models.CharField(_("network"), max_length=32)
    handle = models.CharField(_("handle"), max_length=200)

    class Meta:
        ordering = ["network"]
        constraints = [
            models.UniqueConstraint(fields=["contact", "network"], name="unique_contact_network"),
        ]

    def __str__(self) -> str:
        return f"{self.network}: {self.handle}"


class HashtagGroup(models.Model):
    """A saved set of hashtags inserted together ("#athens #greece #travel")."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="hashtag_groups"
    )
    name = models.CharField(_("name"), max_length=80)
    tags = models.TextField(_("hashtags"))  # normalised: "#a #b #c"

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), "workspace", name="unique_hashtag_group"),
        ]

    def __str__(self) -> str:
        return self.name


class ComposerSettings(models.Model):
    """Per-workspace choices about how a post is adapted when it goes out."""

    workspace = models.OneToOneField(
        Workspace, on_delete=models.CASCADE, related_name="composer_settings"
    )
    # Where a network declares it takes them (RequestExtras.closing_tags_to_first_comment and
    # .link_card_option): the setting is the workspace's, the networks are the providers' say.
    closing_tags_in_first_comment = models.BooleanField(
        _("Move the closing hashtags into the first comment"), default=False
    )
    link_cards = models.BooleanField(_("Show a preview card for the first link"), default=True)
