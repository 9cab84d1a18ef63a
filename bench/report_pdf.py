"""The PDF of a 90-day report over a realistic amount of data, timed.

Target (issue 9): under 3 s for the PDF of a 90-day report, with 1,000,000 metric snapshots
over 50,000 posts and 20 channels in the database. The posts are spread over the last 365
days (about 12,300 fall in the 90 days), each with 20 readings; each channel has one follower
reading a day. All made through the real models (bulk_create), on SQLite by default
(DATABASE_URL for PostgreSQL). The database is kept between runs (var/bench-report/) and
filled only when it does not hold the data yet.

    PYTHONPATH=. .venv/bin/python bench/report_pdf.py                 # full size
    PYTHONPATH=. .venv/bin/python bench/report_pdf.py --posts 5000    # smaller, for development

It times, each the median of --runs: gathering the figures (keryx.analytics.reports.content
.gather: post_rows, summary, follower and engagement series, heatmap, one post_rows call), and
rendering the PDF (keryx.analytics.reports.pdf.render), and prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("KERYX_DATA_DIR", str(ROOT / "var" / "bench-report"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keryx.settings")
os.environ.setdefault("KERYX_LOG_LEVEL", "WARNING")

WORDS = ("Καλημέρα", "νέα", "προσφορά", "εβδομάδα", "καφές", "news", "launch", "team", "Αθήνα",
         "summer", "εκδήλωση", "webinar")


def setup() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def populate(posts: int, per_post: int, channels: int, days: int) -> object:
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from keryx.analytics.models import ChannelSnapshot, MetricSnapshot, TrackedPost
    from keryx.channels.models import Channel
    from keryx.core.models import Workspace
    from keryx.core.services import create_workspace
    from keryx.publishing.models import Post, PostTarget, TargetState

    slug = f"bench-report-{posts}-{per_post}-{channels}"
    found = Workspace.objects.filter(name=slug).first()
    if found is not None and TrackedPost.objects.filter(workspace=found).count() == posts:
        return found
    Workspace.objects.filter(name=slug).delete()
    rng = random.Random(9)
    email = f"{slug}@example.com"
    user, _created = get_user_model().objects.get_or_create(username=email,
                                                            defaults={"email": email})
    workspace = create_workspace(user, slug, timezone="Europe/Athens")
    now = timezone.now().replace(microsecond=0)
    start = now - timedelta(days=days)
    with transaction.atomic():
        chans = Channel.objects.bulk_create(
            Channel(workspace=workspace, network="mastodon" if i % 2 else "bluesky",
                    name=f"Κανάλι {i + 1}") for i in range(channels))
        base = {c.pk: rng.randint(500, 50_000) for c in chans}
        ChannelSnapshot.objects.bulk_create(
            (ChannelSnapshot(channel=c, workspace=workspace, taken_at=start + timedelta(days=d),
                             followers=base[c.pk] + d * rng.randint(0, 6))
             for c in chans for d in range(days + 1)), batch_size=5000)
        step = timedelta(days=days) / posts
        made = Post.objects.bulk_create(
            (Post(workspace=workspace, author=user, scheduled_at=start + step * i,
                  text=" ".join(rng.choice(WORDS) for _ in range(12)) + f" #{rng.choice(WORDS)}")
             for i in range(posts)), batch_size=5000)
        targets = PostTarget.objects.bulk_create(
            (PostTarget(post=p, channel=chans[i % channels], workspace=workspace,
                        state=TargetState.PUBLISHED, remote_id=f"r{i}",
                        remote_url=f"https://social.example/@bench/{i}",
                        published_at=p.scheduled_at) for i, p in enumerate(made)),
            batch_size=5000)
        tracked = TrackedPost.objects.bulk_create(
            (TrackedPost(target=t, workspace=workspace, channel=t.channel, remote_id=t.remote_id,
                         remote_url=t.remote_url, published_at=t.published_at,
                         followers_at_publish=base[t.channel_id] + rng.randint(0, 2000),
                         followers_measured_at=t.published_at) for t in targets),
            batch_size=5000)
    hours = (1, 6, 24, 48, 168, 720)
    latest: dict[int, int] = {}
    batch: list[MetricSnapshot] = []

    def flush() -> None:
        for snap in MetricSnapshot.objects.bulk_create(batch, batch_size=5000):
            latest[snap.tracked_id] = snap.pk
        batch.clear()

    for t in tracked:
        likes = comments = shares = saves = 0
        for n in range(per_post):
            likes += rng.randint(0, 8)
            comments += rng.randint(0, 2)
            shares += rng.randint(0, 3)
            saves += rng.randint(0, 1)
            at = t.published_at + timedelta(hours=hours[n] if n < len(hours) else 720 + n * 24)
            batch.append(MetricSnapshot(
                tracked=t, taken_at=at, likes=likes, comments=comments, shares=shares,
                saves=saves if t.channel.network == "bluesky" else None))
        if len(batch) >= 50_000:
            with transaction.atomic():
                flush()
    with transaction.atomic():
        flush()
        for tracked_id, snap_id in latest.items():
            TrackedPost.objects.filter(pk=tracked_id).update(latest_id=snap_id)
    return workspace


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=50_000)
    parser.add_argument("--snapshots-per-post", type=int, default=20)
    parser.add_argument("--channels", type=int, default=20)
    parser.add_argument("--days", type=int, default=365, help="the posts' spread")
    parser.add_argument("--report-days", type=int, default=90)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--language", default="el")
    parser.add_argument("--workspace", default="",
                        help="report on this existing workspace (e.g. 'Bench', which "
                             "bench/analytics.py builds, with the same KERYX_DATA_DIR or "
                             "DATABASE_URL) instead of filling one")
    parser.add_argument("--output", default=str(ROOT / "var" / "bench-report" / "report.pdf"))
    args = parser.parse_args()
    setup()
    from django.utils import timezone

    from keryx.analytics import services
    from keryx.analytics.models import MetricSnapshot, TrackedPost
    from keryx.analytics.reports import content, pdf

    began = time.perf_counter()
    if args.workspace:
        from keryx.core.models import Workspace

        workspace = Workspace.objects.get(name=args.workspace)
    else:
        workspace = populate(args.posts, args.snapshots_per_post, args.channels, args.days)
    filled = time.perf_counter() - began
    today = timezone.now().date()
    when = services.period(workspace, today - timedelta(days=args.report_days - 1), today)
    gathers, renders, totals, cpus = [], [], [], []
    data = b""
    posts_in_period = 0
    for _run in range(args.runs):
        t0, c0 = time.perf_counter(), time.process_time()
        report = content.gather(workspace, when)
        t1 = time.perf_counter()
        data = pdf.render(report, args.language)
        t2 = time.perf_counter()
        gathers.append(t1 - t0)
        renders.append(t2 - t1)
        totals.append(t2 - t0)
        cpus.append(time.process_time() - c0)
        posts_in_period = len(report.rows)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_bytes(data)
    import pypdfium2 as pdfium

    pages = len(pdfium.PdfDocument(data))
    print(json.dumps({
        "database": "postgresql" if os.environ.get("DATABASE_URL") else "sqlite",
        "posts": TrackedPost.objects.filter(workspace=workspace).count(),
        "snapshots": MetricSnapshot.objects.filter(tracked__workspace=workspace).count(),
        "channels": args.channels, "report_days": args.report_days,
        "posts_in_period": posts_in_period, "pages": pages, "bytes": len(data),
        "fill_seconds": round(filled, 1),
        "gather_seconds_median": round(statistics.median(gathers), 3),
        "render_seconds_median": round(statistics.median(renders), 3),
        "total_seconds_median": round(statistics.median(totals), 3),
        "total_cpu_seconds_median": round(statistics.median(cpus), 3),
        "load_average": round(os.getloadavg()[0], 1),
        "total_seconds_all": [round(t, 3) for t in totals],
        "target_seconds": 3.0,
    }, indent=2))


if __name__ == "__main__":
    main()
