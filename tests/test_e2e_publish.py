"""End to end: one post, written once in alice's workspace, goes out on time to a real Bluesky PDS
and to mastodon-mock through the real dispatcher. Everything is checked by reading the servers
back (their records, statuses, blobs and clocks), not our own tables; our tables are checked
only for what they promise the user (the link to each published copy)."""

from __future__ import annotations

import html
import io
import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from keryx.channels.connect import connect_bluesky, connect_mastodon_token
from keryx.publishing import services
from keryx.publishing.dispatcher import Dispatcher
from keryx.publishing.models import PostTarget, TargetEvent, TargetState

pytestmark = [pytest.mark.peers, pytest.mark.django_db(transaction=True)]

POST = "app.bsky.feed.post"
LEAD_SECONDS = 4  # how far ahead the post is scheduled
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"


def tid_time(tid: str) -> datetime:
    """The instant inside an atproto TID (53 bits of microseconds, then 10 bits of clock id).

    The PDS stamps every repo commit with a TID of its own clock (the commit's `rev`), so this
    is the server's word on when the post was written, independent of the record's createdAt
    (which the client chooses)."""
    value = 0
    for char in tid:
        value = value * 32 + _TID_ALPHABET.index(char)
    return datetime.fromtimestamp((value >> 10) / 1_000_000, UTC)


def parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@pytest.fixture
def dispatcher() -> Iterator[Dispatcher]:
    """The real dispatcher loop on a thread of this process, stopped (in-flight work finished,
    connections closed) after the test."""
    running = Dispatcher(threads=4, poll_interval=0.1, worker_id="e2e")
    thread = threading.Thread(target=running.run, name="e2e-dispatcher", daemon=True)
    thread.start()
    try:
        yield running
    finally:
        running.stop()
        thread.join(30)
        assert not thread.is_alive(), "the dispatcher did not stop"


def png_bytes() -> bytes:
    image = Image.new("RGB", (64, 48), (20, 90, 200))
    for x in range(0, 64, 8):  # a few stripes, so it is not a trivially uniform image
        for y in range(48):
            image.putpixel((x, y), (250, 250, 250))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def plain(content: str) -> str:
    """A Mastodon status's HTML as the text a reader sees (tags dropped, entities decoded)."""
    content = re.sub(r"<br\s*/?>", "\n", content)
    return html.unescape(re.sub(r"<[^>]+>", "", content))


def test_one_post_reaches_bluesky_and_mastodon_on_time_with_rich_text_and_alt_text(
    people, bluesky_pds, bluesky_account, mastodon, dispatcher, settings
):
    settings.ALLOWED_PRIVATE_HOSTS = ["127.0.0.1", "localhost"]
    acme, alice = people.acme, people.alice
    bob = bluesky_pds.create_account("bob")  # someone to mention, on the same PDS
    toot_account = mastodon.new_account("alice")

    sky = connect_bluesky(acme, alice, bluesky_account.handle, bluesky_account.app_password,
                          service=bluesky_pds.url, name="Sky")
    toot = connect_mastodon_token(acme, alice, mastodon.url, toot_account.access_token,
                                  name="Toot")

    link = "https://example.com/nea?lang=el"
    mention = f"@{bob.handle}"
    tag = "#Ελλάδα"
    text = f"Καλημέρα από την Αθήνα ☀️🇬🇷👋🏽 δείτε {link} μαζί με {mention} {tag}"
    alt = "Μπλε ορθογώνιο με λευκές ρίγες"
    image = png_bytes()
    media = services.save_media(workspace=acme, user=alice, file=io.BytesIO(image),
                                filename="ριγέ.png", alt_text=alt)

    # "A few seconds from now", typed as wall-clock time in the workspace's zone.
    zone = ZoneInfo(acme.timezone)
    local = (datetime.now(zone) + timedelta(seconds=LEAD_SECONDS + 1)).replace(microsecond=0)
    scheduled_at = services.parse_local_datetime(local.strftime("%Y-%m-%dT%H:%M:%S"),
                                                 acme.timezone)
    assert scheduled_at == local.astimezone(UTC)

    post = services.create_post(workspace=acme, author=alice, text=text, channels=[sky, toot],
                                media=[media], scheduled_at=scheduled_at, actor="alice")
    targets = {t.channel_id: t for t in post.targets.all()}
    assert {t.state for t in targets.values()} == {TargetState.SCHEDULED}

    def states() -> set[str]:
        return set(PostTarget.objects.filter(post=post).values_list("state", flat=True))

    # Nothing goes out early: until a second before the time, both stay scheduled.
    while datetime.now(UTC) < scheduled_at - timedelta(seconds=1):
        assert states() == {TargetState.SCHEDULED}, "a target left before its time"
        assert bluesky_pds.list_records(bluesky_account.did) == []
        assert mastodon.statuses(toot_account) == []
        time.sleep(0.2)

    wait_for(lambda: states() == {TargetState.PUBLISHED}, 30,
             f"both targets published (now {states()})")

    # --- Bluesky, read from the PDS ---------------------------------------------------------
    records = bluesky_pds.list_records(bluesky_account.did)
    assert len(records) == 1, records
    record = records[0]["value"]
    assert record["text"] == text
    created = parse_time(record["createdAt"])
    assert scheduled_at <= created <= scheduled_at + timedelta(seconds=15)

    raw = text.encode("utf-8")
    facets = {
        raw[f["index"]["byteStart"]:f["index"]["byteEnd"]].decode("utf-8"): f["features"]
        for f in record["facets"]
    }
    assert set(facets) == {link, mention, tag}
    assert facets[link] == [{"$type": "app.bsky.richtext.facet#link", "uri": link}]
    assert facets[mention] == [{"$type": "app.bsky.richtext.facet#mention", "did": bob.did}]
    assert facets[tag] == [{"$type": "app.bsky.richtext.facet#tag", "tag": "Ελλάδα"}]

    embed = record["embed"]
    assert embed["$type"] == "app.bsky.embed.images"
    [picture] = embed["images"]
    assert picture["alt"] == alt
    assert picture["aspectRatio"] == {"width": 64, "height": 48}
    assert picture["image"]["mimeType"] == "image/png"
    assert bluesky_pds.get_blob(bluesky_account.did, picture["image"]["ref"]["$link"]) == image

    # The PDS's own clock: the repo's latest commit is this post's, stamped after the time.
    commit = bluesky_pds.xrpc_get("com.atproto.sync.getLatestCommit", did=bluesky_account.did)
    commit.raise_for_status()
    written = tid_time(commit.json()["rev"])
    assert scheduled_at <= written <= scheduled_at + timedelta(seconds=15), written

    # --- Mastodon, read from the server ------------------------------------------------------
    statuses = mastodon.statuses(toot_account)
    assert len(statuses) == 1, statuses
    status = mastodon.status(statuses[0]["id"], toot_account.access_token)
    assert plain(status["content"]) == text
    assert f'href="{link}"' in status["content"]  # the server linked the URL
    assert [t["name"] for t in status["tags"]] == ["ελλάδα"]  # and found the hashtag
    [attachment] = status["media_attachments"]
    assert attachment["type"] == "image"
    assert attachment["description"] == alt
    stamped = parse_time(status["created_at"])
    assert scheduled_at <= stamped <= scheduled_at + timedelta(seconds=15), stamped

    # --- what Keryx shows the user ----------------------------------------------------------
    sky_target = PostTarget.objects.get(post=post, channel=sky)
    toot_target = PostTarget.objects.get(post=post, channel=toot)
    rkey = records[0]["uri"].rsplit("/", 1)[1]
    assert sky_target.remote_id == records[0]["uri"]
    assert sky_target.remote_url == (
        f"https://bsky.app/profile/{bluesky_account.handle}/post/{rkey}"
    )
    assert toot_target.remote_id == str(status["id"])
    assert toot_target.remote_url == status["url"]
    for target in (sky_target, toot_target):
        assert target.attempts == 1
        assert target.published_at is not None and target.published_at >= scheduled_at
        started = TargetEvent.objects.filter(
            target=target, to_state=TargetState.PUBLISHING
        ).order_by("at").first()
        assert started is not None and started.at >= scheduled_at
    assert services.post_state(post) == TargetState.PUBLISHED
