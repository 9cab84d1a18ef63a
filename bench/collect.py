"""Collection: 1,000 Mastodon channels (real Channel rows, their tokens encrypted as the product
stores them), each with a few published posts whose first reading is due, against bench/server.py
answering the Mastodon reads in 50 ms with a per-token rate limit (X-RateLimit-* headers, 429
when spent); next to a bare httpx client sending the same number of requests, at the same
concurrency, to the same server in the same run.

    KERYX_DATA_DIR=var/bench/collect python bench/collect.py [--channels 1000] [--posts 3]

Keryx runs the way the periodic loop runs it: keryx.analytics.collect.collect_due(), called
again while jobs are still due (the loop calls it once a minute). Figures: readings/s (jobs
finished, each one reading: a channel's counts and import, or a post's counts), Keryx's CPU
per reading (this process's CPU time; the server is another process), the share of wall time
not spent on Keryx's CPU (waiting on the network and the database), requests refused with 429,
and the bare client's rate for the same requests (the bound latency and limits allow).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness  # noqa: E402


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


def _reset(url: str) -> None:
    request = urllib.request.Request(f"{url}/_mastodon_reset", method="POST", data=b"")
    with urllib.request.urlopen(request, timeout=30):
        pass


def make_channels(url: str, channels: int, posts: int) -> int:
    """`channels` Mastodon channels with `posts` published posts each, their first readings
    and the channels' daily readings due now. Returns the number of due jobs."""
    from django.utils import timezone

    from keryx.analytics.models import CollectionJob
    from keryx.analytics.tracking import ensure_tracked
    from keryx.channels.models import Channel
    from keryx.core.models import Workspace
    from keryx.publishing.models import Post, PostTarget, TargetState

    workspace = Workspace.objects.create(name="Bench collect", slug="bench-collect")
    Channel.objects.bulk_create([
        Channel(workspace=workspace, network="mastodon", name=f"Bench {i}",
                credentials={"access_token": f"bench-{i}"},
                settings={"instance": url, "account_id": str(i)})
        for i in range(1, channels + 1)])
    rows = list(Channel.objects.filter(workspace=workspace).order_by("pk"))
    published_at = timezone.now() - timedelta(hours=2)
    made = Post.objects.bulk_create([
        Post(workspace=workspace, text=f"Bench {c.pk}/{n}", scheduled_at=published_at)
        for c in rows for n in range(posts)])
    targets = PostTarget.objects.bulk_create([
        PostTarget(post=made[i * posts + n], channel=c, workspace=workspace,
                   state=TargetState.PUBLISHED, remote_id=f"{c.pk}{n:03d}",
                   remote_url=f"{url}/@bench/{c.pk}{n:03d}", published_at=published_at)
        for i, c in enumerate(rows) for n in range(posts)])
    # Tracked as the publishing signal does, half an hour after the publish: the first
    # reading (at 1 h) and the channel's are due by now.
    ensure_tracked(targets, now=published_at + timedelta(minutes=30))
    return CollectionJob.objects.filter(due_at__lte=timezone.now()).count()


def bare(url: str, channels: int, posts: int, concurrency: int) -> tuple[float, int, int]:
    """The same requests the collector sends (per channel: verify_credentials, one page of
    statuses, each post's status), `concurrency` at once from a thread pool of httpx clients:
    (seconds, answers 200, refused 429)."""
    import httpx

    def channel(i: int) -> tuple[int, int]:
        ok = refused = 0
        headers = {"Authorization": f"Bearer bench-{i}", "Accept": "application/json"}
        paths = ["/api/v1/accounts/verify_credentials", f"/api/v1/accounts/{i}/statuses"]
        paths += [f"/api/v1/statuses/{i}{n:03d}" for n in range(posts)]
        for path in paths:
            response = client.get(url + path, headers=headers)
            response.json()
            ok += response.status_code == 200
            refused += response.status_code == 429
        return ok, refused

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    with httpx.Client(limits=limits, timeout=30) as client, \
            ThreadPoolExecutor(concurrency) as pool:
        started = time.monotonic()
        results = list(pool.map(channel, range(1, channels + 1)))
        seconds = time.monotonic() - started
    return seconds, sum(r[0] for r in results), sum(r[1] for r in results)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--posts", type=int, default=3, help="posts due per channel")
    parser.add_argument("--delay", type=float, default=0.05, help="server answer delay (s)")
    parser.add_argument("--rate-limit", type=int, default=300,
                        help="requests per token per window (Mastodon: 300 per 5 min)")
    parser.add_argument("--rate-window", type=float, default=300.0)
    parser.add_argument("--concurrency", type=int, default=None,
                        help="bare client in flight (default: the collector's threads)")
    parser.add_argument("--max-seconds", type=float, default=900.0)
    parser.add_argument("--json", help="write the result here")
    args = parser.parse_args()

    harness.setup_django()
    from django.conf import settings
    from django.utils import timezone

    from keryx.analytics import collect
    from keryx.analytics.models import CollectionJob, JobStatus

    vendor = harness.database_label()
    threads = getattr(settings, "KERYX_COLLECT_THREADS", 1)
    concurrency = args.concurrency or threads
    extra = ("--rate-limit", str(args.rate_limit), "--rate-window", str(args.rate_window))
    with harness.bench_server(args.delay, *extra) as url:
        started = time.monotonic()
        jobs = make_channels(url, args.channels, args.posts)
        setup = time.monotonic() - started

        bare_seconds, bare_ok, bare_refused = bare(url, args.channels, args.posts, concurrency)
        bare_requests = bare_ok + bare_refused
        _reset(url)

        readings = calls = 0
        cpu0, wall0 = time.process_time(), time.monotonic()
        while time.monotonic() - wall0 < args.max_seconds:
            done = collect.collect_due()
            calls += 1
            readings += done
            if not CollectionJob.objects.filter(due_at__lte=timezone.now()).exists():
                break
        wall = time.monotonic() - wall0
        cpu = time.process_time() - cpu0
        served = _get(f"{url}/_mastodon_stats")

    statuses = dict.fromkeys(JobStatus.values, 0)
    for status in CollectionJob.objects.values_list("last_status", flat=True):
        if status in statuses:
            statuses[status] += 1
    rate = readings / wall if wall else 0.0
    request_rate = served["requests"] / wall if wall else 0.0
    bare_rate = bare_requests / bare_seconds if bare_seconds else 0.0
    print(f"collect [{vendor}, {threads} collector thread(s)]: {args.channels} Mastodon "
          f"channels x ({args.posts} posts + the channel), {jobs} jobs due, server answers in "
          f"{args.delay * 1000:.0f} ms, {args.rate_limit} requests per token per "
          f"{args.rate_window:g} s (setup {setup:.1f} s)")
    print(f"  bare httpx client, {concurrency} in flight: {bare_rate:,.0f} requests/s "
          f"({bare_requests} in {bare_seconds:.2f} s, {bare_refused} refused with 429)")
    print(f"  keryx: {readings} readings in {wall:.1f} s = {rate:,.1f} readings/s, "
          f"{request_rate:,.0f} requests/s ({served['requests']} requests, "
          f"{served['refused']} refused with 429, at most {served['most_in_flight']} in "
          f"flight; collect_due called {calls} times)")
    print(f"  keryx CPU {cpu:.1f} s = {cpu / max(readings, 1) * 1000:.1f} ms per reading; "
          f"{max(0.0, 1 - cpu / wall):.0%} of wall time not on Keryx's CPU "
          f"(network and database waits)")
    ratio = request_rate / bare_rate if bare_rate else 0.0
    print(f"  ratio keryx / bare (requests/s): {ratio:.0%}; jobs by last status: "
          + ", ".join(f"{k} {v}" for k, v in statuses.items() if v))
    harness.write_result(args.json, {
        "scenario": "collect", "database": vendor, "threads": threads,
        "channels": args.channels, "posts": args.posts, "jobs_due": jobs,
        "delay_s": args.delay, "rate_limit": [args.rate_limit, args.rate_window],
        "bare_rate": bare_rate, "bare_seconds": bare_seconds, "bare_refused": bare_refused,
        "readings": readings, "seconds": wall, "readings_per_s": rate,
        "requests": served["requests"], "refused_429": served["refused"],
        "most_in_flight": served["most_in_flight"], "cpu_s": cpu,
        "cpu_ms_per_reading": cpu / max(readings, 1) * 1000, "ratio": ratio,
        "collect_due_calls": calls, "statuses": statuses,
    })
    complete = readings >= jobs and served["refused"] == 0
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
