"""BlueskyProvider: the provider interface on top of the session and the records."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from keryx.networks import base
from keryx.networks.base import (
    AccountInfo,
    BadContent,
    Capabilities,
    MediaRules,
    Problem,
    PublishRequest,
    PublishResult,
)
from keryx.networks.bluesky import metrics
from keryx.networks.bluesky.inbox import BlueskyInbox
from keryx.networks.bluesky.keys import follow_up_key, follow_ups, new_tid
from keryx.networks.bluesky.lexicon import (
    APP_URL,
    DEFAULT_SERVICE,
    IMAGE_TYPES,
    MAX_BYTES,
    MAX_GRAPHEMES,
    MAX_IMAGE_BYTES,
    MAX_IMAGES,
    POST_COLLECTION,
    now,
    split_uri,
)
from keryx.networks.bluesky.listening import BlueskyListening
from keryx.networks.bluesky.public import BlueskyPublic
from keryx.networks.bluesky.session import normalize_service
from keryx.networks.bluesky.validation import content_problems, follow_up_problems
from keryx.networks.community import ChannelMetrics, PostGone, PostMetrics, RecentPost
from keryx.networks.listening import ListeningSpec
from keryx.networks.text import graphemes, utf8_length


class BlueskyProvider(BlueskyInbox, BlueskyPublic, BlueskyListening):
    network: ClassVar[str] = "bluesky"
    display_name: ClassVar[str] = "Bluesky"
    connect_fields: ClassVar[tuple[base.ConnectField, ...]] = (
        base.ConnectField("handle", "Handle", key="identifier", lstrip="@",
                          help="e.g. alice.bsky.social",
                          missing=base.gettext_noop(
                              "Enter your Bluesky handle, e.g. alice.bsky.social.")),
        base.ConnectField("app_password", "App password", secret=True,
                          help=base.gettext_noop(
                              "For direct messages in the inbox, tick \"Allow access to your "
                              "direct messages\" when you create it."),
                          missing=base.gettext_noop(
                              "Enter an app password (Settings → App passwords).")),
        base.ConnectField("service", "Server", required=False, store="settings",
                          default=DEFAULT_SERVICE, normalize=normalize_service, server_url=True,
                          help="PDS URL (default bsky.social)"),
    )
    capabilities: ClassVar[Capabilities] = Capabilities(
        text_limit=MAX_GRAPHEMES,
        counting="bluesky",
        media=MediaRules(
            max_items=MAX_IMAGES,
            image_types=IMAGE_TYPES,
            max_image_bytes=MAX_IMAGE_BYTES,
            alt_text=True,
            alt_text_max=None,
            # The app resizes to <= 4000 px; GIFs are shown still, so they are not sent animated.
            geometry=base.ImageGeometry(max_side=4000),
            video=base.VideoRules(max_seconds=600),
        ),
        requires_text_or_media=True,
        threads=True,
        first_comment=True,
        idempotent_publish=True,
        metrics=True,
        # The inbox (keryx.networks.bluesky.inbox): notifications, our threads and chat DMs;
        # replies under our own posts can be hidden through the thread gate, none deleted.
        inbox=True,
        hide_comments=True,
        delete_comments=False,
        direct_messages=True,
        competitors=True,  # public accounts: keryx.networks.bluesky.public
        connect="app_password",
        # Declarations read through the registry (composer, library, contacts).
        text_rules=(base.TextRule("characters", graphemes, MAX_GRAPHEMES),
                    base.TextRule("bytes", utf8_length, MAX_BYTES)),
        split_long_text=True,
        preview=base.PreviewRules(link_width=30),
        extras=base.RequestExtras(link_card_option="external"),
        mentions=base.MentionRules(
            pattern=r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z0-9-]+$",
            hint=base.gettext_noop("A Bluesky handle looks like name.bsky.social."),
            lowercase=True),
        metrics_spec=base.MetricsSpec(
            post=frozenset({"likes", "comments", "shares", "quotes", "saves"}),
            channel=frozenset({"followers", "following", "posts"}),
            permission="rpc:app.bsky.feed.getPosts rpc:app.bsky.actor.getProfile",
            recent_posts=True,
            # 3,000 requests per 5 minutes per IP address: one Keryx install shares it.
            rate=(base.RateBudget(3000, 300.0, scope="app",
                                  source="https://docs.bsky.app/docs/advanced-guides/"
                                         "rate-limits"),),
            notes="No impressions, reach, clicks or video views.",
        ),
        listening=ListeningSpec(
            sources=("app.bsky.feed.searchPosts",), needs_channel=True, max_query=1000,
            requests_per_run=6,
            rate=base.RateBudget(3000, 300.0, scope="app",
                                 source="https://docs.bsky.app/docs/advanced-guides/rate-limits"),
            notes="Through the connected account's PDS (proxied to the AppView)."),
    )
    # Capabilities has one text limit; Bluesky has a second one, in bytes.
    text_max_bytes: ClassVar[int] = MAX_BYTES

    def validate(self, request: PublishRequest) -> list[Problem]:
        problems: list[Problem] = []
        text = request.text
        count, size = graphemes(text), utf8_length(text)
        if not text.strip() and not request.media:
            problems.append(Problem("empty", "Write some text or attach an image."))
        if count > MAX_GRAPHEMES:
            problems.append(
                Problem(
                    "text_too_long",
                    f"Bluesky allows {MAX_GRAPHEMES} characters; this text has {count}.",
                    params={"limit": MAX_GRAPHEMES, "count": count},
                )
            )
        if size > MAX_BYTES:
            problems.append(
                Problem(
                    "text_too_many_bytes",
                    f"Bluesky allows {MAX_BYTES} bytes of text (UTF-8); this text has {size}.",
                    params={"limit": MAX_BYTES, "count": size},
                )
            )
        problems.extend(follow_up_problems(request))
        problems.extend(self.media_problems(request.media))
        return problems

    def verify(self) -> AccountInfo:
        if self.credentials.get("access_jwt"):
            session = self._call("GET", "com.atproto.server.getSession").json()
        else:
            session = self._create_session()
        handle = session.get("handle", "")
        return AccountInfo(
            remote_id=session["did"],
            handle=handle,
            display_name=handle,
            url=f"{APP_URL}/profile/{handle}",
            settings={"service": self.service},
        )

    def publish(self, request: PublishRequest) -> PublishResult:
        # The PDS stores whatever bytes it is sent under the declared type, so a text file
        # named photo.png would become a broken image post: check the files' own signatures.
        problems = self.validate(request) or content_problems(request)
        if problems:
            raise BadContent("; ".join(p.message for p in problems), problems=problems)
        rkey = request.idempotency_key or self.new_idempotency_key()
        record: dict[str, Any] = {"$type": POST_COLLECTION, "text": request.text,
                                  "createdAt": now()}
        facets = self._facets(request.text)
        if facets:
            record["facets"] = facets
        if request.media:
            record["embed"] = {
                "$type": "app.bsky.embed.images",
                "images": [self._image(item) for item in request.media],
            }
        elif request.options.get("external"):
            # A link card (the client builds it on Bluesky); images take precedence.
            record["embed"] = self._external(request.options["external"])
        langs = request.options.get("langs") or ([request.language] if request.language else [])
        if langs:
            record["langs"] = list(langs)[:3]
        root, existed = self._put(rkey, record)
        result = self._result(root["uri"], root["cid"], root["createdAt"])
        texts = follow_ups(request)
        if not texts:
            return result
        # The root is out: whatever happens to the replies must not make the engine retry
        # the post as failed. They are reported on the result instead.
        raw: dict[str, Any] = dict(result.raw)
        replies, error = self._chain(rkey, root, texts, langs=record.get("langs"),
                                     look_first=existed)
        raw["replies"] = replies
        if error:
            raw["follow_up_error"] = error
        return PublishResult(remote_id=result.remote_id, url=result.url,
                             published_at=result.published_at, raw=raw)

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        """The post made for this request, else None. For a thread, None also when a reply is
        still missing: publish() then finds the root and the replies already made under their
        keys and creates only the rest."""
        if not request.idempotency_key:
            return None
        root = self._get(request.idempotency_key)
        if root is None:
            return None
        result = self._result(root["uri"], root["cid"], root["createdAt"])
        texts = follow_ups(request)
        if not texts:
            return result
        replies = []
        for index in range(1, len(texts) + 1):
            found = self._get(follow_up_key(request.idempotency_key, index))
            if found is None:
                return None
            replies.append(found["uri"])
        return PublishResult(remote_id=result.remote_id, url=result.url,
                             published_at=result.published_at,
                             raw={**result.raw, "replies": replies})

    def delete(self, remote_id: str) -> None:
        repo, collection, rkey = split_uri(remote_id)
        self._call(
            "POST",
            "com.atproto.repo.deleteRecord",
            json={"repo": repo, "collection": collection, "rkey": rkey},
            # Deleting an already deleted record is a no-op on the PDS.
            safe_to_repeat=True,
        )

    @classmethod
    def new_idempotency_key(cls) -> str:
        return new_tid()

    # -- metrics (keryx.networks.bluesky.metrics) --------------------------------------------

    def fetch_metrics(self, remote_id: str) -> PostMetrics | PostGone:
        return metrics.fetch_post_metrics(self._call, remote_id)

    def fetch_channel_metrics(self) -> ChannelMetrics:
        return metrics.fetch_channel_metrics(self._call, self.did)

    def list_recent_posts(self, since: datetime) -> list[RecentPost]:
        return metrics.list_recent_posts(
            self._call, self.did, str(self.credentials.get("handle") or ""), since)
