"""Bulk scheduling from CSV, and export back to CSV.

1. preview(): read the file (encoding, delimiter, format), resolve each row's channels, media,
   labels and campaign, and validate it with publishing.services.validate_post. Every row is
   stored with its result; nothing is scheduled.
2. run_import(): after the user's go-ahead, schedule the valid rows, each in its own
   transaction (a row that no longer validates, say its time has passed, is rejected alone).
   It runs as a background task and writes its progress every few rows for the page to poll.
3. rejected_csv(): the rejected rows with their line numbers and reasons.
4. export_csv(): posts in a date range (and channels) in Keryx's format, which re-imports to
   the same schedule.
"""

from __future__ import annotations

import csv
import io
import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Prefetch
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from keryx.bulk import parsing
from keryx.bulk.models import ImportFormat, ImportJob, ImportRow, ImportStatus, RowStatus
from keryx.bulk.parsing import FileRejected, Row
from keryx.channels.models import Channel, ChannelStatus
from keryx.core import audit
from keryx.core.models import Workspace
from keryx.core.outbound import FetchFailed, fetch_url
from keryx.core.timeutil import get_zone
from keryx.publishing import services as publishing
from keryx.publishing.models import (
    Media,
    Post,
    PostMedia,
    PostTarget,
    TargetEvent,
    TargetState,
)

logger = logging.getLogger(__name__)

BATCH = 1000

__all__ = ["FileRejected", "ImportOptions", "preview", "run_import", "rejected_csv",
           "export_csv"]


@dataclass
class ImportOptions:
    format: str = ImportFormat.KERYX
    date_format: str = "dd/mm/yyyy"
    channels: Sequence[Channel] = ()  # chosen at upload (Hootsuite), or a default (Keryx)
    filename: str = ""
    # Local file paths in the media column: only for the command line (the operator's files).
    allow_paths: bool = False


def _planner() -> tuple[Any, Any] | None:
    """The planner's Campaign and Label models when that app is installed."""
    from django.apps import apps

    if not apps.is_installed("keryx.planner"):
        return None
    return apps.get_model("planner", "Campaign"), apps.get_model("planner", "Label")


@dataclass
class _Resolver:
    """Turns names and media references into ids, once per distinct value."""

    workspace: Workspace
    user: Any
    options: ImportOptions
    channels: dict[str, Channel] = field(default_factory=dict)
    media: dict[str, Media | str] = field(default_factory=dict)  # ref -> Media or error
    labels: dict[str, int] = field(default_factory=dict)
    campaigns: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for channel in Channel.objects.filter(workspace=self.workspace):
            self.channels[channel.name.casefold()] = channel
        models = _planner()
        if models:
            campaign_model, label_model = models
            self.campaigns = {
                name.casefold(): pk for pk, name in
                campaign_model.objects.filter(workspace=self.workspace).values_list("pk", "name")
            }
            self.labels = {
                name.casefold(): pk for pk, name in
                label_model.objects.filter(workspace=self.workspace).values_list("pk", "name")
            }

    def media_for(self, ref: str, alt: str) -> Media | str:
        """A Media for the reference, or the reason it cannot be had."""
        key = f"{ref}\x00{alt}"
        if key not in self.media:
            self.media[key] = self._load_media(ref, alt)
        return self.media[key]

    def _load_media(self, ref: str, alt: str) -> Media | str:
        if ref.startswith("media:"):
            media = Media.objects.filter(workspace=self.workspace, pk=ref[6:].strip()
                                         if ref[6:].strip().isdigit() else 0).first()
            if media is None:
                return _("No media %(ref)s in this workspace.") % {"ref": ref}
            if alt and alt != media.alt_text:
                media.alt_text = alt
                media.save(update_fields=["alt_text"])
            return media
        if ref.startswith(("http://", "https://")):
            try:
                fetched = fetch_url(ref, max_bytes=publishing.MAX_MEDIA_BYTES, timeout=30)
            except FetchFailed as exc:
                return str(exc)
            name = os.path.basename(fetched.url.split("?", 1)[0]) or "download"
            return self._save(io.BytesIO(fetched.content), name, alt)
        if not self.options.allow_paths:
            return _("%(ref)s: give media as an http(s) URL or media:ID; file paths are "
                     "accepted only by the command-line import.") % {"ref": ref}
        path = os.path.expanduser(ref)
        if not os.path.isfile(path):
            return _("No such file: %(path)s") % {"path": ref}
        with open(path, "rb") as handle:
            return self._save(handle, os.path.basename(path), alt)

    def _save(self, handle: Any, name: str, alt: str) -> Media | str:
        try:
            return publishing.save_media(workspace=self.workspace, user=self.user, file=handle,
                                         filename=name, alt_text=alt)
        except publishing.MediaRejected as exc:
            return str(exc)


def _resolve(row: Row, resolver: _Resolver, default_channels: Sequence[Channel]
             ) -> tuple[list[Channel], list[Media], dict[str, Any]]:
    channels: list[Channel] = []
    for name in row.channel_names:
        channel = resolver.channels.get(name.casefold())
        if channel is None:
            row.errors.append(_("Unknown channel: %(name)s.") % {"name": name})
        else:
            channels.append(channel)
    if not row.channel_names:
        channels = list(default_channels)
        if not channels:
            row.errors.append(_("No channel: name one in the channels column."))
    media: list[Media] = []
    for i, ref in enumerate(row.media):
        alt = row.alt_texts[i] if i < len(row.alt_texts) else ""
        found = resolver.media_for(ref, alt)
        if isinstance(found, str):
            row.errors.append(found)
        else:
            media.append(found)
    planning: dict[str, Any] = {}
    if row.labels or row.campaign:
        if _planner() is None:
            row.warnings.append(_("Labels and campaigns are not available; ignored."))
        else:
            label_ids = []
            for name in row.labels:
                pk = resolver.labels.get(name.casefold())
                if pk is None:
                    row.warnings.append(_("No label %(name)s; ignored.") % {"name": name})
                else:
                    label_ids.append(pk)
            planning["labels"] = label_ids
            if row.campaign:
                pk = resolver.campaigns.get(row.campaign.casefold())
                if pk is None:
                    row.warnings.append(
                        _("No campaign %(name)s; ignored.") % {"name": row.campaign})
                else:
                    planning["campaign"] = pk
    return channels, media, planning


def _reason(problems: dict[Channel | None, list[Any]]) -> str:
    return publishing.PostRejected(problems).summary()


def preview(*, workspace: Workspace, user: Any, data: bytes, options: ImportOptions
            ) -> ImportJob:
    """Read and validate every row; store the job with each row's result. Schedules nothing.

    Raises FileRejected when the file as a whole cannot be used."""
    if len(data) > parsing.MAX_BYTES:
        raise FileRejected(_("The file is larger than 20 MB."))
    decoded = parsing.decode(data)
    delimiter = parsing.sniff_delimiter(decoded.text)
    found = parsing.records(decoded.text, delimiter)
    default_channels = [c for c in options.channels if c.workspace_id == workspace.pk]
    if options.format == ImportFormat.HOOTSUITE:
        if not default_channels:
            raise FileRejected(_("Choose the channels to schedule the Hootsuite file to."))
        rows = parsing.parse_hootsuite(found, date_format=options.date_format,
                                       tz_name=workspace.timezone)
    else:
        rows = parsing.parse_keryx(found, tz_name=workspace.timezone)
    if not rows:
        raise FileRejected(_("The file has no rows to import."))
    if len(rows) > parsing.MAX_ROWS:
        raise FileRejected(_("The file has more than %(max)s rows; split it into smaller files.")
                           % {"max": f"{parsing.MAX_ROWS:,}"})
    resolver = _Resolver(workspace, user, options)
    job = ImportJob.objects.create(
        workspace=workspace, created_by=user if getattr(user, "pk", None) else None,
        filename=options.filename[:255], format=options.format,
        date_format=options.date_format if options.format == ImportFormat.HOOTSUITE else "",
        encoding=decoded.encoding, encoding_note=decoded.note, delimiter=delimiter,
        total=len(rows),
    )
    batch: list[ImportRow] = []
    valid = 0
    for row in rows:
        channels, media, planning = _resolve(row, resolver, default_channels)
        if not row.errors and row.when is not None:
            problems = publishing.validate_post(
                workspace=workspace, text=row.text, channels=channels, media=media,
                scheduled_at=row.when,
            )
            if problems:
                row.errors.append(_reason(problems))
        ok = not row.errors
        valid += ok
        batch.append(ImportRow(
            job=job, line=row.line, status=RowStatus.VALID if ok else RowStatus.REJECTED,
            text=row.text, when=row.when, channels=", ".join(c.name for c in channels),
            data={"channels": [c.pk for c in channels], "media": [m.pk for m in media],
                  **planning},
            raw=row.raw, reason=" ".join(row.errors), warnings=" ".join(row.warnings),
        ))
        if len(batch) >= BATCH:
            ImportRow.objects.bulk_create(batch)
            batch = []
    ImportRow.objects.bulk_create(batch)
    job.valid = valid
    job.rejected = len(rows) - valid
    job.save(update_fields=["valid", "rejected"])
    return job


def start_import(job: ImportJob) -> bool:
    """Queue the scheduling of a previewed job (once). False if it was already started."""
    from keryx.bulk.tasks import schedule_import

    if not ImportJob.objects.filter(pk=job.pk, status=ImportStatus.PREVIEW).update(
        status=ImportStatus.RUNNING
    ):
        return False
    transaction.on_commit(lambda: schedule_import.enqueue(job.pk))
    return True


def run_import(job_id: int, *, actor: str | None = None) -> ImportJob:
    """Schedule the job's valid rows, updating progress as it goes. Each row is all-or-nothing:
    rows go in chunks of whole rows, and a chunk that fails is redone row by row."""
    job = ImportJob.objects.select_related("workspace", "created_by").get(pk=job_id)
    if job.status == ImportStatus.PREVIEW:
        ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING)
    elif job.status != ImportStatus.RUNNING:
        return job
    run = _Run(job, actor or (job.created_by.get_username() if job.created_by else "import"))
    try:
        rows = list(job.rows.filter(status=RowStatus.VALID).order_by("line"))
        run.load(rows)
        for start in range(0, len(rows), CHUNK):
            run.chunk(rows[start:start + CHUNK])
            ImportJob.objects.filter(pk=job.pk).update(
                processed=run.processed, scheduled=run.scheduled,
                rejected=job.rejected + run.rejected)
    except Exception as exc:
        logger.exception("import %s stopped", job.pk)
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.FAILED, error=str(exc)[:2000], processed=run.processed,
            scheduled=run.scheduled, rejected=job.rejected + run.rejected,
            finished_at=timezone.now())
        raise
    if run.scheduled:
        audit.record(job.workspace, "post.created", actor=job.created_by or run.actor,
                     summary=_("%(count)s posts imported from %(file)s")
                     % {"count": run.scheduled, "file": job.filename or _("a CSV file")},
                     count=run.scheduled, import_job=job.pk)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.DONE, processed=run.processed, scheduled=run.scheduled,
        rejected=job.rejected + run.rejected, finished_at=timezone.now())
    job.refresh_from_db()
    return job


CHUNK = 250


class _Run:
    """One scheduling pass over a job's valid rows."""

    def __init__(self, job: ImportJob, actor: str) -> None:
        self.job = job
        self.workspace = job.workspace
        self.author = job.created_by
        self.actor = f"{actor} (import {job.pk})"
        self.processed = self.scheduled = self.rejected = 0
        self.planner = _planner()
        # When the workspace holds posts for approval, every row goes through create_post,
        # which submits it for review; otherwise rows are written in chunks.
        self.fast = connection.features.can_return_rows_from_bulk_insert and not (
            publishing._needs_review(self.workspace, self.author))

    def load(self, rows: list[ImportRow]) -> None:
        self.channels = {c.pk: c for c in Channel.objects.filter(workspace=self.workspace)}
        wanted = {pk for row in rows for pk in row.data.get("media", [])}
        self.media = {m.pk: m for m in Media.objects.filter(workspace=self.workspace,
                                                              pk__in=wanted)}

    def _recheck(self, row: ImportRow) -> str:
        """What may have changed since the preview validated the row: the time may have passed,
        a channel may need reconnecting or be gone. The content itself was checked then."""
        channels = [self.channels.get(pk) for pk in row.data["channels"]]
        if any(c is None for c in channels) or not channels:
            return _("A channel of this row no longer exists.")
        if row.when is None or row.when < timezone.now() - publishing.PAST_GRACE:
            return _("The scheduled time is in the past.")
        for channel in channels:
            if channel.status != ChannelStatus.ACTIVE:
                return _("%(name)s needs reconnecting before it can publish.") % {
                    "name": channel.name}
        return ""

    def chunk(self, rows: list[ImportRow]) -> None:
        good = []
        for row in rows:
            reason = self._recheck(row)
            if reason:
                if ImportRow.objects.filter(pk=row.pk, status=RowStatus.VALID).update(
                        status=RowStatus.REJECTED, reason=reason):
                    self.rejected += 1
                    self.processed += 1
            else:
                good.append(row)
        if self.fast and good:
            try:
                with transaction.atomic():
                    self._write(good)
                self.scheduled += len(good)
                self.processed += len(good)
                return
            except _Contended:
                pass  # another run holds some of these rows: go row by row
        for row in good:
            self._one(row)

    def _write(self, rows: list[ImportRow]) -> None:
        ids = [row.pk for row in rows]
        if ImportRow.objects.filter(pk__in=ids, status=RowStatus.VALID).update(
                status=RowStatus.SCHEDULED) != len(ids):
            raise _Contended
        author = self.author if getattr(self.author, "pk", None) else None
        extra: list[dict[str, Any]] = []
        for row in rows:
            fields: dict[str, Any] = {}
            if self.planner and row.data.get("campaign"):
                fields["campaign_id"] = row.data["campaign"]
            extra.append(fields)
        posts = Post.objects.bulk_create(
            Post(workspace=self.workspace, author=author, text=row.text,
                 scheduled_at=row.when, **fields)
            for row, fields in zip(rows, extra, strict=True)
        )
        PostMedia.objects.bulk_create(
            PostMedia(post=post, media_id=pk, position=i)
            for post, row in zip(posts, rows, strict=True)
            for i, pk in enumerate(row.data.get("media", []))
        )
        targets = PostTarget.objects.bulk_create(
            PostTarget(post=post, channel_id=pk, workspace=self.workspace,
                       state=TargetState.SCHEDULED, due_at=row.when)
            for post, row in zip(posts, rows, strict=True) for pk in row.data["channels"]
        )
        TargetEvent.objects.bulk_create(
            TargetEvent(target=target, from_state="", to_state=TargetState.SCHEDULED,
                        actor=self.actor[:150], message=_("Scheduled"))
            for target in targets
        )
        if self.planner:
            through = Post.labels.through
            through.objects.bulk_create(
                through(post_id=post.pk, label_id=label)
                for post, row in zip(posts, rows, strict=True)
                for label in row.data.get("labels", [])
            )
        # One prepared statement for the whole chunk (bulk_update's CASE is far slower here).
        table = connection.ops.quote_name(ImportRow._meta.db_table)
        with connection.cursor() as cursor:
            cursor.executemany(f"UPDATE {table} SET post_id = %s WHERE id = %s",
                               [(post.pk, row.pk) for row, post in zip(rows, posts, strict=True)])

    def _one(self, row: ImportRow) -> None:
        data = row.data
        try:
            with transaction.atomic():
                # Claimed first: a task run twice never schedules a row twice.
                if not ImportRow.objects.filter(pk=row.pk, status=RowStatus.VALID).update(
                    status=RowStatus.SCHEDULED
                ):
                    return
                post = publishing.create_post(
                    workspace=self.workspace, author=self.author, text=row.text,
                    channels=[self.channels[pk] for pk in data["channels"]
                              if pk in self.channels],
                    media=[self.media[pk] for pk in data["media"] if pk in self.media],
                    scheduled_at=row.when, actor=self.actor,
                )
                if self.planner and (data.get("labels") or data.get("campaign")):
                    _plan(post, data, self.planner)
                ImportRow.objects.filter(pk=row.pk).update(post=post)
            self.scheduled += 1
        except publishing.PostRejected as exc:
            ImportRow.objects.filter(pk=row.pk).update(
                status=RowStatus.REJECTED, reason=exc.summary())
            self.rejected += 1
        self.processed += 1


class _Contended(Exception):
    pass


def _plan(post: Post, data: dict[str, Any], planner: tuple[Any, Any]) -> None:
    from keryx.planner.services import set_planning

    campaign_model, label_model = planner
    campaign = campaign_model.objects.filter(pk=data.get("campaign"),
                                             workspace_id=post.workspace_id).first()
    labels = label_model.objects.filter(pk__in=data.get("labels") or [],
                                        workspace_id=post.workspace_id)
    set_planning(post, campaign=campaign, labels=labels, kind=getattr(post, "kind", "organic"))


# ---------------------------------------------------------------------------------------------
# Files out
# ---------------------------------------------------------------------------------------------


def rejected_csv(job: ImportJob) -> str:
    """The rejected rows as CSV: line number, reason, then the row's cells as they were read."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("line"), _("reason"), *([] if job.format == ImportFormat.HOOTSUITE
                                               else [_("row as read")])])
    for line, reason, raw in job.rows.filter(status=RowStatus.REJECTED).order_by("line") \
            .values_list("line", "reason", "raw"):
        writer.writerow([line, reason, *raw])
    return out.getvalue()


def _iso(at: datetime, tz_name: str) -> str:
    local = at.astimezone(get_zone(tz_name))
    return local.isoformat(timespec="minutes" if not local.second else "seconds")


EXPORT_STATES = (TargetState.DRAFT, TargetState.PENDING_APPROVAL, TargetState.SCHEDULED,
                 TargetState.PUBLISHING, TargetState.PUBLISHED, TargetState.FAILED,
                 TargetState.UNKNOWN)


def export_csv(workspace: Workspace, *, start: datetime | None = None,
               end: datetime | None = None, channels: Iterable[Channel] | None = None) -> str:
    """Posts with a time in [start, end) as Keryx CSV: one row per post, time and text (a
    channel with its own text or its own time gets its own row). Media are written as
    media:ID, which re-import into the same workspace."""
    targets = (
        PostTarget.objects.filter(workspace=workspace, state__in=EXPORT_STATES)
        .annotate(at=Coalesce("due_at", "queue_entry__slot_at", "published_at",
                              "post__scheduled_at"))
        .exclude(at=None)
    )
    if start is not None:
        targets = targets.filter(at__gte=start)
    if end is not None:
        targets = targets.filter(at__lt=end)
    if channels is not None:
        targets = targets.filter(channel__in=list(channels))
    prefetch = [
        Prefetch("post__postmedia_set", queryset=PostMedia.objects.select_related("media")),
        "post__variants",
    ]
    models = _planner()
    if models:
        prefetch += ["post__labels"]
    targets = targets.select_related("post", "channel").prefetch_related(*prefetch)
    if models:
        targets = targets.select_related("post__campaign")
    groups: dict[tuple[int, datetime, str], list[PostTarget]] = {}
    for target in targets.order_by("at", "post_id", "channel__name"):
        post = target.post
        variant = next((v for v in post.variants.all()
                        if v.channel_id == target.channel_id and v.override_text), None)
        text = variant.text if variant else post.text
        groups.setdefault((post.pk, target.at, text), []).append(target)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(parsing.KERYX_COLUMNS)
    for (_pk, at, text), items in groups.items():
        post = items[0].post
        media = [pm.media for pm in post.postmedia_set.all()]
        writer.writerow([
            parsing.join_cell([t.channel.name for t in items]),
            text,
            _iso(at, workspace.timezone),
            parsing.join_cell([f"media:{m.pk}" for m in media]),
            parsing.join_cell([m.alt_text for m in media]),
            parsing.join_cell([label.name for label in post.labels.all()]) if models else "",
            (post.campaign.name if post.campaign else "") if models else "",
        ])
    return out.getvalue()
