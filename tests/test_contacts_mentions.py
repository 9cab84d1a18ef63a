"""@{Name}: one contact, the right mention on each network."""

from __future__ import annotations

import pytest

from keryx.channels.models import Channel
from keryx.contacts.models import Contact
from keryx.contacts.services import (
    ContactRejected,
    expand_for,
    mention,
    normalise_handle,
    save_contact,
)
from keryx.publishing import services
from keryx.publishing.models import PostTarget


@pytest.fixture
def ada(people):
    return save_contact(people.acme, name="Ada Λοβλέις", handles={
        "bluesky": "@Ada.bsky.social",
        "mastodon": "ada@fosstodon.org",
        "x": "@ada_l",
        "linkedin": "urn:li:person:AbC123",
        "reddit": "u/ada",
        "instagram": "",  # empty: no handle there
    })


@pytest.mark.parametrize("network,expected", [
    ("bluesky", "Hi @ada.bsky.social!"),
    ("mastodon", "Hi @ada@fosstodon.org!"),
    ("x", "Hi @ada_l!"),
    ("linkedin", "Hi @[Ada Λοβλέις](urn:li:person:AbC123)!"),
    ("reddit", "Hi u/ada!"),
    ("instagram", "Hi Ada Λοβλέις!"),  # no handle on Instagram: the plain name
    ("facebook", "Hi Ada Λοβλέις!"),  # a network without text mentions
])
def test_each_network_gets_its_own_mention(people, ada, network, expected):
    assert expand_for(people.acme, "Hi @{Ada Λοβλέις}!", network).text == expected


def test_names_match_in_any_case_and_unknown_names_stay_plain(people, ada):
    result = expand_for(people.acme, "@{ada λοβλέις} and @{Nobody} and @{Nobody}", "x")
    assert result.text == "@ada_l and Nobody and Nobody"
    assert result.unknown == ("Nobody",)


def test_contacts_belong_to_one_workspace(people, ada):
    assert expand_for(people.globex, "@{Ada Λοβλέις}", "x").text == "Ada Λοβλέις"


def test_text_without_placeholders_is_untouched(people, ada):
    text = "email@example.com @real_handle {braces} @{ }"
    assert expand_for(people.acme, text, "x").text == text.replace("@{ }", "")


@pytest.mark.parametrize("network,handle", [
    ("mastodon", "ada"), ("mastodon", "ada@"), ("bluesky", "ada"), ("bluesky", "ada .bsky.social"),
    ("linkedin", "ada"), ("linkedin", "urn:li:person:"), ("x", "ada lovelace"), ("x", "ada!"),
])
def test_wrong_handles_are_refused_with_a_reason(network, handle):
    with pytest.raises(ContactRejected):
        normalise_handle(network, handle)


def test_linkedin_names_cannot_break_the_annotation():
    assert mention("linkedin", "A [B] C", "urn:li:organization:9") == (
        "@[A (B) C](urn:li:organization:9)"
    )


def test_names_are_unique_per_workspace_and_editing_replaces_handles(people, ada):
    with pytest.raises(ContactRejected, match="already"):
        save_contact(people.acme, name="ADA ΛΟΒΛΈΙΣ", handles={})
    save_contact(people.globex, name="Ada Λοβλέις", handles={})  # another workspace: fine
    save_contact(people.acme, name="Ada L", handles={"x": "ada2"}, contact=ada)
    ada.refresh_from_db()
    assert ada.name == "Ada L"
    assert {h.network: h.handle for h in ada.handles.all()} == {"x": "ada2"}
    with pytest.raises(ContactRejected, match="braces"):
        save_contact(people.acme, name="{x}", handles={})


def channel(workspace, network, name=None):
    return Channel.objects.create(workspace=workspace, network=network, name=name or network,
                                  credentials={}, settings={})


def test_validation_counts_the_expanded_text(people):
    """Validation sees what will be sent: the text as typed (with @{Al}) fits Bluesky's 300,
    the text with the 32-character mention does not."""
    save_contact(people.acme, name="Al", handles={"bluesky": "alexandra-the-great.bsky.social"})
    sky = channel(people.acme, "bluesky")
    text = "x" * 290 + " @{Al}"
    assert len(text) < 300
    problems = services.validate_post(workspace=people.acme, text=text, channels=[sky])
    [problem] = problems[sky]
    assert problem.code == "text_too_long" and problem.params["count"] == 290 + 1 + 32


def test_the_request_sent_carries_the_mention(people, ada):
    toot = channel(people.acme, "mastodon")
    sky = channel(people.acme, "bluesky")
    post = services.create_post(workspace=people.acme, author=people.alice,
                                text="Thanks @{Ada Λοβλέις}", channels=[toot, sky], draft=True,
                                actor="alice",
                                variants={sky.pk: {"text": "Ευχαριστώ @{Ada Λοβλέις}"}})
    assert post.text == "Thanks @{Ada Λοβλέις}"  # the post keeps the placeholder
    sent = {t.channel.network: services.request_for(t).text
            for t in PostTarget.objects.filter(post=post).select_related("channel")}
    assert sent == {"mastodon": "Thanks @ada@fosstodon.org",
                    "bluesky": "Ευχαριστώ @ada.bsky.social"}


def test_the_contacts_page_saves_and_is_scoped(client, people):
    client.force_login(people.alice)
    response = client.post("/contacts/", {"name": "Bob", "handle_mastodon": "bob@m.example",
                                          "handle_bluesky": "bob.test"})
    assert response.status_code == 302
    bob = Contact.objects.get(workspace=people.acme, name="Bob")
    assert {h.network: h.handle for h in bob.handles.all()} == {
        "mastodon": "bob@m.example", "bluesky": "bob.test"}
    client.force_login(people.bob)  # Globex's owner
    assert "Bob" not in client.get("/contacts/").content.decode().split("Contact book")[1]
    client.post("/contacts/", {"delete": bob.pk})
    assert Contact.objects.filter(pk=bob.pk).exists()
    assert client.get(f"/contacts/?edit={bob.pk}").status_code == 404
    client.force_login(people.charlie)  # a viewer in Acme
    assert client.post("/contacts/", {"name": "Eve"}).status_code == 403
