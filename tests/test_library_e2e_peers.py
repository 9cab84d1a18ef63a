"""End to end on the real Bluesky PDS and mastodon-mock: a 12-megapixel-class photo with GPS in
its EXIF, too big for Bluesky's 2 MB, goes out as each network's adapted file. Checked by
reading the blob back from the PDS: byte for byte the file the library shows for Bluesky,
under the cap, upright, with no EXIF."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from keryx.channels.connect import connect_bluesky, connect_mastodon_token
from keryx.library.models import AdaptedFile
from keryx.publishing import services
from keryx.publishing.models import PostTarget, TargetState
from tests.test_e2e_publish import dispatcher, wait_for  # noqa: F401 (fixture)

pytestmark = [pytest.mark.peers, pytest.mark.django_db(transaction=True)]


def photo_with_gps() -> bytes:
    noise = Image.effect_noise((2400, 1800), 60).convert("L")
    image = Image.merge("RGB", (noise, noise.rotate(180), noise.transpose(
        Image.Transpose.FLIP_LEFT_RIGHT)))
    exif = Image.Exif()
    exif[0x0112] = 6  # shown rotated: 1800 wide, 2400 high
    exif[0x8825] = {1: "N", 2: (37.0, 58.0, 12.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95, exif=exif.tobytes())
    return out.getvalue()


def test_each_network_receives_its_adapted_file(people, bluesky_pds, bluesky_account, mastodon,
                                                dispatcher, settings):  # noqa: F811
    settings.ALLOWED_PRIVATE_HOSTS = ["127.0.0.1", "localhost"]
    acme, alice = people.acme, people.alice
    toot_account = mastodon.new_account("alice")
    sky = connect_bluesky(acme, alice, bluesky_account.handle, bluesky_account.app_password,
                          service=bluesky_pds.url, name="Sky")
    toot = connect_mastodon_token(acme, alice, mastodon.url, toot_account.access_token,
                                  name="Toot")
    original = photo_with_gps()
    assert len(original) > 2_000_000
    media = services.save_media(workspace=acme, user=alice, file=io.BytesIO(original),
                                filename="holiday.jpg", alt_text="Noise, upright")
    post = services.create_post(workspace=acme, author=alice, text="Holiday photo",
                                channels=[sky, toot], media=[media], scheduled_at=None,
                                actor="alice")

    def states() -> set[str]:
        return set(PostTarget.objects.filter(post=post).values_list("state", flat=True))

    wait_for(lambda: states() == {TargetState.PUBLISHED}, 60, f"published (now {states()})")

    [record] = bluesky_pds.list_records(bluesky_account.did)
    [image] = record["value"]["embed"]["images"]
    blob = bluesky_pds.get_blob(bluesky_account.did, image["image"]["ref"]["$link"])
    adapted = AdaptedFile.objects.get(media=media, network="bluesky")
    assert blob == open(adapted.file.path, "rb").read()
    assert len(blob) <= 2_000_000
    sent = Image.open(io.BytesIO(blob))
    assert sent.size == (1800, 2400) and len(sent.getexif()) == 0
    assert image["alt"] == "Noise, upright"
    assert image["aspectRatio"] == {"width": 1800, "height": 2400}

    [status] = mastodon.statuses(toot_account)
    [attachment] = status["media_attachments"]
    assert attachment["type"] == "image" and attachment["description"] == "Noise, upright"
    assert AdaptedFile.objects.filter(media=media, network="mastodon").exists()
