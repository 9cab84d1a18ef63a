"""Bulk import: 10,000 CSV rows validated (preview) and scheduled, timed.

    KERYX_DATA_DIR=var/bench-bulk .venv/bin/python bench/bulk_import.py [--rows N] [--profile]
    DATABASE_URL=postgres://... .venv/bin/python bench/bulk_import.py

Uses its own data dir (SQLite) or the database DATABASE_URL names; creates a workspace with two
Mastodon channels (validation needs no network), writes a Keryx-format CSV with three bad rows,
then times services.preview() and services.run_import() as the web page and `keryx import` run
them. The target (issue 5): under 10 s for 10,000 rows. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("KERYX_DATA_DIR", str(ROOT / "var" / "bench-bulk"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keryx.settings")
os.environ.setdefault("KERYX_LOG_LEVEL", "WARNING")


def make_csv(rows: int, year: int) -> bytes:
    start = datetime(year, 2, 1, 8, 0)
    lines = ["channels,text,time,media,alt_text,labels,campaign\n"]
    for i in range(rows):
        when = (start + timedelta(minutes=5 * i)).strftime("%Y-%m-%d %H:%M")
        channels, text = "Masto|Second", f"Row {i}: news from Athens https://example.com/{i} #keryx"
        if i == 10:
            channels = "Nowhere"
        elif i == rows // 2:
            when = "2001-01-01 09:00"
        elif i == rows - 1:
            text = "y" * 600
        lines.append(f"{channels},{text},{when},,,,\n")
    return "".join(lines).encode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model

    from keryx.bulk import services
    from keryx.channels.models import Channel
    from keryx.core.services import create_workspace

    tag = uuid.uuid4().hex[:8]
    user = get_user_model().objects.create_user(f"bench-{tag}", f"bench-{tag}@example.com", "x")
    workspace = create_workspace(user, f"Bench {tag}", timezone="Europe/Athens")
    for name in ("Masto", "Second"):
        Channel.objects.create(workspace=workspace, network="mastodon", name=name,
                               settings={"instance": "https://mastodon.example",
                                         "max_characters": 500},
                               credentials={"access_token": "unused"})
    data = make_csv(args.rows, timezone.now().year + 1)
    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    t0 = time.perf_counter()
    job = services.preview(workspace=workspace, user=user, data=data,
                           options=services.ImportOptions(filename="bench.csv"))
    t1 = time.perf_counter()
    job = services.run_import(job.pk)
    t2 = time.perf_counter()
    if profiler:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
    result = {
        "benchmark": "bulk_import", "database": connection.vendor, "rows": job.total,
        "valid": job.valid, "scheduled": job.scheduled, "rejected": job.rejected,
        "preview_s": round(t1 - t0, 2), "schedule_s": round(t2 - t1, 2),
        "total_s": round(t2 - t0, 2), "target_s": 10.0, "ok": (t2 - t0) < 10.0,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
