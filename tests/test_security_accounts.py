"""Issue 11, the self-hoster's part: password reset, two-factor sign-in, key rotation, sign out
everywhere, scoped and expiring API tokens, CSV formula neutralisation, no secret in logs,
pages, API answers or exports."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import re
import time
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from keryx.accounts import twofactor
from keryx.accounts.models import ApiToken, RecoveryCode, TwoFactor
from keryx.channels.models import Channel
from keryx.core import crypto, csvsafe
from keryx.core.models import AuditLog, Membership, Role
from tests.api_support import API, error_of
from tests.fixtures.people import PASSWORD
from tests.ui_helpers import mastodon_channel


@pytest.fixture(autouse=True)
def _locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def actions(user=None) -> list[str]:
    rows = AuditLog.objects.filter(workspace__isnull=True)
    if user is not None:
        rows = rows.filter(actor=user)
    return list(rows.order_by("id").values_list("action", flat=True))


# ---------------------------------------------------------------------------------------------
# Password reset
# ---------------------------------------------------------------------------------------------

LINK = re.compile(r"https?://[^/\s]+(/account/reset/[^/\s]+/[^/\s]+/)")


def _ask_reset(client: Client, email: str, addr: str = "10.1.0.1"):
    return client.post("/account/reset/", {"email": email}, REMOTE_ADDR=addr)


def test_reset_answers_the_same_whether_the_address_exists(people):
    known = _ask_reset(Client(), "alice@example.com")
    unknown = _ask_reset(Client(), "nobody@example.com")
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == "/account/reset/sent/"
    def page(location: str) -> str:  # without the per-request nonce and CSRF token
        text = Client().get(location).content.decode()
        return re.sub(r'(nonce|value|content)="[^"]*"', "", text)

    assert page(known["Location"]) == page(unknown["Location"])
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["alice@example.com"]
    assert actions(people.alice) == ["account.password_reset_requested"]


def test_reset_link_changes_the_password_once_and_ends_other_sessions(people):
    other = Client()
    other.force_login(people.alice)
    assert other.get("/account/").status_code == 200
    _ask_reset(Client(), "Alice@Example.com")
    path = LINK.search(mail.outbox[0].body).group(1)
    client = Client()
    form = client.get(path, follow=True)
    assert form.status_code == 200 and b"new_password1" in form.content
    set_url = form.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": "a brand new passphrase 9",
                                 "new_password2": "a brand new passphrase 9"})
    assert done.status_code == 302 and done["Location"] == "/account/reset/done/"
    people.alice.refresh_from_db()
    assert people.alice.check_password("a brand new passphrase 9")
    assert "account.password_reset" in actions(people.alice)
    # Single use: the same link no longer works; the other session is signed out.
    again = Client().get(path, follow=True)
    assert again.status_code == 404 and b"new_password1" not in again.content
    assert other.get("/account/").status_code == 302


def test_reset_link_expires(people, monkeypatch, settings):
    assert settings.PASSWORD_RESET_TIMEOUT == 3600  # the default users run
    _ask_reset(Client(), "alice@example.com")
    path = LINK.search(mail.outbox[0].body).group(1)
    from django.contrib.auth.tokens import default_token_generator

    later = datetime.now() + timedelta(seconds=3601)
    monkeypatch.setattr(default_token_generator, "_now", lambda: later)
    response = Client().get(path, follow=True)
    assert response.status_code == 404
    assert b"new_password1" not in response.content


def test_reset_requests_are_throttled(people, settings):
    client = Client()
    for _i in range(settings.KERYX_SIGNIN_ACCOUNT_FAILURES):
        assert _ask_reset(client, "alice@example.com").status_code == 302
    locked = _ask_reset(client, "alice@example.com")
    assert locked.status_code == 429 and int(locked["Retry-After"]) > 0
    assert len(mail.outbox) == settings.KERYX_SIGNIN_ACCOUNT_FAILURES


def test_reset_link_is_masked_in_the_access_log(people):
    from keryx.core.logredact import redact

    _ask_reset(Client(), "alice@example.com")
    path = LINK.search(mail.outbox[0].body).group(1)
    token = path.rstrip("/").rsplit("/", 1)[1]
    assert token not in redact(f'"GET {path} HTTP/1.1" 302 0')


def test_the_sign_in_page_links_to_reset_in_greek_too(db):
    page = Client().get("/login/", HTTP_ACCEPT_LANGUAGE="el").content.decode()
    assert 'href="/account/reset/"' in page
    assert "Ξεχάσατε" in page


# ---------------------------------------------------------------------------------------------
# Two-factor sign-in
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("at", "expected"), [
    (59, "94287082"), (1111111109, "07081804"), (1111111111, "14050471"),
    (1234567890, "89005924"), (2000000000, "69279037"), (20000000000, "65353130"),
])
def test_totp_matches_rfc_6238_test_vectors(at, expected):
    # RFC 6238 appendix B, SHA-1, secret "12345678901234567890", 8 digits.
    import base64

    secret = base64.b32encode(b"12345678901234567890").decode()
    assert pyotp.TOTP(secret, digits=8).at(at) == expected


def _enrol(client: Client, user) -> tuple[str, list[str]]:
    assert client.post("/account/two-factor/", {"step": "start"}).status_code == 200
    secret = twofactor.pending_secret(user)
    page = client.get("/account/two-factor/").content.decode()
    assert secret in page and "otpauth://totp/" in page
    now = time.time()
    response = client.post("/account/two-factor/",
                           {"step": "confirm", "code": pyotp.TOTP(secret).at(now - 30)})
    codes = re.findall(r"<code>([0-9a-f]{8}-[0-9a-f]{8})</code>", response.content.decode())
    assert len(codes) == twofactor.RECOVERY_CODES
    assert response["Cache-Control"] == "no-store"
    return secret, codes


def _password(client: Client, email: str = "alice@example.com"):
    return client.post("/login/", {"username": email, "password": PASSWORD})


def test_enrolment_then_sign_in_asks_for_the_code(people):
    client = Client()
    client.force_login(people.alice)
    secret, codes = _enrol(client, people.alice)
    assert twofactor.is_enabled(people.alice)
    # Stored encrypted and hashed: neither the secret nor a code is in the database in clear.
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM accounts_twofactor")
        (raw,) = cursor.fetchone()
    assert secret not in raw and crypto.decrypt_text(raw)
    assert not RecoveryCode.objects.filter(code_hash__in=codes).exists()
    assert RecoveryCode.objects.filter(
        code_hash=hashlib.sha256(codes[0].replace("-", "").encode()).hexdigest()).exists()

    fresh = Client()
    step = _password(fresh)
    assert step.status_code == 302 and step["Location"] == "/login/code/"
    assert fresh.get("/account/").status_code == 302  # not signed in yet
    wrong = fresh.post("/login/code/", {"code": "000000"})
    assert wrong.status_code == 200 and fresh.get("/account/").status_code == 302
    code = pyotp.TOTP(secret).now()
    assert fresh.post("/login/code/", {"code": code}).status_code == 302
    assert fresh.get("/account/").status_code == 200
    # The same code does not sign in twice (replay).
    replay = Client()
    _password(replay)
    assert replay.post("/login/code/", {"code": code}).status_code == 200
    assert "account.2fa_enabled" in actions(people.alice)
    assert "account.2fa_failed" in actions(people.alice)


def test_recovery_codes_work_once(people):
    client = Client()
    client.force_login(people.alice)
    _secret, codes = _enrol(client, people.alice)
    first = Client()
    _password(first)
    assert first.post("/login/code/", {"code": codes[0].upper()}).status_code == 302
    assert first.get("/account/").status_code == 200
    second = Client()
    _password(second)
    assert second.post("/login/code/", {"code": codes[0]}).status_code == 200
    assert twofactor.recovery_codes_left(people.alice) == twofactor.RECOVERY_CODES - 1
    assert "account.2fa_recovery_used" in actions(people.alice)


def test_wrong_codes_lock_the_second_step(people, settings):
    client = Client()
    client.force_login(people.alice)
    secret, _codes = _enrol(client, people.alice)
    attacker = Client()
    _password(attacker)
    answers = [attacker.post("/login/code/", {"code": "123456"}).status_code
               for _i in range(settings.KERYX_SIGNIN_ACCOUNT_FAILURES)]
    assert answers[-1] == 429
    # Locked: even the right code, after the password again, is refused.
    _password(attacker)
    assert attacker.post("/login/code/", {"code": pyotp.TOTP(secret).now()}).status_code == 429


def test_no_code_is_asked_without_enrolment(people):
    client = Client()
    response = _password(client)
    assert response.status_code == 302 and response["Location"] == "/"


def test_the_second_step_without_a_password_goes_back_to_sign_in(db):
    response = Client().post("/login/code/", {"code": "123456"})
    assert response.status_code == 302 and response["Location"] == "/login/"


def test_an_owner_can_require_two_factor_for_members(people):
    owner = Client()
    owner.force_login(people.alice)
    # The owner must have it first (else they would lock themselves out).
    owner.post("/members/two-factor/", {"require": "1"})
    assert not twofactor.workspace_requires(people.acme.pk)
    _enrol(owner, people.alice)
    assert owner.post("/members/two-factor/", {"require": "1"}).status_code == 302
    assert twofactor.workspace_requires(people.acme.pk)
    assert owner.get("/").status_code == 200
    viewer = Client()
    viewer.force_login(people.charlie)
    sent = viewer.get("/")
    assert sent.status_code == 302 and sent["Location"] == "/account/two-factor/"
    _enrol(viewer, people.charlie)
    assert viewer.get("/").status_code == 200
    # Another workspace is not affected; a non-owner cannot change the rule.
    bob = Client()
    bob.force_login(people.bob)
    assert bob.get("/").status_code == 200
    Membership.objects.filter(user=people.charlie).update(role=Role.ADMIN)
    assert viewer.post("/members/two-factor/", {"require": "0"}).status_code == 403
    assert twofactor.workspace_requires(people.acme.pk)


def test_turning_two_factor_off_needs_a_code(people):
    client = Client()
    client.force_login(people.alice)
    secret, _codes = _enrol(client, people.alice)
    client.post("/account/two-factor/", {"step": "disable", "code": "000000"})
    assert twofactor.is_enabled(people.alice)
    client.post("/account/two-factor/", {"step": "disable", "code": pyotp.TOTP(secret).now()})
    assert not twofactor.is_enabled(people.alice)
    assert not RecoveryCode.objects.filter(user=people.alice).exists()


# ---------------------------------------------------------------------------------------------
# Key rotation
# ---------------------------------------------------------------------------------------------


def _raw_credentials(channel: Channel) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials FROM channels_channel WHERE id = %s", [channel.pk])
        return cursor.fetchone()[0]


def test_secrets_rotate_reencrypts_everything_without_downtime(people, settings):
    old_key = settings.SECRET_KEY
    channel = mastodon_channel(people.acme, "Masto")
    before = Channel.objects.get(pk=channel.pk).credentials
    assert before
    TwoFactor.objects.create(user=people.alice, secret={"totp": "JBSWY3DPEHPK3PXP"})
    old_cipher = _raw_credentials(channel)

    settings.SECRET_KEY, settings.OLD_SECRET_KEYS = "a brand new key " * 4, [old_key]
    # Both keys read while the rotation has not run: nothing is down.
    assert Channel.objects.get(pk=channel.pk).credentials == before
    out = io.StringIO()
    call_command("secrets", "rotate", "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert report["columns"]["channels.Channel.credentials"]["rotated"] == 1
    assert report["columns"]["accounts.TwoFactor.secret"]["rotated"] == 1
    assert report["total"]["failed"] == 0
    assert _raw_credentials(channel) != old_cipher
    # Idempotent: a second run rotates nothing.
    out = io.StringIO()
    call_command("secrets", "rotate", "--json", stdout=out)
    again = json.loads(out.getvalue())["total"]
    assert again["rotated"] == 0 and again["current"] >= 2
    # The old key can go: everything reads with the new key alone.
    settings.OLD_SECRET_KEYS = []
    assert Channel.objects.get(pk=channel.pk).credentials == before
    assert TwoFactor.objects.get(user=people.alice).secret == {"totp": "JBSWY3DPEHPK3PXP"}


def test_secrets_rotate_fails_loudly_when_a_key_is_missing(people, settings):
    mastodon_channel(people.acme, "Masto")
    settings.SECRET_KEY, settings.OLD_SECRET_KEYS = "another key entirely " * 3, []
    with pytest.raises(CommandError, match="KERYX_OLD_SECRET_KEYS"):
        call_command("secrets", "rotate", stdout=io.StringIO())


# ---------------------------------------------------------------------------------------------
# Sessions and API tokens
# ---------------------------------------------------------------------------------------------


def test_sign_out_everywhere_ends_every_session_of_the_user_only(people):
    laptop, phone, bob = Client(), Client(), Client()
    laptop.force_login(people.alice)
    phone.force_login(people.alice)
    bob.force_login(people.bob)
    assert phone.post("/account/sessions/end-all/", {}).status_code == 302  # needs the field
    assert laptop.get("/account/").status_code == 200
    response = phone.post("/account/sessions/end-all/", {"everywhere": "1"})
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert laptop.get("/account/").status_code == 302
    assert phone.get("/account/").status_code == 302
    assert bob.get("/account/").status_code == 200
    assert Session.objects.count() == 1
    assert "account.signed_out_everywhere" in actions(people.alice)


def _api(client: Client, method: str, path: str, token: str, body: dict | None = None):
    call = getattr(client, method)
    kwargs = {"headers": {"Authorization": f"Bearer {token}"}}
    if method != "get":
        kwargs.update(data=json.dumps(body or {}), content_type="application/json")
    return call(API + path, **kwargs)


def test_read_only_tokens_may_not_change_anything(people):
    from keryx.accounts.services import issue_token

    _token, raw = issue_token(people.alice, "dashboards", scope="read")
    client = Client()
    assert _api(client, "get", "/posts", raw).status_code == 200
    refused = _api(client, "post", "/posts", raw, {"text": "hi", "channels": []})
    assert refused.status_code == 403
    assert error_of(refused)["code"] == "token_read_only"
    channel = mastodon_channel(people.acme, "Masto")
    assert _api(client, "delete", f"/channels/{channel.pk}", raw).status_code == 403
    assert Channel.objects.filter(pk=channel.pk).exists()
    _token, publish = issue_token(people.alice, "script", scope="publish")
    assert _api(client, "delete", f"/channels/{channel.pk}", publish).status_code in (200, 204)
    assert not Channel.objects.filter(pk=channel.pk).exists()


def test_expired_tokens_get_401(people):
    from keryx.accounts.services import issue_token

    token, raw = issue_token(people.alice, "short", expires_in_days=1)
    client = Client()
    assert _api(client, "get", "/posts", raw).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert _api(client, "get", "/posts", raw).status_code == 401


def test_token_page_and_cli_set_scope_and_expiry(people):
    client = Client()
    client.force_login(people.alice)
    page = client.post("/account/tokens/", {"name": "web", "scope": "read",
                                            "expires_in_days": "30"})
    assert page.status_code == 200
    token = ApiToken.objects.get(name="web")
    assert token.scope == "read"
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    assert "Read only" in client.get("/account/tokens/").content.decode()
    out = io.StringIO()
    call_command("tokens", "create", "--name", "cli", "--scope", "read", "--expires-days", "7",
                 "--user", "alice@example.com", "--json", stdout=out, stderr=io.StringIO())
    made = json.loads(out.getvalue())
    assert made["scope"] == "read" and made["expires_at"]
    with pytest.raises(CommandError, match="3650"):
        call_command("tokens", "create", "--name", "x", "--expires-days", "0",
                     "--user", "alice@example.com", stdout=io.StringIO(), stderr=io.StringIO())
    listing = io.StringIO()
    call_command("tokens", "list", "--user", "alice@example.com", stdout=listing)
    assert "read" in listing.getvalue()
    assert actions(people.alice).count("token.created") == 2


# ---------------------------------------------------------------------------------------------
# CSV exports
# ---------------------------------------------------------------------------------------------

FORMULAS = ["=HYPERLINK(\"http://evil\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


def test_the_csv_helper_neutralises_formulas():
    out = io.StringIO()
    csvsafe.writer(out).writerow([*FORMULAS, "plain", 5, -3, "it's"])
    cells = next(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert cells[:6] == ["'" + f for f in FORMULAS]
    assert cells[6:] == ["plain", "5", "-3", "it's"]
    assert [csvsafe.unquote(c) for c in cells[:6]] == FORMULAS


def test_no_csv_writer_outside_the_helper():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "keryx"
    offenders = [str(p) for p in root.rglob("*.py")
                 if "csv.writer(" in p.read_text() or "csv.DictWriter(" in p.read_text()]
    assert offenders == [str(root / "core" / "csvsafe.py")]


def test_post_export_neutralises_and_reimports_as_written(people):
    from keryx.bulk import services as bulk
    from keryx.publishing import services as publishing

    channel = mastodon_channel(people.acme, "Masto")
    when = timezone.now() + timedelta(days=3)
    text = "=HYPERLINK(\"http://evil.example\",\"click\")"
    publishing.create_post(workspace=people.acme, author=people.alice, text=text,
                           channels=[channel], scheduled_at=when, actor="t")
    exported = bulk.export_csv(people.acme)
    rows = list(csv.reader(io.StringIO(exported, newline="")))
    assert rows[1][rows[0].index("text")] == "'" + text
    job = bulk.preview(workspace=people.acme, user=people.alice, data=exported.encode(),
                       options=bulk.ImportOptions())
    assert job.rows.first().raw  # read back
    from keryx.bulk.parsing import parse_keryx, records

    parsed = parse_keryx(records(exported, ","), tz_name="UTC")
    assert parsed[0].text == text


def test_analytics_export_neutralises_cells():
    from keryx.analytics import services as analytics

    out = io.StringIO()
    analytics.write_csv(out, [])
    writer_out = io.StringIO()
    csvsafe.writer(writer_out).writerow(["@cmd"])
    assert writer_out.getvalue().startswith("'@cmd")
    assert out.getvalue().startswith("\ufeff")


# ---------------------------------------------------------------------------------------------
# No secret leaks
# ---------------------------------------------------------------------------------------------


def test_no_new_secret_reaches_logs_pages_api_or_exports(people, caplog, settings):
    """Every secret this issue adds (TOTP secret, recovery codes, reset token, API token after
    creation) and the password: absent from every log record, from later pages, from API
    answers and from the CSV export."""
    from keryx.bulk import services as bulk

    caplog.set_level(logging.DEBUG)
    client = Client()
    client.force_login(people.alice)
    secret, codes = _enrol(client, people.alice)
    page = client.post("/account/tokens/", {"name": "leak", "scope": "publish"})
    raw_token = re.search(r'value="(kx_[^"]+)"', page.content.decode()).group(1)
    _ask_reset(Client(), "alice@example.com")
    reset_path = LINK.search(mail.outbox[0].body).group(1)
    reset_token = reset_path.rstrip("/").rsplit("/", 1)[1]
    # Use them: a reset link, a wrong and a right second step, the API.
    Client().get(reset_path)
    signin = Client()
    _password(signin)
    signin.post("/login/code/", {"code": codes[1]})
    api = Client()
    seen = [
        _api(api, "get", "/posts", raw_token).content,
        _api(api, "get", "/me", raw_token).content,
        _api(api, "get", "/openapi.json", raw_token).content,
        client.get("/account/tokens/").content,
        client.get("/account/two-factor/").content,
        client.get("/account/").content,
        client.get("/members/").content,
        bulk.export_csv(people.acme).encode(),
        Client().get("/login/").content,
    ]
    secrets = {"totp secret": secret, "recovery code": codes[1], "reset token": reset_token,
               "api token": raw_token, "password": PASSWORD}
    from keryx.core.logredact import RedactSecretPaths

    redactor = RedactSecretPaths()
    logged = []
    for record in caplog.records:
        redactor.filter(record)
        logged.append(record.getMessage())
    leaks = [(what, where) for what, value in secrets.items()
             for where, text in (("log", "\n".join(logged)),
                                 ("pages/api/export", b"\n".join(seen).decode(errors="replace")))
             if value in text]
    assert leaks == []
    # The audit log keeps no secret either.
    audit_text = json.dumps(list(AuditLog.objects.values("summary", "data")), default=str)
    assert not [w for w, v in secrets.items() if v in audit_text]
    # The user table does not keep the password in clear.
    assert PASSWORD not in get_user_model().objects.get(pk=people.alice.pk).password
    _ = UTC
