"""Facebook Pages over the Graph API (versioned base, default https://graph.facebook.com/v23.0).

Credentials: {"access_token": the Page access token (what every post uses),
"refresh_token": the long-lived *user* token the Page token was derived from (optional)}.
Settings: {"page_id", "pages": [{"id", "name"}] the Pages the user manages, learned by verify()}.

Facebook has no refresh tokens. A Page token derived from a long-lived user token does not
expire, but the user token does (~60 days); refresh() trades the user token for a new long-lived
one (grant_type=fb_exchange_token) and re-reads the Page token with it, so the connection stays
renewable. That user token is stored as the channel's refresh token.

Publishing: text/link -> POST /{page}/feed; one image -> POST /{page}/photos; several images ->
each uploaded unpublished, then one feed post with attached_media; one video -> POST
/{page}/videos. Native scheduling (published=false + scheduled_publish_time) is used only when
the request asks for it (options["native_schedule"]); otherwise Keryx publishes at the time
itself. No idempotency key: an unknown outcome is reconciled by reading the Page's recent posts.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import httpx

from keryx.networks import base, meta, oauth2, readings
from keryx.networks.base import (
    AccountInfo,
    AuthExpired,
    BadContent,
    Capabilities,
    ConnectField,
    Disconnected,
    MediaItem,
    MediaRules,
    OAuth2Spec,
    Problem,
    PublishRequest,
    PublishResult,
    TokenSet,
    Transient,
)
from keryx.networks.common import BaseProvider
from keryx.networks.community import ChannelMetrics, Comment, PostGone, PostMetrics, RecentPost
from keryx.networks.facebook_inbox import FacebookInbox
from keryx.networks.followup import add_first_comment, first_comment_text
from keryx.networks.text import graphemes

GRAPH_VERSION = "v23.0"
# Not documented by Meta; 63,206 is the figure third parties quote (platform-rules.md).
TEXT_LIMIT = 63206
# "Must be < 10 MB" (Photo reference): the largest accepted size is one byte under 10 MiB.
MAX_PHOTO_BYTES = 10 * 1024 * 1024 - 1
# Keryx uploads a video in one (non-resumable) request, which the Video API allows up to 1 GB
# and 20 minutes; the 10 GB / 4 h figures quoted for resumable uploads are unverified anyway.
MAX_VIDEO_BYTES = 1024 * 1024 * 1024
MAX_VIDEO_SECONDS = 20 * 60
# The number of photos in one post is not documented; 10 is our own cap (what the composer and
# other tools use) until Meta says more.
MAX_PHOTOS = 10
SCHEDULE_MIN = timedelta(minutes=10)
SCHEDULE_MAX = timedelta(days=30)
LOOKUP_MARGIN = timedelta(minutes=5)
LOOKUP_LIMIT = 50
ENGAGEMENT_PERMISSION = "pages_read_engagement"
INSIGHTS_PERMISSION = "read_insights"
RECENT_PAGES = 10


def _same_text(a: str, b: str) -> bool:
    return " ".join((a or "").split()) == " ".join((b or "").split())


class FacebookProvider(FacebookInbox, BaseProvider):
    network: ClassVar[str] = "facebook"
    display_name: ClassVar[str] = "Facebook"
    capabilities: ClassVar[Capabilities] = Capabilities(
        text_limit=TEXT_LIMIT,
        counting="chars",
        media=MediaRules(
            max_items=MAX_PHOTOS,
            image_types=frozenset({"image/jpeg", "image/png", "image/gif", "image/bmp",
                                   "image/tiff"}),
            max_image_bytes=MAX_PHOTO_BYTES,
            video_types=frozenset({"video/mp4", "video/quicktime"}),
            max_video_bytes=MAX_VIDEO_BYTES,
            alt_text=True,
            alt_text_max=None,
            mix_images_and_video=False,
            alone=frozenset({"video"}),
            probe_video=True,
            # Photos are not sent animated; no published geometry limit.
            geometry=base.ImageGeometry(max_side=4096),
            # Keryx's own upload limit (see MAX_VIDEO_SECONDS), below the network's 4 h.
            video=base.VideoRules(max_seconds=MAX_VIDEO_SECONDS),
        ),
        first_comment=True,
        native_scheduling=True,
        metrics=True,
        comments=True,
        inbox=True,
        hide_comments=True,
        delete_comments=True,
        direct_messages=True,
        connect="oauth2",
        # Declarations read through the registry (composer, library, contacts).
        text_rules=(base.TextRule("characters", graphemes, TEXT_LIMIT),),
        preview=base.PreviewRules(fold_at=480),
        extras=base.RequestExtras(link_option="link"),
        hashtags_recommended=3,
        metrics_spec=base.MetricsSpec(
            post=frozenset({"likes", "comments", "shares", "impressions", "reach", "clicks"}),
            channel=frozenset({"followers"}),
            permission="pages_read_engagement, read_insights",
            recent_posts=True,
            # Pages: business-use-case limit of 4800 calls x engaged users per 24 h, per Page.
            rate=(base.RateBudget(4800, 86400.0, scope="channel",
                                  source="https://developers.facebook.com/docs/graph-api/"
                                         "overview/rate-limiting"),),
            notes="likes = all reactions; no saves, quotes or video views; a Page has no "
                  "following or post count.",
        ),
    )
    default_api_base: ClassVar[str] = f"https://graph.facebook.com/{GRAPH_VERSION}"
    default_oauth_base: ClassVar[str] = "https://www.facebook.com"
    oauth: ClassVar[OAuth2Spec] = OAuth2Spec(
        authorize_path=f"/{GRAPH_VERSION}/dialog/oauth",
        # The token endpoint is on the Graph API host: /oauth/access_token under the API base.
        token_path="/oauth/access_token",
        token_on_api_base=True,
        scopes=("pages_show_list", "pages_manage_posts", "pages_read_engagement",
                "pages_manage_engagement", "pages_read_user_engagement", "publish_video",
                "read_insights"),
        scope_separator=",",
        pkce=True,
    )
    connect_fields: ClassVar[tuple[ConnectField, ...]] = (
        ConnectField(
            "page_id", "Page ID", required=False, store="settings",
            help="The numeric ID of the Facebook Page to post on. Without it, the first Page "
                 "the token can manage (or the Page a Page token belongs to) is used.",
        ),
    )
    daily_post_cap: ClassVar[int | None] = None  # feed posts: no fixed number (BUC limits)

    # -- plumbing --------------------------------------------------------------------------

    def _token(self) -> str:
        token = self.credentials.get("access_token")
        if not token:
            raise AuthExpired("No Page access token stored for this Facebook channel.")
        return str(token)

    def _graph(self, method: str, path: str, *, token: str | None = None,
               safe_to_repeat: bool | None = None, **kwargs: Any) -> Any:
        """One Graph API call; the token goes in the Authorization header, never the URL."""
        headers = {"Authorization": f"Bearer {token or self._token()}",
                   "Accept": "application/json"}
        if safe_to_repeat is None:
            safe_to_repeat = method.upper() == "GET"
        response = self.http.request(method, self.api + path, headers=headers,
                                     safe_to_repeat=safe_to_repeat, check_status=False,
                                     **kwargs)
        # Graph errors come as HTTP 400 whatever the cause: the error code decides (meta.py).
        meta.raise_for_graph(response, sent_unsafe=not safe_to_repeat)
        try:
            return response.json()
        except ValueError as exc:
            raise Transient(f"Facebook answered {response.status_code} without JSON.") from exc

    @property
    def page_id(self) -> str:
        page_id = self.settings.get("page_id")
        if not page_id:
            raise Disconnected("This Facebook channel has no Page; connect it again.")
        return str(page_id)

    # -- validation (pure) -----------------------------------------------------------------

    def validate(self, request: PublishRequest) -> list[Problem]:
        problems: list[Problem] = []
        length = graphemes(request.text)
        if length > TEXT_LIMIT:
            problems.append(Problem(
                "too_long",
                f"The text is {length} characters long; Facebook accepts about {TEXT_LIMIT}.",
                params={"length": length, "limit": TEXT_LIMIT},
            ))
        media = request.media
        if not request.text.strip() and not media and not request.options.get("link"):
            problems.append(Problem("empty", "A Facebook post needs text, a link or media."))
        problems.extend(self.media_problems(media))
        if request.options.get("native_schedule"):
            problems.extend(self._schedule_problems(request.scheduled_at))
        return problems

    @staticmethod
    def _schedule_problems(when: datetime | None, now: datetime | None = None) -> list[Problem]:
        now = now or datetime.now(UTC)
        if when is None:
            return [Problem("schedule_missing",
                            "Facebook native scheduling needs a publication time.",
                            field="scheduled_at")]
        lead = when - now
        if lead < SCHEDULE_MIN or lead > SCHEDULE_MAX:
            return [Problem("schedule_out_of_range",
                            "Facebook schedules posts between 10 minutes and 30 days ahead; "
                            "let Keryx publish this one itself instead.",
                            field="scheduled_at", params={"lead_seconds": lead.total_seconds()})]
        return []

    # -- account ---------------------------------------------------------------------------

    def verify(self) -> AccountInfo:
        """Find the Page and its token. With the user token (refresh_token) or a user access
        token, the Page token is read from the Page; a Page token is used as it is."""
        user_token = self.credentials.get("refresh_token")
        page_id = self.settings.get("page_id")
        pages: list[dict[str, Any]] = []
        if user_token or not page_id:
            token = str(user_token or self._token())
            try:
                listing = self._graph(
                    "GET", "/me/accounts", token=token,
                    params={"fields": "id,name,link,username,access_token", "limit": "100"})
                pages = [p for p in listing.get("data") or [] if isinstance(p, dict)]
            except BadContent:
                # (#100) "nonexisting field (accounts) on node type (Page)": a Page token.
                if user_token:
                    raise
                page = self._graph("GET", "/me", params={"fields": "id,name,link,username"})
                return self._account(page, self._token(), [])
            if not pages:
                raise Disconnected("This Facebook account manages no Page Keryx can post to; "
                                   "grant the app access to a Page and connect again.")
            page = next((p for p in pages if str(p.get("id")) == str(page_id)), None)
            if page is None and page_id:
                raise Disconnected(f"The Facebook account has no access to Page {page_id}.")
            page = page or pages[0]
            if not user_token:
                # A user access token was given: keep it for renewals.
                self._save({"refresh_token": self._token()})
            return self._account(page, str(page.get("access_token") or ""), pages)
        page = self._graph("GET", f"/{page_id}",
                           params={"fields": "id,name,link,username,access_token"})
        page_token = str(page.get("access_token") or self._token())
        if page_token != self._token():
            # The token given was a user's: keep it for renewals.
            self._save({"refresh_token": self._token()})
        return self._account(page, page_token, [])

    def _account(self, page: dict[str, Any], page_token: str,
                 pages: list[dict[str, Any]]) -> AccountInfo:
        if not page.get("id"):
            raise Transient("Facebook's answer does not look like a Page.")
        if not page_token:
            raise AuthExpired("Facebook did not hand out a Page token: the Page role or the "
                              "pages_manage_posts permission is missing.")
        if page_token != self.credentials.get("access_token"):
            self._save({"access_token": page_token})
        settings: dict[str, Any] = {"page_id": str(page["id"])}
        if pages:
            settings["pages"] = [{"id": str(p["id"]), "name": p.get("name", "")} for p in pages]
        handle = page.get("username") or page.get("name") or str(page["id"])
        return AccountInfo(
            remote_id=str(page["id"]),
            handle=str(handle),
            display_name=str(page.get("name") or handle),
            url=page.get("link") or f"https://www.facebook.com/{page['id']}",
            settings=settings,
        )

    def _save(self, update: dict[str, Any]) -> None:
        self.credentials.update(update)
        if self.context.save_credentials is not None:
            self.context.save_credentials(update)

    # -- publishing ------------------------------------------------------------------------

    def _schedule_fields(self, request: PublishRequest) -> dict[str, str]:
        if not request.options.get("native_schedule"):
            return {}
        problems = self._schedule_problems(request.scheduled_at)
        if problems:
            raise BadContent(problems[0].message, problems=problems)
        assert request.scheduled_at is not None
        return {"published": "false",
                "scheduled_publish_time": str(int(request.scheduled_at.timestamp()))}

    def publish(self, request: PublishRequest) -> PublishResult:
        schedule = self._schedule_fields(request)
        media = request.media
        if media and media[0].mime_type.startswith("video/"):
            result = self._publish_video(request, media[0], schedule)
        elif len(media) == 1:
            result = self._publish_photo(request, media[0], schedule)
        elif media:
            result = self._publish_album(request, schedule)
        else:
            data = {"message": request.text, **schedule}
            if request.options.get("link"):
                data["link"] = str(request.options["link"])
            body = self._graph("POST", f"/{self.page_id}/feed", data=data)
            result = self._post_result(str(body["id"]))
        return self._first_comment(request, result)

    def _post_result(self, post_id: str, **raw: Any) -> PublishResult:
        return PublishResult(remote_id=post_id, url=f"https://www.facebook.com/{post_id}",
                             published_at=None, raw={"id": post_id, **raw})

    def _publish_photo(self, request: PublishRequest, item: MediaItem,
                       schedule: dict[str, str]) -> PublishResult:
        data = {"caption": request.text, **schedule}
        if item.alt_text:
            data["alt_text_custom"] = item.alt_text
        path = Path(item.path)
        with path.open("rb") as handle:
            body = self._graph("POST", f"/{self.page_id}/photos", data=data,
                               files={"source": (path.name, handle, item.mime_type)})
        post_id = str(body.get("post_id") or body["id"])
        return self._post_result(post_id, photo_id=str(body["id"]))

    def _publish_album(self, request: PublishRequest, schedule: dict[str, str]) -> PublishResult:
        photo_ids: list[str] = []
        for item in request.media:
            data = {"published": "false"}
            if schedule:
                # Unpublished photos for a scheduled post must be marked temporary.
                data["temporary"] = "true"
            if item.alt_text:
                data["alt_text_custom"] = item.alt_text
            path = Path(item.path)
            with path.open("rb") as handle:
                # An unpublished photo is not a post: repeating the upload after a timeout
                # leaves at most an unused photo, never a second post.
                body = self._graph("POST", f"/{self.page_id}/photos", data=data,
                                   files={"source": (path.name, handle, item.mime_type)},
                                   safe_to_repeat=True)
            photo_ids.append(str(body["id"]))
        data = {"message": request.text, **schedule}
        for index, photo_id in enumerate(photo_ids):
            data[f"attached_media[{index}]"] = json.dumps({"media_fbid": photo_id})
        body = self._graph("POST", f"/{self.page_id}/feed", data=data)
        return self._post_result(str(body["id"]), photo_ids=photo_ids)

    def _publish_video(self, request: PublishRequest, item: MediaItem,
                       schedule: dict[str, str]) -> PublishResult:
        data = {"description": request.text, **schedule}
        if request.options.get("title"):
            data["title"] = str(request.options["title"])
        path = Path(item.path)
        with path.open("rb") as handle:
            body = self._graph("POST", f"/{self.page_id}/videos", data=data,
                               files={"source": (path.name, handle, item.mime_type)})
        video_id = str(body["id"])
        return PublishResult(
            remote_id=video_id,
            url=f"https://www.facebook.com/{self.page_id}/videos/{video_id}/",
            raw={"id": video_id, "video": True},
        )

    def _first_comment(self, request: PublishRequest, result: PublishResult) -> PublishResult:
        # A natively scheduled post does not exist yet: there is nothing to comment on.
        if request.options.get("native_schedule"):
            return result
        return add_first_comment(result, first_comment_text(request), self.reply)

    # -- reconciliation --------------------------------------------------------------------

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        """The Page post made for this request among its recent (or scheduled) posts."""
        media = request.media
        since = request.scheduled_at - LOOKUP_MARGIN if request.scheduled_at else None
        if media and media[0].mime_type.startswith("video/"):
            edge, fields, text_key = "videos", "id,description,created_time", "description"
        elif request.options.get("native_schedule"):
            edge, fields, text_key = "scheduled_posts", "id,message,created_time", "message"
        else:
            edge, fields, text_key = "posts", "id,message,created_time,permalink_url", "message"
        params = {"fields": fields, "limit": str(LOOKUP_LIMIT)}
        if since is not None and edge == "posts":
            params["since"] = str(int(since.timestamp()))
        listing = self._graph("GET", f"/{self.page_id}/{edge}", params=params)
        items = listing.get("data") or []
        for item in items:
            created = meta.parse_graph_time(item.get("created_time"))
            # A scheduled post may have been created long before its time: no bound there.
            if since and created and created < since and edge != "scheduled_posts":
                continue
            if _same_text(item.get(text_key) or "", request.text):
                if edge == "videos":
                    video_id = str(item["id"])
                    return PublishResult(
                        video_id, f"https://www.facebook.com/{self.page_id}/videos/{video_id}/",
                        created, {"id": video_id, "video": True})
                post_id = str(item["id"])
                return PublishResult(post_id, item.get("permalink_url")
                                     or f"https://www.facebook.com/{post_id}", created,
                                     {"id": post_id})
        if len(items) >= LOOKUP_LIMIT and (listing.get("paging") or {}).get("next"):
            raise Transient("Too many recent Page posts to be sure whether the post went out.")
        return None

    def delete(self, remote_id: str) -> None:
        try:
            self._graph("DELETE", f"/{remote_id}", safe_to_repeat=True)
        except (Disconnected, BadContent) as exc:
            error = (exc.raw or {}).get("error") or {} if isinstance(exc.raw, dict) else {}
            if exc.status == 404 or error.get("code") == 100:
                return  # already gone
            raise

    # -- OAuth -----------------------------------------------------------------------------

    def _token_url(self) -> str:
        return oauth2.endpoint(self.api, self.oauth.token_path)

    def _long_lived(self, user_token: str) -> dict[str, Any]:
        if not self.context.client_id or not self.context.client_secret:
            raise AuthExpired("The Facebook app id and secret are not configured "
                              "(KERYX_FACEBOOK_CLIENT_ID / KERYX_FACEBOOK_CLIENT_SECRET).")
        response = self.http.request(
            "GET", self._token_url(), safe_to_repeat=True, check_status=False,
            params={"grant_type": "fb_exchange_token", "client_id": self.context.client_id,
                    "client_secret": self.context.client_secret,
                    "fb_exchange_token": user_token})
        return self._token_body(response)

    def _token_body(self, response: httpx.Response) -> dict[str, Any]:
        try:
            meta.raise_for_graph(response, sent_unsafe=False)
        except BadContent as exc:
            # A refused code or token (expired, revoked, wrong redirect URI): authorize again.
            raise AuthExpired(exc.message, status=exc.status, raw=exc.raw) from exc
        body = response.json()
        if not isinstance(body, dict) or not body.get("access_token"):
            raise AuthExpired("Facebook answered without an access token.")
        return body

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str) -> TokenSet:
        """Code -> short-lived user token -> long-lived user token. The Page token is read by
        verify() (it needs the Page id); until then the user token is also the access token."""
        params = {"client_id": self.context.client_id,
                  "client_secret": self.context.client_secret,
                  "redirect_uri": redirect_uri, "code": code}
        if code_verifier:
            params["code_verifier"] = code_verifier
        response = self.http.request("GET", self._token_url(), params=params,
                                     safe_to_repeat=True, check_status=False)
        short = self._token_body(response)
        long = self._long_lived(str(short["access_token"]))
        tokens = oauth2.token_set(long)
        return TokenSet(access_token=tokens.access_token, refresh_token=tokens.access_token,
                        expires_at=tokens.expires_at, scope=tokens.scope, raw=tokens.raw)

    def refresh(self) -> TokenSet:
        """A new long-lived user token, and the Page token read again with it."""
        user_token = self.credentials.get("refresh_token")
        if not user_token:
            raise AuthExpired("No Facebook user token is stored to renew this Page's "
                              "connection; connect the channel again.")
        long = oauth2.token_set(self._long_lived(str(user_token)))
        page = self._graph("GET", f"/{self.page_id}", token=long.access_token,
                           params={"fields": "id,access_token"})
        page_token = str(page.get("access_token") or "")
        if not page_token:
            raise AuthExpired("Facebook did not hand out a Page token: the Page role or the "
                              "pages_manage_posts permission is missing.")
        return TokenSet(access_token=page_token, refresh_token=long.access_token,
                        expires_at=long.expires_at, scope=long.scope, raw=long.raw)

    # -- metrics and comments --------------------------------------------------------------

    def _read(self, fn: Any, what: str, permission: str, remote_id: str = "") -> Any:
        return readings.read(fn, network="Facebook", permission=permission, what=what,
                             remote_id=remote_id, gone=meta.object_gone,
                             denied=meta.permission_missing)

    def fetch_metrics(self, remote_id: str) -> PostMetrics | PostGone:
        """GET /{post-id}?fields=reactions.summary(total_count),comments.summary(total_count),
        shares, then GET /{post-id}/insights (post_impressions, post_impressions_unique,
        post_clicks). Facebook leaves `shares` out of a post nobody shared (counted as 0);
        insights exist only for published Page posts (None otherwise)."""
        post = self._read(lambda: self._graph("GET", f"/{remote_id}", params={
            "fields": "reactions.summary(total_count).limit(0),"
                      "comments.summary(total_count).limit(0),shares"}),
            "the post's counts", ENGAGEMENT_PERMISSION, remote_id)
        if isinstance(post, PostGone):
            return post
        raw: dict[str, Any] = {"post": post}
        values: dict[str, Any] = {}
        try:
            insights = self._read(lambda: self._graph("GET", f"/{remote_id}/insights", params={
                "metric": "post_impressions,post_impressions_unique,post_clicks"}),
                "the post's insights", INSIGHTS_PERMISSION)
        except BadContent as exc:
            raw["insights_error"] = exc.message  # a metric refused for this kind of post
        else:
            values = {m.get("name"): ((m.get("values") or [{}])[0]).get("value")
                      for m in insights.get("data") or []}
            raw["insights"] = values

        def summary(key: str) -> int | None:
            return readings.count(((post.get(key) or {}).get("summary") or {})
                                  .get("total_count"))

        shares = readings.count((post.get("shares") or {}).get("count"))
        return PostMetrics(likes=summary("reactions"), comments=summary("comments"),
                           shares=0 if shares is None else shares,
                           impressions=readings.count(values.get("post_impressions")),
                           reach=readings.count(values.get("post_impressions_unique")),
                           clicks=readings.count(values.get("post_clicks")), raw=raw)

    def fetch_channel_metrics(self) -> ChannelMetrics:
        """GET /{page-id}?fields=followers_count,fan_count. A Page follows nobody and the
        Graph API gives no post count: those stay None."""
        page = readings.read_account(
            lambda: self._graph("GET", f"/{self.page_id}",
                                params={"fields": "followers_count,fan_count"}),
            network="Facebook", permission=ENGAGEMENT_PERMISSION, what="the Page's counts",
            denied=meta.permission_missing)
        return ChannelMetrics(followers=readings.count(page.get("followers_count")),
                              raw=dict(page))

    def list_recent_posts(self, since: datetime) -> list[RecentPost]:
        """GET /{page-id}/published_posts?since=... (the Page's own posts), paged."""
        params: dict[str, Any] = {"fields": "id,message,created_time,permalink_url",
                                  "since": str(int(since.timestamp())), "limit": "100"}
        found: list[RecentPost] = []
        path = f"/{self.page_id}/published_posts"
        for _ in range(RECENT_PAGES):
            body = readings.read_account(
                lambda: self._graph("GET", path, params=params), network="Facebook",
                permission=ENGAGEMENT_PERMISSION, what="the Page's posts",
                denied=meta.permission_missing)
            for item in body.get("data") or []:
                created = meta.parse_graph_time(item.get("created_time"))
                if created is None or created < since:
                    continue
                found.append(RecentPost(str(item["id"]), str(item.get("permalink_url") or ""),
                                        created, str(item.get("message") or "")))
            after = (((body.get("paging") or {}).get("cursors") or {}).get("after"))
            if not after or not (body.get("paging") or {}).get("next"):
                break
            params["after"] = str(after)
        return readings.newest_first(found)

    def fetch_comments(self, remote_id: str, since: datetime | None = None) -> list[Comment]:
        params = {"fields": "id,message,from,created_time,parent{id},permalink_url",
                  "filter": "stream", "order": "reverse_chronological", "limit": "100"}
        if since is not None:
            params["since"] = str(int(since.timestamp()))
        listing = self._graph("GET", f"/{remote_id}/comments", params=params)
        comments = []
        for item in listing.get("data") or []:
            author = item.get("from") or {}
            created = meta.parse_graph_time(item.get("created_time"))
            if since and created and created < since:
                continue
            comments.append(Comment(
                remote_id=str(item["id"]), text=item.get("message") or "",
                author_id=str(author.get("id") or ""), author_name=author.get("name") or "",
                created_at=created, parent_id=str((item.get("parent") or {}).get("id") or ""),
                url=item.get("permalink_url") or "", raw=item))
        return comments

    def reply(self, remote_id: str, text: str) -> PublishResult:
        """A comment as the Page on a post, or a reply to a comment."""
        body = self._graph("POST", f"/{remote_id}/comments", data={"message": text})
        comment_id = str(body["id"])
        return PublishResult(comment_id, f"https://www.facebook.com/{comment_id}",
                             raw={"id": comment_id})
