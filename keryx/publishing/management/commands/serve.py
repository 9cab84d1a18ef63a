"""`keryx serve`: the web UI and API (uvicorn, ASGI), the scheduler and the publishing worker,
all in one process. SIGINT/SIGTERM stop the web server first, then let in-flight posts finish."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from django.conf import settings
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
        running = None
        if not options["no_worker"]:
            running = background.start(dispatch=True, tasks=True, reaper=False, role="serve")
        server = web_server(options["host"], options["port"])
        # uvicorn runs on a thread (so it installs no signal handlers of its own, which would
        # re-raise the signal at exit); this thread turns SIGINT/SIGTERM into a graceful stop.
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        web = threading.Thread(target=server.run, name="keryx-web")
        web.start()
        self.stderr.write(f"keryx serve: http://{options['host']}:{options['port']}/")
        if settings.EMAIL_BACKEND == settings.EMAIL_BACKENDS["file"]:
            self.stderr.write(
                f"keryx serve: e-mail is not configured; invitations are saved in "
                f"{settings.EMAIL_FILE_PATH} (set KERYX_EMAIL_BACKEND=smtp to send them)"
            )
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


def web_server(host: str, port: int) -> Any:
    """The uvicorn server for Keryx's ASGI app, its access log masking secret paths."""
    import uvicorn

    config = uvicorn.Config(
        "keryx.asgi:application", host=host, port=port, lifespan="off", log_level="info",
    )
    # uvicorn set its loggers up just now (in Config); its access log carries request paths,
    # and some paths carry secrets (calendar feed, invitations).
    logging.getLogger("uvicorn.access").addFilter(RedactSecretPaths())
    return uvicorn.Server(config)
