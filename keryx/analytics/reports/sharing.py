"""Share links: a read-only report (a fixed period and filters, as HTML and PDF) for people
without an account, until it is revoked or expires.

The token (secrets.token_urlsafe, 256 bits) is shown once; only its SHA-256 is stored, looked
up by that hash and compared in constant time. Unknown, revoked and expired links are all
answered the same way (None, which the views turn into 404).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from django.utils import timezone

from keryx.analytics import services
from keryx.analytics.reports.models import ShareLink
from keryx.channels.models import Channel
from keryx.core import audit
from keryx.core.models import Workspace
from keryx.planner.models import Campaign, Label

TOKEN_BYTES = 32
MAX_TOKEN_LENGTH = 100


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(workspace: Workspace, *, name: str, first_day: date, last_day: date,
          channels: Sequence[Channel] = (), campaign: Campaign | None = None,
          labels: Sequence[Label] = (), language: str = "en",
          expires_at: datetime | None = None, user: Any = None) -> tuple[ShareLink, str]:
    """A new link; returns it and its token (not stored: show it now or never). Channels,
    campaign and labels must be the workspace's own (ValueError otherwise)."""
    if first_day > last_day:
        raise ValueError("The period starts after it ends.")
    for thing in (*channels, *labels, *([campaign] if campaign else [])):
        if thing.workspace_id != workspace.pk:
            raise ValueError("A filter names something of another workspace.")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = ShareLink.objects.create(
        workspace=workspace, name=name, token_hash=_hash(token), first_day=first_day,
        last_day=last_day, campaign=campaign, language=language, expires_at=expires_at,
        all_channels=not channels,
        created_by=user if getattr(user, "pk", None) else None)
    link.channels.set(channels)
    link.labels.set(labels)
    audit.record(workspace, "share_link.created", actor=user, obj=link,
                 summary=f"{name}: {first_day} – {last_day}", first_day=str(first_day),
                 last_day=str(last_day), language=language,
                 channels=sorted(c.name for c in channels),
                 expires_at=expires_at.isoformat() if expires_at else None)
    return link, token


def resolve(token: str, now: datetime | None = None) -> ShareLink | None:
    """The live link for `token`, or None (unknown, revoked or expired alike)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    wanted = _hash(token)
    link = ShareLink.objects.select_related("workspace").filter(token_hash=wanted).first()
    if link is None or not hmac.compare_digest(link.token_hash, wanted):
        return None
    now = now or timezone.now()
    if link.revoked_at is not None or (link.expires_at is not None and link.expires_at <= now):
        return None
    if not link.all_channels and not link.channels.exists():
        return None  # its channels were deleted: never widened to every channel
    return link


def revoke(workspace: Workspace, link_id: int, user: object = None) -> bool:
    """Revoke the workspace's link (an id of another workspace's link changes nothing)."""
    done = bool(ShareLink.objects.filter(workspace=workspace, pk=link_id,
                                         revoked_at__isnull=True)
                .update(revoked_at=timezone.now()))
    if done:
        link = ShareLink.objects.get(pk=link_id)
        audit.record(workspace, "share_link.revoked", actor=user, obj=link, summary=link.name)
    return done


def scope(link: ShareLink) -> tuple[services.Period, list[Channel], services.PostFilter]:
    """The link's fixed period and filters, as the analytics services take them."""
    when = services.period(link.workspace, link.first_day, link.last_day)
    channels = list(link.channels.filter(workspace=link.workspace).order_by("name"))
    labels = tuple(sorted(link.labels.filter(workspace=link.workspace)
                          .values_list("pk", flat=True)))
    return when, channels, services.PostFilter(link.campaign_id, labels)
