"""The concrete findings of issue 11: each test fails on the behaviour the outside probe found."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail
from django.test import Client

from keryx.accounts.models import Invitation, Throttle
from keryx.core.logredact import RedactSecretPaths, redact
from keryx.publishing.management.commands.serve import web_server
from tests.api_support import API, Caller, error_of
from tests.fixtures.people import PASSWORD

ROOT = Path(__file__).resolve().parent.parent


def _sign_in(client: Client, url: str, email: str, password: str, addr: str = "10.0.0.1"):
    return client.post(url, {"username": email, "password": password}, REMOTE_ADDR=addr)


# ---------------------------------------------------------------------------------------------
# Sign-in throttling
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/login/", "/admin/login/"])
def test_wrong_passwords_lock_the_account_with_a_retry_time(people, url, settings):
    for user in (people.alice, people.bob):
        user.is_staff = True
        user.save()
    client = Client()
    for _ in range(settings.KERYX_SIGNIN_ACCOUNT_FAILURES - 1):
        assert _sign_in(client, url, "alice@example.com", "wrong").status_code == 200
    locked = _sign_in(client, url, "alice@example.com", "wrong")
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) == settings.KERYX_SIGNIN_LOCKOUT
    assert "Try again in 15 minutes" in locked.content.decode()
    # The right password does not get in while the lock lasts, from another address either.
    right = _sign_in(Client(), url, "alice@example.com", PASSWORD, addr="10.0.0.2")
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another account is not locked by alice's failures (the address limit is higher).
    assert _sign_in(Client(), url, "bob@example.com", PASSWORD).status_code == 302


def test_one_address_trying_many_accounts_is_locked(people, settings):
    settings.KERYX_SIGNIN_ADDRESS_FAILURES = 3
    client = Client()
    for n in range(2):
        assert _sign_in(client, "/login/", f"nobody{n}@example.com", "x").status_code == 200
    assert _sign_in(client, "/login/", "nobody9@example.com", "x").status_code == 429
    assert _sign_in(client, "/login/", "alice@example.com", PASSWORD).status_code == 429
    assert _sign_in(Client(), "/login/", "alice@example.com", PASSWORD,
                    addr="10.9.9.9").status_code == 302


def test_the_lock_is_kept_in_the_database_and_expires(people, settings, monkeypatch):
    settings.KERYX_SIGNIN_ACCOUNT_FAILURES = 2
    for _ in range(2):
        _sign_in(Client(), "/login/", "alice@example.com", "wrong")
    row = Throttle.objects.exclude(locked_until=None).get()
    # Stored hashed: neither the address nor the e-mail appears in the table.
    assert "alice" not in row.key and "10.0.0.1" not in row.key
    assert _sign_in(Client(), "/login/", "alice@example.com", PASSWORD).status_code == 429
    Throttle.objects.update(locked_until="2000-01-01T00:00:00Z")
    assert _sign_in(Client(), "/login/", "alice@example.com", PASSWORD).status_code == 302
    # The success cleared the account's row; the address's count stays until its window ends.
    assert not Throttle.objects.filter(key=row.key).exists()


def test_success_clears_the_account_count(people, settings):
    settings.KERYX_SIGNIN_ACCOUNT_FAILURES = 3
    for _ in range(2):
        _sign_in(Client(), "/login/", "alice@example.com", "wrong")
    assert _sign_in(Client(), "/login/", "alice@example.com", PASSWORD).status_code == 302
    for _ in range(2):
        assert _sign_in(Client(), "/login/", "alice@example.com", "wrong").status_code == 200


def test_wrong_bearer_tokens_are_throttled_in_the_json_error_shape(people, settings):
    settings.KERYX_API_TOKEN_FAILURES = 5
    client = Client()
    answers = [
        client.get(f"{API}/workspaces", headers={"Authorization": f"Bearer kx_wrong{n}"})
        for n in range(5)
    ]
    assert [r.status_code for r in answers[:4]] == [401] * 4
    assert answers[4].status_code == 429
    assert error_of(answers[4])["code"] == "rate_limited"
    assert int(answers[4]["Retry-After"]) == settings.KERYX_SIGNIN_LOCKOUT
    # While locked, even a real token from that address waits.
    caller = Caller(people.alice)
    assert caller.get("/workspaces").status_code == 429
    # Another address is not affected.
    other = caller.client.get(f"{API}/workspaces", REMOTE_ADDR="10.1.1.1",
                              headers={"Authorization": f"Bearer {caller.token}"})
    assert other.status_code == 200


# ---------------------------------------------------------------------------------------------
# Deployment settings, CSP
# ---------------------------------------------------------------------------------------------


def _check_deploy(tmp_path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KERYX_")}
    env.pop("DATABASE_URL", None)
    # The browser tests' live server sets this for the test process (Playwright's sync API runs
    # an event loop); a deployment never has it, and `check --deploy` rightly refuses it.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update(PYTHONPATH=str(ROOT), KERYX_DATA_DIR=str(tmp_path), **extra)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )


def test_check_deploy_is_clean_for_the_documented_https_setup(tmp_path):
    done = _check_deploy(tmp_path, KERYX_BASE_URL="https://keryx.example.org",
                         KERYX_ALLOWED_HOSTS="keryx.example.org", KERYX_PROXY_HEADERS="true",
                         KERYX_HSTS_PRELOAD="true")
    assert done.returncode == 0, done.stderr + done.stdout
    plain = _check_deploy(tmp_path, KERYX_BASE_URL="http://keryx.example.org",
                          KERYX_ALLOWED_HOSTS="keryx.example.org")
    assert "W012" in plain.stderr + plain.stdout  # http: the cookies cannot be Secure


def test_html_pages_carry_a_csp_without_unsafe_inline_scripts(people):
    client = Client()
    client.force_login(people.alice)
    for path in ("/login/", "/"):
        response = Client().get(path) if path == "/login/" else client.get(path)
        policy = response["Content-Security-Policy"]
        script_src = next(p for p in policy.split(";") if p.strip().startswith("script-src"))
        assert "'unsafe-inline'" not in script_src and "'nonce-" in script_src
        assert "frame-ancestors 'none'" in policy
        body = response.content.decode()
        # No inline script or style element without the nonce, no inline event handler.
        nonce = script_src.split("'nonce-")[1].split("'")[0]
        for tag in ("<script", "<style"):
            for chunk in body.split(tag)[1:]:
                opening = chunk.split(">", 1)[0]
                assert "src=" in opening or f'nonce="{nonce}"' in opening, opening
        assert " onclick=" not in body and " onload=" not in body


def test_api_responses_carry_a_restrictive_csp(people):
    response = Caller(people.alice).get("/workspaces")
    assert response["Content-Security-Policy"].startswith("default-src 'none'")


# ---------------------------------------------------------------------------------------------
# Malformed requests, routing
# ---------------------------------------------------------------------------------------------


def test_multipart_without_boundary_is_a_400_by_token(people):
    response = Caller(people.alice).raw("post", "/media", b"junk", "multipart/form-data")
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_body"


@pytest.mark.parametrize("path", ["/media", "/posts", "/channels/mastodon", "/workspaces"])
def test_multipart_without_boundary_is_a_400_by_session(people, path):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people.alice)
    client.cookies["csrftoken"] = "k" * 32
    response = client.post(API + path, b"junk", content_type="multipart/form-data",
                           headers={"X-CSRFToken": "k" * 32})
    assert response.status_code == 400, response.content
    assert error_of(response)["code"] == "invalid_body"


HUGE = "9" * 25  # beyond any database integer


def test_ids_beyond_the_integer_range_are_404_not_500(people):
    caller = Caller(people.alice)
    for path in (f"/posts/{HUGE}", f"/workspaces/{HUGE}/members", f"/media/{HUGE}"):
        response = caller.get(path)
        assert response.status_code == 404, (path, response.content)
        assert error_of(response)["code"] == "not_found"
    client = Client()
    client.force_login(people.alice)
    for path in (f"/posts/{HUGE}/", f"/library/{HUGE}/", f"/calendar/campaigns/{HUGE}/"):
        assert client.get(path).status_code == 404, path


def test_channels_network_and_id_paths_answer_in_json(people):
    caller = Caller(people.alice)
    for response in (caller.post("/channels/5", {"values": {}}),
                     caller.raw("delete", "/channels/mastodon", b"", "application/json")):
        assert response.status_code == 405
        error = error_of(response)
        assert error["code"] == "method_not_allowed"
        assert response["Allow"]


def test_openapi_documents_the_error_answers(people):
    schema = Caller(people.alice).get("/openapi.json").json()
    assert "Error" in schema["components"]["schemas"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"400", "401", "403", "422", "429"} <= codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)
            error = operation["responses"]["401"]["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/Error"}


# ---------------------------------------------------------------------------------------------
# Secrets in logs and on stdout
# ---------------------------------------------------------------------------------------------


def test_secret_paths_are_masked_in_log_records():
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/calendar/feed/s3cr3tT0ken.ics", "1.1", 200), None,
    )
    RedactSecretPaths().filter(record)
    assert "s3cr3tT0ken" not in record.getMessage()
    assert "/calendar/feed/[redacted].ics" in record.getMessage()
    assert redact('"GET /invite/AbC-123_x/ HTTP/1.1"') == '"GET /invite/[redacted]/ HTTP/1.1"'


def test_django_access_and_request_logs_are_masked(people, client, caplog):
    invitation = Invitation.objects.create(workspace=people.acme, email="z@example.com")
    with caplog.at_level(logging.WARNING, logger="django.request"):
        client.get(f"/invite/{invitation.token}x/")  # unknown: logged as "Not Found: <path>"
    record = next(r for r in caplog.records if r.name == "django.request")
    handlers = [h for h in logging.getLogger().handlers if h.filters]
    for handler in handlers:
        assert invitation.token not in handler.format(record) if handler.filter(record) else True
    assert handlers
    logger = logging.getLogger("django.server")
    assert any(isinstance(f, RedactSecretPaths) for f in logger.filters)
    root_console = [h for h in logging.getLogger().handlers if h.filters]
    assert any(isinstance(f, RedactSecretPaths) for h in root_console for f in h.filters)


def test_serve_masks_uvicorn_access_log():
    web_server("127.0.0.1", 0)
    access = logging.getLogger("uvicorn.access")
    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())

    keep = Keep()
    access.addHandler(keep)
    try:
        access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:1", "GET", "/invite/T0pS3cret/",
                    "1.1", 200)
    finally:
        access.removeHandler(keep)
    assert seen == ['127.0.0.1:1 - "GET /invite/[redacted]/ HTTP/1.1" 200']


def test_invitation_mail_is_not_printed_by_default(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KERYX_")}
    env.update(PYTHONPATH=str(ROOT), KERYX_DATA_DIR=str(tmp_path),
               DJANGO_SETTINGS_MODULE="keryx.settings")
    code = ("import django; django.setup(); from django.conf import settings; "
            "print(settings.EMAIL_BACKEND); print(settings.EMAIL_FILE_PATH)")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=60, cwd=ROOT)
    backend, path = done.stdout.split()
    assert backend == "django.core.mail.backends.filebased.EmailBackend"
    assert Path(path) == tmp_path / "mail"
    assert (tmp_path / "mail").stat().st_mode & 0o077 == 0
    env["KERYX_EMAIL_BACKEND"] = "console"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=60, cwd=ROOT)
    assert done.stdout.split()[0] == "django.core.mail.backends.console.EmailBackend"
    assert mail.outbox == []


def test_stale_throttle_rows_are_pruned(people):
    _sign_in(Client(), "/login/", "alice@example.com", "wrong")
    assert Throttle.objects.count() == 2  # the account and the address
    Throttle.objects.update(window_start="2000-01-01T00:00:00Z")
    _sign_in(Client(), "/login/", "bob@example.com", "wrong", addr="10.7.7.7")
    assert Throttle.objects.count() == 2  # alice's two went, bob's two came
