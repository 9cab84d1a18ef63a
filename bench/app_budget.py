"""What the per-app request budget (keryx/analytics/ratelimit.py) costs each request the
collector makes: the pause check (cached 2 s per process) plus taking one request from the
network's AppBudget row (one guarded UPDATE per reserved chunk).

    .venv/bin/python bench/app_budget.py [--requests 20000]

Budgets as the networks declare them: Reddit 100/min (chunk 2), TikTok 600/min (chunk 12),
Bluesky 3,000/5 min and YouTube 10,000/day (chunk 20); each is given a window far larger than
the run so nothing is refused, and the figure is CPU + database time per request.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("KERYX_DATA_DIR", str(ROOT / "var" / "bench-app-budget"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keryx.settings")
os.environ.setdefault("KERYX_LOG_LEVEL", "WARNING")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=20000)
    args = parser.parse_args()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from keryx.analytics import ratelimit
    from keryx.analytics.models import AppBudget
    from keryx.networks.base import RateBudget

    results = {}
    for name, per_window in (("reddit", 100), ("tiktok", 600), ("bluesky", 3000),
                             ("youtube", 10000)):
        network = f"bench-{name}"
        AppBudget.objects.filter(network=network).delete()
        ratelimit.reset_process_reservations()
        # The chunk of the declared budget, in a window no run reaches the end of.
        chunk = ratelimit.chunk_for(RateBudget(per_window, 60.0))
        budget = RateBudget(10**9, 10.0**9)
        start = time.perf_counter()
        for _ in range(args.requests):
            ratelimit.paused_for(network)
            assert ratelimit.take(network, budget, chunk=chunk) == 0.0
        elapsed = time.perf_counter() - start
        results[name] = {"chunk": chunk,
                         "us_per_request": round(elapsed / args.requests * 1e6, 1),
                         "used": AppBudget.objects.get(network=network).used}
    print(json.dumps({"database": connection.vendor, "requests": args.requests,
                      "budgets": results}, indent=2))


if __name__ == "__main__":
    main()
