"""MastodonProvider against the real third-party mastodon-mock server on 127.0.0.1."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from keryx.networks.base import (
    AuthExpired,
    BadContent,
    MediaItem,
    OutcomeUnknown,
    ProviderContext,
    PublishRequest,
    RateLimited,
    Transient,
)
from keryx.networks.mastodon import MastodonProvider, html_to_text
from keryx.networks.registry import get_provider_class
from tests.fixtures.mastodon import LOOPBACK, MastodonMock, MockAccount
from tests.support.images import image_item


def provider(server: MastodonMock, token: str, **settings: object) -> MastodonProvider:
    return get_provider_class("mastodon")(
        ProviderContext(
            credentials={"access_token": token},
            settings={"instance": server.url, **settings},
            timeout=10.0,
            allow_private=tuple(LOOPBACK),
        )
    )


@pytest.fixture
def account(mastodon: MastodonMock) -> MockAccount:
    return mastodon.new_account("prov")


@pytest.fixture
def image(tmp_path: Path) -> MediaItem:
    return image_item(tmp_path / "harbour.png", 64, 48, (20, 120, 200),
                      alt_text="Boats in Piraeus")


def test_verify_reads_account_and_instance_limits(mastodon, account):
    info = provider(mastodon, account.access_token).verify()
    assert info.remote_id == account.id
    assert info.handle == f"@{account.username}@localhost:{mastodon.port}"
    assert info.settings["instance"] == mastodon.url
    assert info.settings["account_id"] == account.id
    assert info.settings["max_characters"] == 500
    assert info.settings["max_media"] == 4
    assert info.settings["characters_reserved_per_url"] == 23
    assert "image/png" in info.settings["supported_mime_types"]
    assert info.settings["image_size_limit"] == 10485760


def test_publish_with_image_and_alt_text_reads_back(mastodon, account, image):
    p = provider(mastodon, account.access_token)
    before = datetime.now(UTC) - timedelta(seconds=2)
    request = PublishRequest(
        text="Καλημέρα from Keryx 👋 https://example.com/a/long/path",
        media=(image,),
        content_warning="harbour photo",
        idempotency_key=p.new_idempotency_key(),
    )
    result = p.publish(request)
    assert result.remote_id and result.url.endswith(result.remote_id)
    assert before <= result.published_at <= datetime.now(UTC) + timedelta(seconds=2)

    status = mastodon.status(result.remote_id, account.access_token)
    assert html_to_text(status["content"]) == request.text
    assert status["spoiler_text"] == "harbour photo"
    assert [m["description"] for m in status["media_attachments"]] == ["Boats in Piraeus"]
    assert status["media_attachments"][0]["type"] == "image"
    assert status["created_at"].startswith(result.published_at.isoformat()[:19])
    assert status["account"]["id"] == account.id


def test_same_idempotency_key_twice_makes_one_status(mastodon, account):
    p = provider(mastodon, account.access_token)
    request = PublishRequest(text="only once", idempotency_key=p.new_idempotency_key())
    first = p.publish(request)
    second = p.publish(request)
    assert first.remote_id == second.remote_id
    assert [s["id"] for s in mastodon.statuses(account)] == [first.remote_id]
    # A different key is a different post.
    third = p.publish(PublishRequest(text="only once", idempotency_key=p.new_idempotency_key()))
    assert third.remote_id != first.remote_id


def test_lookup_finds_the_status_and_none_when_absent(mastodon, account):
    p = provider(mastodon, account.access_token)
    scheduled = datetime.now(UTC)
    text = "Reconcile me @someone@example.org #tag https://example.com/x"
    request = PublishRequest(text=text, idempotency_key="k1", scheduled_at=scheduled)
    assert p.lookup(request) is None
    p.publish(PublishRequest(text="another post", idempotency_key="k0"))
    made = p.publish(request)
    found = p.lookup(request)
    assert found is not None and found.remote_id == made.remote_id and found.url == made.url
    # Same text but meant for a much later time: the earlier status is not it.
    later = PublishRequest(text=text, scheduled_at=scheduled + timedelta(hours=1))
    assert p.lookup(later) is None
    # Different content warning: not it.
    assert p.lookup(PublishRequest(text=text, content_warning="cw", scheduled_at=scheduled)) is None


def test_delete_removes_the_status_and_tolerates_gone(mastodon, account):
    p = provider(mastodon, account.access_token)
    made = p.publish(PublishRequest(text="short-lived", idempotency_key=p.new_idempotency_key()))
    p.delete(made.remote_id)
    assert mastodon.statuses(account) == []
    p.delete(made.remote_id)  # already gone is not an error


def test_rate_limit_fault_gives_retry_after(mastodon, account):
    p = provider(mastodon, account.access_token)
    reset = (datetime.now(UTC) + timedelta(seconds=120)).isoformat()
    mastodon.fault(
        "ratelimit", path="/api/v1/statuses", methods=["POST"],
        headers={"X-RateLimit-Reset": reset, "Retry-After": ""},
    )
    with pytest.raises(RateLimited) as caught:
        p.publish(PublishRequest(text="too fast", idempotency_key="rl"))
    assert 110 <= caught.value.retry_after <= 121
    assert mastodon.statuses(account) == []


def test_server_error_is_classified(mastodon, account):
    p = provider(mastodon, account.access_token)
    # A 500 on the POST that creates the status: it may have been stored -> unknown.
    mastodon.fault("status", status=500, path="/api/v1/statuses", methods=["POST"])
    with pytest.raises(OutcomeUnknown, match="500"):
        p.publish(PublishRequest(text="boom", idempotency_key="e500"))
    # A 500 on a read is simply transient.
    mastodon.fault("status", status=500, path="/api/v1/accounts/verify_credentials")
    with pytest.raises(Transient) as caught:
        p.verify()
    assert not isinstance(caught.value, OutcomeUnknown) and caught.value.status == 500
    # 503 on the post itself: the server did not take it.
    mastodon.fault("status", status=503, path="/api/v1/statuses", methods=["POST"])
    with pytest.raises(Transient) as caught:
        p.publish(PublishRequest(text="boom", idempotency_key="e503"))
    assert type(caught.value) is Transient


def test_validation_error_carries_mastodons_text(mastodon, account):
    p = provider(mastodon, account.access_token)
    with pytest.raises(BadContent, match="Text is too long"):
        p.publish(PublishRequest(text="x" * 501, idempotency_key="long"))


def test_bad_and_revoked_tokens_are_auth_expired(mastodon, account):
    with pytest.raises(AuthExpired):
        provider(mastodon, "not-a-token").verify()
    token = mastodon.token(account.username)
    p = provider(mastodon, token)
    assert p.verify().remote_id == account.id
    mastodon.revoke(token)
    with pytest.raises(AuthExpired):
        p.publish(PublishRequest(text="after revoke", idempotency_key="rv"))


def test_private_address_refused_without_allowance(mastodon, account):
    p = MastodonProvider(
        ProviderContext(
            credentials={"access_token": account.access_token},
            settings={"instance": mastodon.url},
        )
    )
    with pytest.raises(Exception, match="private or local address"):
        p.verify()


def test_media_still_processing_is_polled_until_ready(mastodon, account, image):
    """The server answers 202 (processing, no url yet): the provider polls GET /api/v1/media/:id
    until the url is there, then posts. (mastodon-mock never answers 202 by itself, so a fault
    makes the upload answer 202 with an attachment that exists on the server.)"""
    with open(image.path, "rb") as handle:
        uploaded = mastodon.api(
            "POST", "/api/v2/media", account.access_token,
            files={"file": ("pre.png", handle, "image/png")}, data={"description": "processed"},
        ).json()
    mastodon.fault(
        "status", status=202, path="/api/v2/media", methods=["POST"],
        body={"id": uploaded["id"], "type": "image", "url": None, "description": "processed"},
    )
    # The first poll still says "processing" (206, no url); the second gets the real answer.
    mastodon.fault(
        "status", status=206, path=f"/api/v1/media/{uploaded['id']}", methods=["GET"],
        body={"id": uploaded["id"], "type": "image", "url": None},
    )
    p = provider(mastodon, account.access_token)
    result = p.publish(PublishRequest(text="polled", media=(image,), idempotency_key="poll"))
    assert mastodon.api("GET", "/api/v1/_mock/faults").json() == []  # both answers were used
    status = mastodon.status(result.remote_id, account.access_token)
    assert [m["id"] for m in status["media_attachments"]] == [uploaded["id"]]
