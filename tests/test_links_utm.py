"""UTM tagging and campaign presets."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from keryx.links import services
from keryx.links.models import UtmPreset


def query(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


def test_tags_keep_other_parameters_and_the_fragment_in_order():
    url = services.with_utm(
        "https://example.com/shop/ίσως?lang=el&ref=&x=1#top",
        {"source": "bluesky", "medium": "social", "campaign": "Καλοκαίρι 2026", "term": ""},
    )
    parts = urlsplit(url)
    assert parts.path == "/shop/ίσως" and parts.fragment == "top"
    assert query(url) == [("lang", "el"), ("ref", ""), ("x", "1"), ("utm_source", "bluesky"),
                          ("utm_medium", "social"), ("utm_campaign", "Καλοκαίρι 2026")]


def test_tagging_twice_replaces_rather_than_doubles():
    once = services.with_utm("https://example.com/?utm_source=old&a=1", {"source": "new"})
    twice = services.with_utm(once, {"source": "newer", "campaign": "c"})
    assert query(twice) == [("a", "1"), ("utm_source", "newer"), ("utm_campaign", "c")]


@pytest.mark.parametrize("bad", ["", "javascript:alert(1)", "data:text/html,hi", "/relative",
                                 "ftp://example.com/x", "https://", "https://exa mple.com/",
                                 "https://example.com/" + "a" * 2001])
def test_only_absolute_http_links_are_accepted(bad):
    with pytest.raises(services.LinkRejected):
        services.with_utm(bad, {"source": "x"})


def test_a_new_default_preset_replaces_the_old_default(people):
    acme = people.acme
    services.save_preset(acme, name="Spring", default=True, source="nl", campaign="spring")
    services.save_preset(acme, name="Summer", default=True, source="bsky", campaign="summer")
    assert services.default_preset(acme).name == "Summer"
    assert list(UtmPreset.objects.filter(workspace=acme, is_default=True)
                .values_list("name", flat=True)) == ["Summer"]
    # Presets are per workspace: Globex has none.
    assert services.default_preset(people.globex) is None


def test_the_builder_page_tags_and_shortens(client, people):
    client.force_login(people.alice)
    response = client.post("/links/", {"url": "https://example.com/a", "source": "nl",
                                       "medium": "email", "campaign": "launch", "shorten": "1"})
    assert response.status_code == 200
    link = people.acme.short_links.get()
    assert link.url == "https://example.com/a?utm_source=nl&utm_medium=email&utm_campaign=launch"
    assert services.short_url(link).encode() in response.content


def test_a_viewer_cannot_build_links(client, people):
    client.force_login(people.charlie)  # a viewer in Acme
    response = client.post("/links/build.json", {"url": "https://example.com"},
                           content_type="application/json")
    assert response.status_code == 403
    assert not people.acme.short_links.exists()
