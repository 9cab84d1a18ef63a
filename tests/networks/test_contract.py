"""The shared provider contract suite, run against every kit in tests/networks/kits/.

Each network passes the same checks: connect (verify), validate, publish text + image, the four
failure classes, token refresh (OAuth networks), reconciliation by lookup. See
tests/networks/contract.py for what a kit provides. Mastodon and Bluesky are covered against
their real servers instead (tests/test_mastodon_*.py, tests/test_bluesky_*.py).
"""

from __future__ import annotations

import re

import pytest
import respx

from keryx.networks import registry
from keryx.networks.base import (
    AccountInfo,
    AuthExpired,
    BadContent,
    CannotReconcile,
    OutcomeUnknown,
    PublishResult,
    RateLimited,
    TokenSet,
    Transient,
)
from tests.networks import contract
from tests.networks.kits import kit_names, load_kits

KITS = load_kits()
IDS = [kit.network for kit in KITS]

each_kit = pytest.mark.parametrize("kit", KITS, ids=IDS)


def mocked() -> respx.MockRouter:
    # Every request must hit a route the kit declared; unused routes are fine.
    return respx.mock(assert_all_called=False, assert_all_mocked=True)


def assert_own_message(exc: Exception) -> None:
    """The network's words reach the user, not a generic placeholder."""
    message = getattr(exc, "message", "")
    assert message.strip(), f"{type(exc).__name__} without a message"
    assert "an error occurred" not in message.lower()


@each_kit
def test_declares_itself(kit) -> None:
    cls = contract.provider_class(kit)
    assert cls.network == kit.network
    assert cls.display_name
    assert cls.capabilities.text_limit > 0
    if contract.is_oauth(kit):
        assert cls.default_api_base.startswith("https://")
        assert cls.default_oauth_base.startswith("https://")
        assert cls.oauth.scopes, "an OAuth network must ask for scopes"
    for field in getattr(cls, "connect_fields", ()):
        assert field.store in {"credentials", "settings"}
        assert re.fullmatch(r"[a-z][a-z0-9_]*", field.name), field.name
    if getattr(kit, "provider_class", None) is None:
        assert kit.network in registry.PROVIDERS


@each_kit
def test_validate(kit, tmp_path) -> None:
    provider = contract.build_provider(kit)
    ok = contract.publish_request(kit, tmp_path)
    assert provider.validate(ok) == [], "text_ok with the kit's media must validate"
    too_long = contract.publish_request(kit, tmp_path, text=kit.text_too_long)
    problems = provider.validate(too_long)
    assert problems, "text_too_long must be refused before anything is sent"
    assert all(p.code and p.message for p in problems)


@each_kit
def test_verify(kit) -> None:
    with mocked() as router:
        kit.route_verify(router)
        info = contract.build_provider(kit).verify()
    assert isinstance(info, AccountInfo)
    assert info.remote_id
    assert info.handle or info.display_name


@each_kit
def test_publish_text_and_image(kit, tmp_path) -> None:
    with mocked() as router:
        kit.route_publish(router)
        result = contract.build_provider(kit).publish(contract.publish_request(kit, tmp_path))
        assert router.calls.call_count >= 1
    assert isinstance(result, PublishResult)
    assert result.remote_id
    assert result.url.startswith("https://")


@each_kit
@pytest.mark.parametrize("kind", contract.ERROR_KINDS)
def test_publish_failure_classes(kit, kind, tmp_path) -> None:
    expected = {
        "auth": AuthExpired,
        "rate_limit": RateLimited,
        "server": (Transient, OutcomeUnknown),
        "bad_content": BadContent,
    }[kind]
    with mocked() as router:
        kit.route_publish_error(router, kind)
        with pytest.raises(expected) as caught:
            contract.build_provider(kit).publish(contract.publish_request(kit, tmp_path))
    if kind == "rate_limit":
        assert caught.value.retry_after is not None, "read the wait from the network's headers"
        assert caught.value.retry_after >= 0
    if kind == "server":
        # A 5xx is never taken for a refusal of the content or the token.
        assert not isinstance(caught.value, (BadContent, AuthExpired))
    else:
        assert_own_message(caught.value)


@each_kit
def test_refresh(kit) -> None:
    if not contract.is_oauth(kit):
        # Token, bot and webhook networks have nothing to refresh, and say so.
        assert getattr(contract.provider_class(kit), "oauth", None) is None
        return
    credentials = kit.credentials()
    assert credentials.get("refresh_token"), "an OAuth kit's credentials hold a refresh token"
    with mocked() as router:
        kit.route_refresh(router)
        tokens = contract.build_provider(kit).refresh()
    assert isinstance(tokens, TokenSet)
    assert tokens.access_token
    # Rotated or kept: a refresh never loses the refresh token.
    assert tokens.refresh_token
    refused = getattr(kit, "route_refresh_refused", None)
    if refused is not None:
        with mocked() as router:
            refused(router)
            with pytest.raises(AuthExpired) as caught:
                contract.build_provider(kit).refresh()
        assert_own_message(caught.value)


@each_kit
@pytest.mark.parametrize("found", [True, False], ids=["found", "absent"])
def test_lookup(kit, found, tmp_path) -> None:
    request = contract.publish_request(kit, tmp_path)
    if getattr(kit, "reconcile", "lookup") == "manual":
        # The network cannot read posts back (Telegram bots, Discord webhooks): lookup says so
        # with CannotReconcile, sending nothing, and the engine leaves the check to the user.
        with mocked():
            with pytest.raises(CannotReconcile) as caught:
                contract.build_provider(kit).lookup(request)
        assert_own_message(caught.value)
        return
    with mocked() as router:
        kit.route_lookup(router, found)
        result = contract.build_provider(kit).lookup(request)
    if found:
        assert isinstance(result, PublishResult)
        assert result.remote_id
    else:
        assert result is None


def test_every_registered_network_has_a_kit() -> None:
    # A network registered without a kit would silently stay out of the suite.
    missing = set(registry.PROVIDERS) - set(kit_names()) - contract.REAL_SERVER_NETWORKS
    assert not missing, f"networks without a contract kit: {sorted(missing)}"
