"""Media through the API: upload, alt text, wrong files, scoping, use in a post."""

from __future__ import annotations

import pytest

from keryx.publishing.models import Media, PostMedia
from tests.api_support import Caller, error_of, mastodon_channel
from tests.support.images import png_bytes

pytestmark = pytest.mark.django_db


def test_upload_an_image_then_change_its_alt_text(people):
    alice = Caller(people.alice)
    response = alice.upload(people.acme.pk, "red.png", png_bytes(8, 6), alt_text="A red square")
    assert response.status_code == 201, response.content
    media = response.json()
    assert (media["mime"], media["width"], media["height"]) == ("image/png", 8, 6)
    assert media["size"] == len(png_bytes(8, 6)) and media["alt_text"] == "A red square"

    patched = alice.patch(f"/media/{media['id']}", {"alt_text": "A small red square"})
    assert patched.status_code == 200
    assert Media.objects.get(pk=media["id"]).alt_text == "A small red square"


def test_text_file_posing_as_an_image_is_422(people):
    response = Caller(people.alice).upload(people.acme.pk, "cat.jpg", b"just some words\n" * 20)
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "media_rejected"
    assert "not an image" in error["message"] and "text/plain" in error["message"]
    assert not Media.objects.exists()


def test_media_is_scoped_to_the_workspace(people):
    media_id = Caller(people.alice).upload(people.acme.pk, "a.png", png_bytes()).json()["id"]
    bob = Caller(people.bob)
    assert bob.get(f"/media/{media_id}").status_code == 404
    response = bob.patch(f"/media/{media_id}", {"alt_text": "mine now"})
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"
    assert bob.upload(people.acme.pk, "b.png", png_bytes()).status_code == 404

    mastodon_channel(people.globex, "globex-masto")
    response = bob.post("/posts", {"workspace": people.globex.pk, "text": "stolen picture",
                                   "channels": ["globex-masto"], "media": [media_id]})
    assert response.status_code == 422 and error_of(response)["code"] == "unknown_media"
    assert Media.objects.get().alt_text == ""


def test_viewer_cannot_upload(people):
    response = Caller(people.charlie).upload(people.acme.pk, "a.png", png_bytes())
    assert response.status_code == 403
    assert not Media.objects.exists()


def test_post_with_media_in_order(people):
    alice = Caller(people.alice)
    mastodon_channel(people.acme)
    first = alice.upload(people.acme.pk, "1.png", png_bytes(), "one").json()["id"]
    second = alice.upload(people.acme.pk, "2.png", png_bytes(4, 4), "two").json()["id"]
    response = alice.post("/posts", {"workspace": people.acme.pk, "text": "",
                                     "channels": ["masto"], "media": [second, first]})
    assert response.status_code == 201, response.content
    assert [m["id"] for m in response.json()["media"]] == [second, first]
    assert list(PostMedia.objects.order_by("position").values_list("media_id", flat=True)) == [
        second, first,
    ]
