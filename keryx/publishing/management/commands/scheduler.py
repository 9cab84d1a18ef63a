"""`keryx scheduler`: reap lost claims into `unknown`. Safe to run several at once."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand

from keryx.publishing import background


class Command(BaseCommand):
    help = "Reap expired publishing leases until interrupted."

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        running = background.start(dispatch=False, tasks=False, reaper=True, role="scheduler")
        self.stderr.write("keryx scheduler: running; Ctrl+C to stop")
        while not stop.wait(1.0):
            pass
        running.stop()
