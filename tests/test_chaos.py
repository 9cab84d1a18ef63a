"""The chaos suite (issue 14, §2), short version: a few runs with fixed seeds, each a burst
published by four engine processes on PostgreSQL under SIGKILLs, a database restart and
network faults (tests/support/chaos.py says what a run is). `make chaos` runs the long
version: KERYX_CHAOS_RUNS runs (default 100) with random seeds, slow replies included."""

from __future__ import annotations

import json
import os
import random

import pytest
from django.db import connection

from tests.support import chaos
from tests.test_e2e_chaos import free_port, worker_env

pytestmark = [pytest.mark.peers, pytest.mark.django_db(transaction=True)]

SHORT_SEEDS = (9, 19)  # between them: kills of every role, a restart, 429, 5xx, a bad body


def _seeds() -> list[int]:
    runs = os.environ.get("KERYX_CHAOS_RUNS")
    if not runs:
        return list(SHORT_SEEDS)
    if os.environ.get("KERYX_CHAOS_SEED"):
        return [int(os.environ["KERYX_CHAOS_SEED"])]
    rng = random.Random()
    return [rng.randrange(1_000_000) for _ in range(int(runs))]


def test_every_delivery_exactly_once_under_kills_restarts_and_faults(
    people, mastodon, tmp_path, settings
):
    if connection.vendor != "postgresql":
        pytest.skip("the chaos suite is the PostgreSQL deployment (four processes, a database "
                    "restart); run with DATABASE_URL=postgres://…")
    settings.ALLOWED_PRIVATE_HOSTS = ["127.0.0.1", "localhost"]
    env = worker_env(tmp_path)
    for name in [k for k in env if k.startswith("KERYX_") and k not in (
            "KERYX_DATA_DIR", "KERYX_SECRET_KEY", "KERYX_ALLOWED_PRIVATE_HOSTS")]:
        del env[name]  # the defaults users run: lease, poll interval, threads, heartbeat
    env["KERYX_LOG_LEVEL"] = "WARNING"
    slow = bool(os.environ.get("KERYX_CHAOS_RUNS"))
    outcomes = []
    for seed in _seeds():
        plan = chaos.plan_run(seed, slow_replies=slow)
        log = tmp_path / f"run-{seed}.log"
        outcome = chaos.one_run(plan, people=people, mastodon=mastodon, env=env, log=log,
                                ports=[free_port() for _ in chaos.ROLES])
        print("\n" + outcome.line())
        outcomes.append(outcome)
        if not outcome.ok:
            tail = log.read_text(errors="replace")[-3000:]
            pytest.fail(f"{outcome.line()}\n{outcome.early_retries}\n{tail}")
    report = os.environ.get("KERYX_CHAOS_REPORT")
    if report:
        with open(report, "w") as out:
            json.dump([{"plan": o.plan.describe(), "deliveries": o.deliveries, "lost": o.lost,
                        "duplicated": o.duplicated, "left_publishing": o.left_publishing,
                        "retries": o.retries, "kills": o.kills,
                        "seconds": round(o.seconds_to_all_published, 1)} for o in outcomes],
                      out, indent=1)
    assert sum(o.kills for o in outcomes) >= len(outcomes)
