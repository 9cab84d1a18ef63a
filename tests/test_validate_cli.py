"""`keryx validate`: per network or channel, fits or not, counted length, limit and problems;
exit code 0 when all accept, 1 when one refuses, 2 for bad usage; --json gives the API's shape."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from keryx.core.models import Membership, Role
from keryx.publishing.models import Media
from tests.api_support import Caller, mastodon_channel
from tests.support.images import png_bytes


def run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("validate", *args, stdout=out)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue()
    return 0, out.getvalue()


def test_networks_without_accounts():
    code, out = run("Καλημέρα " * 40, "--network", "x,bluesky,mastodon")
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("x [x]: REFUSED  360/280 weighted characters (over by 80)")
    assert lines[1].startswith("  - The text is 360 characters as X counts them")
    assert "bluesky [bluesky]: REFUSED  360/300 characters (over by 60)" in out
    assert "mastodon [mastodon]: ok  360/500 characters" in out


def test_exit_zero_when_everyone_accepts_and_json_shape():
    code, out = run("Hello 👋", "--network", "mastodon,bluesky", "--json")
    data = json.loads(out)
    assert code == 0 and data["valid"] is True
    assert [(c["network"], c["measures"][0]["count"]) for c in data["channels"]] == [
        ("mastodon", 7), ("bluesky", 7)]


def test_unknown_network_is_a_clear_error():
    with pytest.raises(CommandError, match="does not support the network myspace") as error:
        run("hi", "--network", "mastodon,myspace")
    assert error.value.returncode == 2


def test_media_checked_against_network_rules(tmp_path):
    image = tmp_path / "photo.png"
    image.write_bytes(png_bytes())
    notes = tmp_path / "notes.png"
    notes.write_text("not an image at all")
    code, out = run("", "--network", "instagram", "--media", str(image))
    assert "media_required" not in out
    code, out = run("Hi", "--network", "bluesky", "--media", str(notes))
    assert code == 1 and "text/plain" in out


@pytest.mark.django_db
def test_channels_use_the_schedulers_code_and_leave_nothing_behind(people, tmp_path):
    admin = get_user_model().objects.create_superuser("root@example.com", "root@example.com",
                                                      "pw")
    Membership.objects.create(workspace=people.acme, user=admin, role=Role.OWNER)
    mastodon_channel(people.acme, "masto", max_characters=20)
    image = tmp_path / "photo.png"
    image.write_bytes(png_bytes())
    code, out = run("x" * 25, "--to", "masto", "--media", str(image), "--json")
    data = json.loads(out)
    assert code == 1
    assert data["channels"][0]["measures"][0]["over_by"] == 5
    # The same verdict as the API gives.
    api = Caller(admin).post("/validate", {"workspace": people.acme.pk, "text": "x" * 25,
                                           "channels": ["masto"]}).json()
    assert [p["code"] for p in api["problems"]] == [p["code"] for p in data["problems"]]
    assert Media.objects.count() == 0
    assert not list(Path(settings.MEDIA_ROOT).glob("media/**/*.png"))


@pytest.mark.django_db
def test_unknown_channel(people):
    admin = get_user_model().objects.create_superuser("root@example.com", "root@example.com",
                                                      "pw")
    Membership.objects.create(workspace=people.acme, user=admin, role=Role.OWNER)
    with pytest.raises(CommandError) as error:
        run("hi", "--to", "nope")
    assert error.value.returncode == 2


def test_real_process_exit_codes(tmp_path):
    env = {**os.environ, "KERYX_DATA_DIR": str(tmp_path)}
    ok = subprocess.run([sys.executable, "-m", "keryx.cli", "validate", "hi", "--network", "x"],
                        capture_output=True, text=True, env=env)
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run([sys.executable, "-m", "keryx.cli", "validate", "x" * 300,
                          "--network", "x"], capture_output=True, text=True, env=env)
    assert bad.returncode == 1 and "over by 20" in bad.stdout
