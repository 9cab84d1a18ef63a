"""`keryx tokens create|list|revoke`: the printed token works against the API, once revoked not."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from keryx.accounts.models import ApiToken

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("tokens", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_token_from_the_cli_authenticates_until_revoked(people):
    raw = run("create", "--name", "backup script", "--user", "alice@example.com").strip()
    assert raw.startswith("kx_")
    stored = ApiToken.objects.get(user=people.alice)
    assert raw not in (stored.token_hash, stored.prefix)  # only the hash is kept

    headers = {"Authorization": f"Bearer {raw}"}
    workspaces = Client().get("/api/v1/workspaces", headers=headers)
    assert workspaces.status_code == 200 and workspaces.json()[0]["name"] == "Acme"

    listed = json.loads(run("list", "--user", "alice@example.com", "--json"))
    assert [(t["id"], t["name"]) for t in listed] == [(stored.pk, "backup script")]
    assert raw not in json.dumps(listed)

    # Bob cannot revoke alice's token: it is not one of his.
    with pytest.raises(CommandError, match="No active token"):
        run("revoke", str(stored.pk), "--user", "bob@example.com")
    assert Client().get("/api/v1/workspaces", headers=headers).status_code == 200

    run("revoke", str(stored.pk), "--user", "alice@example.com")
    assert Client().get("/api/v1/workspaces", headers=headers).status_code == 401


def test_without_admin_or_name(people):
    with pytest.raises(CommandError, match="No admin user yet"):
        run("create", "--name", "x")
    with pytest.raises(CommandError, match="Give the token a name"):
        run("create", "--name", "  ", "--user", "bob@example.com")
