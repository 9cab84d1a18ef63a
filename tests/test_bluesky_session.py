"""Bluesky sessions against a real PDS: app-password login, cached tokens, refresh, bad password."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from keryx.networks.base import AuthExpired, PublishRequest, RateLimited
from keryx.networks.bluesky import BlueskyProvider
from tests.fixtures.bluesky import start_pds

pytestmark = pytest.mark.peers


def test_verify_opens_a_session_and_saves_its_tokens(bluesky_account):
    saved: list[dict] = []
    provider = BlueskyProvider(bluesky_account.context(save_credentials=saved.append))

    info = provider.verify()

    assert (info.remote_id, info.handle) == (bluesky_account.did, bluesky_account.handle)
    assert info.url == f"https://bsky.app/profile/{bluesky_account.handle}"
    assert len(saved) == 1
    assert saved[0]["did"] == bluesky_account.did
    assert saved[0]["access_jwt"] and saved[0]["refresh_jwt"]
    assert "app_password" not in saved[0]


def test_cached_tokens_are_used_without_the_password(bluesky_account):
    saved: list[dict] = []
    BlueskyProvider(bluesky_account.context(save_credentials=saved.append)).verify()
    # Tokens from the first login; the password is now wrong, so any new login would fail.
    credentials = {**bluesky_account.credentials, **saved[0], "app_password": "wrong"}

    info = BlueskyProvider(bluesky_account.context(credentials=credentials)).verify()

    assert info.remote_id == bluesky_account.did


def test_a_stale_access_token_is_refreshed_not_replaced_by_a_new_login(
    bluesky_pds, bluesky_account
):
    saved: list[dict] = []
    BlueskyProvider(bluesky_account.context(save_credentials=saved.append)).verify()
    credentials = {
        **bluesky_account.credentials, **saved[0],
        "access_jwt": "not-a-valid-token", "app_password": "wrong",
    }
    refreshed: list[dict] = []
    provider = BlueskyProvider(
        bluesky_account.context(credentials=credentials, save_credentials=refreshed.append)
    )
    key = provider.new_idempotency_key()

    provider.publish(PublishRequest(text="ανανεωμένο", idempotency_key=key))

    assert bluesky_pds.get_record(bluesky_account.did, "app.bsky.feed.post", key)
    assert len(refreshed) == 1
    # The password is wrong, so this session can only have come from refreshSession, which
    # rotates the refresh token.
    assert refreshed[0]["access_jwt"] != "not-a-valid-token"
    assert refreshed[0]["refresh_jwt"] != saved[0]["refresh_jwt"]


def test_a_refused_refresh_falls_back_to_the_app_password(bluesky_account):
    credentials = {
        **bluesky_account.credentials, "did": bluesky_account.did,
        "access_jwt": "stale", "refresh_jwt": "revoked",
    }
    saved: list[dict] = []
    provider = BlueskyProvider(
        bluesky_account.context(credentials=credentials, save_credentials=saved.append)
    )

    assert provider.verify().remote_id == bluesky_account.did
    assert saved and saved[-1]["refresh_jwt"] != "revoked"


def test_wrong_app_password_is_auth_expired_with_the_servers_reason(bluesky_account):
    credentials = {**bluesky_account.credentials, "app_password": "aaaa-bbbb-cccc-dddd"}
    provider = BlueskyProvider(bluesky_account.context(credentials=credentials))

    with pytest.raises(AuthExpired) as caught:
        provider.verify()
    assert caught.value.message == "Invalid identifier or password"
    assert caught.value.status == 401

    with pytest.raises(AuthExpired):
        provider.publish(PublishRequest(text="x", idempotency_key=provider.new_idempotency_key()))


def test_the_account_password_is_not_needed(bluesky_account):
    # Keryx is given only the app password; the handle may be passed as "identifier" too.
    credentials = {
        "identifier": bluesky_account.handle,
        "app_password": bluesky_account.app_password,
        "service": bluesky_account.service,
    }
    info = BlueskyProvider(bluesky_account.context(credentials=credentials)).verify()
    assert info.handle == bluesky_account.handle


@pytest.fixture(scope="module")
def rate_limited_pds(tmp_path_factory):
    """A second PDS with the production rate limits on."""
    pds = start_pds(tmp_path_factory.mktemp("bsky-ratelimited"), rate_limits=True)
    try:
        yield pds
    finally:
        pds.close()


def test_too_many_logins_are_rate_limited_with_the_servers_retry_time(rate_limited_pds):
    account = rate_limited_pds.create_account("carol")
    # createSession allows 30 per 5 minutes per account; use them up, as a buggy client would.
    def login(_: int) -> int:
        return rate_limited_pds.xrpc_post(
            "com.atproto.server.createSession",
            {"identifier": account.handle, "password": account.app_password},
        ).status_code

    with ThreadPoolExecutor(4) as pool:  # password checks run in the PDS's thread pool
        assert list(pool.map(login, range(30))) == [200] * 30

    with pytest.raises(RateLimited) as caught:
        BlueskyProvider(account.context()).verify()
    assert caught.value.status == 429
    assert 0 < caught.value.retry_after <= 300
