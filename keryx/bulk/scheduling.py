"""Scheduling a previewed import's valid rows (run_import), in the background task or from the
command line. services.py makes the preview and queues this; tasks.py runs it.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keryx.bulk.models import ImportJob, ImportRow, ImportStatus, RowStatus
from keryx.channels.models import Channel, ChannelStatus
from keryx.core import audit
from keryx.publishing import services as publishing
from keryx.publishing.models import Media, Post, PostMedia, PostTarget, TargetEvent, TargetState

logger = logging.getLogger(__name__)


def planner_models() -> tuple[Any, Any] | None:
    """The planner's Campaign and Label models when that app is installed."""
    from django.apps import apps

    if not apps.is_installed("keryx.planner"):
        return None
    return apps.get_model("planner", "Campaign"), apps.get_model("planner", "Label")


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
        self.planner = planner_models()
        # When the workspace holds posts for approval, every row goes through create_post,
        # which submits it for review; otherwise rows are written in chunks.
        self.fast = connection.features.can_return_rows_from_bulk_insert and not (
            publishing.needs_review(self.workspace, self.author))

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
    # The planner is an optional app: its services are loaded only where it is installed.
    from keryx.planner.services import set_planning

    campaign_model, label_model = planner
    campaign = campaign_model.objects.filter(pk=data.get("campaign"),
                                             workspace_id=post.workspace_id).first()
    labels = label_model.objects.filter(pk__in=data.get("labels") or [],
                                        workspace_id=post.workspace_id)
    set_planning(post, campaign=campaign, labels=labels, kind=getattr(post, "kind", "organic"))
