"""`keryx worker`: publish due posts (and run queued Django tasks) until SIGINT/SIGTERM."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand

from keryx.publishing import background


class Command(BaseCommand):
    help = "Publish due posts and run queued tasks until interrupted."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--threads", type=int, default=None,
                            help="publishing threads (default KERYX_WORKER_THREADS)")
        parser.add_argument("--no-tasks", action="store_true",
                            help="do not run the Django task queue in this process")

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        running = background.start(dispatch=True, tasks=not options["no_tasks"],
                                   threads=options["threads"])
        self.stderr.write("keryx worker: publishing; Ctrl+C to stop")
        while not stop.wait(1.0):
            pass
        self.stderr.write("keryx worker: finishing in-flight posts…")
        running.stop()
