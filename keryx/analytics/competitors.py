"""Competitors: other people's public accounts on networks that show them without special
access (Mastodon, Bluesky: Capabilities.competitors), read through one of the workspace's own
channels of that network, and set side by side with the workspace's channels.

1. Adding reads the account at once, so an unknown account, a handle that cannot be one, or a
   server Keryx refuses to contact (a private address) is said at add time, nothing is kept.
2. Each reading stores a CompetitorSnapshot: followers, following, posts, and over the account's
   own top-level public posts of the WINDOW_DAYS before: posts per week, the average likes,
   comments and shares per post, and the average engagement rate by followers (maths, basis
   "followers when read": a competitor's followers at publish time are not known).
3. collect_due() runs in the periodic loop: it claims due competitors with one guarded UPDATE
   that moves due_at past a lease (as keryx.analytics.collect does), so each is read once a
   day however many processes run; a rate limit puts it off until the network's reset time;
   an account that disappears is marked gone and keeps its history.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext as _

from keryx.analytics import maths
from keryx.analytics.models import Competitor, CompetitorSnapshot, JobStatus
from keryx.analytics.services import Period, post_rows, summary
from keryx.channels.models import Channel, ChannelStatus
from keryx.channels.providers import provider_for
from keryx.core import audit
from keryx.core.models import Workspace
from keryx.networks.base import AuthExpired, Disconnected, ProviderError, RateLimited
from keryx.networks.community import AccountNotFound, BadHandle, PublicAccount, PublicPost
from keryx.networks.netguard import BlockedAddress
from keryx.networks.registry import capabilities, display_name, in_form_order

logger = logging.getLogger(__name__)

WINDOW_DAYS = 30
EVERY = timedelta(days=1)
LEASE = timedelta(minutes=10)
CLAIM_BATCH = 50
RETRY_AFTER_ERROR = timedelta(hours=1)
RATE_LIMIT_DEFAULT = timedelta(minutes=15)
NO_CHANNEL_RETRY = timedelta(days=1)
RATE_DIGITS = 4


class CompetitorError(Exception):
    """Adding or reading a competitor failed; the message says why, for the user."""


def networks() -> list[str]:
    """The networks whose public accounts can be followed."""
    return [name for name in in_form_order()
            if getattr(capabilities(name), "competitors", False)]


def reading_channel(workspace: Workspace, network: str,
                    preferred: Channel | None = None) -> Channel | None:
    """The channel a competitor of `network` is read through: the preferred one while it is
    connected, else the workspace's first connected channel of that network."""
    if (preferred is not None and preferred.workspace_id == workspace.pk
            and preferred.network == network and preferred.status == ChannelStatus.ACTIVE):
        return preferred
    return Channel.objects.filter(workspace=workspace, network=network,
                                  status=ChannelStatus.ACTIVE).order_by("name", "pk").first()


def _user_message(exc: Exception) -> str:
    if isinstance(exc, AccountNotFound):
        return exc.reason
    if isinstance(exc, BadHandle):
        return str(exc)
    if isinstance(exc, RateLimited):
        if exc.retry_after is None:
            return _("The network is rate limiting reads; try again later.")
        return _("The network is rate limiting reads; try again in %(seconds)s s.") % {
            "seconds": int(exc.retry_after)}
    if isinstance(exc, ProviderError):
        return exc.message
    return str(exc)


# ---------------------------------------------------------------------------------------------
# One reading
# ---------------------------------------------------------------------------------------------


def _avg(values: Sequence[int | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


def window_figures(posts: Sequence[PublicPost], followers: int | None,
                   days: int = WINDOW_DAYS) -> dict[str, Any]:
    """Posts per week, average counts per post and the average engagement rate by followers
    (when read) over the window's posts. Pure: the maths of a snapshot."""
    rates = [maths.engagement_rate(
        maths.engagements({"likes": p.likes, "comments": p.comments, "shares": p.shares,
                           "saves": p.saves}), followers, "followers_read") for p in posts]
    average = maths.average_rate(rates)
    formula = average.formula or (rates[0].formula if rates else "")
    reason = average.reason if average.value is None else ""
    if not posts:
        reason = f"no posts in the {days} days before the reading"
    elif average.value is None and any(r.reason for r in rates):
        reason = next(r.reason for r in rates if r.reason)
    return {
        "window_days": days,
        "window_posts": len(posts),
        "posts_per_week": round(len(posts) / days * 7, 2),
        "avg_likes": _avg([p.likes for p in posts]),
        "avg_comments": _avg([p.comments for p in posts]),
        "avg_shares": _avg([p.shares for p in posts]),
        "avg_engagement_rate": average.value,
        "engagement_rate_formula": formula[:300],
        "engagement_rate_reason": reason[:300],
    }


def _read(competitor: Competitor, channel: Channel, now: datetime,
          account: PublicAccount | None = None) -> CompetitorSnapshot:
    provider: Any = provider_for(channel)
    if account is None:
        account = provider.public_account(competitor.ref)
    posts = provider.public_posts(account, now - timedelta(days=WINDOW_DAYS))
    snapshot = CompetitorSnapshot.objects.create(
        competitor=competitor, taken_at=now, followers=account.followers,
        following=account.following, posts=account.posts,
        **window_figures(posts, account.followers))
    Competitor.objects.filter(pk=competitor.pk).update(
        handle=account.handle[:300], display_name=account.display_name[:300],
        url=account.url[:1000], channel=channel)
    return snapshot


def _finish(competitor: Competitor, token: str | None, now: datetime, status: str,
            message: str, due_at: datetime | None, **extra: Any) -> None:
    rows = Competitor.objects.filter(pk=competitor.pk)
    if token is not None:
        rows = rows.filter(claim_token=token)
    rows.update(claim_token="", last_run_at=now, last_status=status,
                last_message=message[:2000], due_at=due_at, **extra)


def read_now(competitor: Competitor, *, token: str | None = None,
             now: datetime | None = None) -> str:
    """Read one competitor now and record what happened; returns the status."""
    now = now or timezone.now()
    if competitor.gone_at is not None:
        return JobStatus.GONE
    workspace = Workspace.objects.get(pk=competitor.workspace_id)
    channel = reading_channel(workspace, competitor.network, competitor.channel)
    if channel is None:
        _finish(competitor, token, now, JobStatus.SKIPPED,
                _("No connected %(network)s channel to read it through.")
                % {"network": display_name(competitor.network)}, now + NO_CHANNEL_RETRY)
        return JobStatus.SKIPPED
    try:
        _read(competitor, channel, now)
    except AccountNotFound as exc:
        # Gone from the network: marked, readings kept, no longer read.
        _finish(competitor, token, now, JobStatus.GONE, exc.reason, None,
                gone_at=now, gone_reason=exc.reason[:2000])
        return JobStatus.GONE
    except RateLimited as exc:
        wait = (timedelta(seconds=exc.retry_after) if exc.retry_after is not None
                else RATE_LIMIT_DEFAULT)
        _finish(competitor, token, now, JobStatus.RATE_LIMITED, exc.message, now + wait)
        return JobStatus.RATE_LIMITED
    except (ProviderError, BadHandle) as exc:
        if isinstance(exc, AuthExpired):
            from keryx.channels.health import mark_needs_reconnect

            mark_needs_reconnect(channel, exc.message)
        _finish(competitor, token, now, JobStatus.ERROR, _user_message(exc),
                now + RETRY_AFTER_ERROR)
        return JobStatus.ERROR
    _finish(competitor, token, now, JobStatus.OK, "", now + EVERY)
    return JobStatus.OK


# ---------------------------------------------------------------------------------------------
# Adding, removing, the periodic reading
# ---------------------------------------------------------------------------------------------


def add(workspace: Workspace, network: str, handle: str, *, actor: Any = None,
        channel: Channel | None = None, now: datetime | None = None) -> Competitor:
    """Follow a public account: read it now (CompetitorError says why it cannot be), keep it
    and its first reading."""
    now = now or timezone.now()
    network = (network or "").strip().lower()
    if network not in networks():
        raise CompetitorError(
            _("Competitors can be followed on %(networks)s, not on %(network)s.")
            % {"networks": ", ".join(display_name(n) for n in networks()),
               "network": network or "?"})
    if channel is not None and (channel.workspace_id != workspace.pk
                                or channel.network != network):
        raise CompetitorError(_("The channel %(channel)s is not a %(network)s channel of this "
                                "workspace.") % {"channel": channel.name,
                                                 "network": display_name(network)})
    reader = reading_channel(workspace, network, channel)
    if reader is None:
        raise CompetitorError(
            _("Connect a %(network)s channel first: competitors are read through one.")
            % {"network": display_name(network)})
    try:
        account = provider_for(reader).public_account(handle)  # type: ignore[attr-defined]
    except (ProviderError, AccountNotFound, BadHandle) as exc:
        if isinstance(exc, Disconnected) and isinstance(exc.__cause__, BlockedAddress):
            raise CompetitorError(_("Keryx refuses to contact that server: %(reason)s")
                                  % {"reason": exc.message}) from exc
        raise CompetitorError(_user_message(exc)) from exc
    if Competitor.objects.filter(workspace=workspace, network=network,
                                 ref=account.ref).exists():
        raise CompetitorError(_("%(handle)s is already followed.") % {"handle": account.handle})
    try:
        competitor = Competitor.objects.create(
            workspace=workspace, network=network, handle=account.handle[:300],
            ref=account.ref[:300], remote_id=str(account.raw.get("id") or account.ref)[:300],
            display_name=account.display_name[:300], url=account.url[:1000], channel=reader,
            added_by=actor if getattr(actor, "pk", None) else None, due_at=now + EVERY)
    except IntegrityError as exc:
        raise CompetitorError(_("%(handle)s is already followed.")
                              % {"handle": account.handle}) from exc
    try:
        _read(competitor, reader, now, account)
        _finish(competitor, None, now, JobStatus.OK, "", now + EVERY)
    except (ProviderError, AccountNotFound) as exc:
        # The account exists; its posts could not be read this time: the next round retries.
        wait = RATE_LIMIT_DEFAULT if isinstance(exc, RateLimited) else RETRY_AFTER_ERROR
        _finish(competitor, None, now, JobStatus.ERROR, _user_message(exc), now + wait)
    audit.record(workspace, "competitor.added", actor=actor, obj=competitor,
                 summary=f"{competitor.handle} ({network})")
    competitor.refresh_from_db()
    return competitor


def remove(competitor: Competitor, *, actor: Any = None) -> None:
    """Stop following: the competitor and its readings are deleted."""
    audit.record(competitor.workspace_id, "competitor.removed", actor=actor, obj=competitor,
                 summary=f"{competitor.handle} ({competitor.network})")
    competitor.delete()


def find(workspace: Workspace, ref: str) -> Competitor:
    """A competitor of the workspace by id or handle; LookupError otherwise."""
    text = (ref or "").strip()
    qs = Competitor.objects.filter(workspace=workspace)
    found = (qs.filter(pk=int(text)).first() if text.isdecimal() else None) or \
        qs.filter(handle__iexact=text).first() or \
        qs.filter(handle__iexact="@" + text.lstrip("@")).first() or \
        qs.filter(handle__iexact=text.lstrip("@")).first()
    if found is None:
        raise LookupError(_("No competitor %(ref)s in this workspace.") % {"ref": text})
    return found


def claim_due(*, now: datetime | None = None,
              limit: int = CLAIM_BATCH) -> tuple[str, list[int]]:
    """Lease up to `limit` due competitors; the ids this process won (see module doc)."""
    now = now or timezone.now()
    token = str(uuid.uuid4())
    due = Competitor.objects.filter(due_at__lte=now, gone_at__isnull=True)
    picked = list(due.order_by("due_at", "pk").values_list("pk", flat=True)[:limit])
    if not picked:
        return token, []
    # The UPDATE is the claim: its condition (still due) loses to a process that moved
    # due_at first.
    due.filter(pk__in=picked).update(claim_token=token, due_at=now + LEASE)
    return token, list(Competitor.objects.filter(pk__in=picked, claim_token=token)
                       .order_by("pk").values_list("pk", flat=True))


def collect_due(*, now: datetime | None = None) -> int:
    """The periodic reading: every due competitor, once. Returns how many were read."""
    now = now or timezone.now()
    token, ids = claim_due(now=now)
    done = 0
    for competitor in Competitor.objects.filter(pk__in=ids).select_related("channel"):
        try:
            if read_now(competitor, token=token, now=now) == JobStatus.OK:
                done += 1
        except Exception:
            # Unexpected: the lease runs out and it comes back.
            logger.exception("reading competitor %s failed", competitor.pk)
    return done


# ---------------------------------------------------------------------------------------------
# Side by side
# ---------------------------------------------------------------------------------------------


def _rounded(value: float | None, digits: int = RATE_DIGITS) -> float | None:
    return None if value is None else round(value, digits)


def _competitor_row(competitor: Competitor, when: Period) -> dict[str, Any]:
    until = min(when.end, timezone.now())
    readings = competitor.snapshots.filter(followers__isnull=False)
    start = (readings.filter(taken_at__lte=when.start).order_by("-taken_at", "-pk").first()
             or readings.filter(taken_at__gte=when.start, taken_at__lte=until)
             .order_by("taken_at", "pk").first())
    last = competitor.snapshots.filter(taken_at__lte=until).order_by("-taken_at", "-pk").first()
    end = readings.filter(taken_at__lte=until).order_by("-taken_at", "-pk").first()
    growth = maths.follower_growth(start.followers if start else None,
                                   end.followers if end else None)
    return {
        "kind": "competitor", "id": competitor.pk, "name": competitor.display_name,
        "handle": competitor.handle, "network": competitor.network, "url": competitor.url,
        "channel": competitor.channel.name if competitor.channel else None,
        "followers": end.followers if end else None,
        "follower_growth": growth.absolute,
        "follower_growth_percent": _rounded(growth.percent),
        "follower_growth_reason": growth.reason,
        "posts_per_week": last.posts_per_week if last else None,
        "posts_per_week_basis": (f"posts in the {last.window_days} days before "
                                 f"{last.taken_at:%Y-%m-%d}") if last else "",
        "avg_likes": _rounded(last.avg_likes, 2) if last else None,
        "avg_comments": _rounded(last.avg_comments, 2) if last else None,
        "avg_shares": _rounded(last.avg_shares, 2) if last else None,
        "engagement_rate_by_followers": _rounded(last.avg_engagement_rate) if last else None,
        "engagement_rate_formula": last.engagement_rate_formula if last else "",
        "engagement_rate_reason": (last.engagement_rate_reason if last
                                   else "not read yet"),
        "measured_at": last.taken_at if last else None,
        "status": competitor.last_status,
        "message": competitor.last_message,
        "gone": competitor.gone_at is not None,
        "gone_reason": competitor.gone_reason,
    }


def _channel_row(workspace: Workspace, channel: Channel, when: Period) -> dict[str, Any]:
    rows = post_rows(workspace, when, [channel])
    figures = summary(workspace, when, [channel], rows=rows)
    avg = figures["engagement_rate"]["by_followers"]
    return {
        "kind": "channel", "id": channel.pk, "name": channel.name, "handle": channel.handle,
        "network": channel.network, "url": "", "channel": channel.name,
        "followers": figures["followers_end"],
        "follower_growth": figures["follower_growth"],
        "follower_growth_percent": figures["follower_growth_percent"],
        "follower_growth_reason": figures["follower_growth_reason"],
        "posts_per_week": figures["posts_per_week"],
        "posts_per_week_basis": "posts in the period",
        "avg_likes": _rounded(_avg([r["likes"] for r in rows]), 2),
        "avg_comments": _rounded(_avg([r["comments"] for r in rows]), 2),
        "avg_shares": _rounded(_avg([r["shares"] for r in rows]), 2),
        "engagement_rate_by_followers": figures["engagement_rate_by_followers"],
        "engagement_rate_formula": figures["engagement_rate_by_followers_formula"],
        "engagement_rate_reason": avg["reason"],
        "measured_at": None, "status": "", "message": "", "gone": False, "gone_reason": "",
    }


def comparison(workspace: Workspace, when: Period) -> dict[str, Any]:
    """The workspace's channels on the networks competitors can be followed on, then the
    competitors, with the same columns; each rate with its formula."""
    followable = networks()
    channels = Channel.objects.filter(workspace=workspace, network__in=followable) \
        .order_by("network", "name")
    competitors = Competitor.objects.filter(workspace=workspace).select_related("channel") \
        .order_by("network", "handle")
    return {
        "from": when.first_day, "until": when.last_day,
        "networks": followable,
        "channels": [_channel_row(workspace, c, when) for c in channels],
        "competitors": [_competitor_row(c, when) for c in competitors],
        "note": ("Channels: engagement rate by followers at publish time, over the period's "
                 "posts. Competitors: by their followers when read, over their posts of the "
                 f"{WINDOW_DAYS} days before the latest reading."),
    }


def follower_series(workspace: Workspace, when: Period) -> dict[str, list[tuple[date, int]]]:
    """Per competitor handle: the last follower reading of each local day that has one."""
    zone = ZoneInfo(workspace.timezone or "UTC")
    readings = CompetitorSnapshot.objects.filter(
        competitor__workspace=workspace, followers__isnull=False, taken_at__gte=when.start,
        taken_at__lt=when.end).select_related("competitor").order_by("taken_at", "pk")
    days: dict[str, dict[date, int]] = {}
    for reading in readings:
        per_day = days.setdefault(reading.competitor.handle, {})
        per_day[reading.taken_at.astimezone(zone).date()] = int(reading.followers or 0)
    return {name: sorted(per_day.items()) for name, per_day in sorted(days.items())}
