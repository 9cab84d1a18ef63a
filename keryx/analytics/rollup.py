"""What the collector keeps up to date beside each reading, so the figures never read every
snapshot: the latest counts on TrackedPost (with their engagements and formula parts and the
post's hashtags) and the engagements gained per post per local day (PostDay).

record_snapshot runs whenever a reading is saved (a post_save receiver connected in
apps.py, so the collector and anything else that writes a MetricSnapshot keep them right);
refill rebuilds both from the stored readings (the benchmark; bulk inserts send no signal).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from itertools import product
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Subquery, Sum

from keryx.analytics import maths
from keryx.analytics.models import ChannelDay, MetricSnapshot, PostDay, TrackedPost
from keryx.core.models import Workspace
from keryx.networks.community import POST_METRIC_FIELDS
from keryx.networks.text import find_hashtags


def hashtags_field(text: str) -> str:
    """" a b " for the text's hashtags (case-folded, sorted), "" when there are none."""
    tags = sorted({span.value.casefold() for span in find_hashtags(text or "")})
    return f" {' '.join(tags)} " if tags else ""


def latest_fields(counts: Mapping[str, int | None]) -> dict[str, Any]:
    """The denormalised TrackedPost fields of one reading's counts."""
    eng = maths.engagements(counts)
    return {**{name: counts.get(name) for name in POST_METRIC_FIELDS},
            "engagements": eng.value, "engagement_parts": eng.formula}


def gained(before: Mapping[str, int | None], after: Mapping[str, int | None]) -> int:
    """Engagements gained between two readings: each part's increase (from 0 when the part
    had no value before), never negative."""
    total = 0
    for part in maths.ENGAGEMENT_PARTS:
        new = after.get(part)
        if new is None:
            continue
        total += maths.positive_deltas([before.get(part) or 0, new])[0]
    return total


def _add_day(tracked: TrackedPost, day: date, amount: int, parts: str) -> None:
    rows = PostDay.objects.filter(tracked_id=tracked.pk, day=day)
    if not rows.update(engagements=F("engagements") + amount, parts=parts):
        try:
            with transaction.atomic():
                PostDay.objects.create(tracked_id=tracked.pk, workspace_id=tracked.workspace_id,
                                       channel_id=tracked.channel_id, day=day,
                                       engagements=amount, parts=parts)
        except IntegrityError:  # another process created the day's row meanwhile
            rows.update(engagements=F("engagements") + amount, parts=parts)
    channel_rows = ChannelDay.objects.filter(channel_id=tracked.channel_id, day=day, parts=parts)
    if not channel_rows.update(engagements=F("engagements") + amount):
        try:
            with transaction.atomic():
                ChannelDay.objects.create(channel_id=tracked.channel_id,
                                          workspace_id=tracked.workspace_id, day=day,
                                          parts=parts, engagements=amount)
        except IntegrityError:
            channel_rows.update(engagements=F("engagements") + amount)


def record_snapshot(tracked: TrackedPost, snapshot: MetricSnapshot) -> None:
    """The reading just written becomes the post's latest: its counts on TrackedPost and what
    it added since the previous reading on the day it was taken."""
    before = TrackedPost.objects.filter(pk=tracked.pk).values(
        *maths.ENGAGEMENT_PARTS, "hashtags", "latest_id", "latest__taken_at",
        "published_hour").first() or {}
    if before.get("latest_id") == snapshot.pk:
        return
    if before.get("latest__taken_at") and before["latest__taken_at"] > snapshot.taken_at:
        return  # an older reading stored late: the latest stays (refill recounts the days)
    counts = {name: getattr(snapshot, name) for name in POST_METRIC_FIELDS}
    fields = latest_fields(counts)
    if before.get("hashtags") is None:
        text = tracked.text if tracked.target_id is None else \
            TrackedPost.objects.filter(pk=tracked.pk).values_list(
                "target__post__text", flat=True).first()
        fields["hashtags"] = hashtags_field(text or "")
    zone = ZoneInfo(Workspace.objects.filter(pk=tracked.workspace_id)
                    .values_list("timezone", flat=True).first() or "UTC")
    if before.get("published_hour") is None:
        local = tracked.published_at.astimezone(zone)
        fields["published_weekday"], fields["published_hour"] = local.weekday(), local.hour
    TrackedPost.objects.filter(pk=tracked.pk).update(latest=snapshot, **fields)
    amount = gained(before, counts)
    if amount:
        _add_day(tracked, snapshot.taken_at.astimezone(zone).date(), amount,
                 fields["engagement_parts"])


def on_snapshot_saved(sender: type, instance: MetricSnapshot, created: bool,
                      **kwargs: Any) -> None:
    if created and not kwargs.get("raw"):
        record_snapshot(instance.tracked, instance)


def refill_published_hours(workspace_ids: Iterable[int] | None = None) -> None:
    """Set every tracked post's local weekday and hour of publishing (the workspace's zone)."""
    posts = TrackedPost.objects.all()
    if workspace_ids is not None:
        posts = posts.filter(workspace_id__in=list(workspace_ids))
    zones = {pk: ZoneInfo(tz or "UTC") for pk, tz in Workspace.objects.values_list(
        "pk", "timezone")}
    groups: dict[tuple[int, int], list[int]] = defaultdict(list)
    for pk, ws_id, published_at in posts.values_list("pk", "workspace_id", "published_at"):
        local = published_at.astimezone(zones[ws_id])
        groups[(local.weekday(), local.hour)].append(pk)
    for (weekday, hour), pks in groups.items():
        for i in range(0, len(pks), 500):
            TrackedPost.objects.filter(pk__in=pks[i:i + 500]).update(
                published_weekday=weekday, published_hour=hour)


def refill(workspace_ids: Iterable[int] | None = None,
           post_days: Mapping[tuple[int, date], int] | None = None) -> None:
    """Rebuild the denormalised fields and PostDay from the stored readings (all workspaces,
    or those given). post_days: the per-post per-day gains when the caller already has them
    (the benchmark), else they are worked out from every reading, in order."""
    posts = TrackedPost.objects.all()
    if workspace_ids is not None:
        posts = posts.filter(workspace_id__in=list(workspace_ids))
    zones: dict[int, ZoneInfo] = {}
    for ws_id, tz in Workspace.objects.values_list("pk", "timezone"):
        zones[ws_id] = ZoneInfo(tz or "UTC")
    # The latest reading's counts: one UPDATE (a subquery per count).
    latest = MetricSnapshot.objects.filter(pk=OuterRef("latest_id"))
    posts.update(**{name: Subquery(latest.values(name)[:1]) for name in POST_METRIC_FIELDS})
    # Engagements and their parts: one UPDATE per pattern of the parts a reading has.
    for present in product((True, False), repeat=len(maths.ENGAGEMENT_PARTS)):
        parts = [p for p, has in zip(maths.ENGAGEMENT_PARTS, present, strict=True) if has]
        pattern = posts.filter(**{f"{p}__isnull": not has for p, has in
                                  zip(maths.ENGAGEMENT_PARTS, present, strict=True)})
        total = sum((F(p) for p in parts[1:]), F(parts[0])) if parts else None
        pattern.update(engagements=total, engagement_parts="+".join(parts))
    info = {pk: (ws, ch, text if imported or not post_text else post_text)
            for pk, ws, ch, text, imported, post_text in posts.values_list(
                "pk", "workspace_id", "channel_id", "text", "imported", "target__post__text")}
    # Hashtags: worked out from the texts, one UPDATE per distinct set.
    by_tags: dict[str, list[int]] = defaultdict(list)
    for pk, (_ws, _ch, text) in info.items():
        by_tags[hashtags_field(text)].append(pk)
    for value, pks in by_tags.items():
        for i in range(0, len(pks), 500):
            TrackedPost.objects.filter(pk__in=pks[i:i + 500]).update(hashtags=value)
    refill_published_hours(workspace_ids)
    parts_of = dict(posts.values_list("pk", "engagement_parts"))
    PostDay.objects.filter(tracked__in=posts).delete()
    if post_days is None:
        computed: dict[tuple[int, date], int] = {}
        last: dict[int, dict[str, int | None]] = {}
        for tid, taken_at, *values in MetricSnapshot.objects.filter(
                tracked__in=posts).order_by("tracked_id", "taken_at", "pk") \
                .values_list("tracked_id", "taken_at", *maths.ENGAGEMENT_PARTS).iterator():
            counts = dict(zip(maths.ENGAGEMENT_PARTS, values, strict=True))
            previous = last.get(tid, {})
            amount = gained(previous, counts)
            # A part missing from this reading keeps its last known value.
            last[tid] = {p: counts[p] if counts[p] is not None else previous.get(p)
                         for p in maths.ENGAGEMENT_PARTS}
            if amount:
                key = (tid, taken_at.astimezone(zones[info[tid][0]]).date())
                computed[key] = computed.get(key, 0) + amount
        post_days = computed
    PostDay.objects.bulk_create(
        [PostDay(tracked_id=tid, workspace_id=info[tid][0], channel_id=info[tid][1], day=day,
                 engagements=amount, parts=parts_of.get(tid, ""))
         for (tid, day), amount in post_days.items() if tid in info],
        batch_size=5000)
    channels = posts.values("channel_id")
    ChannelDay.objects.filter(channel_id__in=channels).delete()
    ChannelDay.objects.bulk_create(
        [ChannelDay(channel_id=row["channel_id"], workspace_id=row["workspace_id"],
                    day=row["day"], parts=row["parts"], engagements=row["total"])
         for row in PostDay.objects.filter(channel_id__in=channels).order_by()
         .values("channel_id", "workspace_id", "day", "parts").annotate(total=Sum("engagements"))],
        batch_size=5000)
