"""`keryx web`: the web UI and API only, in a production ASGI server (uvicorn) with several
worker processes. It never publishes: no dispatcher, no task queue, no periodic work (those are
`keryx worker` and `keryx scheduler`, run beside it). Static files are served by whitenoise."""

from __future__ import annotations

import copy
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError

ASGI_APP = "keryx.asgi:application"


def log_config() -> dict[str, Any]:
    """uvicorn's own logging set-up, its access log masking secret paths. Given as a dict so
    that every worker process (uvicorn starts them afresh) applies it too."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"redact_secrets": {"()": "keryx.core.logredact.RedactSecretPaths"}}
    for handler in config["handlers"].values():
        handler["filters"] = ["redact_secrets"]
    return config


class Command(BaseCommand):
    help = "Serve the web UI and API (no publishing) with several uvicorn worker processes."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=None,
                            help="web worker processes (default KERYX_WEB_WORKERS, else 2)")
        parser.add_argument("--forwarded-allow-ips", default=None,
                            help="proxies whose X-Forwarded-* headers uvicorn trusts "
                                 "(default 127.0.0.1)")

    def handle(self, *args: Any, **options: Any) -> None:
        import uvicorn
        from django.conf import settings

        workers = options["workers"] or settings.KERYX_WEB_WORKERS
        if workers < 1:
            raise CommandError("--workers must be at least 1.")
        # The children import the app afresh and read the same settings from the environment.
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keryx.settings")
        self.stderr.write(f"keryx web: http://{options['host']}:{options['port']}/ "
                          f"({workers} worker process{'es' if workers > 1 else ''}; "
                          f"publishing runs in `keryx worker`)")
        uvicorn.run(
            ASGI_APP, host=options["host"], port=options["port"], workers=workers,
            lifespan="off", log_config=log_config(), timeout_graceful_shutdown=30,
            forwarded_allow_ips=options["forwarded_allow_ips"],
        )
