"""A saved search with 100,000 stored results: its first page, its count, and its volume by day
and sentiment share; then the search page's figures as keryx.listening.figures makes them (volume
per day over 30 days, per hour over 3 days, sentiment share, top authors, co-occurring words and
hashtags), the list page's share of voice, and the whole search page rendered. Target under
200 ms.

    KERYX_DATA_DIR=/tmp/bench-listen .venv/bin/python bench/listening_results.py [--results 100000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.harness import setup_django  # noqa: E402

TEXTS = ("Ο καφές της acme είναι υπέροχος σήμερα στην Αθήνα #πρωινό {i}",
         "acme coffee in Thessaloniki was cold, κρύος καφές {i}",
         "Δοκίμασα το νέο προϊόν της ACME: καλό αλλά ακριβό https://acme.example/{i}",
         "acme @friend@social.example τι λες για το τσάι; {i}")


def timed(runs: int, work: Callable[[], object]) -> tuple[float, float]:
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings), max(timings)


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
                            text=TEXTS[i % len(TEXTS)].format(i=i), language="el",
                            author_handle=f"@user{i % 500}", hashtags=[f"tag{i % 7}"],
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

    def report(label: str, work: Callable[[], object]) -> None:
        median, worst = timed(args.runs, work)
        print(f"{args.results} results: {label}: median {median:.1f} ms, max {worst:.1f} ms")

    report("page + count + 30-day volume by sentiment", page)

    from django.contrib.auth import get_user_model
    from django.test import Client

    from keryx.core.models import Membership, Role
    from keryx.listening import figures

    month = figures.period(days=30)
    report("figures.figures over 30 days", lambda: figures.figures(search, month))
    report("figures.figures over 3 days (hourly too)",
           lambda: figures.figures(search, figures.period(days=3)))
    # Every one of the 100,000 results in the period (5 minutes apart: 347 days).
    report("figures.figures over 365 days (all results in the period)",
           lambda: figures.figures(search, figures.period(days=365)))
    report("first page of 50 over 30 days", lambda: list(figures.page_rows(search, month)[:50]))
    report("share of voice over 30 days", lambda: figures.share_of_voice(
        workspace, month, list(SavedSearch.objects.filter(workspace=workspace))))
    user, _made = get_user_model().objects.get_or_create(
        username="bench-listen", defaults={"email": "bench-listen@example.org"})
    Membership.objects.get_or_create(workspace=workspace, user=user,
                                     defaults={"role": Role.OWNER})
    client = Client()
    client.force_login(user)

    def whole_page() -> None:
        response = client.get(f"/listening/searches/{search.pk}/?days=30")
        assert response.status_code == 200, response.status_code

    report("GET the search page, 30 days, rendered", whole_page)
    report("GET the search page, 365 days (every result), rendered", lambda: client.get(
        f"/listening/searches/{search.pk}/?days=365"))
    report("GET the list page (counts, share of voice)",
           lambda: client.get("/listening/?days=30"))


if __name__ == "__main__":
    main()
