"""The README's run path, as a user walks it: `keryx init` (twice: it is idempotent and prints
the password only the first time), `keryx serve`, sign in through the login form, use the API
with a token from `keryx tokens create`, then stop the server with SIGTERM.

Everything runs in separate processes on a fresh data folder, never on the test database. On a
PostgreSQL run (DATABASE_URL set) the processes get a throwaway database of their own on the
same server, created and dropped here, so the PostgreSQL path is walked too.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

# The console script installed next to this interpreter (.venv/bin/keryx), as a user runs it.
KERYX = Path(sys.executable).parent / "keryx"
ADMIN_EMAIL = "a@example.com"
ADMIN_PASSWORD = "e2e-Πρώτος-κωδικός-42"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def database_url() -> Iterator[str | None]:
    """None on SQLite runs; on PostgreSQL runs, the URL of a new empty database."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        yield None
        return
    import dj_database_url
    import psycopg
    from psycopg import sql

    parts = dj_database_url.parse(url)
    name = f"keryx_e2e_serve_{os.getpid()}"
    admin = psycopg.connect(
        host=parts["HOST"] or "127.0.0.1", port=parts["PORT"] or 5432, user=parts["USER"],
        password=parts["PASSWORD"] or None, dbname=parts["NAME"], autocommit=True,
    )
    try:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        yield url.rsplit("/", 1)[0] + "/" + name
    finally:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))
        admin.close()


def user_env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    """A user's shell: only KERYX_DATA_DIR (and DATABASE_URL on PostgreSQL runs) set."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("KERYX_", "DJANGO_")) and k != "DATABASE_URL"}
    env["KERYX_DATA_DIR"] = str(data_dir)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def keryx(env: dict[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([str(KERYX), *args], env=env, cwd=env["KERYX_DATA_DIR"],
                          capture_output=True, text=True, timeout=timeout)


def csrf_token(page: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert match, "no CSRF token in the form"
    return match.group(1)


def test_init_serve_sign_in_api_token_and_clean_stop(tmp_path, database_url):
    assert KERYX.exists(), f"{KERYX} is missing: install Keryx into the venv (make install)"
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    env = user_env(data_dir, database_url)

    first = keryx(env, "init", "--admin-email", ADMIN_EMAIL, "--admin-password", ADMIN_PASSWORD)
    assert first.returncode == 0, first.stderr
    assert ADMIN_EMAIL in first.stdout and ADMIN_PASSWORD in first.stdout
    again = keryx(env, "init", "--admin-email", ADMIN_EMAIL, "--admin-password", ADMIN_PASSWORD)
    assert again.returncode == 0, again.stderr
    assert ADMIN_PASSWORD not in again.stdout + again.stderr
    assert "already exists" in again.stdout
    # The embedded database lives in the data dir; with DATABASE_URL there is none.
    assert (data_dir / "keryx.sqlite3").exists() == (database_url is None)
    assert (data_dir / "secret.key").exists()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    server = subprocess.Popen([str(KERYX), "serve", "--port", str(port)], env=env,
                              cwd=data_dir, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    try:
        with httpx.Client(base_url=base, timeout=10.0) as browser:
            deadline = time.monotonic() + 30
            while True:
                assert server.poll() is None, f"keryx serve exited:\n{log.read_text()[-3000:]}"
                try:
                    login = browser.get("/login/")
                    if login.status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, f"no answer on {base}/login/"
                time.sleep(0.2)

            assert browser.get("/").status_code == 302  # signed out: sent to the login page
            wrong = browser.post("/login/", data={
                "csrfmiddlewaretoken": csrf_token(login.text), "username": ADMIN_EMAIL,
                "password": "not the password",
            }, headers={"Origin": base})
            assert wrong.status_code == 200 and "sessionid" not in browser.cookies

            signed_in = browser.post("/login/", data={
                "csrfmiddlewaretoken": csrf_token(wrong.text), "username": ADMIN_EMAIL,
                "password": ADMIN_PASSWORD,
            }, headers={"Origin": base})
            assert signed_in.status_code == 302, signed_in.text[-2000:]
            home = browser.get("/")
            assert home.status_code == 200
            assert "My workspace" in home.text

            schema = browser.get("/api/v1/openapi.json")
            assert schema.status_code == 200
            assert "/api/v1/workspaces" in schema.json()["paths"]

        created = keryx(env, "tokens", "create", "--name", "e2e script")
        assert created.returncode == 0, created.stderr
        token = created.stdout.strip()
        assert token and "\n" not in token
        with httpx.Client(base_url=base, timeout=10.0) as script:
            assert script.get("/api/v1/workspaces").status_code == 401
            response = script.get("/api/v1/workspaces",
                                  headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 200, response.text
            assert [w["name"] for w in response.json()] == ["My workspace"]
            refused = script.get("/api/v1/workspaces",
                                 headers={"Authorization": f"Bearer {token}x"})
            assert refused.status_code == 401
    finally:
        stopping = time.monotonic()
        server.send_signal(signal.SIGTERM)
        try:
            returncode = server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
            raise AssertionError(
                f"keryx serve ignored SIGTERM:\n{log.read_text()[-3000:]}"
            ) from None
    took = time.monotonic() - stopping
    assert returncode == 0, log.read_text()[-3000:]
    assert took < 10, f"keryx serve took {took:.1f} s to stop"
    assert token not in log.read_text()  # tokens never logged
