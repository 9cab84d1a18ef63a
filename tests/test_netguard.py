from __future__ import annotations

import pytest

from keryx.networks.netguard import BlockedAddress, check_url


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:5432/", "http://localhost/", "http://10.1.2.3/", "http://169.254.169.254/",
     "http://[::1]/", "file:///etc/passwd", "gopher://example.com/"],
)
def test_private_and_odd_urls_are_refused(url):
    with pytest.raises(BlockedAddress):
        check_url(url)


def test_loopback_allowed_when_listed():
    check_url("http://127.0.0.1:9999/", allow=["127.0.0.1"])
    check_url("http://localhost:9999/", allow=["127.0.0.0/8", "::1"])
