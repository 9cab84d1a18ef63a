"""Share links: the read-only report and its PDF open signed out, a revoked, expired or
unknown link answers 404, a link shows only its own workspace's figures for its fixed period
and filters, and only the token's hash is stored."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pypdfium2 as pdfium
import pytest
from django.test import Client
from django.utils import timezone

from keryx.analytics.reports import sharing
from keryx.analytics.reports.models import ShareLink
from keryx.channels.models import Channel
from keryx.planner.models import Campaign
from tests.support.analytics_data import followers, measured

NOW = timezone.now().replace(microsecond=0)


@pytest.fixture
def channels(people):
    toot = Channel.objects.create(workspace=people.acme, network="mastodon", name="Toot")
    sky = Channel.objects.create(workspace=people.acme, network="bluesky", name="Sky")
    followers(toot, NOW - timedelta(days=9), 100)
    measured(toot, "1", NOW - timedelta(days=5), 100, text="Καλημέρα από το Toot",
             likes=4, comments=1, shares=0)
    measured(sky, "2", NOW - timedelta(days=4), 50, text="Sky only text", likes=2)
    measured(toot, "old", NOW - timedelta(days=60), 90, text="Far too old", likes=2)
    other = Channel.objects.create(workspace=people.globex, network="mastodon", name="Other")
    measured(other, "x", NOW - timedelta(days=3), 10, text="Globex secret", likes=9)
    return toot, sky


def make(people, channels, **extra):
    toot, _sky = channels
    return sharing.issue(people.acme, name="Για τον πελάτη",
                         first_day=(NOW - timedelta(days=10)).date(), last_day=NOW.date(),
                         channels=[toot], language="el", user=people.alice, **extra)


def test_the_link_works_signed_out_and_404_after_revoke(people, channels):
    link, token = make(people, channels)
    anonymous = Client()
    page = anonymous.get(f"/analytics/shared/{token}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Καλημέρα από το Toot" in html
    assert "Sky only text" not in html  # the link's channel filter
    assert "Far too old" not in html  # the link's fixed period
    assert "Globex secret" not in html
    assert "Έκθεση αναλυτικών στοιχείων" in html  # in the link's language
    assert page["X-Robots-Tag"] == "noindex, nofollow"
    pdf = anonymous.get(f"/analytics/shared/{token}/report.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = "\n".join(p.get_textpage().get_text_range() for p in pdfium.PdfDocument(pdf.content))
    assert "Καλημέρα από το Toot" in text and "Sky only text" not in text
    assert sharing.revoke(people.acme, link.pk)
    assert anonymous.get(f"/analytics/shared/{token}/").status_code == 404
    assert anonymous.get(f"/analytics/shared/{token}/report.pdf").status_code == 404


def test_unknown_expired_and_other_workspaces_links(people, channels):
    link, token = make(people, channels, expires_at=NOW + timedelta(days=1))
    anonymous = Client()
    assert anonymous.get(f"/analytics/shared/{token}x/").status_code == 404
    assert anonymous.get(f"/analytics/shared/{'a' * 150}/").status_code == 404
    assert sharing.resolve(token, now=NOW + timedelta(days=2)) is None  # expired
    ShareLink.objects.filter(pk=link.pk).update(expires_at=NOW - timedelta(seconds=1))
    assert anonymous.get(f"/analytics/shared/{token}/").status_code == 404
    # Another workspace cannot revoke Acme's link, and Acme's link never names Globex's things.
    fresh, fresh_token = make(people, channels)
    assert not sharing.revoke(people.globex, fresh.pk)
    assert sharing.resolve(fresh_token) is not None
    other = Channel.objects.get(name="Other")
    with pytest.raises(ValueError, match="another workspace"):
        sharing.issue(people.acme, name="x", first_day=NOW.date(), last_day=NOW.date(),
                      channels=[other])
    with pytest.raises(ValueError, match="another workspace"):
        sharing.issue(people.acme, name="x", first_day=NOW.date(), last_day=NOW.date(),
                      campaign=Campaign.objects.create(workspace=people.globex, name="G"))


def test_only_the_hash_is_stored(people, channels):
    link, token = make(people, channels)
    assert len(token) >= 43
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(ShareLink.objects.filter(pk=link.pk).values().get())


def test_made_listed_and_revoked_in_the_ui(people, channels, client):
    toot, _sky = channels
    client.force_login(people.alice)
    made = client.post("/analytics/reports/links/new/", {
        "name": "Πελάτης", "first_day": (NOW - timedelta(days=10)).date().isoformat(),
        "last_day": NOW.date().isoformat(), "channels": [toot.pk], "language": "en"})
    assert made.status_code == 200
    html = made.content.decode()
    url = re.search(r'value="(http://testserver/analytics/shared/[^"]+/)"', html).group(1)
    assert Client().get(url).status_code == 200
    link = ShareLink.objects.get(workspace=people.acme)
    listed = client.get("/analytics/reports/").content.decode()
    assert "Πελάτης" in listed and url not in listed  # shown once only
    bad = client.post("/analytics/reports/links/new/", {
        "name": "x", "first_day": "2026-03-10", "last_day": "2026-03-01", "language": "en"})
    assert "The period starts after it ends." in bad.content.decode()
    client.force_login(people.bob)  # Globex's owner
    assert client.post(f"/analytics/reports/links/{link.pk}/revoke/").status_code == 404
    assert Client().get(url).status_code == 200
    client.force_login(people.charlie)  # Acme's viewer
    assert client.post(f"/analytics/reports/links/{link.pk}/revoke/").status_code == 403
    client.force_login(people.alice)
    assert client.post(f"/analytics/reports/links/{link.pk}/revoke/").status_code == 302
    assert Client().get(url).status_code == 404
    assert "Revoked" in client.get("/analytics/reports/").content.decode()


def test_a_link_whose_channels_were_deleted_is_not_widened_to_all(people, channels):
    toot, _sky = channels
    _link, token = make(people, channels)
    toot.delete()
    assert Client().get(f"/analytics/shared/{token}/").status_code == 404
