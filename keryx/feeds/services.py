"""Feeds: follow RSS/Atom sources, keep their new items as suggestions, turn one into a draft.

Fetching goes through keryx.core.outbound (private-address guard on every hop, time limit, size
cap); parsing is feedparser's, on the bytes we fetched (it never fetches anything itself).
Items are deduplicated by the entry's id (guid), else its link.
"""

from __future__ import annotations

import calendar
import logging
import re
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

import feedparser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keryx.channels.models import Channel
from keryx.core.models import Workspace
from keryx.core.outbound import FetchFailed, fetch_url
from keryx.feeds.models import FeedItem, FeedSource, ItemStatus
from keryx.publishing.models import Post
from keryx.publishing.services import create_post

logger = logging.getLogger(__name__)

MAX_FEED_BYTES = 5 * 1024 * 1024
FETCH_TIMEOUT = 15.0
FETCH_EVERY = timedelta(hours=1)
RETRY_AFTER_ERROR = timedelta(hours=3)
MAX_ITEMS_PER_FETCH = 200


class FeedError(Exception):
    """The address cannot be followed as a feed; the message says why, for the user."""


def parse(content: bytes, content_type: str = "") -> Any:
    """feedparser's result, or FeedError when the bytes are not RSS or Atom."""
    parsed = feedparser.parse(content, response_headers={"content-type": content_type}
                              if content_type else None)
    if not parsed.get("version") and not parsed.entries:
        kind = (content_type.split(";")[0].strip() or _("something else"))
        raise FeedError(
            _("This address does not serve an RSS or Atom feed (it answered %(type)s). "
              "Give the feed's own address, often ending in /feed, /rss or .xml.")
            % {"type": kind}
        )
    return parsed


def _text(value: str) -> str:
    """Plain text from a feed's HTML summary."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", value or "")).split())


def _when(entry: Any) -> datetime | None:
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    if not stamp:
        return None
    return datetime.fromtimestamp(calendar.timegm(stamp), tz=UTC)


def _store(source: FeedSource, parsed: Any) -> int:
    """Save entries not seen before; returns how many are new."""
    fresh = []
    for entry in parsed.entries[:MAX_ITEMS_PER_FETCH]:
        link = (entry.get("link") or "")[:1000]
        key = (entry.get("id") or link or entry.get("title") or "")[:500]
        if not key:
            continue
        fresh.append(FeedItem(
            source=source, key=key, link=link if link.startswith(("http://", "https://"))
            else "", title=_text(entry.get("title", ""))[:500],
            summary=_text(entry.get("summary", ""))[:5000], published_at=_when(entry),
        ))
    known = set(FeedItem.objects.filter(source=source, key__in=[i.key for i in fresh])
                .values_list("key", flat=True))
    new = [item for item in {i.key: i for i in fresh}.values() if item.key not in known]
    FeedItem.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def refresh(source: FeedSource) -> int:
    """Fetch the source now; returns how many new items. Errors are kept on the source and
    raised as FeedError."""
    now = timezone.now()
    headers = {}
    if source.etag:
        headers["If-None-Match"] = source.etag
    if source.last_modified:
        headers["If-Modified-Since"] = source.last_modified
    try:
        fetched = fetch_url(source.url, max_bytes=MAX_FEED_BYTES, timeout=FETCH_TIMEOUT,
                            headers=headers)
        new = 0
        if fetched.status != 304:
            parsed = parse(fetched.content, fetched.content_type)
            with transaction.atomic():
                new = _store(source, parsed)
            source.title = source.title or _text(parsed.feed.get("title", ""))[:300]
            source.site_url = (parsed.feed.get("link") or source.site_url or "")[:1000]
            source.etag = fetched.etag[:300]
            source.last_modified = fetched.last_modified[:100]
    except (FetchFailed, FeedError) as exc:
        FeedSource.objects.filter(pk=source.pk).update(
            last_error=str(exc), last_fetched_at=now, next_fetch_at=now + RETRY_AFTER_ERROR)
        source.last_error = str(exc)
        raise FeedError(str(exc)) from exc
    source.last_error = ""
    source.last_fetched_at = now
    source.next_fetch_at = now + FETCH_EVERY
    source.save(update_fields=["title", "site_url", "etag", "last_modified", "last_error",
                               "last_fetched_at", "next_fetch_at"])
    return new


def add_source(workspace: Workspace, url: str, *, user: Any = None) -> FeedSource:
    """Follow a feed. It is fetched once first: an address that is not a feed is refused with
    the reason, and nothing is saved."""
    url = url.strip()
    if FeedSource.objects.filter(workspace=workspace, url=url).exists():
        raise FeedError(_("This workspace already follows %(url)s.") % {"url": url})
    try:
        fetched = fetch_url(url, max_bytes=MAX_FEED_BYTES, timeout=FETCH_TIMEOUT)
    except FetchFailed as exc:
        raise FeedError(str(exc)) from exc
    parsed = parse(fetched.content, fetched.content_type)
    now = timezone.now()
    try:
        with transaction.atomic():
            source = FeedSource.objects.create(
                workspace=workspace, url=url, title=_text(parsed.feed.get("title", ""))[:300],
                site_url=(parsed.feed.get("link") or "")[:1000], etag=fetched.etag[:300],
                last_modified=fetched.last_modified[:100], last_fetched_at=now,
                next_fetch_at=now + FETCH_EVERY,
                created_by=user if getattr(user, "pk", None) else None,
            )
            _store(source, parsed)
    except IntegrityError as exc:
        raise FeedError(_("This workspace already follows %(url)s.") % {"url": url}) from exc
    return source


def fetch_due(*, now: datetime | None = None) -> int:
    """Refresh every source whose time has come. Each is claimed by moving its next_fetch_at
    first, so several schedulers never fetch one source twice. Returns sources fetched."""
    now = now or timezone.now()
    done = 0
    due = FeedSource.objects.filter(active=True, next_fetch_at__lte=now).order_by("next_fetch_at")
    for source in due[:50]:
        if not FeedSource.objects.filter(pk=source.pk, next_fetch_at=source.next_fetch_at) \
                .update(next_fetch_at=now + FETCH_EVERY):
            continue
        try:
            refresh(source)
        except FeedError as exc:
            logger.info("feed %s: %s", source.pk, exc)
        done += 1
    return done


def suggested_text(item: FeedItem) -> str:
    parts = [item.title or item.summary[:200]]
    if item.link:
        parts.append(item.link)
    return " ".join(p for p in parts if p).strip()


def make_draft(item: FeedItem, *, text: str, channels: list[Channel], user: Any) -> Post:
    """Turn a suggestion into a draft post (PostRejected if a channel is not the workspace's)."""
    post = create_post(workspace=item.source.workspace, author=user, text=text,
                       channels=channels, draft=True, actor=user.get_username())
    FeedItem.objects.filter(pk=item.pk).update(status=ItemStatus.DRAFTED, post=post)
    return post


def dismiss(item: FeedItem) -> None:
    FeedItem.objects.filter(pk=item.pk).update(status=ItemStatus.DISMISSED)
