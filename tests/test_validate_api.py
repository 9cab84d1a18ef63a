"""POST /api/v1/validate: the scheduler's verdicts with exact counts, the part over and by how
much, variants (text, media, link, first comment, thread), thread proposals, previews; the old
/posts/validate path answers the same. Variants saved with a post reach what it publishes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from keryx.channels.models import Channel
from keryx.publishing import services
from keryx.publishing.models import PostTarget, PostVariant
from tests.api_support import Caller, mastodon_channel
from tests.support.images import png_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(people):
    return Caller(people.alice)


@pytest.fixture
def channels(people):
    masto = mastodon_channel(people.acme, "masto", max_characters=100)
    sky = Channel.objects.create(
        workspace=people.acme, network="bluesky", name="sky", handle="sky.test",
        credentials={"app_password": "secret"}, settings={"service": "https://pds.example"},
    )
    ex = Channel.objects.create(
        workspace=people.acme, network="x", name="ex", handle="ex",
        credentials={"access_token": "secret"}, settings={"user_id": "1"},
    )
    return masto, sky, ex


def check(caller, people, **fields):
    body = {"workspace": people.acme.pk, "text": "Hello", "channels": ["masto", "sky", "ex"],
            **fields}
    response = caller.post("/validate", body)
    assert response.status_code == 200, response.content
    return response.json()


def row(result, name):
    return next(r for r in result["channels"] if r["channel"] == name)


def test_counts_and_limits_per_channel(alice, people, channels):
    text = "Καλημέρα κόσμε 👩‍👩‍👧 https://example.com/a/very/long/path/indeed"
    result = check(alice, people, text=text)
    assert result["valid"] is True and result["problems"] == []
    masto = row(result, "masto")
    # Mastodon: graphemes, the URL as 23, the server's own limit.
    assert masto["measures"] == [{"unit": "characters", "count": 15 + 1 + 1 + 23, "limit": 100,
                                  "remaining": 60, "over_by": 0, "overflow_at": None}]
    sky = row(result, "sky")
    assert [(m["unit"], m["count"], m["limit"]) for m in sky["measures"]] == [
        ("characters", 15 + 1 + 1 + 43, 300),
        ("bytes", len(text.encode()), 3000),
    ]
    ex = row(result, "ex")
    # X: Greek is light (1), the family emoji 2, the URL 23.
    assert ex["measures"][0]["count"] == 15 + 2 + 1 + 23


def test_which_part_is_over_and_by_how_much(alice, people, channels):
    text = "a" * 95 + " " + "ωραία"
    result = check(alice, people, text=text, channels=["masto"])
    assert result["valid"] is False
    masto = row(result, "masto")
    measure = masto["measures"][0]
    assert (measure["count"], measure["over_by"], measure["overflow_at"]) == (101, 1, 100)
    assert text[measure["overflow_at"]:] == "α"
    assert masto["problems"][0]["code"] == "too_long"
    # The flat list is the scheduler's own verdict: the same as creating the post says.
    with pytest.raises(services.PostRejected) as rejected:
        services.create_post(workspace=people.acme, author=people.alice, text=text,
                             channels=[channels[0]], actor="test")
    assert [p.code for p in rejected.value.problems[channels[0]]] == [
        p["code"] for p in result["problems"]]


def test_overflow_never_cuts_an_emoji(alice, people, channels):
    text = "x" * 99 + "👍🏽"  # the emoji with its skin tone is one character, the 100th
    measure = row(check(alice, people, text=text + "!", channels=["masto"]), "masto")[
        "measures"][0]
    assert measure["overflow_at"] == len(text)
    measure = row(check(alice, people, text="x" * 100 + "👍🏽", channels=["masto"]), "masto")[
        "measures"][0]
    assert measure["overflow_at"] == 100


def test_old_path_is_an_alias(alice, people, channels):
    body = {"workspace": people.acme.pk, "text": "x" * 120, "channels": ["masto"]}
    old = alice.post("/posts/validate", body).json()
    new = alice.post("/validate", body).json()
    assert old == new and old["valid"] is False


def test_variant_text_link_first_comment_and_thread_are_validated(alice, people, channels):
    variants = {
        "masto": {"text": "Short for Mastodon", "link": "https://example.com/read"},
        "ex": {"first_comment": "y" * 281, "thread": ["second part", "z" * 281]},
    }
    result = check(alice, people, text="x" * 120, variants=variants, channels=["masto", "ex"])
    masto, ex = row(result, "masto"), row(result, "ex")
    assert masto["valid"] is True
    assert masto["overrides"] == ["text", "link"]
    # The link went into the text Mastodon counts (own paragraph, 23 characters).
    assert masto["measures"][0]["count"] == len("Short for Mastodon") + 2 + 23
    assert sorted(p["field"] for p in ex["problems"]) == ["first_comment", "thread"]
    assert ex["overrides"] == ["first_comment", "thread"]
    assert [t["measures"][0]["count"] for t in ex["thread"]] == [11, 281]
    assert ex["preview"]["parts"][1]["segments"] == [{"kind": "text", "text": "second part"}]


def test_variant_media_override(alice, people, channels):
    media_id = alice.upload(people.acme.pk, "a.png", png_bytes(), "red").json()["id"]
    variants = {"masto": {"media": [media_id]}, "sky": {"media": []}}
    result = check(alice, people, text="", media=[], variants=variants,
                   channels=["masto", "sky"])
    assert row(result, "masto")["valid"] is True  # an image and no text is fine
    assert [p["code"] for p in row(result, "sky")["problems"]] == ["empty"]
    other = alice.post("/validate", {"workspace": people.acme.pk, "text": "x", "channels": [
        "masto"], "variants": {"masto": {"media": [999]}}})
    assert other.status_code == 422


def test_proposed_thread_split(alice, people, channels):
    text = " ".join(f"Sentence number {i} is here." for i in range(40))
    result = check(alice, people, text=text, split=True, numbering=True)
    sky = row(result, "sky")
    parts = sky["suggested_thread"]
    assert len(parts) >= 4 and parts[0].endswith(f" 1/{len(parts)}")
    assert all(p.count("Sentence") == p.count("here.") for p in parts)  # sentence boundaries
    assert [m["fits"] for m in [row(check(alice, people, text=p, channels=["sky"]), "sky")
                                for p in parts]] == [True] * len(parts)
    assert row(result, "masto")["suggested_thread"] is not None
    # Bluesky previews show each part.
    assert len(sky["preview"]["parts"]) == 1 + len(parts)


def test_preview_marks_links_mentions_and_tags(alice, people, channels):
    text = "Hi @alice@example.social see https://example.com/" + "p" * 40 + " #news"
    preview = row(check(alice, people, text=text), "masto")["preview"]
    kinds = [(s["kind"], s["text"]) for s in preview["parts"][0]["segments"]]
    assert ("mention", "@alice@example.social") in kinds
    assert ("tag", "#news") in kinds
    link = next(s for s in preview["parts"][0]["segments"] if s["kind"] == "link")
    assert link["href"].endswith("p" * 40) and link["text"].endswith("…")


def test_other_workspace_cannot_validate_here(people, channels):
    bob = Caller(people.bob)
    response = bob.post("/validate", {"workspace": people.acme.pk, "text": "x",
                                      "channels": ["masto"]})
    assert response.status_code == 404


def test_saved_variant_reaches_the_published_request(alice, people, channels):
    media_id = alice.upload(people.acme.pk, "a.png", png_bytes(), "red").json()["id"]
    when = (timezone.now() + timedelta(days=2)).replace(microsecond=0).isoformat()
    body = {"workspace": people.acme.pk, "text": "Main text", "channels": ["masto", "ex"],
            "scheduled_at": when,
            "variants": {"ex": {"text": "For X", "media": [media_id], "first_comment": "More",
                                "thread": ["part two"], "link": "https://example.com/x"}}}
    response = alice.post("/posts", body)
    assert response.status_code == 201, response.content
    variant = PostVariant.objects.get()
    assert (variant.first_comment, variant.thread, variant.override_media) == (
        "More", ["part two"], True)
    ex_target = PostTarget.objects.get(channel__name="ex")
    request = services.request_for(ex_target)
    assert request.text == "For X\n\nhttps://example.com/x"
    assert request.options["first_comment"] == "More"
    assert request.options["thread"] == ["part two"]
    assert len(request.media) == 1
    masto_request = services.request_for(PostTarget.objects.get(channel__name="masto"))
    assert (masto_request.text, masto_request.media, masto_request.options.get("thread")) == (
        "Main text", (), None)


def test_hashtag_advice_and_unknown_contacts_are_warnings_not_refusals(alice, people, people_ig):
    from keryx.contacts.services import save_contact

    save_contact(people.acme, name="Maria", handles={"instagram": "maria.gr"})
    text = "Καλημέρα @{Maria} και @{Nobody} " + " ".join(f"#tag{i}" for i in range(8))
    body = {"workspace": people.acme.pk, "text": text, "channels": ["insta"]}
    response = alice.post("/validate", body)
    assert response.status_code == 200, response.content
    result = response.json()
    codes = [(w["channel"], w["code"]) for w in result["warnings"]]
    assert ("insta", "many_hashtags") in codes
    assert ("insta", "unknown_contact") in codes
    unknown = [w["message"] for w in result["warnings"] if w["code"] == "unknown_contact"]
    assert len(unknown) == 1 and "Nobody" in unknown[0]


@pytest.fixture
def people_ig(people):
    return Channel.objects.create(
        workspace=people.acme, network="instagram", name="insta", handle="acme",
        credentials={"access_token": "secret"}, settings={"user_id": "1"},
    )
