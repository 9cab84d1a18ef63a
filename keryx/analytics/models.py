"""What analytics keeps: readings of posts and channels, and the schedule of readings.

Every count is nullable: None means the network does not give that figure, never zero.
"""

from __future__ import annotations

from django.conf import settings
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


class AppBudget(models.Model):
    """A network app's request budget, shared by every process (keryx/analytics/ratelimit.py):
    `used` requests in the fixed window that began at `window_start` (epoch seconds), and
    a pause the network asked for (a 429 on the app's own limit) until `paused_until`."""

    network = models.CharField(max_length=40, unique=True)
    window_start = models.FloatField(default=0.0)
    used = models.PositiveIntegerField(default=0)
    paused_until = models.DateTimeField(null=True, blank=True)
    pause_reason = models.TextField(blank=True)


# ---------------------------------------------------------------------------------------------
# Competitors: other people's public accounts, read daily (keryx.analytics.competitors)
# ---------------------------------------------------------------------------------------------


class Competitor(models.Model):
    """A public account the workspace follows on a network that allows it without special
    access, read through one of the workspace's channels of that network. Its own schedule:
    claimed with one guarded UPDATE of due_at (as CollectionJob), once a day."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    network = models.CharField(max_length=30)
    # As shown (@name@server, name.bsky.social) and what the provider reads it by (user@server,
    # a DID): the ref survives a Bluesky handle change.
    handle = models.CharField(max_length=300)
    ref = models.CharField(max_length=300)
    remote_id = models.CharField(max_length=300, blank=True)
    display_name = models.CharField(max_length=300, blank=True)
    url = models.URLField(max_length=1000, blank=True)
    # The channel it is read through; another channel of the network if this one goes.
    channel = models.ForeignKey(Channel, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)
    # The account no longer exists on the network: kept with its history, no longer read.
    gone_at = models.DateTimeField(null=True, blank=True)
    gone_reason = models.TextField(blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=36, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_status = models.CharField(max_length=20, choices=JobStatus.choices,
                                   default=JobStatus.NEW)
    last_message = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["due_at"], name="competitor_due_idx")]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "network", "ref"],
                                    name="one_competitor_per_account"),
        ]

    def __str__(self) -> str:
        return f"{self.handle} ({self.network})"


class CompetitorSnapshot(models.Model):
    """One reading of a competitor: its counts, and over its posts of the WINDOW_DAYS before the
    reading (keryx.analytics.competitors): how often it posts and the average public counts
    per post. None = not given, or no posts in the window."""

    competitor = models.ForeignKey(Competitor, on_delete=models.CASCADE,
                                   related_name="snapshots")
    taken_at = models.DateTimeField()
    followers = models.BigIntegerField(null=True, blank=True)
    following = models.BigIntegerField(null=True, blank=True)
    posts = models.BigIntegerField(null=True, blank=True)
    window_days = models.PositiveSmallIntegerField()
    window_posts = models.PositiveIntegerField(default=0)
    posts_per_week = models.FloatField(null=True, blank=True)
    avg_likes = models.FloatField(null=True, blank=True)
    avg_comments = models.FloatField(null=True, blank=True)
    avg_shares = models.FloatField(null=True, blank=True)
    avg_engagement_rate = models.FloatField(null=True, blank=True)
    engagement_rate_formula = models.CharField(max_length=300, blank=True)
    engagement_rate_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [models.Index(fields=["competitor", "taken_at"],
                                name="compsnap_time_idx")]




class Experiment(models.Model):
    """A posting-frequency experiment (seed §13): two arms, each a period of local dates, and
    optionally the posting frequency planned for it (posts a week on each chosen channel), so
    "3 vs 5 posts a week" is two arms with plans 3 and 5. keryx.analytics.experiments compares
    the arms' posts; nothing here changes what gets published."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    notes = models.TextField(_("notes"), blank=True)
    # None chosen: every channel of the workspace.
    channels = models.ManyToManyField(Channel, blank=True, related_name="+")
    a_label = models.CharField(_("name of arm A"), max_length=60, default="A")
    a_first = models.DateField(_("A from"))
    a_last = models.DateField(_("A until"))
    a_planned_per_week = models.FloatField(_("A: planned posts a week per channel"), null=True,
                                           blank=True)
    b_label = models.CharField(_("name of arm B"), max_length=60, default="B")
    b_first = models.DateField(_("B from"))
    b_last = models.DateField(_("B until"))
    b_planned_per_week = models.FloatField(_("B: planned posts a week per channel"), null=True,
                                           blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.name


class Benchmark(models.Model):
    """The targets a workspace sets for one channel (seed §11). Each target is optional (null:
    no target for that figure)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    channel = models.OneToOneField(Channel, on_delete=models.CASCADE, related_name="+")
    engagement_rate = models.FloatField(
        _("engagement rate by followers (%)"), null=True, blank=True)
    followers_per_month = models.IntegerField(_("new followers a month"), null=True, blank=True)
    posts_per_week = models.FloatField(_("posts a week"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)


# The reports' tables (scheduled reports, share links, the logo) live in their own module.
from keryx.analytics.reports.models import ReportLogo, ScheduledReport, ShareLink  # noqa: E402,F401
