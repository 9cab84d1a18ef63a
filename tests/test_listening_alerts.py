"""Spike detection on synthetic series, and the signed, retried webhook on a loopback server."""

from __future__ import annotations

import json
import random
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from keryx.listening import spikes, webhooks


def test_spike_detected_on_synthetic_series_and_not_on_noise():
    rng = random.Random(7)
    # A week of Poisson-like noise around 20 an hour.
    window = [max(0, int(rng.gauss(20, 4.5))) for _ in range(168)]
    episode = spikes.Episode()
    fired = []
    # More noise hours: none is a spike.
    for _ in range(200):
        count = max(0, int(rng.gauss(20, 4.5)))
        verdict = spikes.spike(window, count)
        assert not verdict.spike, verdict
        fired.append(episode.update(verdict.spike))
    assert not any(fired)
    # A burst of three hours at 80: one alert (one episode), then it re-arms.
    burst = [episode.update(spikes.spike(window, 80).spike) for _ in range(3)]
    assert burst == [True, False, False]
    assert episode.update(spikes.spike(window, 20).spike) is False
    assert episode.update(spikes.spike(window, 90).spike) is True


def test_quiet_search_needs_minimum_count():
    window = [0] * 168
    assert not spikes.spike(window, 3).spike  # flat zero baseline, MAD 0
    assert spikes.spike(window, 11).spike


def test_negative_surge():
    assert spikes.negative_surge(1000, 100, 40, 20).surge
    assert not spikes.negative_surge(1000, 100, 40, 5).surge  # share 0.125
    assert not spikes.negative_surge(1000, 100, 4, 3).surge  # too few


class _Receiver(BaseHTTPRequestHandler):
    secret = "s3cret"
    answers: list[int] = []
    seen: list[dict] = []

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        ok = webhooks.verify(self.secret, self.headers["X-Keryx-Timestamp"], body,
                             self.headers["X-Keryx-Signature"])
        code = self.answers.pop(0) if self.answers else 200
        if not ok:
            code = 401
        self.seen.append({"ok": ok, "body": json.loads(body)})
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def _serve():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/hook"


def test_webhook_signed_and_retried_after_500():
    _Receiver.answers = [500, 500]
    _Receiver.seen = []
    server, url = _serve()
    waits = []
    try:
        result = webhooks.deliver(url, "s3cret", {"kind": "spike", "search": "brand"},
                                  allow_private=("127.0.0.1",), sleep=waits.append)
    finally:
        server.shutdown()
    assert result.ok
    assert [a.code for a in result.attempts] == [500, 500, 200]
    assert waits == list(webhooks.BACKOFF[:2])
    assert all(s["ok"] for s in _Receiver.seen)
    assert _Receiver.seen[0]["body"] == {"kind": "spike", "search": "brand"}


def test_webhook_wrong_secret_refused_and_not_retried():
    _Receiver.answers = []
    _Receiver.seen = []
    server, url = _serve()
    try:
        result = webhooks.deliver(url, "other", {"x": 1}, allow_private=("127.0.0.1",),
                                  sleep=lambda s: None)
    finally:
        server.shutdown()
    assert not result.ok
    assert [a.code for a in result.attempts] == [401]


def test_webhook_to_loopback_blocked_without_allowance():
    result = webhooks.deliver("http://127.0.0.1:9/hook", "s", {}, sleep=lambda s: None)
    assert not result.ok and result.attempts[0].status == "blocked"


def test_verify_refuses_old_timestamp():
    body = b"{}"
    sig = webhooks.sign("k", 1000, body)
    assert webhooks.verify("k", "1000", body, sig, now=1100)
    assert not webhooks.verify("k", "1000", body, sig, now=5000)
