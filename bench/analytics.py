"""Analytics at scale: 1,000,000 metric snapshots over 50,000 posts and 20 channels, then the
90-day workspace summary, post_rows for the page and the analytics page itself, timed.

    # SQLite (a fresh file in a temporary directory, or in KERYX_DATA_DIR if set)
    PYTHONPATH=$PWD /work/main/.venv/bin/python bench/analytics.py
    # measure again without rebuilding (same KERYX_DATA_DIR or DATABASE_URL)
    KERYX_DATA_DIR=... PYTHONPATH=$PWD /work/main/.venv/bin/python bench/analytics.py --reuse
    # PostgreSQL (a database of your own; it is flushed first)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/keryx_bench_figures \
        PYTHONPATH=$PWD /work/main/.venv/bin/python bench/analytics.py

The posts are spread over the last 365 days (about 12,300 in the 90-day period), 20 readings
each (1 h, 6 h, 24 h, 48 h, 7 d, 30 d, then every few days), 12 Mastodon and 8 Bluesky channels
(two engagement formulas, so the averages are per formula), a follower reading per channel and
day, hashtags on a third of the posts and short links on a tenth. Rows go in with bulk inserts
(COPY on PostgreSQL). Each figure is the median of 5 runs after one warm-up run.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

POSTS = 50_000
SNAPSHOTS_PER_POST = 20
CHANNELS = 20
MASTODON_CHANNELS = 12
DAYS = 365
TAGS = [f"tag{i}" for i in range(30)] + ["Ελλάδα", "καλημέρα"]
OFFSETS = [timedelta(hours=h) for h in (1, 6, 24, 48, 168, 720)] + [
    timedelta(days=30 + 4 * i) for i in range(1, SNAPSHOTS_PER_POST - 5)]
ZONE = ZoneInfo("Europe/Athens")
RUNS = 5
LOGIN_URL = "/login/"


def _setup() -> None:
    if not os.environ.get("DATABASE_URL"):
        if not os.environ.get("KERYX_DATA_DIR"):
            os.environ["KERYX_DATA_DIR"] = tempfile.mkdtemp(prefix="keryx-bench-analytics-")
    else:
        name = os.environ["DATABASE_URL"].rsplit("/", 1)[-1]
        if name in ("test", "keryx", "postgres", ""):
            raise SystemExit(f"refusing to flush the database {name!r}: use one of your own")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keryx.settings")
    os.environ.setdefault("KERYX_SECRET_KEY", "bench-analytics")
    import django

    django.setup()


def _copy_rows(table: str, columns: list[str], rows: list[tuple]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor
            with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("%s" for _ in columns)
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
            for i in range(0, len(rows), 20_000):
                cursor.executemany(sql, rows[i:i + 20_000])


def _say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _has_field(model: type, name: str) -> bool:
    return any(f.name == name for f in model._meta.get_fields())


def build(now: datetime, seed: int = 9) -> dict[str, object]:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from keryx.analytics import maths
    from keryx.analytics.models import ChannelSnapshot, MetricSnapshot, TrackedPost
    from keryx.channels.models import Channel
    from keryx.core.services import create_workspace
    from keryx.links.models import ShortLink
    from keryx.links.services import short_url
    from keryx.publishing.models import Post, PostTarget, TargetState

    rnd = random.Random(seed)
    started = time.perf_counter()
    user = get_user_model().objects.create_user("bench@example.com", "bench@example.com",
                                                "bench-password-1")
    workspace = create_workspace(user, "Bench", timezone="Europe/Athens")
    channels = [Channel.objects.create(
        workspace=workspace, name=f"channel-{i:02d}",
        network="mastodon" if i < MASTODON_CHANNELS else "bluesky") for i in range(CHANNELS)]
    links = ShortLink.objects.bulk_create([
        ShortLink(workspace=workspace, code=f"b{i:05d}", url=f"https://example.com/{i}",
                  clicks=rnd.randint(0, 500)) for i in range(500)])
    first_day = (now - timedelta(days=DAYS)).replace(hour=0, minute=0, second=0, microsecond=0)

    # Followers: one reading per channel and day, growing.
    base = {c.pk: rnd.randint(500, 50_000) for c in channels}
    ChannelSnapshot.objects.bulk_create([
        ChannelSnapshot(channel=c, workspace=workspace, taken_at=first_day + timedelta(days=d,
                        hours=3), followers=base[c.pk] + d * rnd.randint(0, 12),
                        following=100, posts=d)
        for c in channels for d in range(DAYS + 1)], batch_size=5000)

    published = sorted(first_day + timedelta(seconds=rnd.uniform(0, DAYS * 86400))
                       for _ in range(POSTS))
    texts, posts = [], []
    for i, at in enumerate(published):
        text = f"Ανάρτηση {i}"
        if i % 3 == 0:
            text += f" #{rnd.choice(TAGS)} #{rnd.choice(TAGS)}"
        if i % 10 == 0:
            text += f" {short_url(links[i % len(links)])}"
        texts.append(text)
        posts.append(Post(workspace=workspace, author=user, text=text, scheduled_at=at))
    with transaction.atomic():
        Post.objects.bulk_create(posts, batch_size=5000)
        post_ids = list(Post.objects.filter(workspace=workspace).order_by("pk")
                        .values_list("pk", flat=True))
        PostTarget.objects.bulk_create([
            PostTarget(post_id=pid, channel=channels[i % CHANNELS], workspace=workspace,
                       state=TargetState.PUBLISHED, remote_id=str(i),
                       remote_url=f"https://net.example/{i}", published_at=published[i])
            for i, pid in enumerate(post_ids)], batch_size=5000)
        target_ids = list(PostTarget.objects.filter(workspace=workspace).order_by("post_id")
                          .values_list("pk", flat=True))

    # Readings: counts that grow (and sometimes drop by one: an unlike).
    denormalised = _has_field(TrackedPost, "engagements")
    snapshots, post_days = [], {}
    per_post_counts = []
    for i, at in enumerate(published):
        channel = channels[i % CHANNELS]
        bluesky = channel.network == "bluesky"
        followers = base[channel.pk] + (at - first_day).days * 6
        counts = {"likes": 0, "comments": 0, "shares": 0, "saves": 0 if bluesky else None}
        readings = []
        for offset in OFFSETS:
            taken = at + offset
            if taken > now:
                break
            before = dict(counts)
            for part in ("likes", "comments", "shares"):
                counts[part] = max(0, counts[part] + rnd.randint(-1, 8 if part == "likes" else 2))
            if bluesky:
                counts["saves"] += rnd.randint(0, 1)
            gained = sum(max(0, (counts[p] or 0) - (before[p] or 0)) for p in maths.ENGAGEMENT_PARTS
                         if counts[p] is not None)
            readings.append((taken, dict(counts), gained))
        per_post_counts.append((followers, readings))
    with transaction.atomic():
        TrackedPost.objects.bulk_create([
            TrackedPost(target_id=target_ids[i], workspace=workspace,
                        channel=channels[i % CHANNELS], published_at=at, remote_id=str(i),
                        remote_url=f"https://net.example/{i}",
                        followers_at_publish=per_post_counts[i][0],
                        followers_measured_at=at + timedelta(minutes=1))
            for i, at in enumerate(published)], batch_size=5000)
        tracked_ids = list(TrackedPost.objects.filter(workspace=workspace).order_by("target_id")
                           .values_list("pk", flat=True))
        table = MetricSnapshot._meta.db_table
        columns = ["tracked_id", "taken_at", "likes", "comments", "shares", "saves"]
        for i, tid in enumerate(tracked_ids):
            for taken, counts, gained in per_post_counts[i][1]:
                snapshots.append((tid, taken, counts["likes"], counts["comments"],
                                  counts["shares"], counts["saves"]))
                if gained:
                    day = taken.astimezone(ZONE).date()
                    key = (tid, day)
                    post_days[key] = post_days.get(key, 0) + gained
        # Pad to exactly 1,000,000 readings with extra late readings of the oldest posts.
        k = 0
        while len(snapshots) < POSTS * SNAPSHOTS_PER_POST:
            tid = tracked_ids[k % len(tracked_ids)]
            _followers, readings = per_post_counts[k % len(tracked_ids)]
            if readings:
                taken, counts, _gained = readings[-1]
                snapshots.append((tid, taken + timedelta(minutes=1 + k // POSTS), counts["likes"],
                                  counts["comments"], counts["shares"], counts["saves"]))
            k += 1
        _say(f"inserting {len(snapshots):,} readings")
        _copy_rows(table, columns, snapshots)
        # The latest reading of each post.
        posts_table = TrackedPost._meta.db_table
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"ANALYZE {table}")
                cursor.execute(
                    f"UPDATE {posts_table} SET latest_id = m.latest FROM (SELECT tracked_id, "
                    f"MAX(id) AS latest FROM {table} GROUP BY tracked_id) m "
                    f"WHERE m.tracked_id = {posts_table}.id")
            else:
                cursor.execute(
                    f"UPDATE {posts_table} SET latest_id = (SELECT MAX(s.id) FROM "
                    f"{table} s WHERE s.tracked_id = {posts_table}.id)")
        if denormalised:
            from keryx.analytics import rollup

            _say("denormalised counts and per-day gains")
            rollup.refill(workspace_ids=[workspace.pk], post_days=post_days)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
    seconds = time.perf_counter() - started
    return {"workspace": workspace, "user": user, "build_seconds": round(seconds, 1),
            "snapshots": MetricSnapshot.objects.count(),
            "posts": TrackedPost.objects.count(), "channels": len(channels)}


def _median_ms(fn, runs: int = RUNS) -> str:
    """The median wall time, and the median CPU time of this process (on a loaded machine the
    wall time includes waiting for a core; on SQLite the CPU time includes the queries, on
    PostgreSQL the server's share is not in it)."""
    fn()  # warm-up: caches, the connection
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return f"{statistics.median(wall):.1f} ms wall, {statistics.median(cpu):.1f} ms CPU"


def measure(workspace, user) -> dict[str, object]:
    from django.test import Client
    from django.test.utils import setup_test_environment

    from keryx.analytics import services

    setup_test_environment()
    today = datetime.now(ZONE).date()
    when = services.period(workspace, today - timedelta(days=89), today)
    page_kwargs = {"limit": services.PAGE_POSTS} \
        if "limit" in inspect.signature(services.post_rows).parameters else {}
    client = Client()
    client.force_login(user)
    url = f"/analytics/?from={when.first_day}&until={when.last_day}"

    def page() -> None:
        response = client.get(url)
        assert response.status_code == 200, response.status_code

    def login_page() -> None:
        response = Client().get(LOGIN_URL)
        assert response.status_code == 200, response.status_code

    _say(f"measuring (load average {os.getloadavg()[0]:.1f})")
    posts_in_period = services.summary(workspace, when)["posts"]
    return {
        "posts_in_period": posts_in_period,
        "summary_ms": _median_ms(lambda: services.summary(workspace, when)),
        "post_rows_page_ms": _median_ms(lambda: services.post_rows(workspace, when,
                                                                   **page_kwargs)),
        "page_ms": _median_ms(page),
        # A trivial request in the same run: the load reference on a shared machine.
        "login_page_ms": _median_ms(login_page),
        "load_average": round(os.getloadavg()[0], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--reuse", action="store_true",
                        help="measure the data a previous run built (KERYX_DATA_DIR for SQLite, "
                             "the DATABASE_URL database) instead of building it again")
    args = parser.parse_args()
    _setup()
    from django.core.management import call_command
    from django.db import connection

    from keryx.core.models import Membership, Workspace

    call_command("migrate", verbosity=0)
    existing = Workspace.objects.filter(name="Bench").first() if args.reuse else None
    if existing is not None:
        from keryx.analytics.models import MetricSnapshot, TrackedPost

        built = {"workspace": existing,
                 "user": Membership.objects.filter(workspace=existing).first().user,
                 "build_seconds": None, "snapshots": MetricSnapshot.objects.count(),
                 "posts": TrackedPost.objects.count(), "channels": 20}
        from keryx.analytics import rollup

        rollup.refill_published_hours([existing.pk])  # a column added since the build
    else:
        if connection.vendor == "postgresql":
            call_command("flush", interactive=False, verbosity=0)
        built = build(datetime.now(UTC))
    result = {"database": connection.vendor, **{k: v for k, v in built.items()
                                                 if k not in ("workspace", "user")},
              **measure(built["workspace"], built["user"])}
    print(json.dumps(result) if args.json else "\n".join(f"{k}: {v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
