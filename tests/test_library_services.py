"""The media library's services against the database: uploads, tags, search, the adapted-file
cache, and what publishing sends and validates (the adapted file, with its own signed link)."""

from __future__ import annotations

import io
import subprocess
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from keryx.channels.models import Channel
from keryx.library import services
from keryx.library.models import AdaptedFile, Tag
from keryx.publishing.models import PostTarget
from keryx.publishing.services import (
    MediaRejected,
    create_post,
    request_for,
    save_media,
    validate_post,
)

pytestmark = pytest.mark.django_db


def noisy_png(width: int, height: int) -> bytes:
    base = Image.effect_noise((width, height), 80).convert("L")
    buffer = io.BytesIO()
    Image.merge("RGB", (base, base.rotate(180), base)).save(buffer, "PNG")
    return buffer.getvalue()


def upload(people, name: str, content: bytes, **kw):
    return services.upload(workspace=people.acme, user=people.alice,
                           file=SimpleUploadedFile(name, content), filename=name, **kw)


def channel(people, network: str, **settings) -> Channel:
    return Channel.objects.create(workspace=people.acme, network=network, name=network,
                                  handle="acme", settings=settings, credentials={"x": "y"})


def test_tags_search_and_workspace_scoping(people):
    beach = upload(people, "beach.png", noisy_png(40, 30), alt_text="Sunset on the beach",
                   tags="summer, Launch ,summer")
    office = upload(people, "office.png", noisy_png(40, 30), tags=["team"])
    services.upload(workspace=people.globex, user=people.bob,
                    file=SimpleUploadedFile("beach2.png", noisy_png(8, 8)), filename="beach2.png",
                    tags="summer")
    assert sorted(t.name for t in beach.library_tags.all()) == ["Launch", "summer"]
    assert list(services.search(people.acme, "sunset")) == [beach]
    assert list(services.search(people.acme, tag="SUMMER")) == [beach]
    assert list(services.search(people.acme, "team")) == [office]
    assert set(services.search(people.acme)) == {beach, office}  # never Globex's
    # Re-tagging reuses the workspace's tag whatever its case.
    services.set_tags(office, "launch")
    assert Tag.objects.filter(workspace=people.acme).count() == 3
    assert set(services.search(people.acme, tag="launch")) == {beach, office}


def test_upload_refuses_bad_files_clearly(people):
    with pytest.raises(MediaRejected, match="empty"):
        upload(people, "zero.jpg", b"")
    with pytest.raises(MediaRejected, match="not an image"):
        upload(people, "notes.jpg", b"just some text, not a picture")


def test_video_upload_and_checks_by_ffprobe(people, tmp_path):
    path = tmp_path / "clip.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=10",
                    "-t", "2", "-c:v", "mpeg4", str(path)], check=True, timeout=60)
    media = upload(people, "clip.mp4", path.read_bytes())
    assert media.mime_type == "video/mp4" and (media.width, media.height) == (320, 240)
    rows = {r["network"]: r for r in services.checks(media, ["instagram", "x", "mastodon"])}
    # 2 s is under Instagram's 3 s minimum; mpeg4 is not the H.264 X wants.
    assert any("at least 3" in p for p in rows["instagram"]["problems"])
    assert any("mpeg4" in p for p in rows["x"]["problems"])
    assert rows["mastodon"]["problems"] == [] and rows["mastodon"]["adapted"] is None


def test_adapted_file_is_cached_and_redone_when_the_focal_point_moves(people):
    media = upload(people, "wide.png", noisy_png(900, 300))
    first = services.adapt_for(media, ["instagram"])["instagram"].adapted
    again = services.adapt_for(media, ["instagram"])["instagram"].adapted
    assert first.pk == again.pk and AdaptedFile.objects.count() == 1
    assert abs(first.width / first.height - 1.91) < 0.01
    services.set_focal_point(media, 0.9, 0.5)
    moved = services.adapt_for(media, ["instagram"])["instagram"].adapted
    assert moved.pk != first.pk
    assert AdaptedFile.objects.count() == 1  # the superseded file is gone
    assert not first.file.storage.exists(first.file.name)


def test_publishing_sends_and_validates_the_adapted_file(people, client):
    # 4.5 MB of noise as PNG: over Bluesky's 2 MB, so the original would be refused.
    content = noisy_png(1500, 1000)
    assert len(content) > 2_000_000
    media = save_media(workspace=people.acme, user=people.alice,
                       file=SimpleUploadedFile("big.png", content), filename="big.png",
                       alt_text="noise")
    sky = channel(people, "bluesky")
    problems = validate_post(workspace=people.acme, text="hello", channels=[sky], media=[media])
    assert problems == {}
    post = create_post(workspace=people.acme, author=people.alice, text="hello",
                       channels=[sky], media=[media], actor="test",
                       scheduled_at=timezone.now() + timedelta(days=1))
    request = request_for(PostTarget.objects.get(post=post))
    (item,) = request.media
    adapted = AdaptedFile.objects.get(media=media, network="bluesky")
    assert item.path == adapted.file.path and item.size == adapted.size <= 2_000_000
    assert item.alt_text == "noise" and (item.width, item.height) == (adapted.width,
                                                                      adapted.height)
    # Its public link serves exactly those bytes, without login; a tampered link is 404.
    response = client.get(item.url.removeprefix("http://127.0.0.1:8000"))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == open(adapted.file.path, "rb").read()
    assert client.get(item.url.removeprefix("http://127.0.0.1:8000")[:-3] + "xx/"
                      ).status_code == 404


def test_network_without_images_gets_the_original(people):
    media = upload(people, "p.png", noisy_png(20, 20))
    outcome = services.adapt_for(media, ["youtube"])["youtube"]
    assert outcome.not_applicable and outcome.adapted is None
