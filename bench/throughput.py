"""Throughput: every target due in the same second, a server that answers each POST in 50 ms,
and `keryx worker` processes publishing them; next to a bare aiohttp client sending the same
number of requests at concurrency 64 to the same server in the same run.

    KERYX_DATA_DIR=var/bench/throughput python bench/throughput.py [--quick] [--workers N]

Our rate: targets / (first request reaching the server -> last target written `published` in
the database). The bare client's: requests / (first request sent -> last answer read).
Run through bench/run_all.py, which gives it a fresh database.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness  # noqa: E402


async def _bare(url: str, count: int, concurrency: int) -> tuple[float, int]:
    """Send `count` POSTs like the provider's with at most `concurrency` in flight; returns
    (seconds from the first send to the last answer, answers that were 200)."""
    import aiohttp

    from bench.server import TOKEN

    semaphore = asyncio.Semaphore(concurrency)
    ok = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(i: int) -> None:
            nonlocal ok
            async with semaphore:
                async with session.post(
                    f"{url}/posts",
                    json={"text": f"Bare request {i}", "content_warning": "", "media": []},
                    headers={"Authorization": f"Bearer {TOKEN}",
                             "Idempotency-Key": f"bare-{i}"},
                ) as response:
                    await response.read()
                    ok += response.status == 200

        started = time.monotonic()
        await asyncio.gather(*(one(i) for i in range(count)))
        return time.monotonic() - started, ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--targets", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=1, help="keryx worker processes")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads per worker (default KERYX_WORKER_THREADS)")
    parser.add_argument("--concurrency", type=int, default=64, help="bare client in flight")
    parser.add_argument("--delay", type=float, default=0.05, help="server answer delay (s)")
    parser.add_argument("--quick", action="store_true", help="1,000 targets")
    parser.add_argument("--json", help="write the result here")
    args = parser.parse_args()
    if args.quick:
        args.targets = 1000

    harness.setup_django()
    from django.conf import settings
    from django.db.models import Max
    from django.utils import timezone

    from keryx.publishing.models import TargetEvent, TargetState

    vendor = harness.database_label()
    threads = args.threads or settings.KERYX_WORKER_THREADS
    log_dir = harness.ROOT / "var" / "bench" / "logs" / f"throughput-{vendor}"
    with harness.bench_server(args.delay) as url:
        started = time.monotonic()
        reference = harness.make_posts(url, args.targets, timedelta(0), "throughput")
        setup = time.monotonic() - started

        bare_seconds, bare_ok = asyncio.run(_bare(url, args.targets, args.concurrency))
        bare_rate = args.targets / bare_seconds
        harness.server_reset(url)

        workers = harness.start_workers(args.workers, log_dir, threads=args.threads)
        try:
            cpu_before = workers.cpu_seconds()
            harness.release(reference, timezone.now())  # all due now, in the same second
            done = harness.wait_until_published(args.targets, 600, poll=0.25)
            worker_cpu = workers.cpu_seconds() - cpu_before
        finally:
            codes = workers.stop()
        requests = harness.server_requests(url)

    check = harness.exactly_once(requests)
    first_request = min((arrived for _key, arrived, _answered in requests), default=None)
    last_published = TargetEvent.objects.filter(to_state=TargetState.PUBLISHED).aggregate(
        last=Max("at"))["last"]
    ours_seconds = (last_published.timestamp() - first_request
                    if first_request is not None and last_published is not None else None)
    ours_rate = check.published / ours_seconds if ours_seconds else 0.0
    ratio = ours_rate / bare_rate if bare_rate else 0.0

    print(f"throughput [{vendor}, {args.workers} worker process(es) x {threads} threads]: "
          f"{args.targets} targets due at once, server answers in {args.delay * 1000:.0f} ms "
          f"(setup {setup:.1f} s)")
    print(f"  bare aiohttp client, {args.concurrency} in flight: {bare_rate:,.0f} requests/s "
          f"({bare_seconds:.2f} s, {bare_ok} answered 200)")
    if ours_seconds:
        print(f"  keryx: {ours_rate:,.0f} posts/s ({ours_seconds:.2f} s from the first request "
              f"to the last target published; workers used {worker_cpu:.1f} CPU-s, "
              f"{worker_cpu / check.published * 1000:.1f} ms per post)")
    verdict = "met" if ratio >= 0.5 else "NOT met"
    print(f"  ratio keryx / bare: {ratio:.0%} (target >= 50%: {verdict})")
    print(f"  {check.line()}; all published in time: {done}; worker exit codes {codes}")
    harness.write_result(args.json, {
        "scenario": "throughput", "database": vendor, "workers": args.workers,
        "threads": threads, "targets": args.targets, "delay_s": args.delay,
        "bare_rate": bare_rate, "bare_seconds": bare_seconds, "bare_ok": bare_ok,
        "concurrency": args.concurrency, "keryx_rate": ours_rate, "keryx_seconds": ours_seconds,
        "ratio": ratio, "worker_cpu_s": worker_cpu, "check": check.__dict__, "completed": done,
        "worker_exit_codes": codes,
    })
    return 0 if check.ok and done else 1


if __name__ == "__main__":
    sys.exit(main())
