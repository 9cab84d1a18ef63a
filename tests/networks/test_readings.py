"""The shared pieces of the metric readers: counts stay None when the network gives none, and a
refused read is reclassified for analytics (a permission to grant, a deleted post)."""

from __future__ import annotations

import pytest

from keryx.networks.base import (
    AuthExpired,
    BadContent,
    Disconnected,
    MissingPermission,
    RateLimited,
    Transient,
)
from keryx.networks.community import PostGone
from keryx.networks.readings import count, read, total, translate


@pytest.mark.parametrize(("value", "expected"), [
    (5, 5), ("1523", 1523), (" 7 ", 7), (3.0, 3), (0, 0),
    (None, None), (True, None), ("", None), ("n/a", None), ("-1", None), ({}, None)])
def test_count_is_none_unless_the_network_gave_a_number(value, expected) -> None:
    assert count(value) == expected


def test_total_adds_what_was_given_and_is_none_when_nothing_was() -> None:
    assert total(1, None, 2) == 3
    assert total(None, None) is None
    assert total(0) == 0


def kw(**more):
    return {"network": "Net", "permission": "read:posts", "what": "the post", **more}


def test_403_of_any_kind_names_the_permission() -> None:
    for exc in (AuthExpired("no", status=403), Disconnected("no", status=403),
                BadContent("no", status=403)):
        result = translate(exc, **kw())
        assert isinstance(result, MissingPermission) and result.permission == "read:posts"
        assert "read:posts" in result.message and "no" in result.message


def test_404_on_a_post_is_gone_but_not_on_an_account_read() -> None:
    assert isinstance(translate(Disconnected("x", status=404), **kw(remote_id="1")), PostGone)
    exc = Disconnected("x", status=404)
    assert translate(exc, **kw()) is exc


def test_other_errors_pass_through_unchanged() -> None:
    for exc in (RateLimited("slow", retry_after=5), Transient("down", status=503),
                AuthExpired("expired", status=401)):
        assert translate(exc, **kw(remote_id="1")) is exc


def test_read_returns_gone_and_raises_the_translated_error() -> None:
    def gone():
        raise BadContent("deleted", status=410)

    def denied():
        raise AuthExpired("scope", status=403)

    assert isinstance(read(gone, **kw(remote_id="1")), PostGone)
    with pytest.raises(MissingPermission):
        read(denied, **kw(remote_id="1"))
    assert read(lambda: {"ok": 1}, **kw()) == {"ok": 1}
