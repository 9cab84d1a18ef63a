"""The scaled shape as separate processes: `keryx web` (uvicorn, two web processes) beside two
`keryx worker` processes and a `keryx scheduler`, on one PostgreSQL database. A burst to
mastodon-mock goes out exactly once; the web processes never publish or register as engine
processes, and any of them answers /healthz and /metrics for the whole deployment."""

from __future__ import annotations

import secrets
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from django.db import connection
from django.utils import timezone

from keryx.channels.connect import connect_mastodon_token
from keryx.publishing import services
from keryx.publishing.models import PostTarget, TargetEvent, TargetState, Worker
from tests.test_e2e_chaos import free_port, worker_env
from tests.test_engine_processes import stop, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.peers]
ROOT = Path(__file__).resolve().parent.parent
BURST = 30  # mastodon-mock lists 40 a page: room to see any duplicate


def _start(env, log, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "keryx.cli", *args], cwd=ROOT, env=env,
                            stdout=log.open("ab"), stderr=subprocess.STDOUT)


def test_web_two_workers_and_a_scheduler_publish_a_burst_exactly_once(
    people, mastodon, tmp_path, settings
):
    if connection.vendor != "postgresql":
        pytest.skip("several processes on several machines is the PostgreSQL deployment; "
                    "run with DATABASE_URL=postgres://…")
    settings.ALLOWED_PRIVATE_HOSTS = ["127.0.0.1", "localhost"]
    accounts = [mastodon.new_account(f"ops{i}") for i in range(2)]
    channels = [connect_mastodon_token(people.acme, people.alice, mastodon.url, a.access_token,
                                       name=f"Ops {i}") for i, a in enumerate(accounts)]
    run = secrets.token_hex(3)
    texts = [f"Ops {run} #{i:02d}" for i in range(BURST)]
    due = timezone.now() + timedelta(seconds=6)
    for text in texts:
        services.create_post(workspace=people.acme, author=people.alice, text=text,
                             channels=channels, scheduled_at=due, actor="alice")
    assert PostTarget.objects.count() == 2 * BURST

    env = worker_env(tmp_path)
    port = free_port()
    log = tmp_path / "processes.log"
    web = _start(env, log, "web", "--workers", "2", "--port", str(port))
    procs = [_start(env, log, "worker", "--threads", "4") for _ in range(2)]
    procs.append(_start(env, log, "scheduler"))
    try:
        wait_for(lambda: PostTarget.objects.filter(state=TargetState.PUBLISHED).count()
                 == 2 * BURST, 120, "every delivery published")
        # The web answers for the whole deployment: three engine processes, nothing due.
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
        assert health.status_code == 200, health.text
        assert health.json()["live_workers"] == 2
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
        assert metrics.status_code == 200
        assert 'keryx_live_workers{role="worker"} 2.0' in metrics.text
        assert 'keryx_live_workers{role="scheduler"} 1.0' in metrics.text
        assert (f'keryx_deliveries{{network="mastodon",state="published"}} {2 * BURST}.0'
                in metrics.text)
    finally:
        for process in [*procs, web]:
            stop(process)
    output = log.read_text(errors="replace")
    for process in [*procs, web]:
        assert process.returncode == 0, output[-3000:]

    # Counted on the server: each post exactly once on each account.
    for account in accounts:
        seen = Counter(status["content"] for status in mastodon.statuses(account))
        mine = {c: n for c, n in seen.items() if run in c}
        assert len(mine) == BURST, sorted(mine)
        assert set(mine.values()) == {1}, {c: n for c, n in mine.items() if n > 1}
    # Both workers published; neither the web nor the scheduler did.
    actors = set(TargetEvent.objects.filter(to_state=TargetState.PUBLISHED)
                 .values_list("actor", flat=True))
    assert len(actors) >= 2, actors
    roles = Counter(Worker.objects.values_list("role", flat=True))
    assert roles == {"worker": 2, "scheduler": 1}, roles


def test_keryx_web_serves_pages_and_static_files_and_never_publishes(people, tmp_path):
    """On any database: two uvicorn processes answer, whitenoise serves the static files, and a
    post due now stays scheduled (no engine, no periodic loop, no worker row)."""
    from tests.support.loopback import LoopbackServer

    with LoopbackServer() as server:
        from keryx.channels.models import Channel
        from keryx.networks import registry
        from tests.support.loopback import LoopbackProvider

        registry.register("loopback", LoopbackProvider)
        try:
            channel = Channel.objects.create(
                workspace=people.acme, network="loopback", name="Loop",
                credentials={"access_token": server.token}, settings={"url": server.url})
            services.create_post(workspace=people.acme, author=people.alice, text="Not here",
                                 channels=[channel], actor="alice")
        finally:
            registry.unregister("loopback")
        env = worker_env(tmp_path, KERYX_EXTRA_PROVIDERS=(
            "loopback=tests.support.loopback:LoopbackProvider"))
        port = free_port()
        log = tmp_path / "web.log"
        web = _start(env, log, "web", "--workers", "2", "--port", str(port))
        base = f"http://127.0.0.1:{port}"

        def answers() -> bool:
            try:
                return httpx.get(f"{base}/login/", timeout=5).status_code == 200
            except httpx.HTTPError:
                return False

        try:
            wait_for(answers, 60, "keryx web")
            css = httpx.get(f"{base}/static/keryx/app.css", timeout=5)
            assert css.status_code == 200 and "text/css" in css.headers["content-type"]
            health = httpx.get(f"{base}/healthz", timeout=5)
            assert health.status_code == 503 and health.json()["live_workers"] == 0
            time.sleep(3)  # several poll intervals of an engine, had one started
        finally:
            stop(web)
        assert web.returncode == 0, log.read_text(errors="replace")[-3000:]
        assert "2 worker processes" in log.read_text()
        assert server.requests == []
    assert list(PostTarget.objects.values_list("state", flat=True)) == [TargetState.SCHEDULED]
    assert not Worker.objects.exists()
