"""Calendar month view of a workspace holding 5,000 posts, rendered server-side.

Target (issue 5): under 150 ms. The request goes through the whole Django stack in-process
(middleware, session, context processors, template rendering) with the test client; the
network and the browser are left out.

    KERYX_DATA_DIR=var/bench-calendar .venv/bin/python bench/calendar_month.py
    DATABASE_URL=postgres://... .venv/bin/python bench/calendar_month.py   # on PostgreSQL

Scenarios:
  spread  5,000 posts over 12 months (about 420 in the month shown), 3 channels each,
          a campaign and labels on most: a busy workspace.
  dense   all 5,000 posts in the month shown: the worst case (each day shows its first six,
          with a "more" link to the day's list).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("KERYX_DATA_DIR", str(ROOT / "var" / "bench-calendar"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keryx.settings")
os.environ.setdefault("KERYX_LOG_LEVEL", "WARNING")


def setup() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def populate(name: str, posts: int, months: int, start: datetime) -> tuple[object, object]:
    """A fresh workspace with `posts` posts spread evenly over `months` months from `start`."""
    from django.contrib.auth import get_user_model

    from keryx.channels.models import Channel
    from keryx.core.models import Workspace
    from keryx.core.services import create_workspace
    from keryx.planner.models import Campaign, Label
    from keryx.publishing.models import Post, PostTarget, TargetState

    Workspace.objects.filter(slug__startswith=f"bench-{name}").delete()
    user_model = get_user_model()
    # One user per scenario, so "the current workspace" is unambiguous.
    email = f"bench-{name}@example.com"
    user, _ = user_model.objects.get_or_create(username=email, defaults={"email": email})
    workspace = create_workspace(user, f"bench-{name}", timezone="Europe/Athens")
    channels = [
        Channel.objects.create(workspace=workspace, network="mastodon", name=f"Account {i}",
                               settings={"instance": "https://mastodon.example"})
        for i in range(3)
    ]
    campaigns = [Campaign.objects.create(workspace=workspace, name=f"Campaign {i}",
                                         colour=f"#{i}{i}33aa") for i in range(5)]
    labels = [Label.objects.create(workspace=workspace, name=f"Label {i}") for i in range(8)]
    span = timedelta(days=30 * months)
    states = [TargetState.SCHEDULED] * 6 + [TargetState.PUBLISHED, TargetState.FAILED,
                                            TargetState.DRAFT, TargetState.CANCELLED]
    rows = [
        Post(workspace=workspace, author=user,
             text=f"Post {i}: Καλημέρα από την Αθήνα, a benchmark post with some text " * 2,
             scheduled_at=start + span * i / posts,
             campaign=campaigns[i % 5] if i % 4 else None, kind="paid" if i % 7 == 0 else "organic")
        for i in range(posts)
    ]
    created = Post.objects.bulk_create(rows, batch_size=500)
    PostTarget.objects.bulk_create(
        [PostTarget(post=p, channel=c, workspace=workspace, state=states[(p.pk + j) % 10],
                    due_at=p.scheduled_at)
         for p in created for j, c in enumerate(channels)],
        batch_size=1000,
    )
    through = Post.labels.through
    through.objects.bulk_create(
        [through(post_id=p.pk, label_id=labels[(p.pk + k) % 8].pk)
         for p in created for k in range(p.pk % 3)],
        batch_size=1000,
    )
    return workspace, user


def measure(user: object, url: str, runs: int) -> dict[str, float]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(user)
    response = client.get(url)  # warm: templates compiled, session created
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    # Counted now: captured_queries reads the connection's log, which the next request clears.
    queries = len(captured.captured_queries)
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200
    times.sort()
    return {
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1),
        "best_ms": round(times[0], 1),
        "queries": queries,
        "cards": html.count('class="cal-card'),
        "bytes": len(response.content),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    setup()
    from django.conf import settings

    # The month shown: next month, so every post in it is in the future.
    now = datetime.now(UTC)
    first = (now.replace(day=1) + timedelta(days=32)).replace(day=1, hour=6, minute=0,
                                                              second=0, microsecond=0)
    results = {"database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
               "posts": args.posts}
    for name, months, start in (
        ("spread", 12, first - timedelta(days=150)),
        ("dense", 1, first),
    ):
        began = time.perf_counter()
        _workspace, user = populate(name, args.posts, months, start)
        made = time.perf_counter() - began
        result = measure(user, f"/calendar/?month={first:%Y-%m}", args.runs)
        result["populate_s"] = round(made, 1)
        results[name] = result
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(f"database: {results['database']}, {args.posts} posts per workspace")
        for name in ("spread", "dense"):
            r = results[name]
            print(f"{name:7s} median {r['median_ms']} ms, p95 {r['p95_ms']} ms, best "
                  f"{r['best_ms']} ms; {r['queries']} queries, {r['cards']} cards, "
                  f"{r['bytes'] // 1024} KiB")
    target = max(results["spread"]["median_ms"], results["dense"]["median_ms"])
    return 0 if target < 150 else 1


if __name__ == "__main__":
    raise SystemExit(main())
