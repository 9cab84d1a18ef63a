"""Publishing one claimed target: re-check, write the attempt, reconcile if needed, call the
network, write the outcome.

1. Re-read the target; stop if it is no longer ours (claim token) or the channel is unusable.
2. Fix the idempotency key once per target (kept for every retry), count the attempt and write
   its event, all before the network hears anything.
3. If an earlier attempt may have reached the network (claimed from `unknown`, or the last
   error was an unknown outcome), ask the network first: found means published, None means
   it is safe to send.
4. Send, then write `published` or the classified error. Every write is guarded by the claim
   token, so a worker whose lease was reaped cannot overwrite what another one did.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from keryx.channels.models import Channel, ChannelStatus
from keryx.networks.base import (
    AuthExpired,
    BadContent,
    Disconnected,
    OutcomeUnknown,
    ProviderError,
    PublishResult,
    RateLimited,
    Transient,
)
from keryx.publishing.models import PostTarget, TargetEvent, TargetState
from keryx.publishing.scheduler import Claim, engine_write
from keryx.publishing.services import request_for

logger = logging.getLogger(__name__)

# Retry timing. Exponential: 30 s, 60 s, 120 s, ... capped at one hour, +-20 % jitter so a
# network outage does not come back as one synchronised burst.
BACKOFF_BASE_SECONDS = 30.0
BACKOFF_CAP_SECONDS = 3600.0
RATE_LIMIT_DEFAULT_SECONDS = 60.0
# After an unknown outcome, look the post up soon: the network has usually settled by then.
RECONCILE_DELAY_SECONDS = 5.0


def backoff_seconds(attempt: int) -> float:
    base = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * (2 ** max(0, attempt - 1)))
    return base * random.uniform(0.8, 1.2)


class _Lost(Exception):
    """Our lease is gone (reaped, or the target changed under us): stop without writing."""


def _guarded_update(claim: Claim, *, event: dict[str, Any], **fields: Any) -> None:
    """Apply fields and write the event only if the target is still ours and publishing."""
    with engine_write():
        updated = PostTarget.objects.filter(
            pk=claim.target_id, claim_token=claim.token, state=TargetState.PUBLISHING
        ).update(updated_at=timezone.now(), **fields)
        if not updated:
            raise _Lost()
        TargetEvent.objects.create(target_id=claim.target_id, **event)


def _finish(
    claim: Claim, target: PostTarget, to_state: str, *, actor: str, message: str = "",
    **fields: Any,
) -> None:
    release = {"claim_token": "", "claimed_until": None}
    _guarded_update(
        claim,
        event={"from_state": TargetState.PUBLISHING, "to_state": to_state,
               "attempt": target.attempts, "actor": actor, "message": message[:2000]},
        state=to_state, **release, **fields,
    )


def _published(claim: Claim, target: PostTarget, result: PublishResult, *, actor: str,
               how: str) -> None:
    _finish(
        claim, target, TargetState.PUBLISHED, actor=actor, message=how,
        remote_id=result.remote_id[:500], remote_url=(result.url or "")[:1000],
        published_at=result.published_at or timezone.now(), due_at=None,
        error_code="", error_message="",
    )


def _mark_channel(channel: Channel, status: str, message: str) -> None:
    Channel.objects.filter(pk=channel.pk).update(
        status=status, status_message=message[:2000], updated_at=timezone.now()
    )


def _failed(claim: Claim, target: PostTarget, exc: ProviderError, *, actor: str,
            now: datetime) -> None:
    """Write the classified error: retry later, or stop and say why."""
    code, message = exc.code, exc.message or str(exc)
    exhausted = target.attempts >= settings.KERYX_MAX_ATTEMPTS
    if isinstance(exc, OutcomeUnknown):
        if exhausted:
            # Still unknown after every attempt: stop, keep the code so a manual retry
            # reconciles before it sends anything.
            _finish(claim, target, TargetState.FAILED, actor=actor, message=message,
                    due_at=None, error_code=code, error_message=message)
        else:
            _finish(claim, target, TargetState.UNKNOWN, actor=actor, message=message,
                    due_at=now + timedelta(seconds=RECONCILE_DELAY_SECONDS),
                    error_code=code, error_message=message)
        return
    if isinstance(exc, Transient) and not exhausted:
        if isinstance(exc, RateLimited):
            wait = exc.retry_after if exc.retry_after is not None else RATE_LIMIT_DEFAULT_SECONDS
        else:
            wait = backoff_seconds(target.attempts)
        _finish(claim, target, TargetState.FAILED, actor=actor,
                message=f"{message} (retrying in {round(wait)} s)",
                due_at=now + timedelta(seconds=wait), error_code=code, error_message=message)
        return
    # Final: nothing more will happen until someone acts.
    if isinstance(exc, AuthExpired):
        _mark_channel(target.channel, ChannelStatus.NEEDS_RECONNECT, message)
    elif isinstance(exc, Disconnected):
        _mark_channel(target.channel, ChannelStatus.DISCONNECTED, message)
    if isinstance(exc, BadContent) and exc.problems:
        message = "; ".join([message, *(p.message for p in exc.problems)])
    _finish(claim, target, TargetState.FAILED, actor=actor, message=message,
            due_at=None, error_code=code, error_message=message)
    _tell_author(target.pk)


def publish_claimed(claim: Claim, *, worker_id: str) -> str:
    """Carry one claimed target to its next state. Returns that state ("lost" if the lease was
    taken away). Never raises for a network's failure; a bug in a provider counts as an
    unknown outcome, since it may have struck after the request left."""
    from keryx.channels.services import fresh_provider, provider_for

    actor = f"worker:{worker_id}"[:150]
    target = (
        PostTarget.objects.select_related("post", "channel")
        .filter(pk=claim.target_id, claim_token=claim.token, state=TargetState.PUBLISHING)
        .first()
    )
    if target is None:
        return "lost"
    try:
        channel = target.channel
        if channel.status != ChannelStatus.ACTIVE:
            message = channel.status_message or "The channel needs reconnecting."
            _finish(claim, target, TargetState.FAILED, actor=actor, due_at=None,
                    message=message, error_code="channel_inactive", error_message=message)
            return TargetState.FAILED
        try:
            provider = provider_for(channel)
        except (KeyError, ImportError) as exc:
            message = f"No provider for network {channel.network!r}"
            logger.error("%s: %s", message, exc)
            _finish(claim, target, TargetState.FAILED, actor=actor, due_at=None,
                    message=message, error_code="unknown_network", error_message=message)
            return TargetState.FAILED

        if not _approval_holds(target):
            _finish(claim, target, TargetState.PENDING_APPROVAL, actor=actor, due_at=None,
                    message="Not approved (any more): held for review")
            return TargetState.PENDING_APPROVAL

        # Step 2: the key and the attempt are on disk before any byte goes out.
        key = target.idempotency_key or type(provider).new_idempotency_key()
        reconcile = (
            claim.from_state == TargetState.UNKNOWN
            or target.error_code in ("outcome_unknown", "lease_expired")
        )
        attempt = target.attempts + 1
        _guarded_update(
            claim,
            event={"from_state": claim.from_state, "to_state": TargetState.PUBLISHING,
                   "attempt": attempt, "actor": actor,
                   "message": "Checking the network, then publishing" if reconcile
                   else "Publishing"},
            idempotency_key=key, attempts=F("attempts") + 1,
        )
        target.idempotency_key = key
        target.attempts = attempt
        request = request_for(target)

        now = timezone.now
        try:
            # An expired OAuth access token is renewed first (AuthExpired if refused).
            provider = fresh_provider(channel, provider)
            # Step 3: an earlier attempt may have landed.
            if reconcile:
                found = provider.lookup(request)
                if found is not None:
                    _published(claim, target, found, actor=actor,
                               how="Found on the network; not sent again")
                    return TargetState.PUBLISHED
            result = provider.publish(request)
        except ProviderError as exc:
            _failed(claim, target, exc, actor=actor, now=now())
            return _state_of(target)
        except Exception as exc:  # a provider bug: treat as "may have been sent"
            logger.exception("provider %s raised unexpectedly", channel.network)
            _failed(claim, target, OutcomeUnknown(f"Unexpected error: {exc}"), actor=actor,
                    now=now())
            return _state_of(target)
        _published(claim, target, result, actor=actor, how="Published")
        return TargetState.PUBLISHED
    except _Lost:
        logger.warning("lost the lease on target %s; leaving it alone", claim.target_id)
        return "lost"


def _approval_holds(target: PostTarget) -> bool:
    """Re-checked here, not only when scheduled: an edit or a withdrawn approval may have come
    after the claim was queued."""
    from keryx.approvals.services import cleared_for_publishing

    return cleared_for_publishing(target.post)


def _tell_author(target_id: int) -> None:
    from keryx.approvals.services import notify_publish_failed

    try:
        notify_publish_failed(target_id)
    except Exception:  # telling people must never stop the engine
        logger.warning("could not notify the author of target %s", target_id, exc_info=True)


def _state_of(target: PostTarget) -> str:
    return (
        PostTarget.objects.filter(pk=target.pk).values_list("state", flat=True).first() or ""
    )
