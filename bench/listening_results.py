"""A saved search with 100,000 stored results: its first page, its count, and its volume by day
and sentiment share (what the listening page and its charts read); target under 200 ms.

    KERYX_DATA_DIR=/tmp/bench-listen .venv/bin/python bench/listening_results.py [--results 100000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.harness import setup_django  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--results", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    setup_django()
    from django.db.models import Count
    from django.db.models.functions import TruncDay
    from django.utils import timezone

    from keryx.core.models import Workspace
    from keryx.listening import services
    from keryx.listening.models import Match, Result, SavedSearch

    workspace, _ = Workspace.objects.get_or_create(slug="bench-listen",
                                                   defaults={"name": "Bench listen"})
    search, made = SavedSearch.objects.get_or_create(workspace=workspace, name="Bench",
                                                     defaults={"query": "acme"})
    if Match.objects.filter(search=search).count() < args.results:
        Match.objects.filter(search=search).delete()
        Result.objects.filter(workspace=workspace).delete()
        now = timezone.now()
        sentiments = ["positive", "neutral", "negative"]
        for start in range(0, args.results, 5000):
            batch = [Result(workspace=workspace, network="mastodon", remote_id=str(i),
                            text=f"acme result {i}", language="el",
                            sentiment=sentiments[i % 3],
                            published_at=now - timedelta(minutes=5 * i))
                     for i in range(start, min(args.results, start + 5000))]
            Result.objects.bulk_create(batch)
            Match.objects.bulk_create([Match(search=search, result=r, published_at=r.published_at,
                                             network=r.network, sentiment=r.sentiment)
                                       for r in batch])
    since = timezone.now() - timedelta(days=30)

    def page() -> None:
        rows = services.results(search)
        list(rows[:50])
        rows.count()
        list(Match.objects.filter(search=search, irrelevant=False, published_at__gte=since)
             .annotate(day=TruncDay("published_at")).values("day", "sentiment")
             .annotate(n=Count("id")).order_by("day"))

    timings = []
    for _ in range(args.runs):
        start = time.perf_counter()
        page()
        timings.append((time.perf_counter() - start) * 1000)
    print(f"{args.results} results: page + count + 30-day volume by sentiment: "
          f"median {statistics.median(timings):.1f} ms, max {max(timings):.1f} ms")


if __name__ == "__main__":
    main()
