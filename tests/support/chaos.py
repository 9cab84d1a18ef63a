"""The chaos suite's runner (issue 14, §2): one run is a burst of posts to two Mastodon accounts
on mastodon-mock, published by four engine processes on PostgreSQL (`keryx serve`, two
`keryx worker`, `keryx scheduler`, all with the default settings), while the run's plan kills
processes with SIGKILL (each restarted a second later, as systemd would), drops every database
connection mid-burst, and injects network faults through mastodon-mock's fault API.

Afterwards the run is judged on what the servers and the database hold: each post exactly once
on each account (0 lost, 0 duplicated), nothing left `publishing`, and every retry after a rate
limit no earlier than the network's Retry-After. The plan is drawn from a seeded random
generator, so a failing run can be replayed from its seed.

The "PostgreSQL restart" is what a restart looks like from the clients' side, done to the test
database only (the server is shared with the rest of the suite): every backend of the database is
terminated (the same `57P01 admin_shutdown` a restart sends) and new connections are refused for
a few seconds (`ALLOW_CONNECTIONS false`)."""

from __future__ import annotations

import random
import re
import secrets
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
from django.db import connection
from django.utils import timezone

from keryx.channels.connect import connect_mastodon_token
from keryx.publishing import services
from keryx.publishing.models import PostTarget, TargetEvent, TargetState

ROOT = Path(__file__).resolve().parents[2]
STATUSES = "/api/v1/statuses"
POSTS_PER_RUN = 15  # to each of two accounts: 30 deliveries (mastodon-mock lists 40 a page)
ROLES = ("serve", "worker", "worker", "scheduler")
RETRY_AFTER_SECONDS = 2
DB_DOWN_SECONDS = 3.0
# A retry's claim may be written a little after the decision that set its due time (and the
# recorded wait is rounded to whole seconds, hence another 0.5 s).
RETRY_SLACK_SECONDS = 0.25
RETRYING = re.compile(r"retrying in (\d+) s")


@dataclass
class Plan:
    seed: int
    kills: list[tuple[float, int]]  # (seconds after the burst is due, index into ROLES)
    db_restart_at: float | None
    faults: list[dict[str, Any]]  # fault specs for mastodon-mock

    def describe(self) -> str:
        kills = ", ".join(f"{ROLES[i]}@{t:.1f}s" for t, i in self.kills) or "none"
        faults = ", ".join(_fault_name(f) for f in self.faults) or "none"
        restart = f"{self.db_restart_at:.1f}s" if self.db_restart_at is not None else "no"
        return f"seed {self.seed}: kills {kills}; db restart {restart}; faults {faults}"


def _fault_name(spec: dict[str, Any]) -> str:
    status = spec["effect"].get("status")
    return f"{spec['effect']['type']}{'/' + str(status) if status else ''}×{spec['count']}"


def _fault(effect: str, count: int, **extra: Any) -> dict[str, Any]:
    return {"match": {"methods": ["POST"], "path": STATUSES},
            "effect": {"type": effect, **extra}, "count": count}


def plan_run(seed: int, *, slow_replies: bool = False) -> Plan:
    """A random plan: one to three kills in the first seconds of the burst, a database restart
    in about half the runs, and a mix of 429 (with Retry-After), 500 and a success whose body
    cannot be parsed; with `slow_replies`, sometimes a reply slower than the client's timeout."""
    rng = random.Random(seed)
    kills = sorted((rng.uniform(0.3, 4.0), rng.randrange(len(ROLES)))
                   for _ in range(rng.randint(1, 3)))
    db_restart_at = rng.uniform(0.5, 3.5) if rng.random() < 0.5 else None
    faults = []
    if rng.random() < 0.7:
        faults.append(_fault("ratelimit", rng.randint(1, 3),
                             headers={"Retry-After": str(RETRY_AFTER_SECONDS)}))
    if rng.random() < 0.6:
        faults.append(_fault("status", rng.randint(1, 3), status=rng.choice([500, 502, 503])))
    if rng.random() < 0.4:
        faults.append(_fault("malformed", 1))
    if slow_replies and rng.random() < 0.2:
        faults.append(_fault("timeout", 1, delay_ms=32_000))
    rng.shuffle(faults)
    return Plan(seed, kills, db_restart_at, faults)


@dataclass
class Outcome:
    plan: Plan
    deliveries: int
    lost: int = 0
    duplicated: int = 0
    left_publishing: int = 0
    early_retries: list[str] = field(default_factory=list)
    retries: int = 0
    kills: int = 0
    seconds_to_all_published: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.left_publishing or self.early_retries
                    or self.problems)

    def line(self) -> str:
        return (f"{self.plan.describe()} -> {self.deliveries} deliveries, lost {self.lost}, "
                f"duplicated {self.duplicated}, left publishing {self.left_publishing}, "
                f"retries {self.retries}, early {len(self.early_retries)}, "
                f"all published {self.seconds_to_all_published:.1f} s after the burst was due"
                + (f"; problems: {self.problems}" if self.problems else ""))


class Fleet:
    """The four engine processes, with the default settings, each restartable."""

    def __init__(self, env: dict[str, str], log: Path, ports: list[int]) -> None:
        self.env, self.log, self.ports = env, log, ports
        self.processes: list[subprocess.Popen[bytes] | None] = [None] * len(ROLES)

    def start(self, index: int) -> None:
        role = ROLES[index]
        args = {"serve": ["serve", "--port", str(self.ports[index])],
                "worker": ["worker"], "scheduler": ["scheduler"]}[role]
        self.processes[index] = subprocess.Popen(
            [sys.executable, "-m", "keryx.cli", *args], cwd=ROOT, env=self.env,
            stdout=self.log.open("ab"), stderr=subprocess.STDOUT)

    def kill(self, index: int) -> None:
        process = self.processes[index]
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait(10)

    def stop_all(self) -> list[int | None]:
        codes = []
        for process in self.processes:
            if process is None:
                codes.append(None)
                continue
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            codes.append(process.returncode)
        return codes


def restart_database(seconds: float = DB_DOWN_SECONDS) -> None:
    """Every connection to the test database dropped, new ones refused for `seconds`."""
    name = connection.settings_dict["NAME"]
    own = connection.connection.info.backend_pid if connection.connection else None
    db = connection.settings_dict
    admin = psycopg.connect(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432,
                            user=db["USER"], password=db["PASSWORD"] or None,
                            dbname="postgres", autocommit=True)
    try:
        admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE datname = %s AND pid <> pg_backend_pid() AND pid <> %s",
                      [name, own or 0])
        time.sleep(seconds)
    finally:
        admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
        admin.close()


def early_retries(targets: Any) -> tuple[int, list[str]]:
    """(how many retries the engine scheduled for `targets`, those claimed again before the
    wait it recorded — the network's Retry-After for a 429, the backoff otherwise — had
    passed)."""
    events: dict[int, list[TargetEvent]] = {}
    for event in TargetEvent.objects.filter(target__in=targets).order_by("at", "id"):
        events.setdefault(event.target_id, []).append(event)
    scheduled, early = 0, []
    for target_id, history in events.items():
        for i, event in enumerate(history):
            match = RETRYING.search(event.message or "")
            if not match:
                continue
            scheduled += 1
            wait = int(match.group(1))
            later = [e for e in history[i + 1:] if e.to_state == TargetState.PUBLISHING]
            waited = (later[0].at - event.at).total_seconds() if later else None
            if waited is not None and waited < wait - 0.5 - RETRY_SLACK_SECONDS:
                trail = "; ".join(
                    f"{e.at:%H:%M:%S.%f} {e.from_state}->{e.to_state} #{e.attempt} "
                    f"{e.actor} {e.message[:80]}" for e in history)
                early.append(f"target {target_id}: retried {waited:.2f} s after a recorded "
                             f"wait of {wait} s [{trail}]")
    return scheduled, early


def one_run(plan: Plan, *, people: Any, mastodon: Any, env: dict[str, str], log: Path,
            ports: list[int], timeout: float = 150.0) -> Outcome:
    """Run `plan` against fresh accounts; the caller owns the database and mastodon-mock."""
    acme, alice = people.acme, people.alice
    accounts = [mastodon.new_account(f"chaos{plan.seed}x{i}") for i in range(2)]
    channels = [connect_mastodon_token(acme, alice, mastodon.url, a.access_token,
                                       name=f"Chaos {plan.seed} {i}")
                for i, a in enumerate(accounts)]
    mastodon.clear_faults()
    for spec in plan.faults:  # the first matching rule answers: the faults, while they last
        mastodon.api("POST", "/api/v1/_mock/faults", json=spec).raise_for_status()
    # Then each status takes the server a little while, so requests are in flight when a
    # process dies.
    mastodon.api("POST", "/api/v1/_mock/faults", json={
        "match": {"methods": ["POST"], "path": STATUSES},
        "effect": {"type": "latency", "delay_ms": 300}, "count": None}).raise_for_status()

    run = secrets.token_hex(3)
    texts = [f"Chaos {run} #{i:02d}" for i in range(POSTS_PER_RUN)]
    due = timezone.now() + timedelta(seconds=8)  # the processes' start-up comes first
    for i, text in enumerate(texts):
        services.create_post(workspace=acme, author=alice, text=text, channels=channels,
                             scheduled_at=due + timedelta(seconds=0.1 * i), actor="alice")
    mine = PostTarget.objects.filter(channel__in=channels)
    outcome = Outcome(plan, deliveries=mine.count())

    fleet = Fleet(env, log, ports)
    for index in range(len(ROLES)):
        fleet.start(index)
    try:
        steps: list[tuple[float, str, int]] = [(t, "kill", i) for t, i in plan.kills]
        if plan.db_restart_at is not None:
            steps.append((plan.db_restart_at, "db", -1))
        for at, what, index in sorted(steps):
            delay = (due - timezone.now()).total_seconds() + at
            if delay > 0:
                time.sleep(delay)
            if what == "kill":
                fleet.kill(index)
                outcome.kills += 1
                time.sleep(1.0)  # systemd's RestartSec=1
                fleet.start(index)
            else:
                restart_database()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if mine.filter(state=TargetState.PUBLISHED).count() == outcome.deliveries:
                    break
            except Exception:  # the test's own connection may have been dropped
                connection.close()
            time.sleep(0.2)
        outcome.seconds_to_all_published = (timezone.now() - due).total_seconds()
    finally:
        codes = fleet.stop_all()
        mastodon.clear_faults()
    connection.close()  # a fresh connection after the database "restart"
    # -SIGTERM: the stop reached a process still starting, before its handler was installed
    # (it had claimed nothing yet); that is a clean stop too, as systemd counts it.
    if any(code not in (0, None, -signal.SIGTERM) for code in codes):
        outcome.problems.append(f"exit codes {codes}")

    states = Counter(mine.values_list("state", flat=True))
    outcome.left_publishing = states.get(TargetState.PUBLISHING, 0)
    for account in accounts:  # counted on the server
        on_server = Counter(status["content"] for status in mastodon.statuses(account))
        for text in texts:
            found = sum(n for content, n in on_server.items() if text in content)
            if found == 0:
                outcome.lost += 1
            elif found > 1:
                outcome.duplicated += found - 1
    outcome.retries, outcome.early_retries = early_retries(mine)
    if states.get(TargetState.PUBLISHED, 0) != outcome.deliveries:
        outcome.problems.append(f"states {dict(states)}")
    return outcome

