"""The background half of a bulk import: thin, the work is in scheduling.run_import."""

from __future__ import annotations

from django_tasks import task

from keryx.bulk.scheduling import run_import


@task()
def schedule_import(job_id: int) -> int:
    """Schedule a previewed import's valid rows; returns how many were scheduled."""
    return run_import(job_id).scheduled
