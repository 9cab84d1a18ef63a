"""Queue pages and the composer's "Add to queue" choice."""

from __future__ import annotations

from datetime import time

from keryx.publishing.models import Post
from keryx.queues import services
from keryx.queues.models import EvergreenRule, QueueSlot
from tests.ui_helpers import mastodon_channel


def test_edit_schedule_then_add_to_queue_from_the_composer(people, client):
    channel = mastodon_channel(people.acme)
    client.force_login(people.alice)
    response = client.post(f"/queues/channels/{channel.pk}/schedule/", {
        "timezone": "Europe/Athens", "day_0": "09:00, 13:30", "day_4": "18.15", "day_6": "",
    })
    assert response.status_code == 302
    assert sorted(QueueSlot.objects.values_list("weekday", "time")) == [
        (0, time(9)), (0, time(13, 30)), (4, time(18, 15)),
    ]
    bad = client.post(f"/queues/channels/{channel.pk}/schedule/",
                      {"timezone": "Europe/Athens", "day_1": "25:00"})
    assert bad.status_code == 400
    assert "25:00 is not a time" in bad.content.decode()

    response = client.post("/posts/new/", {
        "text": "Queued from the composer", "channels": [channel.pk], "when": "queue",
        "action": "submit",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    target = Post.objects.get().targets.get()
    expected = next(services.upcoming_slots(
        "Europe/Athens", [(0, time(9)), (0, time(13, 30)), (4, time(18, 15))],
        target.queue_entry.created_at,
    ))
    assert target.due_at == expected == target.queue_entry.slot_at

    page = client.get("/queues/").content.decode()
    assert "Queued from the composer" in page


def test_composer_explains_a_channel_without_schedule(people, client):
    channel = mastodon_channel(people.acme)
    client.force_login(people.alice)
    response = client.post("/posts/new/", {
        "text": "No slots", "channels": [channel.pk], "when": "queue", "action": "submit",
    })
    assert response.status_code == 400
    assert "has no posting schedule yet" in response.content.decode()
    assert not Post.objects.exists()


def test_pause_resume_and_viewer_cannot(people, client):
    channel = mastodon_channel(people.acme)
    services.set_slots(services.schedule_for(channel), [(d, time(9)) for d in range(7)])
    post = services.add_to_queue(workspace=people.acme, author=people.alice, text="q",
                                 channels=[channel], actor="t")
    client.force_login(people.charlie)  # viewer
    assert client.post(f"/queues/channels/{channel.pk}/pause/").status_code == 403
    client.force_login(people.alice)
    assert client.post(f"/queues/channels/{channel.pk}/pause/").status_code == 302
    assert post.targets.get().due_at is None
    assert "Paused" in client.get("/queues/").content.decode()
    client.post(f"/queues/channels/{channel.pk}/resume/")
    assert post.targets.get().due_at is not None
    # Another workspace's channel is not found.
    client.force_login(people.bob)
    assert client.post(f"/queues/channels/{channel.pk}/pause/").status_code == 404


def test_evergreen_form(people, client):
    channel = mastodon_channel(people.acme)
    services.set_slots(services.schedule_for(channel), [(d, time(9)) for d in range(7)])
    post = services.add_to_queue(workspace=people.acme, author=people.alice, text="tip",
                                 channels=[channel], actor="t")
    client.force_login(people.alice)
    missing_end = client.post(f"/queues/evergreen/{post.pk}/", {"every": 2, "unit": "weeks"})
    assert missing_end.status_code == 400
    assert "end date or a maximum" in missing_end.content.decode()
    ok = client.post(f"/queues/evergreen/{post.pk}/",
                     {"every": 2, "unit": "weeks", "max_count": 3})
    assert ok.status_code == 302
    rule = EvergreenRule.objects.get()
    assert (rule.every, rule.unit, rule.max_count, rule.active) == (2, "weeks", 3, True)


def test_queue_list_queries_do_not_grow_with_channels(people, client,
                                                      django_assert_max_num_queries):
    for i in range(6):
        channel = mastodon_channel(people.acme, f"C{i}")
        services.set_slots(services.schedule_for(channel), [(d, time(9)) for d in range(7)])
        for j in range(3):
            services.add_to_queue(workspace=people.acme, author=people.alice, text=f"{i}-{j}",
                                  channels=[channel], actor="t")
    client.force_login(people.alice)
    with django_assert_max_num_queries(14):
        assert client.get("/queues/").status_code == 200


def test_post_detail_links_to_recycling(people, client):
    channel = mastodon_channel(people.acme)
    services.set_slots(services.schedule_for(channel), [(d, time(9)) for d in range(7)])
    post = services.add_to_queue(workspace=people.acme, author=people.alice, text="tip",
                                 channels=[channel], actor="t")
    client.force_login(people.alice)
    page = client.get(f"/posts/{post.pk}/").content.decode()
    assert f'href="/queues/evergreen/{post.pk}/"' in page
