"""Background work for channels: renewing OAuth tokens before they expire.

`token_refresh_loop` runs on a thread beside the dispatcher (keryx serve, keryx worker) and the
reaper (keryx scheduler); several may run at once, refresh_channel copes with a race.
`refresh_tokens` is the same as a Django task for deployments that schedule tasks themselves."""

from __future__ import annotations

import logging
import threading

from django.db import connection
from django_tasks import task

from keryx.channels.tokens import refresh_expiring_tokens

logger = logging.getLogger(__name__)

REFRESH_EVERY_SECONDS = 300.0


def token_refresh_loop(stop_event: threading.Event,
                       interval: float = REFRESH_EVERY_SECONDS) -> None:
    while not stop_event.is_set():
        try:
            counts = refresh_expiring_tokens()
            if any(counts.values()):
                logger.info("token refresh: %s", counts)
        except Exception:
            # A database hiccup must not end the loop; the next round tries again.
            logger.exception("token refresh round failed")
            connection.close()
        stop_event.wait(interval)


@task()
def refresh_tokens() -> dict[str, int]:
    return refresh_expiring_tokens()
