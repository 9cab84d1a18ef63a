"""LinkedInProvider: validation, the account, publishing, reconciliation, metrics and
comments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import quote

import regex

from keryx.networks import base, readings
from keryx.networks.base import (
    AccountInfo,
    AuthExpired,
    CannotReconcile,
    Capabilities,
    ConnectField,
    Disconnected,
    MediaRules,
    NotSupported,
    OAuth2Spec,
    Problem,
    PublishRequest,
    PublishResult,
    Transient,
)
from keryx.networks.community import ChannelMetrics, Comment, PostGone, PostMetrics, RecentPost
from keryx.networks.followup import add_first_comment, first_comment_text
from keryx.networks.linkedin.api import millis, post_url
from keryx.networks.linkedin.commentary import escape_commentary, unescape_commentary
from keryx.networks.linkedin.inbox import LinkedInInbox
from keryx.networks.linkedin.limits import (
    DOCUMENT_TYPES,
    IMAGE_TYPES,
    MAX_DOCUMENT_BYTES,
    MAX_IMAGE_BYTES,
    MAX_IMAGE_PIXELS,
    MAX_IMAGES,
    MAX_VIDEO_BYTES,
    MAX_VIDEO_SECONDS,
    MIN_VIDEO_BYTES,
    MIN_VIDEO_SECONDS,
    TEXT_LIMIT,
    VIDEO_TYPES,
)
from keryx.networks.linkedin.uploads import LinkedInUploads
from keryx.networks.text import utf16_length

LOOKUP_MARGIN = timedelta(minutes=5)
LOOKUP_COUNT = 50


ORG_PERMISSION = "r_organization_social"
MEMBER_PERMISSION = "r_member_social"
RECENT_PAGES = 5


class LinkedInProvider(LinkedInInbox, LinkedInUploads):
    network: ClassVar[str] = "linkedin"
    display_name: ClassVar[str] = "LinkedIn"
    capabilities: ClassVar[Capabilities] = Capabilities(
        text_limit=TEXT_LIMIT,
        counting="utf16",
        media=MediaRules(
            max_items=MAX_IMAGES,
            image_types=IMAGE_TYPES,
            max_image_bytes=MAX_IMAGE_BYTES,
            video_types=VIDEO_TYPES,
            max_video_bytes=MAX_VIDEO_BYTES,
            alt_text=True,
            alt_text_max=None,
            mix_images_and_video=False,
            # Images, or one video, or one document: never a mix.
            alone=frozenset({"video", "document"}),
            min_video_bytes=MIN_VIDEO_BYTES,
            document_types=DOCUMENT_TYPES,
            max_document_bytes=MAX_DOCUMENT_BYTES,
            probe_video=True,
            video_containers=frozenset({"mp4"}),
            # Fewer than 36,152,320 pixels; GIF up to 250 frames.
            geometry=base.ImageGeometry(max_pixels=MAX_IMAGE_PIXELS - 1, animated=True),
            video=base.VideoRules(min_seconds=MIN_VIDEO_SECONDS, max_seconds=MAX_VIDEO_SECONDS),
        ),
        first_comment=True,
        metrics=True,
        comments=True,
        inbox=True,
        connect="oauth2",
        # Declarations read through the registry (composer, library, contacts).
        text_rules=(base.TextRule("utf16", utf16_length, TEXT_LIMIT),),
        preview=base.PreviewRules(fold_at=210),
        extras=base.RequestExtras(link_option="link"),
        # A mention annotation in LinkedIn's little format, with the member's or page's URN.
        mentions=base.MentionRules(
            format="@[{name}]({handle})",
            pattern=r"^urn:li:(?:person|organization):[A-Za-z0-9_-]+$",
            hint=base.gettext_noop("A LinkedIn mention needs the member's or page's URN, like "
                                   "urn:li:person:abc123."),
            strip_at=False, name_replacements=(("[", "("), ("]", ")"))),
        hashtags_recommended=5,
        metrics_spec=base.MetricsSpec(
            post=frozenset({"likes", "comments", "shares", "impressions", "reach", "clicks"}),
            channel=frozenset({"followers"}),
            permission="r_organization_social",
            recent_posts=True,
            # LinkedIn shows each app's daily limits in its developer portal only (no
            # published figure); a 429 waits until the reset LinkedIn gives, else UTC
            # midnight, when the daily counters start again.
            rate=(),
            notes="Impressions, reach, clicks and shares, the follower count and the import "
                  "of posts exist for Page (organization) channels only; members' analytics "
                  "need partner-only scopes.",
        ),
    )
    default_api_base: ClassVar[str] = "https://api.linkedin.com"
    default_oauth_base: ClassVar[str] = "https://www.linkedin.com/oauth/v2"
    oauth: ClassVar[OAuth2Spec] = OAuth2Spec(
        authorize_path="/authorization",
        token_path="/accessToken",
        scopes=("openid", "profile", "w_member_social", "w_organization_social",
                "r_organization_social"),
        # LinkedIn offers PKCE to native (public) clients only; a web app uses its secret.
        pkce=False,
        client_auth="body",
    )
    connect_fields: ClassVar[tuple[ConnectField, ...]] = (
        ConnectField("organization_id", "Organization ID", required=False, store="settings",
                     help="Post as this LinkedIn page (the number in "
                          "linkedin.com/company/<id>/admin); leave out to post as yourself."),
    )
    # Third parties quote ~150 shares per member per day; LinkedIn publishes no figure.
    daily_post_cap: ClassVar[int | None] = 150

    # -- validation (pure) -----------------------------------------------------------------

    def validate(self, request: PublishRequest) -> list[Problem]:
        problems: list[Problem] = []
        length = utf16_length(request.text)
        if length > TEXT_LIMIT:
            problems.append(Problem(
                "too_long", f"The text is {length} characters long; LinkedIn allows {TEXT_LIMIT}.",
                params={"length": length, "limit": TEXT_LIMIT}))
        media = request.media
        if not request.text.strip() and not media:
            problems.append(Problem("empty", "A LinkedIn post needs text or media."))
        problems.extend(self.media_problems(media))
        return problems

    # -- account ---------------------------------------------------------------------------

    def verify(self) -> AccountInfo:
        me = self._json(self._call("GET", "/v2/userinfo"))
        person_id = str(me.get("sub") or "")
        if not person_id:
            raise Transient("LinkedIn's answer does not look like a member.")
        settings: dict[str, Any] = {"person_id": person_id}
        org = self.settings.get("organization_id")
        if org:
            page = self._json(self._call("GET", f"/rest/organizations/{org}"))
            settings.update({"organization_id": str(org), "author": f"urn:li:organization:{org}"})
            vanity = page.get("vanityName") or ""
            return AccountInfo(
                remote_id=f"urn:li:organization:{org}",
                handle=vanity or str(org),
                display_name=page.get("localizedName") or vanity or str(org),
                url=f"https://www.linkedin.com/company/{vanity or org}/",
                settings=settings,
            )
        settings["author"] = f"urn:li:person:{person_id}"
        name = me.get("name") or " ".join(
            p for p in (me.get("given_name"), me.get("family_name")) if p)
        return AccountInfo(remote_id=f"urn:li:person:{person_id}", handle=name or person_id,
                           display_name=name or person_id, settings=settings)

    # -- publishing ------------------------------------------------------------------------

    def publish(self, request: PublishRequest) -> PublishResult:
        author = self.author
        content = self._content(request, author)
        body: dict[str, Any] = {
            "author": author,
            "commentary": escape_commentary(request.text),
            "visibility": str(request.options.get("visibility") or "PUBLIC"),
            "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [],
                             "thirdPartyDistributionChannels": []},
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        if content:
            body["content"] = content
        response = self._call("POST", "/rest/posts", json=body)
        urn = response.headers.get("x-restli-id") or response.headers.get("x-linkedin-id")
        if not urn:
            # Created (2xx) but we cannot tell which post: reconcile instead of posting again.
            raise CannotReconcile("LinkedIn created the post without saying its id; check the "
                                  "page before posting again.")
        result = PublishResult(urn, post_url(urn), datetime.now(UTC), {"id": urn})
        return self._first_comment(request, result)

    def _first_comment(self, request: PublishRequest, result: PublishResult) -> PublishResult:
        return add_first_comment(result, first_comment_text(request), self.reply)

    # -- reconciliation --------------------------------------------------------------------

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        author = self.author
        url = (f"{self.api}/rest/posts?q=author&author={quote(author, safe='')}"
               f"&count={LOOKUP_COUNT}&sortBy=CREATED")
        try:
            listing = self._json(self._call("GET", url))
        except AuthExpired as exc:
            if exc.status == 403:
                raise CannotReconcile(
                    "LinkedIn does not let this app read the member's posts, so Keryx cannot "
                    "tell whether the post went out: check the profile, then retry if it is "
                    "missing.", status=403) from exc
            raise
        since = request.scheduled_at - LOOKUP_MARGIN if request.scheduled_at else None
        wanted = " ".join(request.text.split())
        elements = listing.get("elements") or []
        for post in elements:
            created = millis(post.get("createdAt") or post.get("publishedAt"))
            if since and created and created < since:
                continue
            if " ".join(unescape_commentary(post.get("commentary", "")).split()) == wanted:
                urn = str(post["id"])
                return PublishResult(urn, post_url(urn), created, {"id": urn})
        oldest = min((millis(p.get("createdAt")) for p in elements if p.get("createdAt")),
                     default=None)
        if len(elements) >= LOOKUP_COUNT and (since is None or (oldest and oldest >= since)):
            raise Transient("Too many recent LinkedIn posts to be sure whether the post went "
                            "out.")
        return None

    def delete(self, remote_id: str) -> None:
        try:
            self._call("DELETE", f"/rest/posts/{quote(remote_id, safe='')}",
                       safe_to_repeat=True)
        except Disconnected as exc:
            if exc.status in (404, 410):
                return
            raise

    # -- metrics and comments --------------------------------------------------------------

    def _read(self, fn: Any, what: str, permission: str, remote_id: str = "") -> Any:
        return readings.read(fn, network="LinkedIn", permission=permission, what=what,
                             remote_id=remote_id)

    def fetch_metrics(self, remote_id: str) -> PostMetrics | PostGone:
        """GET /rest/socialActions/{urn} (likes, comments) and, for a Page's posts,
        GET /rest/organizationalEntityShareStatistics (impressions, unique impressions as
        reach, clicks, shares; r_organization_social). Members' own post analytics
        (memberCreatorPostAnalytics) need a scope LinkedIn grants to approved partners only:
        those figures stay None."""
        encoded = quote(remote_id, safe="")
        actions = self._read(lambda: self._json(self._call(
            "GET", f"/rest/socialActions/{encoded}")), "the post's counts", ORG_PERMISSION
            if self.settings.get("organization_id") else MEMBER_PERMISSION, remote_id)
        if isinstance(actions, PostGone):
            return actions
        likes = (actions.get("likesSummary") or {})
        comments = (actions.get("commentsSummary") or {})
        raw: dict[str, Any] = {"socialActions": actions}
        stats: dict[str, Any] = {}
        org = self.settings.get("organization_id")
        if org:
            key = "ugcPosts" if ":ugcPost:" in remote_id else "shares"
            url = (f"{self.api}/rest/organizationalEntityShareStatistics?q=organizationalEntity"
                   f"&organizationalEntity={quote(f'urn:li:organization:{org}', safe='')}"
                   f"&{key}=List({encoded})")
            answer = self._read(lambda: self._json(self._call("GET", url)),
                                "the post's statistics", ORG_PERMISSION, remote_id)
            if isinstance(answer, PostGone):
                return answer
            elements = answer.get("elements") or []
            stats = (elements[0].get("totalShareStatistics") or {}) if elements else {}
            raw["shareStatistics"] = stats
        count = readings.count
        return PostMetrics(
            likes=count(likes.get("aggregatedTotalLikes", likes.get("totalLikes"))),
            comments=count(comments.get("aggregatedTotalComments")),
            shares=count(stats.get("shareCount")),
            impressions=count(stats.get("impressionCount")),
            reach=count(stats.get("uniqueImpressionsCount")),
            clicks=count(stats.get("clickCount")),
            raw=raw,
        )

    def fetch_channel_metrics(self) -> ChannelMetrics:
        """A Page's followers: GET /rest/networkSizes/{org urn}?edgeType=
        COMPANY_FOLLOWED_BY_MEMBER. A member's follower count needs a partner-only scope."""
        org = self.settings.get("organization_id")
        if not org:
            raise NotSupported("LinkedIn gives a member's follower count only to approved "
                               "partners (r_member_profileAnalytics); Page channels have it.")
        urn = quote(f"urn:li:organization:{org}", safe="")
        body = readings.read_account(
            lambda: self._json(self._call("GET", f"/rest/networkSizes/{urn}",
                                          params={"edgeType": "COMPANY_FOLLOWED_BY_MEMBER"})),
            network="LinkedIn", permission=ORG_PERMISSION, what="the Page's followers")
        return ChannelMetrics(followers=readings.count(body.get("firstDegreeSize")),
                              raw=dict(body))

    def list_recent_posts(self, since: datetime) -> list[RecentPost]:
        """A Page's posts: GET /rest/posts?q=author&author={org urn}&sortBy=CREATED, paged
        with start/count. Members' posts need r_member_social, granted to partners only."""
        if not self.settings.get("organization_id"):
            raise NotSupported("LinkedIn lists a member's posts only for approved partners "
                               "(r_member_social).")
        found: list[RecentPost] = []
        start = 0
        for _ in range(RECENT_PAGES):
            params = {"q": "author", "author": self.author, "count": "100",
                      "start": str(start), "sortBy": "CREATED"}
            body = readings.read_account(
                lambda p=params: self._json(self._call(  # type: ignore[misc]
                    "GET", "/rest/posts", params=p, headers={"X-RestLi-Method": "FINDER"})),
                network="LinkedIn", permission=ORG_PERMISSION, what="the Page's posts")
            elements = body.get("elements") or []
            older = False
            for post in elements:
                created = millis(post.get("publishedAt") or post.get("createdAt"))
                if created is None:
                    continue
                if created < since:
                    older = True
                    continue
                if (post.get("reshareContext") or {}).get("parent"):
                    continue  # a reshare of someone else's post
                urn = str(post.get("id") or "")
                found.append(RecentPost(urn, post_url(urn), created,
                                        unescape_commentary(str(post.get("commentary") or ""))))
            if older or len(elements) < 100:
                break
            start += 100
        return readings.newest_first(found)

    def fetch_comments(self, remote_id: str, since: datetime | None = None) -> list[Comment]:
        listing = self._json(self._call(
            "GET", f"/rest/socialActions/{quote(remote_id, safe='')}/comments",
            params={"count": "100"}))
        comments = []
        for item in listing.get("elements") or []:
            created = millis((item.get("created") or {}).get("time"))
            if since and created and created < since:
                continue
            comments.append(Comment(
                remote_id=str(item.get("commentUrn") or item.get("id")),
                text=(item.get("message") or {}).get("text", ""),
                author_id=str(item.get("actor") or ""),
                created_at=created,
                parent_id=str(item.get("parentComment") or ""),
                raw=item))
        return comments

    def reply(self, remote_id: str, text: str) -> PublishResult:
        """A comment on a post (post URN) or a reply to a comment (comment URN), as the
        channel's author."""
        body: dict[str, Any] = {"actor": self.author, "message": {"text": text}}
        match = regex.fullmatch(r"urn:li:comment:\((urn:li:[^,]+),[^)]+\)", remote_id)
        if match:
            body["object"] = match.group(1)
            body["parentComment"] = remote_id
        else:
            body["object"] = remote_id
        response = self._call(
            "POST", f"/rest/socialActions/{quote(remote_id, safe='')}/comments", json=body)
        created = self._json(response) if response.content else {}
        comment_urn = str(created.get("commentUrn") or response.headers.get("x-restli-id")
                          or created.get("id") or "")
        return PublishResult(comment_urn, post_url(body["object"]), raw={"id": comment_urn})
