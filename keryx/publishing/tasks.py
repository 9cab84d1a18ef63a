"""Thin Django tasks over the engine. Tasks carry work, never state: a task that runs late,
twice or never changes nothing about correctness, because targets are claimed from our table."""

from __future__ import annotations

import os
import socket

from django_tasks import task

from keryx.publishing.delivery import publish_claimed
from keryx.publishing.scheduler import claim_due


@task()
def publish_due(limit: int = 16) -> int:
    """The "publish now" nudge: claim what is due and publish it in this task worker, without
    waiting for a dispatcher's next poll. Returns how many targets it handled."""
    worker_id = f"task:{socket.gethostname()}:{os.getpid()}"
    claims = claim_due(worker_id, limit=limit)
    for claim in claims:
        publish_claimed(claim, worker_id=worker_id)
    return len(claims)
