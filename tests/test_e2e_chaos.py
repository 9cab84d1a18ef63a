"""Chaos, end to end: a `keryx worker` process is SIGKILLed while it publishes to a real Bluesky
PDS and to mastodon-mock (both separate processes); a second worker reaps the dead one's
leases and finishes. Every post must then exist exactly once on each server, counted there.

The engine tests kill a worker in front of a test-only loopback network; this one does it
against the real peers. To kill the worker at a moment that matters, each peer sits behind a
small forwarding proxy in this process: after letting the first few posts through, it forwards
each further post to the server (which stores it) and then holds the answer back, so the
worker dies with posts that are on the network but that it never heard about. That is the
hardest case for exactly-once: a blind retry would post them twice.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from keryx.channels.connect import connect_bluesky, connect_mastodon_token
from keryx.publishing import services
from keryx.publishing.models import PostTarget, TargetState
from tests.support.httpserver import LocalServer, QuietHandler

pytestmark = [pytest.mark.peers, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parent.parent
POSTS = 20
THREADS = 4
LET_THROUGH = 3  # posts per network answered normally before the proxy starts holding
CREATE_RECORD = "/xrpc/com.atproto.repo.createRecord"
STATUSES = "/api/v1/statuses"
# Headers a proxy must not pass on as they are (hop-by-hop, or recomputed by the client).
_SKIP_HEADERS = {"host", "connection", "keep-alive", "transfer-encoding", "content-length",
                 "content-encoding", "proxy-connection", "te", "upgrade"}


class HoldingProxy(LocalServer):
    """Forwards every request to `upstream`. POSTs to `post_path` are counted by `key_of`
    (the Bluesky record key or the Mastodon Idempotency-Key); once `let_through` of them have
    been answered, each further one is forwarded, and its answer held until `release()`."""

    def __init__(self, upstream: str, post_path: str,
                 key_of: Callable[[dict[str, str], bytes], str], let_through: int) -> None:
        self.upstream = upstream
        self.post_path = post_path
        self.key_of = key_of
        self.let_through = let_through
        self.holding = True
        self.lock = threading.Lock()
        self.released = threading.Event()
        self.sent: Counter[str] = Counter()  # key -> POSTs forwarded to the server
        self.held: list[str] = []  # keys stored on the server whose answer was withheld
        self.client = httpx.Client(base_url=upstream, timeout=30.0)
        proxy = self

        class Handler(_ProxyHandler):
            owner = proxy

        super().__init__(Handler)

    def release(self) -> None:
        self.holding = False
        self.released.set()

    def stop(self) -> None:
        self.release()
        super().stop()
        self.client.close()


class _ProxyHandler(QuietHandler):
    owner: ClassVar[HoldingProxy]
    protocol_version = "HTTP/1.1"

    def _forward(self) -> None:
        proxy = self.owner
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _SKIP_HEADERS}
        hold = False
        is_post = self.command == "POST" and self.path.split("?")[0] == proxy.post_path
        if is_post:
            key = proxy.key_of(dict(self.headers.items()), body)
            with proxy.lock:
                proxy.sent[key] += 1
                hold = proxy.holding and sum(proxy.sent.values()) > proxy.let_through
        upstream = proxy.client.request(self.command, self.path, headers=headers, content=body)
        if hold:
            with proxy.lock:
                proxy.held.append(key)
            proxy.released.wait(60)
        try:
            self.send_response(upstream.status_code)
            for name, value in upstream.headers.multi_items():
                if name.lower() not in _SKIP_HEADERS:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(upstream.content)))
            self.end_headers()
            self.wfile.write(upstream.content)
        except OSError:
            pass  # the worker that asked is dead

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _forward  # noqa: N815


def _rkey(headers: dict[str, str], body: bytes) -> str:
    import json

    return str(json.loads(body or b"{}").get("rkey", ""))


def _idempotency_key(headers: dict[str, str], body: bytes) -> str:
    lowered = {k.lower(): v for k, v in headers.items()}
    return lowered.get("idempotency-key", "")


@pytest.fixture
def proxies(bluesky_pds, mastodon) -> Iterator[tuple[HoldingProxy, HoldingProxy]]:
    sky = HoldingProxy(bluesky_pds.url, CREATE_RECORD, _rkey, LET_THROUGH).start()
    toot = HoldingProxy(mastodon.url, STATUSES, _idempotency_key, LET_THROUGH).start()
    try:
        yield sky, toot
    finally:
        sky.stop()
        toot.stop()


def worker_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A `keryx worker` environment on this test's database, with this test's secret (the
    channel credentials are encrypted with it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KERYX_")}
    db = connection.settings_dict
    env.update(
        DJANGO_SETTINGS_MODULE="keryx.settings",
        PYTHONPATH=str(ROOT),
        KERYX_DATA_DIR=str(tmp_path / "worker-data"),
        KERYX_SECRET_KEY=settings.SECRET_KEY,
        KERYX_ALLOWED_PRIVATE_HOSTS="127.0.0.1,localhost",
        KERYX_POLL_INTERVAL="0.1",
        KERYX_LOG_LEVEL="WARNING",
    )
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        )
    else:
        env.pop("DATABASE_URL", None)
        env["KERYX_SQLITE_PATH"] = str(db["NAME"])
    env.update(extra)
    return env


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "keryx.cli", "worker", "--threads", str(THREADS)],
        cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
    )


def wait_for(check: Callable[[], bool], timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
    raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{tail}")


def mastodon_texts(mastodon, account) -> list[tuple[str, str]]:
    """(text, id) of every status of the account, newest first, page by page, read from the
    server."""
    import html
    import re

    texts: list[tuple[str, str]] = []
    max_id = None
    while True:
        params: dict[str, Any] = {"limit": 40}
        if max_id:
            params["max_id"] = max_id
        response = mastodon.api("GET", f"/api/v1/accounts/{account.id}/statuses",
                                account.access_token, params=params)
        response.raise_for_status()
        page = response.json()
        if not page:
            return texts
        texts.extend(
            (html.unescape(re.sub(r"<[^>]+>", "", s["content"])), str(s["id"])) for s in page
        )
        max_id = page[-1]["id"]


def test_a_worker_killed_while_publishing_to_real_peers_leaves_each_post_exactly_once(
    people, bluesky_pds, bluesky_account, mastodon, proxies, tmp_path, settings
):
    settings.ALLOWED_PRIVATE_HOSTS = ["127.0.0.1", "localhost"]
    sky_proxy, toot_proxy = proxies
    acme, alice = people.acme, people.alice
    toot_account = mastodon.new_account("chaos")
    sky = connect_bluesky(acme, alice, bluesky_account.handle, bluesky_account.app_password,
                          service=sky_proxy.url, name="Sky")
    toot = connect_mastodon_token(acme, alice, toot_proxy.url, toot_account.access_token,
                                  name="Toot")

    run = secrets.token_hex(3)
    texts = [f"Χάος {run} #{i:02d} 🐒" for i in range(POSTS)]
    when = timezone.now() + timedelta(seconds=2)
    for text in texts:
        services.create_post(workspace=acme, author=alice, text=text, channels=[sky, toot],
                             scheduled_at=when, actor="alice")
    assert PostTarget.objects.filter(state=TargetState.SCHEDULED).count() == 2 * POSTS

    # The default lease: the second worker reaps the dead one's claims because it is dead.
    env = worker_env(tmp_path)
    log = tmp_path / "worker.log"

    def published() -> int:
        return PostTarget.objects.filter(state=TargetState.PUBLISHED).count()

    first = start_worker(env, log)
    try:
        # Every thread stuck on a post the server has stored but not yet answered for.
        wait_for(lambda: len(sky_proxy.held) + len(toot_proxy.held) >= THREADS, 40,
                 "the first worker's threads to be waiting on stored posts", log)
    finally:
        first.kill()  # SIGKILL: no clean-up, leases left behind
        first.wait(10)
    held = {"bluesky": list(sky_proxy.held), "mastodon": list(toot_proxy.held)}
    assert held["bluesky"] and held["mastodon"], held
    done_before = published()
    assert 0 < done_before < 2 * POSTS
    # The dead worker's claims include every post held on the servers. Others may be there
    # too: outcomes are written in batches (a post answered just before the kill), and a
    # claimed batch may not all have been sent. The counts on the servers below are what must hold.
    orphans = PostTarget.objects.filter(state__in=[TargetState.PUBLISHING, TargetState.UNKNOWN])
    orphan_keys = set(orphans.values_list("idempotency_key", flat=True))
    assert {*held["bluesky"], *held["mastodon"]} <= orphan_keys
    sky_proxy.release()
    toot_proxy.release()

    second = start_worker(env, log)
    try:
        wait_for(lambda: published() == 2 * POSTS, 45, "every target published", log)
    finally:
        second.send_signal(signal.SIGTERM)
        try:
            assert second.wait(20) == 0, log.read_text(errors="replace")[-3000:]
        except subprocess.TimeoutExpired:
            second.kill()
            second.wait()
            raise

    # --- counted on the servers ------------------------------------------------------------
    records = bluesky_pds.list_records(bluesky_account.did)
    on_sky = Counter(r["value"]["text"] for r in records)
    toots = mastodon_texts(mastodon, toot_account)
    on_toot = Counter(text for text, _id in toots)
    assert on_sky == Counter(texts), f"Bluesky: {on_sky - Counter(texts)} extra"
    assert on_toot == Counter(texts), f"Mastodon: {on_toot - Counter(texts)} extra"

    # Nothing was sent twice: the held posts were found by looking them up, not re-posted.
    assert set(sky_proxy.sent.values()) == {1}, sky_proxy.sent
    assert set(toot_proxy.sent.values()) == {1}, toot_proxy.sent

    # Our rows point at the very records the servers hold.
    uris = {r["uri"] for r in records}
    sky_targets = PostTarget.objects.filter(channel=sky)
    assert {t.remote_id for t in sky_targets} == uris
    for target in sky_targets:
        assert target.remote_id.endswith("/" + target.idempotency_key)
    toot_ids = dict(toots)
    for target in PostTarget.objects.filter(channel=toot).select_related("post"):
        assert target.remote_id == toot_ids[target.post.text]

    # The killed worker's posts went through `unknown` (reaped) and were reconciled.
    for network, keys in held.items():
        for target in PostTarget.objects.filter(idempotency_key__in=keys):
            history = list(target.events.order_by("at", "pk").values_list("to_state", flat=True))
            assert TargetState.UNKNOWN in history, (network, history)
            assert history[-1] == TargetState.PUBLISHED


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


BURST_POSTS = 30
RESTART_TARGET_SECONDS = 10.0


def test_keryx_serve_killed_mid_burst_is_back_on_time_a_second_after_its_restart(
    people, mastodon, tmp_path, settings
):
    """Default settings, as a new user runs it: `keryx serve` publishes a burst of 30 posts to
    two Mastodon channels, is SIGKILLed once the burst has started, and is restarted a second
    later (as systemd would). Everything the dead process held is on the server exactly once
    within RESTART_TARGET_SECONDS of the restart, without waiting for its leases."""
    settings.ALLOWED_PRIVATE_HOSTS = ["127.0.0.1", "localhost"]
    acme, alice = people.acme, people.alice
    accounts = [mastodon.new_account(f"burst{i}") for i in range(2)]
    channels = [connect_mastodon_token(acme, alice, mastodon.url, a.access_token,
                                       name=f"Toot {i}") for i, a in enumerate(accounts)]
    # Each status takes the server a second to answer, so requests are in flight at the kill.
    mastodon.fault("latency", path=STATUSES, methods=["POST"], count=None, delay_ms=1000)

    run = secrets.token_hex(3)
    texts = [f"Burst {run} #{i:02d} 📣" for i in range(BURST_POSTS)]
    start = timezone.now() + timedelta(seconds=4)
    for i, text in enumerate(texts):  # due over three seconds
        services.create_post(workspace=acme, author=alice, text=text, channels=channels,
                             scheduled_at=start + timedelta(seconds=0.1 * i), actor="alice")
    total = len(channels) * BURST_POSTS

    env = worker_env(tmp_path)
    for name in [k for k in env if k.startswith("KERYX_") and k not in (
            "KERYX_DATA_DIR", "KERYX_SECRET_KEY", "KERYX_ALLOWED_PRIVATE_HOSTS",
            "KERYX_SQLITE_PATH")]:
        del env[name]  # the defaults: lease, poll interval, threads, heartbeat
    env["KERYX_LOG_LEVEL"] = "WARNING"
    log = tmp_path / "serve.log"

    def serve() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "keryx.cli", "serve", "--port", str(free_port())],
            cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)

    def published() -> int:
        return PostTarget.objects.filter(state=TargetState.PUBLISHED).count()

    def publishing() -> int:
        return PostTarget.objects.filter(state=TargetState.PUBLISHING).count()

    first = serve()
    try:
        wait_for(lambda: published() >= 4 and publishing() >= 4, 60,
                 "the burst to be under way", log)
    finally:
        first.kill()  # SIGKILL: no clean-up, claims left behind
        first.wait(10)
    held = publishing()
    assert held > 0 and published() < total
    time.sleep(1.0)

    second = serve()
    restarted = time.monotonic()
    try:
        wait_for(lambda: published() == total, 120, "every target published", log)
        took = time.monotonic() - restarted
        print(f"\nrecovery: {held} claims held by the killed process; all {total} "
              f"published {took:.1f} s after the restart")
    finally:
        second.send_signal(signal.SIGTERM)
        try:
            assert second.wait(30) == 0, log.read_text(errors="replace")[-3000:]
        except subprocess.TimeoutExpired:
            second.kill()
            second.wait()
            raise

    for account in accounts:  # counted on the server
        on_server = Counter(text for text, _id in mastodon_texts(mastodon, account))
        assert on_server == Counter(texts), f"{on_server - Counter(texts)} extra"
    assert took <= RESTART_TARGET_SECONDS, f"{took:.1f} s after the restart"
