"""The inbox page and the response-time figures of a workspace holding many inbox items.

Targets (issue 15): the inbox list with 100,000 items opens in under 200 ms. The request goes
through the whole Django stack in-process with the test client (no network, no browser). The
items are written directly (bulk), as a sync would leave them: 100,000 items in 40,000
conversations from 5,000 authors over 90 days, a third of them answered, 1,000 open.

    KERYX_DATA_DIR=var/bench-inbox .venv/bin/python bench/inbox_page.py [--items 100000] [--keep]

`--keep` reuses the workspace a previous run left (filling takes minutes). On a shared machine
the absolute figures say little; the run also times a trivial page (the sign-in page, through
the same middleware) so each figure can be read as a multiple of what the machine gives then.
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
os.environ.setdefault("KERYX_DATA_DIR", str(ROOT / "var" / "bench-inbox"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keryx.settings")
os.environ.setdefault("KERYX_LOG_LEVEL", "WARNING")


def setup() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def populate(items: int) -> tuple[object, object]:
    from django.contrib.auth import get_user_model

    from keryx.channels.models import Channel
    from keryx.core.models import Workspace
    from keryx.core.services import create_workspace
    from keryx.inbox.models import Conversation, InboxItem, Reply

    Workspace.objects.filter(slug__startswith="bench-inbox").delete()
    email = "bench-inbox@example.com"
    user, _ = get_user_model().objects.get_or_create(username=email, defaults={"email": email})
    workspace = create_workspace(user, "bench-inbox", timezone="Europe/Athens")
    channel = Channel.objects.create(workspace=workspace, network="mastodon", name="masto",
                                     settings={"instance": "https://mastodon.example"})
    now = datetime.now(UTC)
    conversations = Conversation.objects.bulk_create(
        [Conversation(workspace=workspace, channel=channel, remote_id=f"c{i}", kind="comment",
                      last_activity_at=now) for i in range(max(1, items * 2 // 5))],
        batch_size=2000)
    rows = []
    for i in range(items):
        # The open ones are the newest, as after a team has worked through the rest.
        rows.append(InboxItem(
            workspace=workspace, channel=channel,
            conversation=conversations[i % len(conversations)], remote_id=str(i),
            kind="comment", author_handle=f"author{i % 5000}", author_key=f"author{i % 5000}",
            author_name=f"Author {i % 5000}",
            text=f"Comment {i}: Καλημέρα, πότε ανοίγετε; <b>html</b> & more text",
            created_at=now - timedelta(minutes=90 * 24 * 60 * (items - i) / items),
            status="open" if i >= items - 1000 else "done", language="el",
            sentiment="neutral", spam=0.01, offensive=0.01))
    created = InboxItem.objects.bulk_create(rows, batch_size=2000)
    Reply.objects.bulk_create(
        [Reply(item=item, text="Thanks", idempotency_key=f"k{item.pk}", state="sent",
               sent_at=item.created_at + timedelta(minutes=5 + item.pk % 600))
         for item in created[::3]], batch_size=2000)
    return workspace, user


def existing(items: int) -> tuple[object, object] | None:
    from django.contrib.auth import get_user_model

    from keryx.core.models import Workspace
    from keryx.inbox.models import InboxItem

    workspace = Workspace.objects.filter(slug__startswith="bench-inbox").first()
    user = get_user_model().objects.filter(username="bench-inbox@example.com").first()
    if workspace is None or user is None or \
            InboxItem.objects.filter(workspace=workspace).count() != items:
        return None
    return workspace, user


def measure(user: object, url: str, runs: int) -> dict[str, float]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(user)
    assert client.get(url).status_code == 200  # warm
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    queries = len(captured.captured_queries)
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200
    times.sort()
    return {"median_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1),
            "queries": queries, "bytes": len(response.content)}


def measure_anonymous(url: str, runs: int) -> dict[str, float]:
    from django.test import Client

    client = Client()
    assert client.get(url).status_code == 200
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - began) * 1000)
    return {"median_ms": round(statistics.median(times), 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--keep", action="store_true",
                        help="reuse the workspace of a previous run if it holds --items items")
    args = parser.parse_args()
    setup()
    from django.conf import settings

    from keryx.inbox import responsetimes

    began = time.perf_counter()
    found = existing(args.items) if args.keep else None
    workspace, user = found or populate(args.items)
    results: dict[str, object] = {
        "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
        "items": args.items, "populate_s": round(time.perf_counter() - began, 1)}
    results["login_page"] = measure_anonymous("/login/", args.runs)
    results["page_open"] = measure(user, "/inbox/", args.runs)
    results["page_all"] = measure(user, "/inbox/?status=all", args.runs)
    trivial = results["login_page"]["median_ms"]
    results["ratio_to_login_page"] = {
        name: round(results[name]["median_ms"] / trivial, 1) for name in ("page_open", "page_all")}
    results["times_card"] = measure(user, "/inbox/response-times/?fragment=1", 3)
    times = []
    for _ in range(3):
        began = time.perf_counter()
        figures = responsetimes.figures(workspace.pk)
        times.append((time.perf_counter() - began) * 1000)
    results["figures_all_items_ms"] = round(min(times), 1)
    results["figures_answered"] = figures["answered"]
    print(json.dumps(results, indent=None if args.json else 2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
