"""Publishing claimed targets, a batch at a time, without ever sending a post twice.

1. prepare(claims): read the batch's targets, posts, channels and approval state in a few
   queries, then, in ONE write transaction, for every target still ours (claim token and state
   `publishing`): finish it at once if its channel is unusable or its post not approved; else
   fix its idempotency key (once per target, kept for every retry), count the attempt and write
   the attempt's event. The attempt is on disk before any byte goes out.
   Then, outside that transaction, it builds each job's request (requests.request_for: media
   adapted to the network, contacts and composer settings read, a link card fetched), so the
   publishing threads have nothing left to do but talk to the network.
2. send(job), on a publishing thread: renew an expired token, and if an earlier attempt may
   have reached the network (claimed from `unknown`, or the last error was an unknown outcome)
   ask the network first: found means published, None means it is safe to send. Then send. It
   returns an Outcome and writes nothing about the target.
3. write_outcomes(outcomes): many targets' outcomes in ONE write transaction, every row still
   guarded by its claim token and state `publishing`, so a worker whose lease was reaped cannot
   overwrite what another one did. A crash between 2 and 3 leaves the target `publishing`: its
   lease expires, the reaper makes it `unknown`, and the next attempt looks it up before sending.

publish_claimed() runs the three for one claim (tests, the "publish now" task); the dispatcher
runs them per batch with an outcome writer between 2 and 3 (bench/throughput.py: per-target
transactions and queries were most of the worker's CPU).
"""

from __future__ import annotations

import logging
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from keryx.approvals.notifications import notify_publish_failed
from keryx.approvals.rules import cleared_posts
from keryx.channels.models import Channel, ChannelStatus
from keryx.channels.providers import provider_for
from keryx.channels.tokens import fresh_provider
from keryx.networks.base import (
    AuthExpired,
    BadContent,
    Disconnected,
    OutcomeUnknown,
    Provider,
    ProviderError,
    PublishRequest,
    PublishResult,
    RateLimited,
    Transient,
)
from keryx.publishing.models import (
    Media,
    PostMedia,
    PostTarget,
    PostVariant,
    TargetEvent,
    TargetState,
)
from keryx.publishing.requests import request_for
from keryx.publishing.scheduler import Claim, engine_write
from keryx.publishing.signals import targets_published

logger = logging.getLogger(__name__)

# Retry timing. Exponential: 30 s, 60 s, 120 s, ... capped at one hour, +-20 % jitter so a
# network outage does not come back as one synchronised burst.
BACKOFF_BASE_SECONDS = 30.0
BACKOFF_CAP_SECONDS = 3600.0
RATE_LIMIT_DEFAULT_SECONDS = 60.0
# After an unknown outcome, look the post up soon: the network has usually settled by then.
RECONCILE_DELAY_SECONDS = 5.0

RELEASE = {"claim_token": "", "claimed_until": None, "claimed_worker": None}


def backoff_seconds(attempt: int) -> float:
    base = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * (2 ** max(0, attempt - 1)))
    return base * random.uniform(0.8, 1.2)


@dataclass
class Job:
    """A target whose attempt is written: ready to be sent by a publishing thread."""

    claim: Claim
    target: PostTarget  # with .post and .channel loaded; idempotency_key and attempts current
    provider: Provider
    reconcile: bool
    actor: str
    # Built by prepare, before the job reaches a publishing thread; or why it could not be
    # (send turns that into the outcome, as if the provider had raised it).
    request: PublishRequest | None = None
    error: Exception | None = None


@dataclass
class Outcome:
    """What to write for one target: its next state, the fields and the event's message."""

    claim: Claim
    to_state: str
    attempt: int
    actor: str
    message: str
    fields: dict[str, Any]
    # After the write, for final failures: the channel's new status, and telling the author.
    channel_id: int | None = None
    channel_status: tuple[str, str] | None = None
    tell_author: bool = False
    from_state: str = TargetState.PUBLISHING


# ---------------------------------------------------------------------------------------------
# Guarded writes
# ---------------------------------------------------------------------------------------------


def _guard(claims: Iterable[Claim]) -> Q:
    """Rows still ours: state publishing and one of these claim tokens (checked per row by the
    caller: a token is one batch's, so (id, token) pairs are what count)."""
    claims = list(claims)
    return Q(pk__in=[c.target_id for c in claims], state=TargetState.PUBLISHING,
             claim_token__in={c.token for c in claims})


def _still_ours(claims: Sequence[Claim]) -> dict[int, tuple[int, str]]:
    """Inside a write transaction: target id -> (attempts, idempotency key) of the claimed rows
    that are still ours. PostgreSQL locks them until the commit (the reaper skips locked rows);
    SQLite's write transaction already excludes every other writer."""
    wanted = {(c.target_id, c.token) for c in claims}
    rows = PostTarget.objects.filter(_guard(claims))
    if connection.features.has_select_for_update:
        rows = rows.select_for_update()
    return {
        pk: (attempts, key)
        for pk, token, attempts, key in rows.values_list(
            "pk", "claim_token", "attempts", "idempotency_key")
        if (pk, token) in wanted
    }


class _NotAllOurs(Exception):
    """A guarded batch write changed fewer rows than it had: roll it back and write again,
    checking first which rows are still ours."""


def _update_rows(rows: Sequence[tuple[Claim, dict[str, Any]]]) -> int:
    """Set per-row values, each row guarded by its own (id, claim token, state publishing).

    One executemany per set of field names: the ORM's per-row UPDATE (or a CASE per field, as
    bulk_update builds) cost more CPU than the rest of a publish (bench/throughput.py). The SQL
    is built from the model's own table and column names and the values go through each
    field's get_db_prep_save, as the ORM's would. Returns how many rows were updated."""
    updated = 0
    groups: dict[tuple[str, ...], list[tuple[Claim, dict[str, Any]]]] = defaultdict(list)
    for claim, values in rows:
        groups[tuple(sorted(values))].append((claim, values))
    meta, quote = PostTarget._meta, connection.ops.quote_name
    for names, members in groups.items():
        fields = [meta.get_field(name) for name in names]
        sql = (
            f"UPDATE {quote(meta.db_table)} SET "
            + ", ".join(f"{quote(f.column)} = %s" for f in fields)
            + f" WHERE {quote(meta.pk.column)} = %s"
            f" AND {quote(meta.get_field('state').column)} = %s"
            f" AND {quote(meta.get_field('claim_token').column)} = %s"
        )
        params = [
            [f.get_db_prep_save(values[f.name], connection) for f in fields]
            + [claim.target_id, TargetState.PUBLISHING.value, claim.token]
            for claim, values in members
        ]
        with connection.cursor() as cursor:
            cursor.executemany(sql, params)
            updated += cursor.rowcount  # executemany: the sum over all rows
    return updated


def write_outcomes(outcomes: Sequence[Outcome]) -> dict[int, str]:
    """Write outcomes in one transaction. Returns target id -> state written; a target that is
    no longer ours (lease reaped, claimed again) is left alone and left out."""
    if not outcomes:
        return {}
    now = timezone.now()

    def write(check_first: bool) -> list[Outcome]:
        with engine_write():
            kept = list(outcomes)
            if check_first:
                ours = _still_ours([o.claim for o in outcomes])
                kept = [o for o in outcomes if o.claim.target_id in ours]
            rows = [(o.claim, {"state": o.to_state, "updated_at": now, **o.fields})
                    for o in kept]
            if _update_rows(rows) != len(rows):
                raise _NotAllOurs()
            TargetEvent.objects.bulk_create(
                TargetEvent(target_id=o.claim.target_id, from_state=o.from_state,
                            to_state=o.to_state, attempt=o.attempt, actor=o.actor,
                            message=o.message[:2000])
                for o in kept
            )
        return kept

    try:
        kept = write(check_first=False)  # usually every row is still ours
    except _NotAllOurs:
        kept = write(check_first=True)
    ours = {o.claim.target_id for o in kept}
    for outcome in outcomes:
        if outcome.claim.target_id not in ours:
            logger.warning("lost the lease on target %s; leaving it alone",
                           outcome.claim.target_id)
    for outcome in kept:
        if outcome.channel_status is not None:
            status, message = outcome.channel_status
            Channel.objects.filter(pk=outcome.channel_id).update(
                status=status, status_message=message[:2000], updated_at=timezone.now()
            )
        if outcome.tell_author:
            _tell_author(outcome.claim.target_id)
    published = [o.claim.target_id for o in kept if o.to_state == TargetState.PUBLISHED]
    if published:
        targets_published.send_robust(sender=PostTarget, target_ids=published)
    return {o.claim.target_id: o.to_state for o in kept}


# ---------------------------------------------------------------------------------------------
# Outcomes
# ---------------------------------------------------------------------------------------------


def _finished(claim: Claim, target: PostTarget, to_state: str, *, actor: str,
              message: str = "", **fields: Any) -> Outcome:
    return Outcome(claim, to_state, target.attempts, actor, message, {**RELEASE, **fields},
                   channel_id=target.channel_id)


def _published(claim: Claim, target: PostTarget, result: PublishResult, *, actor: str,
               how: str) -> Outcome:
    # Published, but a thread reply or first comment did not go out: say so on the target
    # (the post itself must not be re-sent, so this is not a failure).
    follow_up = str(result.raw.get("follow_up_error") or "") if result.raw else ""
    return _finished(
        claim, target, TargetState.PUBLISHED, actor=actor,
        message=f"{how}; {follow_up}" if follow_up else how,
        remote_id=result.remote_id[:500], remote_url=(result.url or "")[:1000],
        published_at=result.published_at or timezone.now(), due_at=None,
        error_code="follow_up_failed" if follow_up else "", error_message=follow_up,
    )


def failure(claim: Claim, target: PostTarget, exc: ProviderError, *, actor: str,
            now: datetime) -> Outcome:
    """The classified error: retry later, or stop and say why."""
    code, message = exc.code, exc.message or str(exc)
    exhausted = target.attempts >= settings.KERYX_MAX_ATTEMPTS
    if isinstance(exc, OutcomeUnknown):
        if exhausted:
            # Still unknown after every attempt: stop, keep the code so a manual retry
            # reconciles before it sends anything.
            return _finished(claim, target, TargetState.FAILED, actor=actor, message=message,
                             due_at=None, error_code=code, error_message=message)
        return _finished(claim, target, TargetState.UNKNOWN, actor=actor, message=message,
                         due_at=now + timedelta(seconds=RECONCILE_DELAY_SECONDS),
                         error_code=code, error_message=message)
    if isinstance(exc, Transient) and not exhausted:
        if isinstance(exc, RateLimited):
            wait = exc.retry_after if exc.retry_after is not None else RATE_LIMIT_DEFAULT_SECONDS
        else:
            wait = backoff_seconds(target.attempts)
        return _finished(claim, target, TargetState.FAILED, actor=actor,
                         message=f"{message} (retrying in {round(wait)} s)",
                         due_at=now + timedelta(seconds=wait), error_code=code,
                         error_message=message)
    # Final: nothing more will happen until someone acts.
    status = None
    if isinstance(exc, AuthExpired):
        status = (ChannelStatus.NEEDS_RECONNECT, message)
    elif isinstance(exc, Disconnected):
        status = (ChannelStatus.DISCONNECTED, message)
    if isinstance(exc, BadContent) and exc.problems:
        message = "; ".join([message, *(p.message for p in exc.problems)])
    outcome = _finished(claim, target, TargetState.FAILED, actor=actor, message=message,
                        due_at=None, error_code=code, error_message=message)
    outcome.channel_status = status
    outcome.tell_author = True
    return outcome


# ---------------------------------------------------------------------------------------------
# The three steps
# ---------------------------------------------------------------------------------------------


def prepare(claims: Sequence[Claim], *, worker_id: str) -> tuple[list[Job], dict[int, str]]:
    """Step 1 for a batch: returns the jobs to send, and target id -> state for the targets
    finished here (channel unusable, no provider, not approved). Targets no longer ours are
    in neither. Each job's request is built here, after the attempt is written."""
    if not claims:
        return [], {}
    actor = f"worker:{worker_id}"[:150]
    by_id = {c.target_id: c for c in claims}
    targets = [
        t for t in PostTarget.objects.select_related("post").filter(_guard(claims))
        if t.claim_token == by_id[t.pk].token
    ]
    if not targets:
        return [], {}
    # One Channel (credentials decrypted once) and one provider per channel for the batch.
    channels = Channel.objects.in_bulk({t.channel_id for t in targets})
    cleared = cleared_posts({t.post_id: t.post for t in targets}.values())
    providers: dict[int, Provider | None] = {}
    finishing: list[tuple[PostTarget, str, dict[str, Any]]] = []
    sending: list[tuple[PostTarget, Provider, str, bool]] = []
    for target in targets:
        channel = target.channel = channels[target.channel_id]
        if channel.status != ChannelStatus.ACTIVE:
            message = channel.status_message or "The channel needs reconnecting."
            finishing.append((target, TargetState.FAILED, {
                "message": message, "due_at": None, "error_code": "channel_inactive",
                "error_message": message}))
            continue
        if channel.pk not in providers:
            try:
                providers[channel.pk] = provider_for(channel)
            except (KeyError, ImportError) as exc:
                logger.error("No provider for network %r: %s", channel.network, exc)
                providers[channel.pk] = None
        provider = providers[channel.pk]
        if provider is None:
            message = f"No provider for network {channel.network!r}"
            finishing.append((target, TargetState.FAILED, {
                "message": message, "due_at": None, "error_code": "unknown_network",
                "error_message": message}))
            continue
        # Re-checked here, not only when scheduled: an edit or a withdrawn approval may have
        # come after the target was scheduled.
        if target.post_id not in cleared:
            finishing.append((target, TargetState.PENDING_APPROVAL, {
                "message": "Not approved (any more): held for review", "due_at": None}))
            continue
        reconcile = (
            by_id[target.pk].from_state == TargetState.UNKNOWN
            or target.error_code in ("outcome_unknown", "lease_expired")
        )
        key = target.idempotency_key or type(provider).new_idempotency_key()
        sending.append((target, provider, key, reconcile))
    variants, media = _variants_and_media([t for t, *_rest in sending])

    try:  # usually every row is still ours: the guarded UPDATEs' count says so
        jobs, states = _write_attempts(targets, by_id, finishing, sending, actor,
                                       check_first=False)
    except _NotAllOurs:
        jobs, states = _write_attempts(targets, by_id, finishing, sending, actor,
                                       check_first=True)
    for job in jobs:
        _build_request(job, variants.get((job.target.post_id, job.target.channel_id)),
                       media.get(job.target.post_id, []))
    return jobs, states


def _build_request(job: Job, variant: PostVariant | None, media: list[Media]) -> None:
    """Give the job its request. A failure is kept for send, which makes it the outcome just
    as it did when the request was built there: a ProviderError as classified, anything else
    as an unknown outcome (the attempt is already counted)."""
    try:
        job.request = request_for(job.target, variant=variant, media=media)
    except Exception as exc:  # logged by send, with its traceback
        job.error = exc


def _write_attempts(
    targets: list[PostTarget], by_id: dict[int, Claim],
    finishing: list[tuple[PostTarget, str, dict[str, Any]]],
    sending: list[tuple[PostTarget, Provider, str, bool]], actor: str, *, check_first: bool,
) -> tuple[list[Job], dict[int, str]]:
    """prepare's transaction. Without check_first it assumes every row is ours (as read just
    before) and raises _NotAllOurs, rolling back, if a guarded UPDATE says otherwise."""
    states: dict[int, str] = {}
    jobs: list[Job] = []
    with engine_write():
        if check_first:
            ours = _still_ours([by_id[t.pk] for t in targets])
        else:
            ours = {t.pk: (t.attempts, t.idempotency_key) for t in targets}
        outcomes = []
        for target, to_state, values in finishing:
            if target.pk not in ours:
                continue
            target.attempts = ours[target.pk][0]
            values = dict(values)
            message = values.pop("message")
            outcomes.append(_finished(by_id[target.pk], target, to_state, actor=actor,
                                      message=message, **values))
        rows, events = [], []
        for target, provider, key, reconcile in sending:
            if target.pk not in ours:
                continue
            attempts, stored_key = ours[target.pk]
            claim = by_id[target.pk]
            target.idempotency_key = stored_key or key
            target.attempts = attempts + 1
            rows.append((claim, {"idempotency_key": target.idempotency_key,
                                 "attempts": target.attempts}))
            events.append(TargetEvent(
                target_id=target.pk, from_state=claim.from_state,
                to_state=TargetState.PUBLISHING, attempt=target.attempts, actor=actor,
                message="Checking the network, then publishing" if reconcile else "Publishing"))
            jobs.append(Job(claim, target, provider, reconcile, actor))
        now = timezone.now()
        updates = (
            [(o.claim, {"state": o.to_state, "updated_at": now, **o.fields}) for o in outcomes]
            + [(claim, {**values, "updated_at": now}) for claim, values in rows]
        )
        if _update_rows(updates) != len(updates):
            raise _NotAllOurs()
        TargetEvent.objects.bulk_create([
            *(TargetEvent(target_id=o.claim.target_id, from_state=o.from_state,
                          to_state=o.to_state, attempt=o.attempt, actor=o.actor,
                          message=o.message[:2000]) for o in outcomes),
            *events,
        ])
        states.update((o.claim.target_id, o.to_state) for o in outcomes)
    return jobs, states


def _variants_and_media(
    targets: Sequence[PostTarget],
) -> tuple[dict[tuple[int, int], PostVariant], dict[int, list[Media]]]:
    """The batch's variants by (post, channel) and its posts' media in order, in two
    queries."""
    if not targets:
        return {}, {}
    post_ids = {t.post_id for t in targets}
    wanted = {(t.post_id, t.channel_id) for t in targets}
    variants = {
        (v.post_id, v.channel_id): v
        for v in PostVariant.objects.filter(
            post_id__in=post_ids, channel_id__in={t.channel_id for t in targets})
        if (v.post_id, v.channel_id) in wanted
    }
    media: dict[int, list[Media]] = defaultdict(list)
    for link in (PostMedia.objects.filter(post_id__in=post_ids).select_related("media")
                 .order_by("post_id", "position")):
        media[link.post_id].append(link.media)
    return variants, media


def send(job: Job) -> Outcome:
    """Step 2, on a publishing thread: only the network (a token renewal, a lookup, the post).
    Never raises for a network's failure; a bug in a provider counts as an unknown outcome,
    since it may have struck after the request left."""
    claim, target, actor = job.claim, job.target, job.actor
    now = timezone.now
    try:
        if job.error is not None:
            raise job.error
        request = job.request
        if request is None:
            raise RuntimeError("the job's request was not built")
        # An expired OAuth access token is renewed first (AuthExpired if refused).
        provider = fresh_provider(target.channel, job.provider)
        # An earlier attempt may have landed.
        if job.reconcile:
            found = provider.lookup(request)
            if found is not None:
                return _published(claim, target, found, actor=actor,
                                  how="Found on the network; not sent again")
        result = provider.publish(request)
    except ProviderError as exc:
        return failure(claim, target, exc, actor=actor, now=now())
    except Exception as exc:  # a provider bug: treat as "may have been sent"
        logger.exception("provider %s raised unexpectedly", target.channel.network)
        return failure(claim, target, OutcomeUnknown(f"Unexpected error: {exc}"), actor=actor,
                       now=now())
    return _published(claim, target, result, actor=actor, how="Published")


def publish_claimed(claim: Claim, *, worker_id: str) -> str:
    """Carry one claimed target to its next state, here and now. Returns that state ("lost" if
    the lease was taken away)."""
    jobs, states = prepare([claim], worker_id=worker_id)
    for job in jobs:
        states.update(write_outcomes([send(job)]))
    return states.get(claim.target_id, "lost")


def _tell_author(target_id: int) -> None:
    try:
        notify_publish_failed(target_id)
    except Exception:  # telling people must never stop the engine
        logger.warning("could not notify the author of target %s", target_id, exc_info=True)
