"""Guarded changes of a target: the only way a PostTarget's state or due time changes outside
the engine (the engine's own, batched, are in scheduler.py and delivery.py).

Every change is one UPDATE guarded by the state the caller read, so it applies only if nothing
moved the target in between (a worker claiming it, another person acting), and it writes a
TargetEvent, so the history shows who did what and why. The publishing actions, the approvals
and the queues call these.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from keryx.publishing.models import PostTarget, TargetEvent
from keryx.publishing.tasks import publish_due

logger = logging.getLogger(__name__)


def record(
    target: PostTarget | int, from_state: str, to_state: str, *, actor: str, message: str = "",
    attempt: int = 0,
) -> TargetEvent:
    """Write one event in the target's history."""
    target_id = target if isinstance(target, int) else target.pk
    return TargetEvent.objects.create(
        target_id=target_id, from_state=from_state, to_state=to_state, actor=actor[:150],
        message=message, attempt=attempt,
    )


def move(
    target: PostTarget, allowed: Iterable[str], to_state: str, *, actor: str, message: str = "",
    **fields: Any,
) -> bool:
    """Move the target to `to_state` (setting `fields` too) if it is still in the state it was
    read in and that state is one of `allowed`. Returns whether it moved."""
    from_state = target.state
    if from_state not in set(allowed):
        return False
    updated = PostTarget.objects.filter(pk=target.pk, state=from_state).update(
        state=to_state, updated_at=timezone.now(), **fields
    )
    if not updated:
        return False
    record(target, from_state, to_state, actor=actor, message=message, attempt=target.attempts)
    target.state = to_state
    for name, value in fields.items():
        setattr(target, name, value)
    return True


def move_due(
    target: PostTarget, due_at: datetime | None, *, allowed: Iterable[str], actor: str,
    message: str | None = "",
) -> bool:
    """Change when the target falls due (None: held), its state kept, if it is still in the
    state it was read in and that state is one of `allowed`. message None writes no event (for
    a change the caller describes itself). Returns whether it changed."""
    state = target.state
    if state not in set(allowed):
        return False
    updated = PostTarget.objects.filter(pk=target.pk, state=state).update(
        due_at=due_at, updated_at=timezone.now()
    )
    if not updated:
        return False
    if message is not None:
        record(target, state, state, actor=actor, message=message)
    target.due_at = due_at
    return True


def nudge_after_commit() -> None:
    """Ask a worker to look now, rather than at its next poll, once the transaction commits.
    Purely a hint: the targets are claimed from our table either way."""

    def enqueue() -> None:
        try:
            publish_due.enqueue()
        except Exception:  # the hint is optional; the dispatcher polls anyway
            logger.warning("could not enqueue the publish nudge", exc_info=True)

    transaction.on_commit(enqueue)
