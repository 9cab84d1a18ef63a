"""MastodonProvider: validation against the channel's own server limits, the account, and the
statuses and OAuth steps of the package's other modules."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

from keryx.networks import base
from keryx.networks.base import (
    AccountInfo,
    Capabilities,
    MediaRules,
    Problem,
    PublishRequest,
    Transient,
)
from keryx.networks.community import ChannelMetrics, PostGone, PostMetrics, RecentPost
from keryx.networks.listening import ListeningSpec
from keryx.networks.mastodon import listening, metrics
from keryx.networks.mastodon.content import html_to_text, length_for, mastodon_length
from keryx.networks.mastodon.inbox import MastodonInbox
from keryx.networks.mastodon.listening import MastodonListening
from keryx.networks.mastodon.oauth import MastodonApp
from keryx.networks.mastodon.public import MastodonPublic
from keryx.networks.mastodon.server import (
    ALT_TEXT_MAX,
    DEFAULT_IMAGE_LIMIT,
    DEFAULT_IMAGE_TYPES,
    DEFAULT_MAX_CHARACTERS,
    DEFAULT_MAX_MEDIA,
    DEFAULT_VIDEO_LIMIT,
    DEFAULT_VIDEO_TYPES,
    instance_settings,
    json_body,
    normalize_instance_url,
    server_limits,
)


class MastodonProvider(MastodonApp, MastodonInbox, MastodonPublic, MastodonListening):
    server_base = staticmethod(normalize_instance_url)
    listen_public = staticmethod(listening.listen_public)

    network: ClassVar[str] = "mastodon"
    display_name: ClassVar[str] = "Mastodon"
    # Without a browser: a token made on the server (Preferences → Development), read+write.
    connect_fields: ClassVar[tuple[base.ConnectField, ...]] = (
        base.ConnectField("instance", "Server", store="settings",
                          normalize=normalize_instance_url, server_url=True,
                          help="server URL, e.g. mastodon.social"),
        base.ConnectField("access_token", "Access token", secret=True,
                          missing=base.gettext_noop("Paste an access token.")),
    )
    capabilities: ClassVar[Capabilities] = Capabilities(
        text_limit=DEFAULT_MAX_CHARACTERS,
        counting="mastodon",
        media=MediaRules(
            max_items=DEFAULT_MAX_MEDIA,
            image_types=frozenset(DEFAULT_IMAGE_TYPES),
            max_image_bytes=DEFAULT_IMAGE_LIMIT,
            video_types=frozenset(DEFAULT_VIDEO_TYPES),
            max_video_bytes=DEFAULT_VIDEO_LIMIT,
            alt_text=True,
            alt_text_max=ALT_TEXT_MAX,
            mix_images_and_video=False,
            alone=frozenset({"video"}),
            alt_text_counting="graphemes",
            geometry=base.ImageGeometry(max_pixels=33_177_600, animated=True),
            # The instance tells its own limits at connect time (the channel's settings).
            image_types_setting="supported_mime_types",
            image_bytes_setting="image_size_limit",
        ),
        content_warning=True,
        threads=True,
        first_comment=True,
        idempotent_publish=True,
        metrics=True,
        competitors=True,  # public accounts: keryx.networks.mastodon.public
        inbox=True,  # no hiding or deleting another person's status on Mastodon
        connect="oauth2",
        # Declarations read through the registry (composer, library, contacts).
        text_rules=(base.TextRule("characters", mastodon_length, DEFAULT_MAX_CHARACTERS,
                                  limit_setting="max_characters", counter_for=length_for,
                                  counts_content_warning=True),),
        split_long_text=True,
        preview=base.PreviewRules(link_width=30),
        mentions=base.MentionRules(
            pattern=r"^[A-Za-z0-9_]+(?:[.-][A-Za-z0-9_]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$",
            hint=base.gettext_noop("A Mastodon handle looks like user@instance.social.")),
        metrics_spec=base.MetricsSpec(
            post=frozenset({"likes", "comments", "shares", "quotes"}),
            channel=frozenset({"followers", "following", "posts"}),
            permission="read:statuses read:accounts",
            recent_posts=True,
            # 300 requests per 5 minutes per account (each server its own).
            rate=(base.RateBudget(300, 300.0, scope="channel",
                                  source="https://docs.joinmastodon.org/api/rate-limits/"),),
            notes="No impressions, reach, clicks or video views; bookmarks are private.",
        ),
        listening=ListeningSpec(
            sources=("/api/v1/timelines/tag/:hashtag", "/api/v2/search?type=statuses"),
            needs_channel=True, max_query=1000, requests_per_run=10,
            rate=base.RateBudget(300, 300.0, scope="channel",
                                 source="https://docs.joinmastodon.org/api/rate-limits/"),
            notes="Status search finds what the server has indexed (full-text search must be "
                  "enabled there); hashtag timelines always work. Only public statuses. Other "
                  "servers the user names: their public hashtag timelines, without an account.",
            public_servers=True),
    )

    # -- validation (pure) -----------------------------------------------------------------

    def _limits(self) -> dict[str, Any]:
        return server_limits(self.settings)

    def media_rules(self) -> MediaRules:
        """The declared rules with this server's own limits (learned at connect time)."""
        limits = self._limits()
        types = limits["mime_types"]
        return dataclasses.replace(
            self.capabilities.media,
            max_items=limits["max_media"],
            image_types=frozenset(t for t in types if t.startswith("image/")),
            max_image_bytes=limits["image_size_limit"],
            # Audio goes up under the video limit, and like a video, on its own.
            video_types=frozenset(t for t in types if not t.startswith("image/")),
            max_video_bytes=limits["video_size_limit"],
        )

    def validate(self, request: PublishRequest) -> list[Problem]:
        limits = self._limits()
        problems: list[Problem] = []
        length = mastodon_length(request.text, limits["url_length"]) + mastodon_length(
            request.content_warning, limits["url_length"]
        )
        if length > limits["max_characters"]:
            problems.append(
                Problem(
                    "too_long",
                    f"The text is {length} characters long; this Mastodon server allows "
                    f"{limits['max_characters']} (content warning included, links count as "
                    f"{limits['url_length']}).",
                    params={"length": length, "limit": limits["max_characters"]},
                )
            )
        if not request.text.strip() and not request.media:
            problems.append(Problem("empty", "A Mastodon post needs text or media."))
        problems.extend(self._follow_up_problems(request, limits))
        problems.extend(self.media_problems(request.media))
        return problems

    @staticmethod
    def _follow_up_problems(request: PublishRequest, limits: dict[str, Any]) -> list[Problem]:
        """Each reply of a thread (and the first comment) is a status of its own, under the
        same content warning as the root."""
        problems: list[Problem] = []
        parts = [(str(p), "thread", f"Thread post {i + 2}")
                 for i, p in enumerate(request.options.get("thread") or [])]
        if request.options.get("first_comment"):
            parts.append((str(request.options["first_comment"]), "first_comment",
                          "The first comment"))
        cw = mastodon_length(request.content_warning, limits["url_length"])
        for text, field_name, label in parts:
            length = mastodon_length(text, limits["url_length"]) + cw
            if not text.strip():
                problems.append(Problem("empty", f"{label} is empty.", field=field_name))
            elif length > limits["max_characters"]:
                problems.append(Problem(
                    "too_long",
                    f"{label} is {length} characters long; this Mastodon server allows "
                    f"{limits['max_characters']} (content warning included, links count as "
                    f"{limits['url_length']}).",
                    field=field_name,
                    params={"length": length, "limit": limits["max_characters"]}))
        return problems

    # -- account ---------------------------------------------------------------------------

    def verify(self) -> AccountInfo:
        account = json_body(self._call("GET", "/api/v1/accounts/verify_credentials"))
        if not isinstance(account, dict) or "id" not in account:
            raise Transient("The server's answer does not look like a Mastodon account.")
        settings: dict[str, Any] = {"instance": self.instance, "account_id": str(account["id"])}
        settings.update(self.instance_settings())
        domain = settings.get("domain") or urlsplit(self.instance).netloc
        username = account.get("username") or account.get("acct", "")
        return AccountInfo(
            remote_id=str(account["id"]),
            handle=f"@{username}@{domain}",
            display_name=account.get("display_name") or username,
            url=account.get("url") or "",
            settings=settings,
        )

    def instance_settings(self) -> dict[str, Any]:
        """The server's limits from /api/v2/instance (v1 on servers older than 4.0)."""
        return instance_settings(self.http, self.instance)

    # -- metrics (keryx.networks.mastodon.metrics) -------------------------------------------

    def fetch_metrics(self, remote_id: str) -> PostMetrics | PostGone:
        return metrics.fetch_post_metrics(self._call, remote_id)

    def fetch_channel_metrics(self) -> ChannelMetrics:
        return metrics.fetch_channel_metrics(self._call)

    def list_recent_posts(self, since: datetime) -> list[RecentPost]:
        return metrics.list_recent_posts(self._call, self._account_id(), since, html_to_text)
