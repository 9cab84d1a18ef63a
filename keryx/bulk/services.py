"""Bulk scheduling from CSV, and export back to CSV.

1. preview(): read the file (encoding, delimiter, format), resolve each row's channels, media,
   labels and campaign, and validate it with publishing.services.validate_post. Every row is
   stored with its result; nothing is scheduled.
2. start_import() queues, after the user's go-ahead, the background task (tasks.py) that runs
   run_import() (scheduling.py, re-exported here): schedule the valid rows, each in its own
   transaction (a row that no longer validates, say its time has passed, is rejected alone),
   writing its progress every few rows for the page to poll.
3. rejected_csv(): the rejected rows with their line numbers and reasons.
4. export_csv(): posts in a date range (and channels) in Keryx's format, which re-imports to
   the same schedule.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Prefetch
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from keryx.bulk import parsing
from keryx.bulk.models import ImportFormat, ImportJob, ImportRow, ImportStatus, RowStatus
from keryx.bulk.parsing import FileRejected, Row
from keryx.bulk.scheduling import planner_models, run_import
from keryx.bulk.tasks import schedule_import
from keryx.channels.models import Channel
from keryx.core import csvsafe
from keryx.core.models import Workspace
from keryx.core.outbound import FetchFailed, fetch_url
from keryx.core.timeutil import get_zone
from keryx.publishing import services as publishing
from keryx.publishing.models import (
    Media,
    PostMedia,
    PostTarget,
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
        models = planner_models()
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
                                         if ref[6:].strip().isdecimal() else 0).first()
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
        if planner_models() is None:
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
    if not ImportJob.objects.filter(pk=job.pk, status=ImportStatus.PREVIEW).update(
        status=ImportStatus.RUNNING
    ):
        return False
    transaction.on_commit(lambda: schedule_import.enqueue(job.pk))
    return True


# ---------------------------------------------------------------------------------------------
# Files out
# ---------------------------------------------------------------------------------------------


def rejected_csv(job: ImportJob) -> str:
    """The rejected rows as CSV: line number, reason, then the row's cells as they were read."""
    out = io.StringIO()
    writer = csvsafe.writer(out)
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
    models = planner_models()
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
    writer = csvsafe.writer(out)
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
