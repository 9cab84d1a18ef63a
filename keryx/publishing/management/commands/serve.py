"""`keryx serve`: the web UI and API (uvicorn, ASGI), the scheduler and the publishing worker,
all in one process. SIGINT/SIGTERM stop the web server first, then let in-flight posts finish."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

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
        self.stderr.write(f"keryx serve: http://{options['host']}:{options['port']}/")
        try:
            # uvicorn owns SIGINT/SIGTERM while it runs and returns after a graceful stop.
            uvicorn.Server(config).run()
        finally:
            if running is not None:
                self.stderr.write("keryx serve: finishing in-flight posts…")
                running.stop()
