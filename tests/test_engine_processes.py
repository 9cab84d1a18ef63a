"""`keryx worker` as real processes: four of them sharing one PostgreSQL database publish every
target exactly once; a worker SIGKILLed mid-request leaves no post missing or doubled."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from keryx.publishing import services
from keryx.publishing.models import PostTarget, TargetEvent, TargetState
from tests.support.engine import fast_passwords, loopback, make_channel  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db(transaction=True)


def worker_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """Environment for a worker subprocess that shares this test's database and secret."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KERYX_")}
    db = connection.settings_dict
    env.update(
        DJANGO_SETTINGS_MODULE="keryx.settings",
        PYTHONPATH=str(ROOT),
        KERYX_DATA_DIR=str(tmp_path / "worker-data"),
        KERYX_SECRET_KEY=settings.SECRET_KEY,
        KERYX_ALLOWED_PRIVATE_HOSTS="127.0.0.1",
        KERYX_EXTRA_PROVIDERS="loopback=tests.support.loopback:LoopbackProvider",
        KERYX_POLL_INTERVAL="0.1",
        KERYX_LOG_LEVEL="WARNING",
    )
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT'] or 5432}"
            f"/{db['NAME']}"
        )
    else:
        env.pop("DATABASE_URL", None)
        env["KERYX_SQLITE_PATH"] = str(db["NAME"])
    env.update(extra)
    return env


def start_worker(env: dict[str, str], log: Path, threads: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "keryx.cli", "worker", "--threads", str(threads)],
        cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
    )


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def all_published(count: int) -> Callable[[], bool]:
    return lambda: PostTarget.objects.filter(state=TargetState.PUBLISHED).count() == count


def test_four_worker_processes_publish_each_target_exactly_once(people, loopback, tmp_path):  # noqa: F811
    if connection.vendor != "postgresql":
        pytest.skip("several worker processes are the PostgreSQL deployment; "
                    "run with DATABASE_URL=postgres://…")
    loopback.delay = 0.02
    channels = [make_channel(people.acme, loopback, f"Loop {i}") for i in range(2)]
    for i in range(100):
        services.create_post(workspace=people.acme, author=people.alice, text=f"Post {i}",
                             channels=channels, actor="alice")
    assert PostTarget.objects.count() == 200

    env = worker_env(tmp_path)
    workers = [start_worker(env, tmp_path / f"worker{i}.log", threads=6) for i in range(4)]
    try:
        wait_for(all_published(200), 120, "200 published targets")
    finally:
        for process in workers:
            stop(process)

    counts = loopback.key_counts()
    keys = set(PostTarget.objects.values_list("idempotency_key", flat=True))
    assert len(keys) == 200 and set(counts) == keys
    assert set(counts.values()) == {1}, "a key was sent more than once"
    assert len(loopback.posts) == 200
    assert sorted(PostTarget.objects.values_list("remote_id", flat=True)) == sorted(
        post["id"] for post in loopback.posts.values()
    )
    publishers = set(
        TargetEvent.objects.filter(to_state=TargetState.PUBLISHED).values_list("actor", flat=True)
    )
    assert len(publishers) >= 2, f"only {publishers} published; the workers did not compete"
    for process in workers:
        assert process.returncode == 0


def test_a_worker_killed_mid_request_leaves_every_post_exactly_once(people, loopback, tmp_path):  # noqa: F811
    loopback.hold = 60  # store each post, then sit on the answer: the worker dies waiting
    channel = make_channel(people.acme, loopback)
    for i in range(20):
        services.create_post(workspace=people.acme, author=people.alice, text=f"Chaos {i}",
                             channels=[channel], actor="alice")
    env = worker_env(tmp_path)  # the default lease: recovery must not wait on it
    log = tmp_path / "worker.log"

    first = start_worker(env, log, threads=4)
    try:
        wait_for(lambda: len(loopback.posts_seen()) >= 4, 60, "four requests in flight")
    finally:
        first.kill()  # SIGKILL: no clean-up, leases left behind
        first.wait()
    in_flight = {r.key for r in loopback.posts_seen()}
    assert len(in_flight) == 4
    # It claimed only what its four threads could send.
    assert PostTarget.objects.filter(state=TargetState.PUBLISHING).count() == 4

    loopback.hold = 0
    second = start_worker(env, log, threads=4)
    started = time.monotonic()
    try:
        # On start it finds the first worker's process gone and reaps its claims at once.
        wait_for(all_published(20), 30, "20 published targets")
        took = time.monotonic() - started
    finally:
        stop(second)
    assert took < 10, f"recovery took {took:.1f} s"

    counts = loopback.key_counts()
    assert len(loopback.posts) == 20
    assert set(counts.values()) == {1}, f"re-sent: {[k for k, n in counts.items() if n > 1]}"
    for target in PostTarget.objects.filter(idempotency_key__in=in_flight):
        # Reaped to unknown, then found by lookup rather than sent again.
        states = list(target.events.values_list("to_state", flat=True))
        assert TargetState.UNKNOWN in states, states
        assert target.remote_id == loopback.posts[target.idempotency_key]["id"]


def test_keryx_serve_answers_http_publishes_and_stops_cleanly(people, loopback, tmp_path):  # noqa: F811
    import socket
    import urllib.request

    from django.urls import reverse

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    channel = make_channel(people.acme, loopback)
    post = services.create_post(workspace=people.acme, author=people.alice, text="Served",
                                channels=[channel], actor="alice")
    process = subprocess.Popen(
        [sys.executable, "-m", "keryx.cli", "serve", "--port", str(port)],
        cwd=ROOT, env=worker_env(tmp_path), stdout=(tmp_path / "serve.log").open("ab"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(all_published(1), 60, "the post published by keryx serve")

        def answers() -> bool:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{reverse('login')}") as r:
                    return r.status == 200
            except OSError:
                return False

        wait_for(answers, 30, "the web server")
    finally:
        process.send_signal(signal.SIGTERM)
        returncode = process.wait(30)
    assert returncode == 0, (tmp_path / "serve.log").read_text()
    assert services.post_state(post) == "published"
    assert len(loopback.posts) == 1
