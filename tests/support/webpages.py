"""A tiny web site on 127.0.0.1 for link-preview tests: each path answers what the test put
there (status, headers, body, an optional delay or a body that never ends), and every request
is recorded, so a test can tell whether Keryx fetched something at all."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from tests.support.httpserver import LocalServer, QuietHandler


@dataclass
class Page:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/html"})
    delay: float = 0.0
    endless: bool = False  # keep sending bytes until the client hangs up


class WebSite(LocalServer):
    def __init__(self) -> None:
        self.pages: dict[str, Page] = {}
        self.requests: list[tuple[str, str]] = []
        site = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:  # noqa: N802
                site.requests.append(("GET", self.path))
                page = site.pages.get(self.path)
                if page is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if page.delay:
                    time.sleep(page.delay)
                self.send_response(page.status)
                for name, value in page.headers.items():
                    self.send_header(name, value)
                if not page.endless:
                    self.send_header("Content-Length", str(len(page.body)))
                self.end_headers()
                try:
                    if page.endless:
                        chunk = b"<p>" + b"x" * 65536 + b"</p>"
                        for _ in range(2000):  # ~130 MB at most, if nobody hangs up
                            self.wfile.write(chunk)
                    else:
                        self.wfile.write(page.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        super().__init__(Handler)
