"""`keryx serve`: the web UI and API (uvicorn, ASGI), the scheduler and the publishing worker,
all in one process. SIGINT/SIGTERM stop the web server first, then let in-flight posts finish."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from keryx.core.logredact import RedactSecretPaths
from keryx.publishing import background


class Command(BaseCommand):
    help = "Serve the web UI and API with the scheduler and a worker in one process."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-worker", action="store_true",
                            help="serve the web only (workers run elsewhere)")

    def handle(self, *args: Any, **options: Any) -> None:
        import uvicorn

        running = None
        if not options["no_worker"]:
            running = background.start(dispatch=True, tasks=True, reaper=False)
        config = uvicorn.Config(
            "keryx.asgi:application", host=options["host"], port=options["port"],
            lifespan="off", log_level="info",
        )
        # uvicorn set its loggers up just now (in Config); its access log carries request
        # paths, and some paths carry secrets (calendar feed, invitations).
        logging.getLogger("uvicorn.access").addFilter(RedactSecretPaths())
        server = uvicorn.Server(config)
        # uvicorn runs on a thread (so it installs no signal handlers of its own, which would
        # re-raise the signal at exit); this thread turns SIGINT/SIGTERM into a graceful stop.
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        web = threading.Thread(target=server.run, name="keryx-web")
        web.start()
        self.stderr.write(f"keryx serve: http://{options['host']}:{options['port']}/")
        try:
            while not stop.wait(0.5):
                if not web.is_alive():  # e.g. the port was taken
                    raise CommandError("The web server stopped.")
        finally:
            server.should_exit = True
            web.join(30)
            if running is not None:
                self.stderr.write("keryx serve: finishing in-flight posts…")
                running.stop()
