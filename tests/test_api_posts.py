"""Posts through the API: create, list, show, cancel, reschedule, retry, validate; bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from keryx.publishing.models import Post, PostTarget, PostVariant, TargetState
from tests.api_support import Caller, error_of, mastodon_channel

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(people):
    return Caller(people.alice)


@pytest.fixture
def channels(people):
    return mastodon_channel(people.acme, "masto"), mastodon_channel(people.acme, "fosstodon")


def future(days: int = 3) -> datetime:
    return (timezone.now() + timedelta(days=days)).replace(microsecond=0)


def create(caller: Caller, people, **fields):
    body = {"workspace": people.acme.pk, "text": "Hello, world", "channels": ["masto"],
            "scheduled_at": future().isoformat(), **fields}
    return caller.post("/posts", body)


def test_create_with_naive_time_means_workspace_time_zone(alice, people, channels):
    # 09:00 in Athens on a summer day is 06:00 UTC.
    year = timezone.now().year + 1
    response = create(alice, people, channels=["masto", channels[1].pk],
                      scheduled_at=f"{year}-07-01T09:00")
    assert response.status_code == 201, response.content
    post = response.json()
    assert post["scheduled_at"] == f"{year}-07-01T06:00:00Z"
    assert post["state"] == "scheduled"
    assert [(t["channel"]["name"], t["state"]) for t in post["targets"]] == [
        ("fosstodon", "scheduled"), ("masto", "scheduled"),
    ]
    assert post["targets"][0]["history"][0]["to_state"] == "scheduled"
    assert PostTarget.objects.filter(post_id=post["id"], state=TargetState.SCHEDULED).count() == 2


def test_create_with_offset_keeps_the_instant(alice, people, channels):
    year = timezone.now().year + 1
    response = create(alice, people, scheduled_at=f"{year}-01-10T09:00:00-05:00")
    assert response.status_code == 201
    assert Post.objects.get().scheduled_at == datetime(year, 1, 10, 14, 0, tzinfo=UTC)


def test_create_now_and_draft(alice, people, channels):
    now = create(alice, people, scheduled_at=None).json()
    target = PostTarget.objects.get(post_id=now["id"])
    assert target.state == TargetState.SCHEDULED
    assert abs((target.due_at - timezone.now()).total_seconds()) < 60

    draft = create(alice, people, scheduled_at=None, draft=True).json()
    assert draft["state"] == "draft" and draft["scheduled_at"] is None


def test_variants_are_per_channel(alice, people, channels):
    variants = {
        "masto": {"text": "short for masto"},
        str(channels[1].pk): {"text": "short too", "content_warning": "cw"},
    }
    response = create(alice, people, text="x" * 600, channels=["masto", "fosstodon"],
                      variants=variants)
    assert response.status_code == 201, response.content
    variants = {v.channel.name: (v.text, v.content_warning) for v in PostVariant.objects.all()}
    assert variants == {"masto": ("short for masto", ""), "fosstodon": ("short too", "cw")}


def test_unknown_channel_is_422_naming_it(alice, people, channels):
    response = create(alice, people, channels=["masto", "myspace"])
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "unknown_channel"
    assert "myspace" in error["message"] and error["details"] == {"unknown": ["myspace"]}
    assert not Post.objects.exists()


def test_over_length_text_is_422_with_the_channels_problem(alice, people, channels):
    response = create(alice, people, text="é" * 501, channels=["masto", "fosstodon"])
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "post_rejected"
    problems = {(d["channel"], d["code"], d["field"]) for d in error["details"]}
    assert problems == {("masto", "too_long", "text"), ("fosstodon", "too_long", "text")}
    assert "501" in error["details"][0]["message"]
    assert not Post.objects.exists()


def test_past_time_is_422(alice, people, channels):
    response = create(alice, people, scheduled_at="2020-01-01T09:00")
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "post_rejected"
    assert {d["code"] for d in error["details"]} == {"scheduled_in_past"}


def test_unreadable_or_impossible_time_is_422(alice, people, channels):
    response = create(alice, people, scheduled_at="next tuesday")
    assert response.status_code == 422 and error_of(response)["code"] == "invalid_time"
    # 03:30 on the last Sunday of March does not exist in Athens (clocks jump 03:00 -> 04:00).
    response = create(alice, people, scheduled_at="2031-03-30T03:30")
    assert response.status_code == 422
    assert "does not exist" in error_of(response)["message"]


def test_validate_is_a_dry_run(alice, people, channels):
    body = {"workspace": people.acme.pk, "text": "y" * 501, "channels": ["masto"]}
    response = alice.post("/posts/validate", body)
    assert response.status_code == 200
    result = response.json()
    assert result["valid"] is False
    assert [(p["channel"], p["code"]) for p in result["problems"]] == [("masto", "too_long")]
    ok = alice.post("/posts/validate", {**body, "text": "fine"}).json()
    # (the per-channel details of POST /validate ride along: tests/test_validate_api.py)
    assert {k: ok[k] for k in ("valid", "problems", "warnings")} == {
        "valid": True, "problems": [], "warnings": []}
    assert not Post.objects.exists()


def test_list_filters_and_paginates(alice, people, channels):
    year = timezone.now().year + 1
    for month in (3, 4, 5):
        create(alice, people, scheduled_at=f"{year}-{month:02d}-15T10:00")
    cancelled = create(alice, people, scheduled_at=f"{year}-06-15T10:00").json()
    alice.post(f"/posts/{cancelled['id']}/cancel")

    page = alice.get("/posts", limit=2).json()
    assert page["count"] == 4 and len(page["items"]) == 2
    assert page["items"][0]["id"] == cancelled["id"]  # latest first
    assert len(alice.get("/posts", limit=2, offset=2).json()["items"]) == 2

    scheduled = alice.get("/posts", state="scheduled").json()
    assert scheduled["count"] == 3
    assert alice.get("/posts", state="cancelled").json()["count"] == 1

    ranged = alice.get("/posts", workspace=people.acme.slug,
                       **{"from": f"{year}-04-01", "to": f"{year}-05-15"}).json()
    assert sorted(p["scheduled_at"][:7] for p in ranged["items"]) == [
        f"{year}-04", f"{year}-05",
    ]
    response = alice.get("/posts", state="sideways")
    assert response.status_code == 422


def test_show_has_per_channel_details_and_history(alice, people, channels):
    post = create(alice, people, channels=["masto", "fosstodon"]).json()
    target = PostTarget.objects.get(post_id=post["id"], channel__name="masto")
    PostTarget.objects.filter(pk=target.pk).update(
        state=TargetState.PUBLISHED, remote_id="109", remote_url="https://mastodon.example/@a/109",
        published_at=timezone.now(), attempts=1,
    )
    PostTarget.objects.filter(post_id=post["id"], channel__name="fosstodon").update(
        state=TargetState.FAILED, error_code="auth_expired", attempts=2,
        error_message="The access token was revoked; reconnect the channel.",
    )
    shown = alice.get(f"/posts/{post['id']}").json()
    by_name = {t["channel"]["name"]: t for t in shown["targets"]}
    assert shown["state"] == "partial"
    assert by_name["masto"]["remote_id"] == "109"
    assert by_name["masto"]["url"] == "https://mastodon.example/@a/109"
    assert by_name["masto"]["published_at"] is not None and by_name["masto"]["error"] is None
    assert by_name["fosstodon"]["error"] == {
        "code": "auth_expired", "message": "The access token was revoked; reconnect the channel.",
    }
    assert by_name["fosstodon"]["attempts"] == 2
    assert by_name["fosstodon"]["history"][0]["actor"] == "alice@example.com"
    assert alice.get("/posts/999999").status_code == 404


def test_cancel_then_cancel_again_is_409(alice, people, channels):
    post = create(alice, people).json()
    response = alice.post(f"/posts/{post['id']}/cancel")
    assert response.status_code == 200
    assert response.json()["state"] == "cancelled"
    assert [e["to_state"] for e in response.json()["targets"][0]["history"]] == [
        "scheduled", "cancelled",
    ]
    again = alice.post(f"/posts/{post['id']}/cancel")
    assert again.status_code == 409 and error_of(again)["code"] == "invalid_state"


def test_reschedule(alice, people, channels):
    post = create(alice, people).json()
    year = timezone.now().year + 1
    response = alice.post(f"/posts/{post['id']}/reschedule",
                          {"scheduled_at": f"{year}-12-24T18:00"})
    assert response.status_code == 200, response.content
    assert response.json()["scheduled_at"] == f"{year}-12-24T16:00:00Z"
    assert PostTarget.objects.get().due_at == datetime(year, 12, 24, 16, tzinfo=UTC)

    past = alice.post(f"/posts/{post['id']}/reschedule", {"scheduled_at": "2001-01-01T00:00Z"})
    assert past.status_code == 422
    assert error_of(past)["details"][0]["code"] == "scheduled_in_past"
    nothing = alice.post(f"/posts/{post['id']}/reschedule", {"scheduled_at": "now"})
    assert nothing.status_code == 422


def test_retry_a_failed_target_only(alice, people, channels):
    post = create(alice, people).json()
    target_id = post["targets"][0]["id"]
    too_early = alice.post(f"/posts/{post['id']}/targets/{target_id}/retry")
    assert too_early.status_code == 409

    PostTarget.objects.filter(pk=target_id).update(
        state=TargetState.FAILED, error_code="transient", error_message="HTTP 503"
    )
    response = alice.post(f"/posts/{post['id']}/targets/{target_id}/retry")
    assert response.status_code == 200
    assert response.json()["targets"][0]["state"] == "scheduled"
    assert alice.post(f"/posts/{post['id']}/targets/424242/retry").status_code == 404


def test_bob_cannot_see_or_touch_acmes_posts(alice, people, channels):
    post = create(alice, people).json()
    target_id = post["targets"][0]["id"]
    bob = Caller(people.bob)
    assert bob.get("/posts").json()["count"] == 0
    for response in (
        bob.get(f"/posts/{post['id']}"),
        bob.post(f"/posts/{post['id']}/cancel"),
        bob.post(f"/posts/{post['id']}/reschedule", {"scheduled_at": future(9).isoformat()}),
        bob.post(f"/posts/{post['id']}/targets/{target_id}/retry"),
        bob.get("/posts", workspace=people.acme.pk),
        bob.post("/posts", {"workspace": people.acme.pk, "text": "hi", "channels": ["masto"]}),
    ):
        assert response.status_code == 404, response.content
        assert error_of(response)["code"] == "not_found"
    assert PostTarget.objects.get().state == TargetState.SCHEDULED

    # Acme's channel id, posted into bob's own workspace, is just an unknown channel.
    mastodon_channel(people.globex, "globex-masto")
    response = bob.post("/posts", {"workspace": people.globex.pk, "text": "hi",
                                   "channels": [channels[0].pk]})
    assert response.status_code == 422 and error_of(response)["code"] == "unknown_channel"
    assert Post.objects.count() == 1


def test_viewer_reads_but_cannot_write(alice, people, channels):
    post = create(alice, people).json()
    charlie = Caller(people.charlie)
    assert charlie.get(f"/posts/{post['id']}").status_code == 200
    for response in (
        create(charlie, people),
        create(charlie, people, draft=True),
        charlie.post(f"/posts/{post['id']}/cancel"),
        charlie.post(f"/posts/{post['id']}/reschedule", {"scheduled_at": future(9).isoformat()}),
    ):
        assert response.status_code == 403, response.content
        assert error_of(response)["code"] == "forbidden"
    assert Post.objects.count() == 1


def test_workspace_may_be_left_out_by_members_of_one(alice, people, channels):
    body = {"text": "hi", "channels": ["masto"], "draft": True}
    response = alice.post("/posts", body)
    assert response.status_code == 201 and response.json()["workspace"] == people.acme.pk

    Caller(people.bob).post("/workspaces", {"name": "Initech"})
    bob = Caller(people.bob)
    response = bob.post("/posts", body)
    assert response.status_code == 400
    assert error_of(response)["code"] == "workspace_required"
