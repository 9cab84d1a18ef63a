"""Signed public links to media, for networks that download files themselves."""

from __future__ import annotations

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from keryx.library import public
from keryx.library.services import item_for
from keryx.publishing.services import media_item, save_media
from tests.support.images import png_bytes


@pytest.fixture
def media(people):
    return save_media(
        workspace=people.acme, user=people.alice,
        file=SimpleUploadedFile("p.png", png_bytes(4, 3, "red")), filename="p.png", alt_text="red",
    )


@pytest.mark.django_db
def test_signed_link_serves_the_file_without_login(client, media):
    url = media_item(media).url
    assert url.startswith("http://127.0.0.1:8000/m/")
    response = client.get(url.removeprefix("http://127.0.0.1:8000"))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == png_bytes(4, 3, "red")


@pytest.mark.django_db
def test_tampered_link_is_refused(client, media):
    path = public.public_media_url(media).removeprefix("http://127.0.0.1:8000")
    token = path.split("/")[2]
    forged = token.replace(token[2], "9" if token[2] != "9" else "8", 1)
    assert client.get(f"/m/{forged}/").status_code == 404


@pytest.mark.django_db
def test_expired_link_is_refused(client, media, monkeypatch):
    path = public.public_media_url(media).removeprefix("http://127.0.0.1:8000")
    later = time.time() + public.MAX_AGE_SECONDS + 60
    monkeypatch.setattr("django.core.signing.time.time", lambda: later)
    assert client.get(path).status_code == 404


@pytest.mark.django_db
def test_an_adapted_file_has_its_own_link_that_cannot_be_replayed_as_an_upload(client, media):
    url = item_for(media, "instagram").url  # a PNG: Instagram gets a JPEG made from it
    assert url.startswith("http://127.0.0.1:8000/library/public/")
    path = url.removeprefix("http://127.0.0.1:8000")
    response = client.get(path)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    token = path.rstrip("/").rsplit("/", 1)[1]
    assert client.get(f"/m/{token}/").status_code == 404
    upload = public.public_media_url(media).removeprefix("http://127.0.0.1:8000")
    assert client.get(f"/library/public/{upload.split('/')[2]}/").status_code == 404
