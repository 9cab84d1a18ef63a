"""The Bluesky provider against a real PDS on 127.0.0.1: what it stores is read back from the
server itself, not from the provider."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from keryx.networks.base import BadContent, MediaItem, PublishRequest
from keryx.networks.bluesky import BlueskyProvider
from tests.support.images import image_item

pytestmark = pytest.mark.peers

POST = "app.bsky.feed.post"


def rkey_of(uri: str) -> str:
    return uri.rsplit("/", 1)[1]


def test_post_with_facets_and_image_is_stored_as_sent(bluesky_pds, bluesky_account, tmp_path):
    bob = bluesky_pds.create_account("bob")
    link = "https://example.com/a?b=1"
    text = (
        f"Καλημέρα κόσμε 👋🏽 δείτε {link}, ρωτήστε @{bob.handle} "
        f"(όχι τον @nobody.test) #Ελλάδα"
    )
    image = image_item(tmp_path / "pink.png", 40, 30, (200, 30, 90),
                       alt_text="Ένα ροζ ορθογώνιο")
    provider = BlueskyProvider(bluesky_account.context())
    key = provider.new_idempotency_key()
    before = datetime.now(UTC)

    result = provider.publish(PublishRequest(text=text, media=(image,), idempotency_key=key))

    assert result.remote_id == f"at://{bluesky_account.did}/{POST}/{key}"
    assert result.url == f"https://bsky.app/profile/{bluesky_account.handle}/post/{key}"
    stored = bluesky_pds.get_record(bluesky_account.did, POST, key)
    assert stored["uri"] == result.remote_id
    record = stored["value"]
    assert record["text"] == text

    created = datetime.fromisoformat(record["createdAt"].replace("Z", "+00:00"))
    assert before - timedelta(seconds=1) <= created <= datetime.now(UTC)
    assert result.published_at == created

    raw = text.encode("utf-8")
    spans = {
        raw[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode("utf-8"): f["features"][0]
        for f in record["facets"]
    }
    assert spans == {
        link: {"$type": "app.bsky.richtext.facet#link", "uri": link},
        f"@{bob.handle}": {"$type": "app.bsky.richtext.facet#mention", "did": bob.did},
        "#Ελλάδα": {"$type": "app.bsky.richtext.facet#tag", "tag": "Ελλάδα"},
    }  # "@nobody.test" does not resolve: plain text, no facet.

    embed = record["embed"]
    assert embed["$type"] == "app.bsky.embed.images"
    [stored_image] = embed["images"]
    assert stored_image["alt"] == "Ένα ροζ ορθογώνιο"
    assert stored_image["aspectRatio"] == {"width": 40, "height": 30}
    blob = stored_image["image"]
    assert (blob["mimeType"], blob["size"]) == ("image/png", image.size)
    stored_bytes = bluesky_pds.get_blob(bluesky_account.did, blob["ref"]["$link"])
    assert stored_bytes == Path(image.path).read_bytes()


def test_same_idempotency_key_publishes_once(bluesky_pds, bluesky_account):
    key = BlueskyProvider.new_idempotency_key()
    request = PublishRequest(text="Μία φορά μόνο", idempotency_key=key)
    first = BlueskyProvider(bluesky_account.context()).publish(request)
    # A retry from another process: a new provider, a new session, the same key.
    second = BlueskyProvider(bluesky_account.context()).publish(request)

    assert second.remote_id == first.remote_id
    assert second.published_at == first.published_at
    records = bluesky_pds.list_records(bluesky_account.did)
    assert [r["uri"] for r in records] == [first.remote_id]


def test_lookup_finds_a_published_post_and_nothing_for_an_unused_key(bluesky_account):
    provider = BlueskyProvider(bluesky_account.context())
    request = PublishRequest(text="βρες με", idempotency_key=provider.new_idempotency_key())
    published = provider.publish(request)

    found = provider.lookup(request)
    assert found is not None
    assert (found.remote_id, found.url) == (published.remote_id, published.url)
    unused = PublishRequest(text="βρες με", idempotency_key=provider.new_idempotency_key())
    assert provider.lookup(unused) is None


def test_delete_removes_the_record(bluesky_pds, bluesky_account):
    provider = BlueskyProvider(bluesky_account.context())
    key = provider.new_idempotency_key()
    result = provider.publish(PublishRequest(text="σβήσε με", idempotency_key=key))
    assert bluesky_pds.get_record(bluesky_account.did, POST, key) is not None

    provider.delete(result.remote_id)

    assert bluesky_pds.get_record(bluesky_account.did, POST, key) is None
    provider.delete(result.remote_id)  # deleting twice is harmless


def test_limits_match_the_server(bluesky_pds, bluesky_account):
    provider = BlueskyProvider(bluesky_account.context())
    family = "👩\u200d👩\u200d👧\u200d👦"
    for text in ("α" * 300, family * 120):  # 300 graphemes; 3000 bytes
        key = provider.new_idempotency_key()
        provider.publish(PublishRequest(text=text, idempotency_key=key))
        assert bluesky_pds.get_record(bluesky_account.did, POST, key)["value"]["text"] == text

    with pytest.raises(BadContent) as caught:
        key = provider.new_idempotency_key()
        provider.publish(PublishRequest(text="α" * 301, idempotency_key=key))
    assert [p.code for p in caught.value.problems] == ["text_too_long"]
    assert len(bluesky_pds.list_records(bluesky_account.did)) == 2


def test_a_text_file_posing_as_an_image_is_refused_before_upload(
    bluesky_pds, bluesky_account, tmp_path
):
    fake = tmp_path / "photo.png"
    fake.write_text("not an image at all\n" * 10)
    # The PDS itself would store it as an image/png blob: the provider must catch it.
    item = MediaItem(path=str(fake), mime_type="image/png", size=fake.stat().st_size, alt_text="")
    provider = BlueskyProvider(bluesky_account.context())
    key = provider.new_idempotency_key()

    with pytest.raises(BadContent) as caught:
        provider.publish(PublishRequest(text="κοίτα", media=(item,), idempotency_key=key))

    assert [p.code for p in caught.value.problems] == ["media_content"]
    assert bluesky_pds.get_record(bluesky_account.did, POST, key) is None
