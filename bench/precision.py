"""Precision: posts due one after another over a minute, published by one `keryx worker`
process; lateness = when the request reached the server minus the post's scheduled time.

    KERYX_DATA_DIR=var/bench/precision python bench/precision.py [--quick]

Run through bench/run_all.py, which gives it a fresh database.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--span", type=float, default=60.0, help="seconds the posts spread over")
    parser.add_argument("--quick", action="store_true", help="200 posts over 12 s")
    parser.add_argument("--delay", type=float, default=0.05, help="server answer delay (s)")
    parser.add_argument("--json", help="write the result here")
    args = parser.parse_args()
    if args.quick:
        args.posts, args.span = 200, 12.0

    harness.setup_django()
    from django.utils import timezone

    from keryx.publishing.models import PostTarget

    vendor = harness.database_label()
    step = timedelta(seconds=args.span / args.posts)
    log_dir = harness.ROOT / "var" / "bench" / "logs" / f"precision-{vendor}"
    with harness.bench_server(args.delay) as url:
        started = time.monotonic()
        reference = harness.make_posts(url, args.posts, step, "precision")
        setup = time.monotonic() - started
        workers = harness.start_workers(1, log_dir)
        try:
            # A short lead so the first post is not due before the worker's next look.
            lead = timedelta(seconds=3)
            harness.release(reference, timezone.now() + lead)
            done = harness.wait_until_published(
                args.posts, lead.total_seconds() + args.span + 60
            )
        finally:
            codes = workers.stop()
        requests = harness.server_requests(url)

    check = harness.exactly_once(requests)
    arrived = {key: at for key, at, _answered in requests}
    lateness = [
        arrived[key] - scheduled.timestamp()
        for key, scheduled in PostTarget.objects.values_list("idempotency_key",
                                                             "post__scheduled_at")
        if key in arrived
    ]
    figures = {
        "p50": harness.percentile(lateness, 50),
        "p95": harness.percentile(lateness, 95),
        "p99": harness.percentile(lateness, 99),
        "max": max(lateness),
        "min": min(lateness),
    } if lateness else {}
    print(f"precision [{vendor}, 1 worker process]: {args.posts} posts over {args.span:g} s "
          f"(setup {setup:.1f} s)")
    if figures:
        print("  lateness (server request start - scheduled time): " + ", ".join(
            f"{name} {value * 1000:.0f} ms" for name, value in figures.items()))
    print(f"  {check.line()}; all published in time: {done}; worker exit codes {codes}")
    p99_ok = bool(figures) and figures["p99"] <= 1.0
    print(f"  target p99 <= 1 s: {'met' if p99_ok else 'NOT met'}")
    harness.write_result(args.json, {
        "scenario": "precision", "database": vendor, "workers": 1, "posts": args.posts,
        "span_s": args.span, "lateness_s": figures, "check": check.__dict__,
        "completed": done, "worker_exit_codes": codes,
    })
    return 0 if check.ok and done else 1


if __name__ == "__main__":
    sys.exit(main())
