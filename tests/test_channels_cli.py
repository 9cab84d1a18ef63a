"""`keryx channels add|list` (the management command behind the `keryx` front)."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from keryx.channels.models import Channel
from keryx.core.services import create_workspace


def run(*args: str) -> str:
    out = StringIO()
    call_command("channels", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def admin(db):
    user = get_user_model().objects.create_superuser("root@example.com", "root@example.com", "pw")
    create_workspace(user, "Main")
    return user


def test_add_mastodon_and_list_json(admin, mastodon):
    account = mastodon.new_account("cli")
    out = run("add", "mastodon", "--instance", mastodon.url,
              f"--access-token={account.access_token}", "--name", "Main Masto", "--json")
    added = json.loads(out)
    assert added["name"] == "Main Masto" and added["network"] == "mastodon"
    assert account.access_token not in out
    listed = json.loads(run("list", "--json"))
    assert [c["id"] for c in listed] == [added["id"]]
    text = run("list")
    assert "Main Masto" in text and "mastodon" in text and account.access_token not in text


def test_workspace_selection(admin, people, mastodon):
    create_workspace(admin, "Second Brand")
    account = mastodon.new_account("cliw")
    with pytest.raises(CommandError, match="Several workspaces .* --workspace"):
        run("add", "mastodon", "--instance", mastodon.url, f"--access-token={account.access_token}")
    run("add", "mastodon", "--instance", mastodon.url, f"--access-token={account.access_token}",
        "--workspace", "second brand")
    assert Channel.objects.get().workspace.name == "Second Brand"
    assert json.loads(run("list", "--json", "--workspace", "main")) == []
    with pytest.raises(CommandError, match="No workspace 'acme'"):
        run("list", "--workspace", "acme")  # alice's workspace is not the admin's
    # --user acts as someone else, within their own workspaces only.
    other = mastodon.new_account("cliu")
    run("add", "mastodon", "--instance", mastodon.url, f"--access-token={other.access_token}",
        "--user", "alice@example.com")
    assert Channel.objects.get(remote_id=other.id).workspace == people.acme
    with pytest.raises(CommandError, match="Your role|needs the"):
        run("add", "mastodon", "--instance", mastodon.url,
            f"--access-token={other.access_token}", "--user", "charlie@example.com")


def test_errors_are_one_line(admin, mastodon):
    with pytest.raises(CommandError) as caught:
        run("add", "mastodon", "--instance", mastodon.url, "--access-token", "bad")
    assert "refused these credentials" in str(caught.value) and "\n" not in str(caught.value)
    with pytest.raises(CommandError, match="no path"):
        run("add", "mastodon", "--instance", "https://x.org/p", "--access-token", "t")
    with pytest.raises(CommandError, match="No active user"):
        run("list", "--user", "nobody@example.com")


def test_no_admin_yet(db):
    with pytest.raises(CommandError, match="keryx init"):
        run("list")
