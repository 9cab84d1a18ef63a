"""Posts published outside Keryx, listed from the real servers: the Bluesky PDS's own repository
(listRecords needs no AppView) and mastodon-mock's account statuses; replies left out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from keryx.analytics.collect import import_recent
from keryx.analytics.models import CollectionJob, TrackedPost
from keryx.channels.connect import connect_bluesky, connect_mastodon_token
from keryx.channels.providers import provider_for
from keryx.networks.bluesky import BlueskyProvider

pytestmark = pytest.mark.peers


def _record(pds, account, text: str, reply_to: dict | None = None) -> dict:
    record = {"$type": "app.bsky.feed.post", "text": text,
              "createdAt": datetime.now(UTC).isoformat().replace("+00:00", "Z")}
    if reply_to:
        record["reply"] = {"root": reply_to, "parent": reply_to}
    response = pds.xrpc_post("com.atproto.repo.createRecord",
                             {"repo": account.did, "collection": "app.bsky.feed.post",
                              "record": record}, account.access_jwt)
    assert response.status_code == 200, response.text
    return response.json()


def test_bluesky_lists_the_accounts_own_posts_from_its_repository(bluesky_pds, bluesky_account):
    first = _record(bluesky_pds, bluesky_account, "γραμμένο στην εφαρμογή")
    _record(bluesky_pds, bluesky_account, "μια απάντηση", {"uri": first["uri"],
                                                           "cid": first["cid"]})
    second = _record(bluesky_pds, bluesky_account, "δεύτερο")
    provider = BlueskyProvider(bluesky_account.context())
    found = provider.list_recent_posts(datetime.now(UTC) - timedelta(days=90))
    assert [p.remote_id for p in found] == [second["uri"], first["uri"]]  # newest first
    assert found[1].text == "γραμμένο στην εφαρμογή"
    rkey = first["uri"].rsplit("/", 1)[1]
    assert found[1].url == f"https://bsky.app/profile/{bluesky_account.handle}/post/{rkey}"
    assert provider.list_recent_posts(datetime.now(UTC) + timedelta(minutes=1)) == []


@pytest.mark.django_db
def test_import_tracks_posts_published_elsewhere_once(people, bluesky_pds, bluesky_account,
                                                      mastodon, settings):
    settings.ALLOWED_PRIVATE_HOSTS = ["127.0.0.1", "localhost"]
    _record(bluesky_pds, bluesky_account, "από το κινητό")
    sky = connect_bluesky(people.acme, people.alice, bluesky_account.handle,
                          bluesky_account.app_password, service=bluesky_pds.url, name="Sky")
    account = mastodon.new_account("import")
    mastodon.api("POST", "/api/v1/statuses", account.access_token,
                 data={"status": "γραμμένο στον διακομιστή"}).raise_for_status()
    toot = connect_mastodon_token(people.acme, people.alice, mastodon.url,
                                  account.access_token, name="Toot")
    now = datetime.now(UTC)
    for channel in (sky, toot):
        assert import_recent(provider_for(channel), channel, now) == 1
        assert import_recent(provider_for(channel), channel, now) == 0  # once only
    imported = TrackedPost.objects.filter(imported=True).order_by("channel__name")
    assert [(t.channel.name, t.text, t.target) for t in imported] == [
        ("Sky", "από το κινητό", None), ("Toot", "γραμμένο στον διακομιστή", None)]
    assert CollectionJob.objects.filter(tracked__in=imported).count() == 2
