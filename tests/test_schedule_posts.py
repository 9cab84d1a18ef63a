"""Creating, validating, rescheduling, cancelling and retrying posts; media checks."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone

from keryx.publishing import services, uploads
from keryx.publishing.delivery import publish_claimed
from keryx.publishing.models import Media, Post, PostTarget, TargetEvent, TargetState
from keryx.publishing.scheduler import claim_due
from tests.support.engine import fast_passwords, loopback, make_channel, run_due  # noqa: F401
from tests.support.images import png_bytes

pytestmark = pytest.mark.django_db


def later(hours: int = 3):
    return timezone.now() + timedelta(hours=hours)


def test_save_media_sniffs_the_real_type(people):
    media = services.save_media(
        workspace=people.acme, user=people.alice, file=io.BytesIO(png_bytes(40, 30)),
        filename="photo.jpg", alt_text="A red square",
    )
    assert media.mime_type == "image/png"  # from the bytes, not the name
    assert (media.width, media.height) == (40, 30)
    assert media.size == len(png_bytes(40, 30)) and len(media.sha256) == 64
    assert media.alt_text == "A red square"
    with open(media.file.path, "rb") as stored:
        assert stored.read() == png_bytes(40, 30)


def test_a_text_file_posing_as_an_image_is_rejected(people):
    with pytest.raises(services.MediaRejected) as caught:
        services.save_media(workspace=people.acme, user=people.alice,
                            file=io.BytesIO(b"just some words\n"), filename="photo.png")
    assert str(caught.value) == "photo.png is not an image (it is text/plain)."
    assert not Media.objects.exists()


def test_empty_and_truncated_files_are_rejected(people):
    with pytest.raises(services.MediaRejected, match="empty"):
        services.save_media(workspace=people.acme, user=people.alice, file=io.BytesIO(b""),
                            filename="a.png")
    with pytest.raises(services.MediaRejected, match="not an image"):
        services.save_media(workspace=people.acme, user=people.alice,
                            file=io.BytesIO(png_bytes(40, 30)[:60]), filename="cut.png")


def test_a_file_over_100_mb_is_rejected(people, monkeypatch):
    monkeypatch.setattr(uploads, "MAX_MEDIA_BYTES", 1000)  # the limit the upload reads
    with pytest.raises(services.MediaRejected, match="larger than 100 MB"):
        services.save_media(workspace=people.acme, user=people.alice,
                            file=io.BytesIO(png_bytes(400, 400)), filename="big.png")


def test_create_post_makes_one_target_per_channel_with_media(people, loopback):  # noqa: F811
    one, two = make_channel(people.acme, loopback, "One"), make_channel(people.acme, loopback,
                                                                         "Two")
    media = services.save_media(workspace=people.acme, user=people.alice,
                                file=io.BytesIO(png_bytes(40, 30)), filename="p.png",
                                alt_text="alt")
    post = services.create_post(
        workspace=people.acme, author=people.alice, text="With a picture", channels=[one, two],
        media=[media], scheduled_at=later(), actor="alice",
    )
    targets = PostTarget.objects.filter(post=post)
    assert targets.count() == 2
    assert {t.state for t in targets} == {TargetState.SCHEDULED}
    assert services.post_state(post) == "scheduled"
    assert list(post.media.all()) == [media]
    assert run_due(now=post.scheduled_at) == ["published", "published"]
    sent = next(iter(loopback.posts.values()))
    assert sent["media"] == [{"path": media.file.path, "alt": "alt"}]


def test_validation_names_each_channels_problem(people, loopback):  # noqa: F811
    ours = make_channel(people.acme, loopback, "Ours")
    theirs = make_channel(people.globex, loopback, "Theirs")
    problems = services.validate_post(
        workspace=people.acme, text="x" * 501, channels=[ours, theirs],
    )
    assert [p.code for p in problems[ours]] == ["too_long"]
    assert [p.code for p in problems[theirs]] == ["unknown_channel"]
    with pytest.raises(services.PostRejected) as caught:
        services.create_post(workspace=people.acme, author=people.alice, text="x" * 501,
                             channels=[ours, theirs], actor="alice")
    assert "Ours: The text is 501 characters" in str(caught.value)
    assert not Post.objects.exists()


def test_empty_posts_and_no_channels_are_rejected(people, loopback):  # noqa: F811
    channel = make_channel(people.acme, loopback)
    problems = services.validate_post(workspace=people.acme, text="  ", channels=[channel])
    assert [p.code for p in problems[channel]] == ["empty"]
    problems = services.validate_post(workspace=people.acme, text="hi", channels=[])
    assert [p.code for p in problems[None]] == ["no_channels"]


def test_media_of_another_workspace_cannot_be_attached(people, loopback):  # noqa: F811
    channel = make_channel(people.acme, loopback)
    foreign = services.save_media(workspace=people.globex, user=people.bob,
                                  file=io.BytesIO(png_bytes(40, 30)), filename="b.png")
    with pytest.raises(services.PostRejected) as caught:
        services.create_post(workspace=people.acme, author=people.alice, text="hi",
                             channels=[channel], media=[foreign], actor="alice")
    assert "unknown_media" in [p.code for p in caught.value.problems[channel]]


def test_drafts_are_not_claimed_until_scheduled(people, loopback):  # noqa: F811
    channel = make_channel(people.acme, loopback)
    post = services.create_post(workspace=people.acme, author=people.alice, text="",
                                channels=[channel], draft=True, actor="alice")
    assert services.post_state(post) == "draft"
    assert run_due(now=later(100)) == []
    when = later(1)
    services.reschedule_post(post, when, actor="alice")
    target = PostTarget.objects.get(post=post)
    assert target.state == TargetState.SCHEDULED and target.due_at == when


def test_reschedule_moves_pending_targets_only(people, loopback):  # noqa: F811
    one, two = make_channel(people.acme, loopback, "One"), make_channel(people.acme, loopback,
                                                                         "Two")
    post = services.create_post(workspace=people.acme, author=people.alice, text="hi",
                                channels=[one, two], scheduled_at=later(), actor="alice")
    first = PostTarget.objects.get(post=post, channel=one)
    # Publish channel one only, then move the post.
    (claim,) = claim_due("t", now=first.due_at, ids=[first.pk])
    publish_claimed(claim, worker_id="t")
    new_time = later(10)
    services.reschedule_post(post, new_time, actor="bob")
    states = dict(PostTarget.objects.filter(post=post).values_list("channel__name", "state"))
    assert states == {"One": TargetState.PUBLISHED, "Two": TargetState.SCHEDULED}
    assert PostTarget.objects.get(post=post, channel=two).due_at == new_time
    with pytest.raises(services.PostRejected):
        services.reschedule_post(post, timezone.now() - timedelta(hours=1), actor="bob")
    event = TargetEvent.objects.filter(target__channel=two).last()
    assert event.actor == "bob" and event.message.startswith("Rescheduled")


def test_cancel_stops_a_scheduled_post_but_not_a_published_one(people, loopback):  # noqa: F811
    channel = make_channel(people.acme, loopback)
    post = services.create_post(workspace=people.acme, author=people.alice, text="hi",
                                channels=[channel], scheduled_at=later(), actor="alice")
    services.cancel_post(post, actor="alice")
    assert services.post_state(post) == "cancelled"
    assert run_due(now=later(5)) == []
    with pytest.raises(services.InvalidTransition):
        services.cancel_post(post, actor="alice")

    published = services.create_post(workspace=people.acme, author=people.alice, text="now",
                                     channels=[channel], actor="alice")
    run_due()
    with pytest.raises(services.InvalidTransition, match="published"):
        services.cancel_target(PostTarget.objects.get(post=published), actor="alice")


def test_retry_of_an_unknown_outcome_checks_the_network_first(people, loopback):  # noqa: F811
    channel = make_channel(people.acme, loopback)
    post = services.create_post(workspace=people.acme, author=people.alice, text="hi",
                                channels=[channel], actor="alice")
    target = PostTarget.objects.get(post=post)
    PostTarget.objects.filter(pk=target.pk).update(
        state=TargetState.FAILED, error_code="outcome_unknown", idempotency_key="k1", due_at=None
    )
    loopback.posts["k1"] = {"id": "r9", "url": "http://127.0.0.1/@loop/r9", "text": "hi",
                            "created_at": timezone.now().isoformat(), "key": "k1"}
    target.refresh_from_db()
    with pytest.raises(services.InvalidTransition):
        services.cancel_target(target, actor="alice")
    services.retry_target(target, actor="alice")
    target.refresh_from_db()
    assert target.state == TargetState.UNKNOWN
    assert run_due() == ["published"]
    target.refresh_from_db()
    assert target.remote_id == "r9" and loopback.key_counts() == {}
