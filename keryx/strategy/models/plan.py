"""A workspace's strategy (seed bonus, §7, §10): who the audience is and where it spends its
time, the channel mix with a posting rhythm per channel, and the content pillars (post labels)
with the share of posts each should have. keryx.strategy.plan measures it against the posts."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from keryx.channels.models import Channel
from keryx.core.models import Workspace
from keryx.planner.models import Label


class Strategy(models.Model):
    LANGUAGES = (("en", "English"), ("el", "Ελληνικά"))

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="+")
    language = models.CharField(_("template language"), max_length=2, choices=LANGUAGES,
                                default="en")
    title = models.CharField(_("title"), max_length=200)
    goal_summary = models.TextField(_("what the strategy is for"), blank=True)
    audience = models.TextField(_("audience"), blank=True)
    audience_places = models.TextField(_("where the audience spends its time"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.title


class StrategyChannel(models.Model):
    """A channel in the mix: a main one or not, with its planned posts a week."""

    strategy = models.ForeignKey(Strategy, on_delete=models.CASCADE, related_name="channels")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    main = models.BooleanField(_("main channel"), default=False)
    posts_per_week = models.FloatField(_("planned posts a week"), null=True, blank=True)
    role = models.CharField(_("role in the mix"), max_length=300, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["strategy", "channel"],
                                               name="one_strategy_channel")]


class StrategyPillar(models.Model):
    """A content pillar: one of the workspace's post labels, with its target share of posts."""

    strategy = models.ForeignKey(Strategy, on_delete=models.CASCADE, related_name="pillars")
    label = models.ForeignKey(Label, on_delete=models.CASCADE, related_name="+")
    target_share = models.FloatField(_("target share of posts (%)"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["strategy", "label"],
                                               name="one_strategy_pillar")]
