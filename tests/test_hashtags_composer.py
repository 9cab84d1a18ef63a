"""Hashtags: advice per network, saved groups, suggestions from history, Instagram's first
comment."""

from __future__ import annotations

import pytest

from keryx.channels.models import Channel
from keryx.contacts import hashtags
from keryx.contacts.models import ComposerSettings, HashtagGroup
from keryx.networks import registry
from keryx.publishing import services
from keryx.publishing.models import Post, PostTarget


def tags(n: int) -> str:
    return " ".join(f"#t{i}x" for i in range(n))


@pytest.mark.parametrize("network,count,warned", [
    ("instagram", 5, False), ("instagram", 6, True), ("instagram", 30, True),
    ("instagram", 31, False),  # over the hard limit: validation refuses it instead
    ("threads", 1, False), ("threads", 2, True), ("x", 3, True), ("mastodon", 40, False),
])
def test_advice_warns_above_the_recommended_number(network, count, warned):
    problems = hashtags.advice(f"Text {tags(count)}", network)
    assert bool(problems) is warned
    if warned:
        assert problems[0].code == "many_hashtags"
        assert problems[0].params == {"count": count, "limit": registry.capabilities(
            network).hashtags_recommended,
                                      "severity": "warning"}


def test_groups_are_normalised():
    assert hashtags.normalise_group("athens, #Greece  travel #athens ＃Ελλάδα #1 bad-tag") == (
        "#athens #Greece #travel #Ελλάδα"
    )


def test_saving_a_group_by_name_updates_it(people):
    hashtags.save_group(people.acme, "Trip", "a b")
    hashtags.save_group(people.acme, "Trip", "c")
    assert list(HashtagGroup.objects.filter(workspace=people.acme).values_list("tags", flat=True)
                ) == ["#c"]
    with pytest.raises(ValueError):
        hashtags.save_group(people.acme, "Empty", "#1 ,,")


def test_suggestions_rank_the_workspaces_own_tags_by_use(people):
    for text in ["#Athens #food", "#athens #travel", "#ATHENS", "#travel later", "#food"]:
        Post.objects.create(workspace=people.acme, text=text)
    Post.objects.create(workspace=people.globex, text="#globex #globex2 #globex3")
    ranked = [(s.tag, s.uses) for s in hashtags.suggestions(people.acme)]
    # Case-insensitive counting, shown as most often written (a tie keeps the first seen).
    assert ranked[0][1] == 3 and ranked[0][0].casefold() == "athens"
    assert ranked[1:] == [("food", 2), ("travel", 2)]
    assert [s.tag for s in hashtags.suggestions(people.acme, prefix="#tr")] == ["travel"]


@pytest.mark.parametrize("text,body,closing", [
    ("Sunset at the port.\n\n#athens #greece #sunset", "Sunset at the port.",
     "#athens #greece #sunset"),
    ("Love #athens today #greece", "Love #athens today", "#greece"),
    ("No tags here.", "No tags here.", ""),
    ("#only #tags", "#only #tags", ""),  # moving them would leave an empty caption
    ("word#nottag", "word#nottag", ""),
    ("Ελλάδα!\n#Ελλάδα\n#καλοκαίρι ", "Ελλάδα!", "#Ελλάδα #καλοκαίρι"),
])
def test_closing_hashtags_are_split_off(text, body, closing):
    assert hashtags.split_closing_tags(text) == (body, closing)


def channel(workspace, network):
    return Channel.objects.create(workspace=workspace, network=network, name=network,
                                  credentials={}, settings={})


def test_instagram_gets_its_closing_hashtags_in_the_first_comment_when_asked(people):
    insta, sky = channel(people.acme, "instagram"), channel(people.acme, "bluesky")
    text = "Sunset at the port.\n\n#athens #greece"
    post = services.create_post(workspace=people.acme, author=people.alice, text=text,
                                channels=[insta, sky], draft=True, actor="alice")
    targets = {t.channel.network: t for t in PostTarget.objects.filter(post=post)
               .select_related("channel")}
    # Off by default: the caption keeps its hashtags.
    assert services.request_for(targets["instagram"]).text == text
    ComposerSettings.objects.create(workspace=people.acme, closing_tags_in_first_comment=True,
                                    link_cards=False)
    sent = services.request_for(targets["instagram"])
    assert sent.text == "Sunset at the port."
    assert sent.options["first_comment"] == "#athens #greece"
    assert services.request_for(targets["bluesky"]).text == text  # only Instagram


def test_validation_judges_the_caption_and_the_first_comment_as_they_will_be_sent(people):
    """35 closing hashtags: with the setting on, the caption is fine and the first comment is
    what Instagram's 30-hashtag rule refuses; validation says so for the first comment."""
    insta = channel(people.acme, "instagram")
    text = f"Hi\n{tags(35)}"

    def hashtag_fields():
        problems = services.validate_post(workspace=people.acme, text=text, channels=[insta])
        return [p.field for p in problems[insta] if p.code == "too_many_hashtags"]

    assert hashtag_fields() == ["text"]
    ComposerSettings.objects.create(workspace=people.acme, closing_tags_in_first_comment=True)
    assert hashtag_fields() == ["first_comment"]


def test_the_check_endpoint_gives_advice_and_unknown_contacts(client, people):
    insta = channel(people.acme, "instagram")
    other = channel(people.globex, "threads")
    client.force_login(people.alice)
    answer = client.post("/contacts/check.json", {
        "text": f"@{{Nobody}} {tags(7)}", "channels": [insta.pk, other.pk],
    }, content_type="application/json").json()
    assert answer["unknown_contacts"] == ["Nobody"]
    # Globex's channel is ignored: ids of another workspace reveal nothing.
    assert list(answer["advice"]) == ["instagram"]
    assert client.post("/contacts/check.json", b"{not json", content_type="application/json"
                       ).status_code == 400


def test_preferences_page_names_the_networks_that_declare_each_extra(people, client):
    client.force_login(people.alice)
    page = client.get("/contacts/hashtags/").content.decode()
    assert "On Instagram, move the closing hashtags into the first comment" in page
    assert "On Bluesky, show a preview card for the first link" in page
    response = client.post("/contacts/hashtags/", {
        "action": "settings", "closing_tags_in_first_comment": "1"})
    assert response.status_code == 302
    prefs = ComposerSettings.objects.get(workspace=people.acme)
    assert prefs.closing_tags_in_first_comment is True and prefs.link_cards is False
