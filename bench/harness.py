"""What both benchmarks share: Django set-up against the benchmark database, the aiohttp server
process, `keryx worker` processes, and the exactly-once check.

A scenario script runs in a process whose environment already selects the database
(KERYX_DATA_DIR for SQLite, DATABASE_URL for PostgreSQL; bench/run_all.py sets them). The
workers inherit that environment and load the test suite's loopback provider
(tests/support/loopback.py) through KERYX_EXTRA_PROVIDERS, so they publish through the real
HTTP seam exactly as they would to a network.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PROVIDER = "loopback=tests.support.loopback:LoopbackProvider"
# Far enough ahead that no worker touches a target before the benchmark moves it to its time.
PARKED = timedelta(days=1)


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keryx.settings")
    os.environ.setdefault("KERYX_ALLOWED_PRIVATE_HOSTS", "127.0.0.1")
    os.environ.setdefault("KERYX_EXTRA_PROVIDERS", PROVIDER)
    os.environ.setdefault("KERYX_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    from keryx.publishing.dispatcher import load_extra_providers

    call_command("migrate", verbosity=0)
    load_extra_providers()


def database_label() -> str:
    from django.db import connection

    return connection.vendor


# -- the server -------------------------------------------------------------------------------


@contextmanager
def bench_server(delay: float, *extra: str) -> Iterator[str]:
    """Start bench/server.py in its own process (`extra`: more of its arguments); yields its
    base URL."""
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "server.py"), "--delay", str(delay), *extra],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        line = process.stdout.readline() if process.stdout else ""
        if not line.startswith("PORT "):
            raise RuntimeError(f"bench server did not start: {line!r}")
        yield f"http://127.0.0.1:{int(line.split()[1])}"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def server_requests(url: str) -> list[tuple[str, float, float]]:
    """(idempotency key, arrived, answered) for every POST the server saw."""
    with urllib.request.urlopen(f"{url}/_stats", timeout=30) as response:
        return [tuple(r) for r in json.load(response)["requests"]]


def server_reset(url: str) -> None:
    request = urllib.request.Request(f"{url}/_reset", method="POST", data=b"")
    with urllib.request.urlopen(request, timeout=30):
        pass


# -- data -------------------------------------------------------------------------------------


def make_posts(server_url: str, count: int, step: timedelta, label: str) -> datetime:
    """One workspace, one channel at the bench server, `count` posts through the same service
    the UI and the API use, `step` apart. They are parked a day ahead so that no worker touches
    them while they are being made; `release` brings them to their times. Returns the time the
    first post is parked relative to (pass it to `release`)."""
    from django.utils import timezone

    from bench.server import TOKEN
    from keryx.channels.models import Channel
    from keryx.core.models import Workspace
    from keryx.publishing import services

    workspace = Workspace.objects.create(name=f"Bench {label}", slug=f"bench-{label}")
    channel = Channel.objects.create(
        workspace=workspace, network="loopback", name="Bench",
        credentials={"access_token": TOKEN}, settings={"url": server_url},
    )
    reference = timezone.now()
    for i in range(count):
        services.create_post(
            workspace=workspace, author=None, text=f"Bench post {i} of {count}",
            channels=[channel], scheduled_at=reference + PARKED + step * i, actor="bench",
        )
    return reference


def release(reference: datetime, first_at: datetime) -> None:
    """Move every target and post so that the first falls due at `first_at` and the rest keep
    their spacing: one statement each, in one transaction."""
    from django.db import transaction
    from django.db.models import F

    from keryx.publishing.models import Post, PostTarget

    shift = reference + PARKED - first_at
    with transaction.atomic():
        PostTarget.objects.update(due_at=F("due_at") - shift)
        Post.objects.update(scheduled_at=F("scheduled_at") - shift)


def published_count() -> int:
    from keryx.publishing.models import PostTarget, TargetState

    return PostTarget.objects.filter(state=TargetState.PUBLISHED).count()


def wait_until_published(count: int, deadline_seconds: float, poll: float = 0.5) -> bool:
    """Bounded: returns False if the deadline passes first."""
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        if published_count() >= count:
            return True
        time.sleep(poll)
    return published_count() >= count


# -- workers ----------------------------------------------------------------------------------


@dataclass
class Workers:
    processes: list[subprocess.Popen]
    logs: list[Path]

    profilers: list[subprocess.Popen] | None = None

    def profile(self, log_dir: Path) -> None:
        """BENCH_PROFILE=SECONDS: sample each worker with py-spy (pip install py-spy into the
        venv) for that long; flat profiles land beside the worker logs. BENCH_PROFILE_GIL=1
        samples only the thread holding the GIL (where the CPU goes)."""
        seconds = os.environ.get("BENCH_PROFILE")
        if not seconds:
            return
        py_spy = Path(sys.executable).with_name("py-spy")
        self.profilers = [
            subprocess.Popen(
                [str(py_spy), "record", "--pid", str(p.pid), "--duration", seconds,
                 "--format", "raw", "--nonblocking", "-o", str(log_dir / f"profile{i}.txt"),
                 *(["--gil"] if os.environ.get("BENCH_PROFILE_GIL") else [])],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            for i, p in enumerate(self.processes)
        ]

    def cpu_seconds(self) -> float:
        """User + system CPU the worker processes have used so far (Linux /proc)."""
        total = 0.0
        for process in self.processes:
            try:
                fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total

    def stop(self) -> list[int]:
        for profiler in self.profilers or ():
            profiler.wait()
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        codes = []
        for process in self.processes:
            try:
                codes.append(process.wait(60))
            except subprocess.TimeoutExpired:
                process.kill()
                codes.append(process.wait())
        return codes


def start_workers(count: int, log_dir: Path, threads: int | None = None,
                  ready_timeout: float = 60.0) -> Workers:
    """`keryx worker` processes on this environment's database; returns once each says it is
    publishing."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "keryx.cli", "worker"]
    if threads:
        command += ["--threads", str(threads)]
    log_dir.mkdir(parents=True, exist_ok=True)
    logs = [log_dir / f"worker{i}.log" for i in range(count)]
    processes = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("wb"),
                         stderr=subprocess.STDOUT)
        for log in logs
    ]
    workers = Workers(processes, logs)
    workers.profile(log_dir)
    deadline = time.monotonic() + ready_timeout
    while time.monotonic() < deadline:
        if all("publishing" in log.read_text(errors="replace") for log in logs):
            return workers
        if any(p.poll() is not None for p in processes):
            break
        time.sleep(0.1)
    workers.stop()
    raise RuntimeError("workers did not start: " + " | ".join(
        log.read_text(errors="replace")[-500:] for log in logs))


# -- checks and figures -----------------------------------------------------------------------


@dataclass
class Check:
    targets: int
    published: int
    duplicates: int  # keys the server saw more than once
    lost: int  # targets not published, or published without the server seeing their key
    unexpected: int  # keys the server saw that no target holds

    def line(self) -> str:
        return (f"targets {self.targets}, published {self.published}, "
                f"duplicates {self.duplicates}, lost {self.lost}, unexpected {self.unexpected}")

    @property
    def ok(self) -> bool:
        return self.duplicates == 0 and self.lost == 0 and self.unexpected == 0


def exactly_once(requests: Iterable[tuple[str, float, float]]) -> Check:
    from keryx.publishing.models import PostTarget, TargetState

    counts = Counter(key for key, _arrived, _answered in requests)
    rows = list(PostTarget.objects.values_list("idempotency_key", "state"))
    keys = {key for key, _state in rows if key}
    published = sum(1 for _key, state in rows if state == TargetState.PUBLISHED)
    lost = sum(1 for key, state in rows if state != TargetState.PUBLISHED or key not in counts)
    return Check(
        targets=len(rows),
        published=published,
        duplicates=sum(1 for n in counts.values() if n > 1),
        lost=lost,
        unexpected=len(set(counts) - keys),
    )


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def write_result(path: str | None, result: dict) -> None:
    if path:
        Path(path).write_text(json.dumps(result, indent=2, default=str))
