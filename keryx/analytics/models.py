"""What analytics keeps: readings of posts and channels, and the schedule of readings.

Every count is nullable: None means the network does not give that figure, never zero.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from keryx.channels.models import Channel
from keryx.core.models import Workspace
from keryx.publishing.models import PostTarget


class TrackedPost(models.Model):
    """Analytics' record of one published post on one channel: a delivery Keryx made (target),
    or a post the account published elsewhere, imported so the figures cover the account."""

    target = models.OneToOneField(PostTarget, null=True, blank=True, on_delete=models.CASCADE,
                                  related_name="tracking")
    remote_id = models.CharField(max_length=500)
    remote_url = models.URLField(max_length=1000, blank=True)
    # Imported posts only (a Keryx delivery's text is its post's).
    text = models.TextField(blank=True)
    imported = models.BooleanField(default=False)
    # Denormalised from the target so period queries need no join.
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    published_at = models.DateTimeField()
    # The channel's followers measured at the first reading after publishing (within a day),
    # and when: the denominator of the seed's engagement rate. Null = never measured.
    followers_at_publish = models.BigIntegerField(null=True, blank=True)
    followers_measured_at = models.DateTimeField(null=True, blank=True)
    # The post no longer exists on the network: kept with its history, no longer collected.
    gone_at = models.DateTimeField(null=True, blank=True)
    gone_reason = models.TextField(blank=True)
    latest = models.ForeignKey(
        "MetricSnapshot", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The latest reading's counts, copied here when the collector writes it
    # (keryx.analytics.rollup.record_snapshot), so the period's figures are one query on this
    # table: the same meaning as the snapshot's fields (None = the network gives none).
    likes = models.BigIntegerField(null=True, blank=True)
    comments = models.BigIntegerField(null=True, blank=True)
    shares = models.BigIntegerField(null=True, blank=True)
    quotes = models.BigIntegerField(null=True, blank=True)
    saves = models.BigIntegerField(null=True, blank=True)
    impressions = models.BigIntegerField(null=True, blank=True)
    reach = models.BigIntegerField(null=True, blank=True)
    clicks = models.BigIntegerField(null=True, blank=True)
    video_views = models.BigIntegerField(null=True, blank=True)
    # maths.engagements of those counts: the value and the parts added ("likes+comments+shares");
    # None / "" while there is no reading.
    engagements = models.BigIntegerField(null=True, blank=True)
    engagement_parts = models.CharField(max_length=60, blank=True)
    # The post's hashtags, case-folded, space-separated with a space at each end (" a b "), so
    # "contains ' a '" finds a tag; None = not worked out yet (the summary then reads the text).
    hashtags = models.TextField(null=True, blank=True)  # noqa: DJ001 - None: not worked out
    # Weekday (Monday 0) and hour of publishing in the workspace's time zone, set with the
    # first reading: the best-time heatmap groups by them in SQL. None = not set yet.
    published_weekday = models.PositiveSmallIntegerField(null=True, blank=True)
    published_hour = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "published_at"], name="tracked_ws_time_idx"),
            models.Index(fields=["channel", "published_at"], name="tracked_channel_time_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["channel", "remote_id"], name="one_tracked_per_post"),
        ]


class MetricSnapshot(models.Model):
    """One reading of a post's counts, as the network gave them (a count that went down is
    kept as it is; the maths never turns it into negative engagement)."""

    tracked = models.ForeignKey(TrackedPost, on_delete=models.CASCADE, related_name="snapshots")
    taken_at = models.DateTimeField()
    likes = models.BigIntegerField(null=True, blank=True)
    comments = models.BigIntegerField(null=True, blank=True)
    shares = models.BigIntegerField(null=True, blank=True)
    quotes = models.BigIntegerField(null=True, blank=True)
    saves = models.BigIntegerField(null=True, blank=True)
    impressions = models.BigIntegerField(null=True, blank=True)
    reach = models.BigIntegerField(null=True, blank=True)
    clicks = models.BigIntegerField(null=True, blank=True)
    video_views = models.BigIntegerField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["tracked", "taken_at"], name="snapshot_post_time_idx")]


class PostDay(models.Model):
    """Engagements a post gained on one local day (workspace time zone, at collection time):
    each part's increase since the reading before, never negative. Written by the collector
    with each reading (rollup.record_snapshot): the engagement-over-time chart and the daily
    engagement rate sum these instead of reading every snapshot."""

    tracked = models.ForeignKey(TrackedPost, on_delete=models.CASCADE, related_name="days")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    engagements = models.BigIntegerField(default=0)
    # The parts added, as TrackedPost.engagement_parts.
    parts = models.CharField(max_length=60, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "day"], name="postday_ws_day_idx"),
            models.Index(fields=["channel", "day"], name="postday_channel_day_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["tracked", "day"], name="one_postday_per_day"),
        ]


class ChannelDay(models.Model):
    """The sum of PostDay per channel, local day and formula parts: what the daily engagement
    rate and the engagement chart read when no campaign or label narrows the posts."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    parts = models.CharField(max_length=60, blank=True)
    engagements = models.BigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["workspace", "day"], name="channelday_ws_day_idx")]
        constraints = [
            models.UniqueConstraint(fields=["channel", "day", "parts"], name="one_channelday"),
        ]


class ChannelSnapshot(models.Model):
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    taken_at = models.DateTimeField()
    followers = models.BigIntegerField(null=True, blank=True)
    following = models.BigIntegerField(null=True, blank=True)
    posts = models.BigIntegerField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["channel", "taken_at"], name="chansnap_channel_time_idx"),
        ]


class JobKind(models.TextChoices):
    POST = "post", _("Post")
    CHANNEL = "channel", _("Channel")


class JobStatus(models.TextChoices):
    NEW = "new", _("Not collected yet")
    OK = "ok", _("Collected")
    SKIPPED = "skipped", _("Skipped: the channel needs reconnecting")
    MISSING_PERMISSION = "missing_permission", _("Missing permission")
    RATE_LIMITED = "rate_limited", _("Rate limited, waiting")
    ERROR = "error", _("Failed, trying again later")
    GONE = "gone", _("Deleted on the network")
    DONE = "done", _("Finished")


class CollectionJob(models.Model):
    """When to read a post or a channel next. Claimed with one guarded UPDATE that moves
    due_at past a lease (scheduler-style), so several workers never read the same thing in
    the same period; a worker that dies leaves it due again once the lease runs out."""

    kind = models.CharField(max_length=10, choices=JobKind.choices)
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    tracked = models.OneToOneField(
        TrackedPost, null=True, blank=True, on_delete=models.CASCADE, related_name="job"
    )
    # Post jobs: the index of the next reading in services.POST_SCHEDULE.
    step = models.PositiveSmallIntegerField(default=0)
    due_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=36, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_status = models.CharField(
        max_length=20, choices=JobStatus.choices, default=JobStatus.NEW
    )
    last_message = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["due_at"], name="collect_due_idx")]
        constraints = [
            models.UniqueConstraint(fields=["channel"], condition=Q(kind="channel"),
                                    name="one_channel_job"),
        ]
