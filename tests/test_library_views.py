"""The media library pages: multi-file upload (one bad file never loses the others), roles,
workspace scoping, the per-network table and downloading the exact adapted file."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from keryx.library import services
from keryx.library.models import AdaptedFile, FocalPoint
from tests.fixtures.people import PASSWORD
from tests.support.images import png_bytes
from tests.support.web import signed_in

pytestmark = pytest.mark.django_db

RED_PNG = png_bytes(60, 40, "red")


def test_upload_several_files_one_bad(client, people):
    signed_in(people.alice, client=client, password=PASSWORD)
    response = client.post("/library/upload/", {
        "files": [SimpleUploadedFile("a.png", RED_PNG), SimpleUploadedFile("b.txt", b"hello"),
                  SimpleUploadedFile("c.png", png_bytes(60, 40, "blue"))],
        "tags": "spring",
    }, headers={"Accept": "application/json"})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["ok"] for r in results] == [True, False, True]
    assert "not an image" in results[1]["error"]
    media = list(services.search(people.acme, tag="spring"))
    assert sorted(m.original_name for m in media) == ["a.png", "c.png"]
    page = client.get("/library/?q=c.png").content.decode()
    assert "c.png" in page and "a.png" not in page


def test_viewer_cannot_upload_and_other_workspaces_are_404(client, people):
    mine = services.upload(workspace=people.globex, user=people.bob,
                           file=SimpleUploadedFile("g.png", RED_PNG), filename="g.png")
    signed_in(people.charlie, client=client, password=PASSWORD)  # a viewer in Acme
    response = client.post("/library/upload/", {"files": [SimpleUploadedFile("a.png", RED_PNG)]})
    assert response.status_code == 403
    signed_in(people.alice, client=client, password=PASSWORD)
    assert client.get(f"/library/{mine.pk}/").status_code == 404
    assert client.get(f"/library/{mine.pk}/adapted/x/").status_code == 404


def test_detail_saves_alt_tags_focal_and_shows_each_networks_file(client, people):
    media = services.upload(workspace=people.acme, user=people.alice,
                            file=SimpleUploadedFile("wide.png", png_bytes(900, 300, "red")),
                            filename="wide.png")
    signed_in(people.alice, client=client, password=PASSWORD)
    response = client.post(f"/library/{media.pk}/", {
        "alt_text": "A wide red banner", "tags": "banner, red", "focal_x": "0.8",
        "focal_y": "0.4"})
    assert response.status_code == 302
    media.refresh_from_db()
    assert media.alt_text == "A wide red banner"
    assert (FocalPoint.objects.get(media=media).x, FocalPoint.objects.get(media=media).y) == (
        0.8, 0.4)
    page = client.get(f"/library/{media.pk}/").content.decode()
    assert 'data-network="instagram"' in page and "573" in page  # cropped to 573×300 (1.91:1)
    response = client.get(f"/library/{media.pk}/adapted/instagram/?download=1")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert "attachment" in response["Content-Disposition"]
    adapted = AdaptedFile.objects.get(media=media, network="instagram")
    assert b"".join(response.streaming_content) == open(adapted.file.path, "rb").read()


def test_guide_lists_sizes_per_platform(client, people):
    signed_in(people.alice, client=client, password=PASSWORD)
    page = client.get("/library/guide/").content.decode()
    assert "Instagram" in page and "1080×1350" in page


def test_use_in_a_new_post_preloads_the_composer(client, people):
    media = services.upload(workspace=people.acme, user=people.alice,
                            file=SimpleUploadedFile("p.png", RED_PNG), filename="p.png")
    other = services.upload(workspace=people.globex, user=people.bob,
                            file=SimpleUploadedFile("q.png", RED_PNG), filename="q.png")
    signed_in(people.alice, client=client, password=PASSWORD)
    page = client.get(f"/posts/new/?media={media.pk}&media={other.pk}").content.decode()
    assert f'name="media_id" value="{media.pk}"' in page
    assert f'name="media_id" value="{other.pk}"' not in page
