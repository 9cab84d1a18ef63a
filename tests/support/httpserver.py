"""What every test-only HTTP server on 127.0.0.1 shares (the loopback and loopnet networks, the
web site for link cards and feeds): a threaded server on a free port, serving from a daemon
thread, used as `with Server(...) as server:`; and a quiet handler that answers JSON."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class QuietHandler(BaseHTTPRequestHandler):
    """Logs nothing (the test output stays readable) and answers JSON with send_json."""

    def log_message(self, format: str, *args: Any) -> None:
        return

    def send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


class LocalServer:
    """Serves `handler` on 127.0.0.1 on a free port once started; `url` is its base URL.
    `backlog` raises the listen queue for tests that open many connections at once."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], *, backlog: int | None = None
                 ) -> None:
        self._handler = handler
        self._backlog = backlog
        self._httpd: ThreadingHTTPServer | None = None
        self._running = False

    def start(self) -> Self:
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler, bind_and_activate=False)
        httpd.daemon_threads = True
        if self._backlog is not None:
            httpd.request_queue_size = self._backlog
        try:
            httpd.server_bind()
            httpd.server_activate()
        except BaseException:
            httpd.server_close()
            raise
        self._httpd = httpd
        self._running = True
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._httpd is not None and self._running:
            self._running = False
            self._httpd.shutdown()
            self._httpd.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._httpd is not None, "the server was never started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"
