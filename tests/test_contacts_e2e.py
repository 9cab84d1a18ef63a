"""End to end on the real Bluesky PDS and mastodon-mock: one post written with @{Name} and a
link goes out as a DID mention facet and a link card on Bluesky, and as @user@domain on
Mastodon. Everything is checked by reading the servers back."""

from __future__ import annotations

import html
import io
import re

import pytest
from PIL import Image

from keryx.channels.connect import connect_bluesky, connect_mastodon_token
from keryx.contacts.services import save_contact
from keryx.publishing import services
from keryx.publishing.models import PostTarget, TargetState
from tests.support.engine import run_due
from tests.support.images import png_bytes
from tests.support.webpages import Page, WebSite

pytestmark = [pytest.mark.peers]


def plain(content: str) -> str:
    content = re.sub(r"<br\s*/?>", "\n", content)
    return html.unescape(re.sub(r"<[^>]+>", "", content))


def test_a_contact_mention_and_a_link_card_reach_both_networks(
    people, bluesky_pds, bluesky_account, mastodon, settings
):
    settings.ALLOWED_PRIVATE_HOSTS = ["127.0.0.1", "localhost"]
    acme, alice = people.acme, people.alice
    bob_sky = bluesky_pds.create_account("bob")
    bob_toot = mastodon.new_account("bob")
    toot_account = mastodon.new_account("alice")
    save_contact(acme, name="Βασίλης Bob", handles={
        "bluesky": bob_sky.handle, "mastodon": f"{bob_toot.username}@mastodon.example",
    })
    sky = connect_bluesky(acme, alice, bluesky_account.handle, bluesky_account.app_password,
                          service=bluesky_pds.url, name="Sky")
    toot = connect_mastodon_token(acme, alice, mastodon.url, toot_account.access_token,
                                  name="Toot")

    with WebSite() as site:
        site.pages["/article"] = Page(
            '<html><head><meta property="og:title" content="Οδηγός για την Αθήνα">'
            '<meta property="og:description" content="Πού να φάτε, τι να δείτε.">'
            '<meta property="og:image" content="/card.png"></head><body></body></html>'
            .encode()
        )
        site.pages["/card.png"] = Page(png_bytes(1200, 630, (10, 120, 60)),
                                       headers={"Content-Type": "image/png"})
        link = f"{site.url}/article"
        text = f"Ευχαριστούμε @{{Βασίλης Bob}} 👋🏽 για τον οδηγό: {link}"
        post = services.create_post(workspace=acme, author=alice, text=text,
                                    channels=[sky, toot], actor="alice")
        assert sorted(run_due()) == ["published", "published"]
    assert set(PostTarget.objects.filter(post=post).values_list("state", flat=True)) == {
        TargetState.PUBLISHED}

    # --- Bluesky: the handle in the text, a mention facet with Bob's DID, a link card -------
    [record] = [r["value"] for r in bluesky_pds.list_records(bluesky_account.did)]
    mention = f"@{bob_sky.handle}"
    assert record["text"] == f"Ευχαριστούμε {mention} 👋🏽 για τον οδηγό: {link}"
    raw = record["text"].encode("utf-8")
    facets = {raw[f["index"]["byteStart"]:f["index"]["byteEnd"]].decode(): f["features"]
              for f in record["facets"]}
    assert facets[mention] == [{"$type": "app.bsky.richtext.facet#mention", "did": bob_sky.did}]
    assert facets[link] == [{"$type": "app.bsky.richtext.facet#link", "uri": link}]
    embed = record["embed"]
    assert embed["$type"] == "app.bsky.embed.external"
    card = embed["external"]
    assert (card["uri"], card["title"], card["description"]) == (
        link, "Οδηγός για την Αθήνα", "Πού να φάτε, τι να δείτε.")
    assert card["thumb"]["mimeType"] == "image/jpeg"
    thumb = bluesky_pds.get_blob(bluesky_account.did, card["thumb"]["ref"]["$link"])
    assert len(thumb) <= 1_000_000
    with Image.open(io.BytesIO(thumb)) as picture:
        assert picture.format == "JPEG" and picture.size == (1200, 630)

    # --- Mastodon: @user@domain in the status text, no card built by us ----------------------
    [status] = mastodon.statuses(toot_account)
    content = plain(mastodon.status(status["id"], toot_account.access_token)["content"])
    assert content == (
        f"Ευχαριστούμε @{bob_toot.username}@mastodon.example 👋🏽 για τον οδηγό: {link}"
    )
