"""Thin Django tasks over the engine. Tasks carry work, never state: a task that runs late,
twice or never changes nothing about correctness, because targets are claimed from our table."""

from __future__ import annotations

import os
import socket

from django_tasks import task

from keryx.publishing.delivery import publish_claimed
from keryx.publishing.dispatcher import nudge_running
from keryx.publishing.scheduler import claim_due


@task()
def publish_due(limit: int = 4) -> int:
    """The "publish now" nudge. Where a dispatcher runs in this process, wake it (its thread
    pool publishes); otherwise claim a few due targets and publish them here. Returns how many
    targets this task published itself."""
    if nudge_running():
        return 0
    worker_id = f"task:{socket.gethostname()}:{os.getpid()}"
    claims = claim_due(worker_id, limit=limit)
    for claim in claims:
        publish_claimed(claim, worker_id=worker_id)
    return len(claims)
