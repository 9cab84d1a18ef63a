"""Adding a network touches keryx/networks/ only: a fifteenth provider kept in the test suite
(tests/support/fifteenth.py), registered for each test, flows through the composer's counting,
preview, thread split and verdicts, the library's image spec, video rules and adapter, the
contacts' mention syntax and hashtag advice, and the connect form, CLI and API, with nothing
outside it naming the network. A last test keeps the apps free of network names."""

from __future__ import annotations

import ast
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from PIL import Image

from keryx.channels.connect import connect_with_credentials
from keryx.channels.errors import ChannelError
from keryx.channels.models import Channel
from keryx.composer import previews
from keryx.composer.services import check, check_networks, media_from_path, text_report
from keryx.composer.variants import apply_variant
from keryx.contacts import hashtags
from keryx.contacts.services import (
    ContactRejected,
    expand_for,
    handle_networks,
    normalise_handle,
    save_contact,
)
from keryx.library.specs import spec_for
from keryx.networks import counting, registry
from keryx.networks.base import PublishRequest
from tests.support.fifteenth import CAPTION_LIMIT, TEXT_LIMIT, AgoraProvider

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def agora():
    with registry.registered("agora", AgoraProvider) as provider:
        yield provider


def test_registration_is_for_the_test_only():
    assert "agora" in registry.names() and registry.display_name("agora") == "Agora"
    with pytest.raises(ValueError, match="already registered"):
        with registry.registered("agora", AgoraProvider):
            pass
    assert "agora" not in registry.PROVIDERS


def test_counting_reads_the_declared_rule():
    [plain] = counting.measures("é" * (TEXT_LIMIT + 5), "agora")
    assert (plain.unit, plain.count, plain.limit, plain.over_by) == (
        "characters", TEXT_LIMIT + 5, TEXT_LIMIT, 5)
    assert plain.overflow_at == TEXT_LIMIT
    [captioned] = counting.measures("hi", "agora", media_kinds=["image"])
    assert captioned.limit == CAPTION_LIMIT
    [own] = counting.measures("hi", "agora", {"max_chars": 10})
    assert own.limit == 10


def test_composer_report_preview_split_and_link():
    text = ("A sentence that is long enough. " * 8).strip() + " https://example.org/a/long/path"
    report = text_report("agora", {}, text=text, split=True)
    assert report["supports_thread"] is True and report["fits"] is False
    assert all(counting.fits(part, "agora") for part in report["suggested_thread"])
    assert report["preview"]["name"] == "Agora" and report["preview"]["fold_at"] == 40
    link = next(s for s in previews.segments(text, "agora") if s["kind"] == "link")
    assert link["text"] == "example.org/a/l…" and len(link["text"]) == 16
    # A variant's link goes into the declared option, not the text.
    request = apply_variant(PublishRequest(text="Hi"), {"link": "https://example.org"},
                            "agora", lambda m: m)
    assert request.text == "Hi" and request.options["link"] == "https://example.org"


def test_verdicts_after_the_same_adaptation_as_sending(tmp_path):
    path = tmp_path / "big.png"
    Image.new("RGB", (1600, 1200), (20, 160, 90)).save(path, format="PNG")
    result = check_networks(["agora"], text="Hello", media=[media_from_path(str(path))])
    assert result["valid"] is True, result["problems"]
    too_long = check_networks(["agora"], text="x" * (CAPTION_LIMIT + 1),
                              media=[media_from_path(str(path))])
    assert [p["code"] for p in too_long["problems"]] == ["text_too_long"]


def test_library_spec_from_the_declared_geometry():
    spec = spec_for("agora")
    assert spec is not None
    assert (spec.types, spec.max_bytes, spec.max_side, spec.min_aspect, spec.max_aspect) == (
        frozenset({"image/jpeg"}), 1_000_000, 640, 0.5, 2.0)
    assert AgoraProvider.capabilities.media.video.max_seconds == 30


@pytest.mark.django_db
def test_mentions_handles_and_hashtag_advice(people):
    assert "agora" in handle_networks()
    assert normalise_handle("agora", "~Alice") == "alice"
    with pytest.raises(ContactRejected, match="2-20 letters"):
        normalise_handle("agora", "~a")
    save_contact(people.acme, name="Alice", handles={"agora": "~alice"})
    assert expand_for(people.acme, "Hi @{Alice}", "agora").text == "Hi ~alice"
    [advice] = hashtags.advice("#a #b #c", "agora")
    assert advice.params["limit"] == 2 and "Agora" in advice.message


@pytest.mark.django_db
def test_connect_api_cli_and_form(people, client):
    channel = connect_with_credentials(people.acme, people.alice, "agora",
                                       {"room": " Lobby ", "access_token": "t"})
    assert (channel.network, channel.settings["room"], channel.handle) == (
        "agora", "lobby", "~lobby")
    with pytest.raises(ChannelError, match="one word"):
        connect_with_credentials(people.acme, people.alice, "agora",
                                 {"room": "two words", "access_token": "t"})
    out = io.StringIO()
    call_command("channels", "add", "agora", "--room", "hall", "--access-token", "t",
                 "--name", "Hall", "--user", people.alice.email, stdout=out)
    assert "Connected Hall (agora" in out.getvalue()
    client.force_login(people.alice)
    page = client.get("/channels/connect/agora/").content.decode()
    assert "Room" in page and "the room to post in" in page
    response = client.post("/channels/connect/agora/", {
        "method": "credentials", "creds-room": "patio", "creds-access_token": "t",
        "creds-name": "Patio"})
    assert response.status_code == 302, response.content.decode()
    assert Channel.objects.get(name="Patio").settings["room"] == "patio"


@pytest.mark.django_db
def test_a_channel_of_it_is_checked_by_the_schedulers_code(people):
    channel = Channel.objects.create(workspace=people.acme, network="agora", name="Lobby",
                                     handle="~lobby", credentials={"access_token": "t"},
                                     settings={"room": "lobby", "max_chars": 20})
    result = check(workspace=people.acme, text="x" * 25, channels=[channel])
    [row] = result["channels"]
    assert row["measures"][0]["limit"] == 20 and row["fits"] is False


# Apps that must read every network rule through the registry: no network named in their code.
DECLARATION_READERS = [
    "keryx/composer", "keryx/contacts", "keryx/library/specs.py", "keryx/library/services.py",
    "keryx/channels/management/commands/channels.py",
]


def _network_names(path: Path, known: set[str]) -> set[str]:
    """Network names written in a module: any string constant naming one, except "x" outside
    a comparison (it is also a coordinate)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    compared = {id(node) for cmp in ast.walk(tree) if isinstance(cmp, ast.Compare)
                for node in ast.walk(cmp)}
    return {node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and node.value in known
            and (len(node.value) > 1 or id(node) in compared)}


def test_apps_name_no_network():
    known = set(registry.PROVIDERS)
    files = []
    for entry in DECLARATION_READERS:
        path = ROOT / entry
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    found = {f"{file.relative_to(ROOT)}: {name}" for file in files
             if "migrations" not in file.parts for name in _network_names(file, known)}
    assert not found, "network rules belong to the providers' declarations: " + ", ".join(
        sorted(found))
