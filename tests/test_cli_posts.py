"""`keryx post` and `keryx posts`: through call_command, and once as a real `keryx` process."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from keryx.core.cliutil import PERMISSION_DENIED_EXIT
from keryx.core.models import Membership, Role
from keryx.publishing.models import Media, Post, PostTarget, TargetState
from tests.api_support import mastodon_channel
from tests.support.images import png_bytes

pytestmark = pytest.mark.django_db

NEXT_YEAR = timezone.now().year + 1


@pytest.fixture
def admin(people):
    """The first superuser, whom the CLI acts as by default: alice's colleague in Acme."""
    user = get_user_model().objects.create_superuser("root@example.com", "root@example.com", "pw")
    Membership.objects.create(workspace=people.acme, user=user, role=Role.OWNER)
    mastodon_channel(people.acme, "masto")
    mastodon_channel(people.acme, "fosstodon")
    return user


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def post_json(*args: str) -> dict:
    return json.loads(run("post", *args, "--json"))


def test_post_schedules_in_workspace_time_and_prints_states(admin, people):
    output = run("post", "Hello from the shell", "--to", "masto,fosstodon",
                 "--at", f"{NEXT_YEAR}-07-01T09:00")
    post = Post.objects.get()
    assert post.scheduled_at == datetime(NEXT_YEAR, 7, 1, 6, 0, tzinfo=UTC)
    assert post.author == admin
    assert f"Post {post.pk}: scheduled, {NEXT_YEAR}-07-01 09:00 EEST" in output
    assert "masto" in output and "fosstodon" in output


def test_post_json_is_json_only(admin, people):
    data = post_json("Hi", "--to", "masto", "--at", f"{NEXT_YEAR}-01-05T10:00+00:00")
    assert data["scheduled_at"] == f"{NEXT_YEAR}-01-05T10:00:00Z"
    assert [(t["channel"]["name"], t["state"]) for t in data["targets"]] == [
        ("masto", "scheduled"),
    ]


def test_post_now_is_due_now(admin, people):
    data = post_json("Now!", "--to", "masto")
    target = PostTarget.objects.get(post_id=data["id"])
    assert abs((target.due_at - timezone.now()).total_seconds()) < 60


def test_media_and_alt_pair_in_order(admin, people, tmp_path):
    first, second = tmp_path / "one.png", tmp_path / "two.png"
    first.write_bytes(png_bytes())
    second.write_bytes(png_bytes(3, 3))
    data = post_json("Pictures", "--to", "masto", "--media", str(first), "--alt", "First",
                     "--media", str(second))
    assert [(m["name"], m["alt_text"]) for m in data["media"]] == [
        ("one.png", "First"), ("two.png", ""),
    ]
    with pytest.raises(CommandError, match="--alt describes the --media before it"):
        run("post", "x", "--to", "masto", "--alt", "orphan")


def test_bad_input_is_a_one_line_error_and_nothing_is_saved(admin, people, tmp_path):
    fake = tmp_path / "cat.jpg"
    fake.write_text("not a picture at all\n")
    cases = [
        (["--to", "masto,myspace"], "Unknown channel: myspace"),
        (["--to", "masto", "--at", "2020-01-01T09:00"], "in the past"),
        (["--to", "masto", "--at", "tomorrow-ish"], "is not a date and time"),
        (["--to", "masto", "--media", str(fake)], "cat.jpg is not an image"),
        (["--to", "masto", "--media", str(tmp_path / "missing.png")], "No such file"),
    ]
    for extra, message in cases:
        out = io.StringIO()
        with pytest.raises(CommandError, match=message) as info:
            call_command("post", "Hello", *extra, "--json", stdout=out)
        assert "\n" not in str(info.value)
        assert out.getvalue() == ""
    with pytest.raises(CommandError, match="501 characters"):
        run("post", "é" * 501, "--to", "masto")
    assert not Post.objects.exists() and not Media.objects.exists()


def test_workspace_choice(admin, people):
    Membership.objects.create(workspace=people.globex, user=admin, role=Role.EDITOR)
    with pytest.raises(CommandError, match="Several workspaces"):
        run("post", "Hi", "--to", "masto")
    mastodon_channel(people.globex, "globex-masto")
    data = post_json("Hi", "--to", "globex-masto", "--workspace", "Globex")
    assert data["workspace"] == people.globex.pk
    assert post_json("Hi", "--to", "masto", "--workspace", people.acme.slug)["workspace"] == (
        people.acme.pk
    )
    with pytest.raises(CommandError, match="No workspace 'Initech'"):
        run("post", "Hi", "--to", "masto", "--workspace", "Initech")


def test_user_option_and_roles(admin, people):
    # charlie is a viewer; writing needs a contributor (docs/permissions.md), and a refusal
    # exits with its own code.
    with pytest.raises(CommandError, match="Contributor role or higher") as refused:
        run("post", "Hi", "--to", "masto", "--user", "charlie@example.com")
    assert refused.value.returncode == PERMISSION_DENIED_EXIT
    with pytest.raises(CommandError, match="No active user"):
        run("post", "Hi", "--to", "masto", "--user", "nobody@example.com")
    data = post_json("Hi", "--to", "masto", "--user", "alice@example.com")
    assert Post.objects.get(pk=data["id"]).author == people.alice


def test_posts_list_show_cancel_retry(admin, people):
    scheduled = post_json("First", "--to", "masto,fosstodon", "--at", f"{NEXT_YEAR}-03-01T09:00")
    other = post_json("Second", "--to", "masto", "--at", f"{NEXT_YEAR}-04-01T09:00")

    listed = json.loads(run("posts", "list", "--json"))
    assert [p["id"] for p in listed] == [other["id"], scheduled["id"]]
    text = run("posts", "list")
    assert "First" in text and "Second" in text and f"{NEXT_YEAR}-03-01 09:00" in text

    failed = PostTarget.objects.get(post_id=scheduled["id"], channel__name="fosstodon")
    PostTarget.objects.filter(pk=failed.pk).update(
        state=TargetState.FAILED, error_code="rate_limited", error_message="Try again in 5 min",
    )
    PostTarget.objects.filter(post_id=scheduled["id"], channel__name="masto").update(
        state=TargetState.PUBLISHED, remote_id="42", remote_url="https://mastodon.example/@r/42",
        published_at=timezone.now(),
    )
    assert [p["id"] for p in json.loads(run("posts", "list", "--state", "failed", "--json"))] == [
        scheduled["id"]
    ]
    shown = run("posts", "show", str(scheduled["id"]))
    assert "masto (mastodon): published" in shown
    assert "remote id: 42" in shown and "url: https://mastodon.example/@r/42" in shown
    assert "error: rate_limited: Try again in 5 min" in shown
    data = json.loads(run("posts", "show", str(scheduled["id"]), "--json"))
    assert data["state"] == "partial"

    run("posts", "retry", str(scheduled["id"]))
    assert PostTarget.objects.get(pk=failed.pk).state == TargetState.SCHEDULED
    with pytest.raises(CommandError, match="Nothing to retry"):
        run("posts", "retry", str(scheduled["id"]))

    run("posts", "cancel", str(other["id"]))
    assert PostTarget.objects.get(post_id=other["id"]).state == TargetState.CANCELLED
    with pytest.raises(CommandError, match="Nothing left to cancel"):
        run("posts", "cancel", str(other["id"]))

    moved = json.loads(run("posts", "reschedule", str(scheduled["id"]),
                           "--at", f"{NEXT_YEAR}-05-01T12:00", "--json"))
    assert moved["scheduled_at"] == f"{NEXT_YEAR}-05-01T09:00:00Z"


def test_posts_of_other_workspaces_do_not_exist(admin, people):
    mastodon_channel(people.globex, "globex-masto")
    data = post_json("Bob's", "--to", "globex-masto", "--user", "bob@example.com")
    for action in ("show", "cancel", "retry"):
        with pytest.raises(CommandError, match=f"No such post: {data['id']}"):
            run("posts", action, str(data["id"]))
    assert json.loads(run("posts", "list", "--json")) == []


@pytest.mark.django_db(transaction=True)
def test_keryx_process_exit_codes(admin, people, tmp_path, settings):
    """The installed `keryx` entry point against the test database: 0 and JSON on success,
    non-zero and one line on stderr (nothing on stdout) on error."""
    keryx = Path(sys.prefix) / "bin" / "keryx"
    db = settings.DATABASES["default"]
    # Same database and same key (channel credentials are encrypted with it).
    env = {**os.environ, "KERYX_DATA_DIR": str(tmp_path), "KERYX_SECRET_KEY": settings.SECRET_KEY}
    env.pop("KERYX_SECRET_KEY_FILE", None)
    if db["ENGINE"].endswith("sqlite3"):
        # The process opens <data dir>/keryx.sqlite3: make that the test database.
        name = str(db["NAME"])
        if name.startswith("file:") or name == ":memory:":
            pytest.fail("the subprocess test needs an on-disk SQLite test database")
        (tmp_path / "keryx.sqlite3").symlink_to(Path(name).resolve())
        env.pop("DATABASE_URL", None)
    else:
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        )

    ok = subprocess.run([str(keryx), "post", "From a process", "--to", "masto", "--at",
                         f"{NEXT_YEAR}-02-02T08:00", "--json"],
                        env=env, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["targets"][0]["state"] == "scheduled"

    bad = subprocess.run([str(keryx), "post", "Nope", "--to", "myspace", "--json"],
                         env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0
    assert bad.stdout == ""
    assert len(bad.stderr.strip().splitlines()) == 1
    assert "Unknown channel: myspace" in bad.stderr
