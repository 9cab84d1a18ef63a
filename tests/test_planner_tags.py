"""Campaigns, labels and organic/paid: managed per workspace, set in the composer, shown on
lists and the post page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from keryx.planner.models import Campaign, Label
from keryx.publishing.models import Post, PostKind
from tests.support.web import signed_in
from tests.ui_helpers import mastodon_channel

pytestmark = pytest.mark.django_db


def test_editor_creates_campaign_and_label_viewer_cannot(people):
    alice = signed_in(people.alice)
    response = alice.post(reverse("planner:campaign_new"), {
        "name": "Autumn launch", "colour": "#aa3300", "starts_on": "2030-09-01",
        "ends_on": "2030-10-31", "budget": "1500.00", "description": "Big one",
    })
    assert response.status_code == 302
    campaign = Campaign.objects.get(workspace=people.acme)
    assert (campaign.name, campaign.colour, str(campaign.budget)) == ("Autumn launch", "#aa3300",
                                                                      "1500.00")
    assert alice.post(reverse("planner:label_new"), {"name": "Video", "colour": "#00aa00"}
                      ).status_code == 302
    charlie = signed_in(people.charlie)
    assert charlie.post(reverse("planner:label_new"), {"name": "Nope", "colour": "#000000"}
                        ).status_code == 403
    assert not Label.objects.filter(name="Nope").exists()
    # The viewer may read the list.
    assert "Autumn launch" in charlie.get(reverse("planner:tags")).content.decode()


def test_campaign_dates_and_names_are_checked(people):
    alice = signed_in(people.alice)
    Campaign.objects.create(workspace=people.acme, name="Spring")
    response = alice.post(reverse("planner:campaign_new"), {
        "name": "spring", "colour": "#aa3300", "starts_on": "2030-09-01", "ends_on": "2030-08-01",
    })
    assert response.status_code == 400
    html = response.content.decode()
    assert "cannot end before it starts" in html and "already exists" in html
    response = alice.post(reverse("planner:label_new"), {"name": "x", "colour": "red"})
    assert response.status_code == 400 and "#3a6fd8" in response.content.decode()


def test_another_workspaces_campaign_is_404(people):
    globex = Campaign.objects.create(workspace=people.globex, name="Globex plan")
    response = signed_in(people.alice).post(
        reverse("planner:campaign_edit", args=[globex.pk]), {"delete": "1"}
    )
    assert response.status_code == 404
    assert Campaign.objects.filter(pk=globex.pk).exists()


def test_composer_sets_campaign_labels_and_kind_and_lists_show_them(people):
    channel = mastodon_channel(people.acme)
    campaign = Campaign.objects.create(workspace=people.acme, name="Autumn", colour="#aa3300")
    video = Label.objects.create(workspace=people.acme, name="Video")
    promo = Label.objects.create(workspace=people.acme, name="Promo")
    alice = signed_in(people.alice)
    response = alice.post(reverse("posts:new"), {
        "text": "Tagged post", "channels": [channel.pk], "when": "later",
        "date": "2031-05-04", "time": "10:00", "action": "submit",
        "campaign": campaign.pk, "labels": [video.pk, promo.pk], "kind": "paid",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    post = Post.objects.get(text="Tagged post")
    assert post.campaign == campaign and post.kind == PostKind.PAID
    assert set(post.labels.all()) == {video, promo}
    listing = alice.get(reverse("posts:list")).content.decode()
    assert "Autumn" in listing and "Video" in listing and "Paid" in listing
    detail = alice.get(reverse("posts:detail", args=[post.pk])).content.decode()
    assert "Autumn" in detail and "Promo" in detail


def test_composer_refuses_another_workspaces_campaign_or_label(people):
    channel = mastodon_channel(people.acme)
    foreign = Campaign.objects.create(workspace=people.globex, name="Globex")
    foreign_label = Label.objects.create(workspace=people.globex, name="Globex label")
    response = signed_in(people.alice).post(reverse("posts:new"), {
        "text": "Sneaky", "channels": [channel.pk], "when": "now", "action": "submit",
        "campaign": foreign.pk, "labels": [foreign_label.pk],
    })
    assert response.status_code == 400
    assert not Post.objects.filter(text="Sneaky").exists()


def test_post_list_query_count_is_bounded_with_tags(people, django_assert_max_num_queries):
    from keryx.planner.services import set_planning
    from tests.ui_helpers import scheduled_post

    channel = mastodon_channel(people.acme)
    campaign = Campaign.objects.create(workspace=people.acme, name="Autumn")
    label = Label.objects.create(workspace=people.acme, name="Video")
    for i in range(20):
        set_planning(scheduled_post(people.acme, people.alice, channel, f"p{i}"),
                     campaign=campaign, labels=[label])
    alice = signed_in(people.alice)
    alice.get(reverse("posts:list"))
    with django_assert_max_num_queries(14):
        html = alice.get(reverse("posts:list")).content.decode()
    assert html.count("Autumn") >= 20
