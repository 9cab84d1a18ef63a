"""`--network` gives the channel path's verdict: media are adapted for the network first, as a
target on a channel of that network adapts them, so a user is never refused what Keryx would fix
when it sends (a PNG for Instagram goes out as JPEG). The CLI and POST /api/v1/validate alike."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from PIL import Image

from keryx.channels.models import Channel
from tests.api_support import Caller
from tests.support.images import png_bytes


def run(*args: str) -> tuple[int, dict]:
    out = io.StringIO()
    try:
        call_command("validate", *args, "--json", stdout=out)
    except SystemExit as exc:
        return int(exc.code or 0), json.loads(out.getvalue())
    return 0, json.loads(out.getvalue())


def verdicts(result: dict) -> dict[str, tuple[bool, list[str]]]:
    return {row["network"]: (row["valid"], [p["code"] for p in row["problems"]])
            for row in result["channels"]}


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "photo.png"
    path.write_bytes(png_bytes(800, 800))
    return path


@pytest.fixture
def instagram(people):
    return Channel.objects.create(
        workspace=people.acme, network="instagram", name="gram", handle="gram",
        credentials={"access_token": "secret"}, settings={"ig_user_id": "1"},
    )


def test_cli_network_adapts_a_png_for_instagram_as_sending_would(photo):
    code, result = run("Hi", "--network", "instagram", "--media", str(photo))
    assert code == 0, result
    assert verdicts(result) == {"instagram": (True, [])}


def test_cli_network_still_refuses_what_no_adaptation_fixes(tmp_path):
    # YouTube takes no images at all: no adapter output, the provider's own refusal stays.
    path = tmp_path / "photo.png"
    path.write_bytes(png_bytes(800, 800))
    code, result = run("Hi", "--network", "youtube", "--media", str(path))
    assert code == 1 and not verdicts(result)["youtube"][0]


def test_cli_adaptation_fixes_geometry_too(tmp_path):
    # 3:1 is outside Instagram's 4:5 .. 1.91:1; the adapter crops it, as when sending.
    path = tmp_path / "wide.jpg"
    Image.new("RGB", (1500, 500), (10, 120, 200)).save(path, format="JPEG")
    code, result = run("Hi", "--network", "instagram", "--media", str(path))
    assert code == 0, result


@pytest.mark.django_db
def test_cli_network_and_channel_give_the_same_verdict(people, instagram, photo):
    by_network = run("Hi", "--network", "instagram", "--media", str(photo))
    by_channel = run("Hi", "--to", "gram", "--media", str(photo), "--user", people.alice.email)
    assert by_network[0] == by_channel[0] == 0
    assert verdicts(by_network[1])["instagram"] == verdicts(by_channel[1])["instagram"]


@pytest.mark.django_db
def test_api_networks_adapt_media_like_the_channel_path(people, instagram):
    alice = Caller(people.alice)
    uploaded = alice.upload(people.acme.pk, "photo.png", png_bytes(800, 800))
    assert uploaded.status_code == 201, uploaded.content
    media_id = uploaded.json()["id"]
    body = {"workspace": people.acme.pk, "text": "Hi", "media": [media_id]}
    by_network = alice.post("/validate", {**body, "networks": ["instagram", "youtube"]})
    assert by_network.status_code == 200, by_network.content
    result = by_network.json()
    assert verdicts(result)["instagram"] == (True, [])
    assert verdicts(result)["youtube"][0] is False
    assert {p["channel"] for p in result["problems"]} == {"youtube"}
    by_channel = alice.post("/validate", {**body, "channels": ["gram"]}).json()
    assert by_channel["valid"] is True and by_channel["channels"][0]["valid"] is True


@pytest.mark.django_db
def test_api_unknown_network_is_a_clear_error(people):
    response = Caller(people.alice).post(
        "/validate", {"workspace": people.acme.pk, "text": "Hi", "networks": ["myspace"]})
    assert response.status_code == 422
    assert "myspace" in response.json()["error"]["message"]
