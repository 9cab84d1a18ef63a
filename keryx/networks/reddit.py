"""Reddit through its OAuth API (https://oauth.reddit.com), through the HTTP seam.

Credentials: {"access_token", "refresh_token", "expires_at"}. Settings: {"subreddit" (without
"r/"), "username", "user_agent"}.

A submission needs a title: `options["title"]`, else the first line of the text (and the rest
becomes the self-post body). Kinds:
  - self:  POST /api/submit kind=self, title, text
  - link:  kind=link, url=options["url"]
  - image: one image, uploaded through Reddit's media lease (POST /api/media/asset.json, then a
           form upload to the S3 bucket it names), then kind=image with the uploaded URL.
Reddit answers an image submission without the new post's id (it announces that on a
websocket), so the provider reads the account's newest submissions to find it.
Galleries and video are not offered.

Reddit requires a descriptive User-Agent ("<platform>:<app id>:<version> (by /u/<user>)") on
every call. Rate limits: X-Ratelimit-Remaining / -Reset headers, and submissions refused with
a RATELIMIT error ("try again in 5 minutes").
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import httpx
import regex

from keryx.networks import base, readings
from keryx.networks.base import (
    AccountInfo,
    AuthExpired,
    BadContent,
    Capabilities,
    ConnectField,
    Disconnected,
    MediaRules,
    OAuth2Spec,
    OutcomeUnknown,
    Problem,
    PublishRequest,
    PublishResult,
    RateLimited,
    TokenSet,
    Transient,
)
from keryx.networks.common import BaseProvider
from keryx.networks.community import ChannelMetrics, Comment, PostGone, PostMetrics, RecentPost
from keryx.networks.followup import add_first_comment, first_comment_text
from keryx.networks.http import error_message, parse_retry_after, raise_for_status
from keryx.networks.listening import ListeningSpec
from keryx.networks.reddit_inbox import RedditInbox
from keryx.networks.reddit_listening import MAX_QUERY, RedditListening

TITLE_MAX = 300
TEXT_MAX = 40_000
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif"})
IMAGE_MAX_BYTES = 20 * 1024 * 1024
LOOKUP_MARGIN = timedelta(minutes=5)
VERSION = "0.1"
RECENT_PAGES = 10

_WAIT = regex.compile(r"(\d+)\s*(millisecond|second|minute|hour)s?", regex.IGNORECASE)
_UNIT = {"millisecond": 0.001, "second": 1, "minute": 60, "hour": 3600}
# Errors in the {"json": {"errors": [[CODE, message, field]]}} list that mean "the account",
# not "this content".
AUTH_ERRORS = {"USER_REQUIRED", "INVALID_USER"}
GONE_ERRORS = {
    "SUBREDDIT_NOEXIST", "SUBREDDIT_NOTALLOWED", "SUBREDDIT_REQUIRED", "BANNED_FROM_SUBREDDIT",
}


def wait_seconds(message: str) -> float | None:
    """ "try again in 5 minutes." -> 300.0."""
    match = _WAIT.search(message or "")
    if not match:
        return None
    return float(match.group(1)) * _UNIT[match.group(2).lower()]


def _timestamp(value: Any) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if isinstance(value, int | float) else None


class RedditProvider(RedditInbox, RedditListening, BaseProvider):
    network: ClassVar[str] = "reddit"
    display_name: ClassVar[str] = "Reddit"
    default_api_base: ClassVar[str] = "https://oauth.reddit.com"
    default_oauth_base: ClassVar[str] = "https://www.reddit.com"
    daily_post_cap: ClassVar[int | None] = None
    oauth: ClassVar[OAuth2Spec] = OAuth2Spec(
        authorize_path="/api/v1/authorize",
        token_path="/api/v1/access_token",
        scopes=("identity", "submit", "read", "edit", "history", "flair", "modposts",
                "privatemessages"),
        # Reddit's flow has no PKCE; the app authenticates with HTTP Basic. `permanent` is what
        # yields a refresh token.
        pkce=False,
        scope_separator=" ",
        client_auth="basic",
        extra_authorize_params={"duration": "permanent"},
    )
    connect_fields: ClassVar[tuple[ConnectField, ...]] = (
        ConnectField("subreddit", "Subreddit", store="settings",
                     help="Where posts go, e.g. r/selfhosted or selfhosted."),
    )
    capabilities: ClassVar[Capabilities] = Capabilities(
        text_limit=TEXT_MAX,
        counting="chars",
        media=MediaRules(
            max_items=1,
            image_types=IMAGE_TYPES,
            max_image_bytes=IMAGE_MAX_BYTES,
            video_types=frozenset(),
            max_video_bytes=0,
            alt_text=False,
            geometry=base.ImageGeometry(max_side=4096, animated=True),
        ),
        first_comment=True,
        metrics=True,
        comments=True,
        inbox=True,
        hide_comments=True,
        direct_messages=True,
        connect="oauth2",
        # Declarations read through the registry (composer, library, contacts).
        text_rules=(base.TextRule("characters", len, TEXT_MAX),),
        extras=base.RequestExtras(link_option="url"),
        mentions=base.MentionRules(format="u/{handle}", strip_prefixes=("u/", "/u/")),
        metrics_spec=base.MetricsSpec(
            post=frozenset({"likes", "comments", "shares"}),
            channel=frozenset({"followers"}),
            permission="read, identity, history",
            recent_posts=True,
            # 100 queries per minute per OAuth client id, averaged over 10 minutes: the
            # whole app's budget, shared by every channel.
            rate=(base.RateBudget(100, 60.0, scope="app",
                                  source="https://support.reddithelp.com/hc/en-us/articles/"
                                         "16160319875092-Reddit-Data-API-Wiki"),),
            notes="likes is the score (net upvotes); shares are crossposts; no impressions, "
                  "saves, reach or clicks.",
        ),
        listening=ListeningSpec(
            sources=("GET /search?type=link&sort=new",),
            needs_channel=True, max_query=MAX_QUERY, requests_per_run=1,
            rate=base.RateBudget(100, 60.0, scope="app",
                                 source="https://support.reddithelp.com/hc/en-us/articles/"
                                        "16160319875092-Reddit-Data-API-Wiki"),
            notes="Posts only (the API does not search comments); the whole boolean query in "
                  "one request; no language from Reddit (detected); hashtags searched as words."),
    )

    # Finding an image post after submitting it: a few reads, a moment apart.
    find_attempts: int = 4
    find_interval: float = 2.0

    # -- plumbing --------------------------------------------------------------------------

    @property
    def user_agent(self) -> str:
        custom = self.settings.get("user_agent")
        if custom:
            return str(custom)
        user = self.settings.get("username")
        by = f"; by /u/{user}" if user else ""
        return f"web:keryx:{VERSION} (self-hosted Keryx{by})"

    def _headers(self) -> dict[str, str]:
        token = self.access_token()
        return {"Authorization": f"bearer {token}", "User-Agent": self.user_agent}

    def _call(self, method: str, path: str, *, safe: bool | None = None, **kwargs: Any) -> Any:
        if safe is None:
            safe = method == "GET"
        response = self.http.request(method, self.api + path, headers=self._headers(),
                                     safe_to_repeat=safe, check_status=False, **kwargs)
        if response.status_code >= 400:
            message = f"Reddit: {error_message(response)}"
            if response.status_code == 429:
                wait = parse_retry_after(response.headers)
                raise RateLimited(message, retry_after=60.0 if wait is None else wait,
                                  status=429, scope="app")
            try:
                raise_for_status(response, sent_unsafe=not safe)
            except (AuthExpired, BadContent, Disconnected, Transient, OutcomeUnknown) as exc:
                exc.message = f"Reddit: {exc.message}"
                exc.args = (exc.message,)
                raise
        try:
            body = response.json()
        except ValueError as exc:
            raise Transient(
                f"Reddit answered {response.status_code} with something that is not JSON."
            ) from exc
        self._raise_json_errors(body, response)
        return body

    @staticmethod
    def _raise_json_errors(body: Any, response: httpx.Response) -> None:
        """Reddit's api_type=json answers carry refusals as a list of [CODE, message, field]."""
        block = body.get("json") if isinstance(body, dict) else None
        errors = block.get("errors") if isinstance(block, dict) else None
        if not errors:
            return
        code, message = str(errors[0][0]), str(errors[0][1] if len(errors[0]) > 1 else "")
        field = str(errors[0][2]) if len(errors[0]) > 2 and errors[0][2] else ""
        text = "Reddit: " + "; ".join(
            f"{e[1]}" + (f" ({e[2]})" if len(e) > 2 and e[2] else "") for e in errors
        )
        if code == "RATELIMIT":
            wait = wait_seconds(message)
            if wait is None and isinstance(block.get("ratelimit"), int | float):
                wait = float(block["ratelimit"])
            if wait is None:
                wait = parse_retry_after(response.headers) or 60.0
            raise RateLimited(text, retry_after=wait, raw=body)
        if code in AUTH_ERRORS:
            raise AuthExpired(text, raw=body)
        if code in GONE_ERRORS and field in {"sr", ""}:
            raise Disconnected(text, raw=body)
        raise BadContent(text, raw=body, problems=[
            Problem(str(e[0]).lower(), str(e[1]), field=str(e[2]) if len(e) > 2 and e[2]
                    else "text") for e in errors
        ])

    # -- shaping a submission --------------------------------------------------------------

    def _subreddit(self, request: PublishRequest) -> str:
        value = str(request.options.get("subreddit") or self.settings.get("subreddit") or "")
        value = value.strip().strip("/")
        for prefix in ("r/", "/r/"):
            if value.lower().startswith(prefix):
                value = value[len(prefix):]
        return value

    @staticmethod
    def _title_and_body(request: PublishRequest) -> tuple[str, str]:
        title = request.options.get("title")
        if title:
            return str(title).strip(), request.text
        first, _, rest = request.text.strip().partition("\n")
        return first.strip(), rest.strip()

    @staticmethod
    def _kind(request: PublishRequest) -> str:
        if request.options.get("kind"):
            return str(request.options["kind"])
        if request.media:
            return "image"
        return "link" if request.options.get("url") else "self"

    # -- validation (pure) -----------------------------------------------------------------

    def validate(self, request: PublishRequest) -> list[Problem]:
        problems: list[Problem] = []
        title, body = self._title_and_body(request)
        kind = self._kind(request)
        if not title:
            problems.append(Problem("title_required", "A Reddit post needs a title.",
                                    field="title"))
        elif len(title) > TITLE_MAX:
            problems.append(Problem(
                "title_too_long", f"The title is {len(title)} characters; Reddit allows "
                f"{TITLE_MAX}.", field="title", params={"length": len(title),
                                                        "limit": TITLE_MAX}))
        if len(body) > TEXT_MAX:
            problems.append(Problem(
                "too_long", f"The text is {len(body)} characters; Reddit allows {TEXT_MAX}.",
                params={"length": len(body), "limit": TEXT_MAX}))
        if not self._subreddit(request):
            problems.append(Problem("subreddit_required",
                                    "Choose the subreddit this channel posts to.",
                                    field="options"))
        if kind not in {"self", "link", "image"}:
            problems.append(Problem("kind", f"Keryx posts self, link or image submissions "
                                    f"to Reddit, not {kind}.", field="options"))
        if kind == "link" and not request.options.get("url"):
            problems.append(Problem("url_required", "A link post needs options.url.",
                                    field="options"))
        if kind in {"link", "image"} and body:
            problems.append(Problem(
                "body_not_allowed", "Reddit link and image posts have a title only; move the "
                "text into a first comment or make it a text post.", field="text"))
        problems.extend(self.media_problems(request.media))
        return problems

    # -- account ---------------------------------------------------------------------------

    def verify(self) -> AccountInfo:
        me = self._call("GET", "/api/v1/me")
        name = str(me.get("name") or "")
        if not name:
            raise Transient("Reddit's answer does not describe an account.")
        settings: dict[str, Any] = {"username": name}
        return AccountInfo(
            remote_id=str(me.get("id") or name), handle=f"u/{name}", display_name=name,
            url=f"https://www.reddit.com/user/{name}/", settings=settings,
        )

    # -- publishing ------------------------------------------------------------------------

    def _upload_image(self, item: Any) -> str:
        path = Path(item.path)
        # A lease and an upload create nothing visible: safe to repeat.
        lease = self._call("POST", "/api/media/asset.json", safe=True,
                           data={"filepath": path.name, "mimetype": item.mime_type})
        args = lease.get("args") or {}
        action = str(args.get("action") or "")
        fields = {str(f["name"]): str(f["value"]) for f in args.get("fields") or []}
        if not action or "key" not in fields:
            raise Transient("Reddit did not return an upload lease for the image.")
        upload_url = ("https:" + action) if action.startswith("//") else action
        with path.open("rb") as handle:
            response = self.http.request(
                "POST", upload_url, data=fields, safe_to_repeat=True, check_status=False,
                headers={"User-Agent": self.user_agent},
                files={"file": (path.name, handle, item.mime_type)},
            )
        if response.status_code >= 400:
            raise_for_status(response, sent_unsafe=False)
        return f"{upload_url.rstrip('/')}/{fields['key']}"

    def publish(self, request: PublishRequest) -> PublishResult:
        problems = self.validate(request)
        if problems:
            raise BadContent(problems[0].message, problems=problems)
        title, body = self._title_and_body(request)
        kind = self._kind(request)
        form: dict[str, str] = {
            "api_type": "json", "sr": self._subreddit(request), "kind": kind, "title": title,
            "sendreplies": "true", "resubmit": "true",
        }
        if kind == "self":
            form["text"] = body
        elif kind == "link":
            form["url"] = str(request.options["url"])
        else:
            form["url"] = self._upload_image(request.media[0])
        for option in ("flair_id", "flair_text"):
            if request.options.get(option):
                form[option] = str(request.options[option])
        for flag in ("nsfw", "spoiler"):
            if request.options.get(flag):
                form[flag] = "true"
        answer = self._call("POST", "/api/submit", data=form)
        data = (answer.get("json") or {}).get("data") or {}
        if data.get("name") or data.get("id"):
            result = self._result_from_submit(data)
        else:
            result = self._find_after_submit(request)
        return add_first_comment(result, first_comment_text(request), self.reply)

    @staticmethod
    def _result_from_submit(data: dict[str, Any]) -> PublishResult:
        post_id = str(data.get("id") or str(data["name"]).removeprefix("t3_"))
        return PublishResult(remote_id=post_id, url=str(data.get("url") or ""),
                             published_at=datetime.now(UTC), raw={"name": f"t3_{post_id}"})

    def _find_after_submit(self, request: PublishRequest) -> PublishResult:
        for attempt in range(self.find_attempts):
            found = self.lookup(request)
            if found is not None:
                return found
            if attempt + 1 < self.find_attempts:
                time.sleep(self.find_interval)
        raise OutcomeUnknown(
            "Reddit accepted the image post but has not listed it yet; Keryx will look for it "
            "again before any retry."
        )

    @staticmethod
    def _post_result(post: dict[str, Any]) -> PublishResult:
        permalink = str(post.get("permalink") or "")
        return PublishResult(
            remote_id=str(post["id"]),
            url=f"https://www.reddit.com{permalink}" if permalink else str(post.get("url") or ""),
            published_at=_timestamp(post.get("created_utc")),
            raw={"name": str(post.get("name") or f"t3_{post['id']}")},
        )

    def _username(self) -> str:
        name = self.settings.get("username")
        if name:
            return str(name)
        return str(self._call("GET", "/api/v1/me").get("name") or "")

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        """The account's newest submission in the subreddit with the request's title."""
        title, _ = self._title_and_body(request)
        subreddit = self._subreddit(request).lower()
        since = request.scheduled_at - LOOKUP_MARGIN if request.scheduled_at else None
        listing = self._call("GET", f"/user/{self._username()}/submitted",
                             params={"limit": "25", "sort": "new", "raw_json": "1"})
        for child in (listing.get("data") or {}).get("children") or []:
            post = child.get("data") or {}
            created = _timestamp(post.get("created_utc"))
            if since and created and created < since:
                continue
            if (str(post.get("subreddit") or "").lower() == subreddit
                    and str(post.get("title") or "").strip() == title):
                return self._post_result(post)
        return None

    def delete(self, remote_id: str) -> None:
        self._call("POST", "/api/del", data={"id": self._fullname(remote_id, "t3")}, safe=True)

    @staticmethod
    def _fullname(remote_id: str, kind: str) -> str:
        return remote_id if remote_id.startswith(("t1_", "t3_")) else f"{kind}_{remote_id}"

    # -- metrics and comments --------------------------------------------------------------

    def fetch_metrics(self, remote_id: str) -> PostMetrics | PostGone:
        """GET /api/info?id=t3_... : score (net upvotes, Reddit's "likes"), num_comments,
        num_crossposts (shares). Reddit gives no impressions, saves or clicks through the
        API. A post its author deleted or moderators removed is gone."""
        listing = readings.read(
            lambda: self._call("GET", "/api/info", params={
                "id": self._fullname(remote_id, "t3"), "raw_json": "1"}),
            network="Reddit", permission="read", what="the post", remote_id=remote_id)
        if isinstance(listing, PostGone):
            return listing
        children = (listing.get("data") or {}).get("children") or []
        if not children:
            return PostGone(remote_id, "Reddit no longer has this post.")
        post = children[0].get("data") or {}
        removed = post.get("removed_by_category")
        if removed or post.get("author") == "[deleted]":
            return PostGone(remote_id, f"Reddit: the post was removed ({removed or 'deleted'}).")
        count = readings.count
        return PostMetrics(
            likes=count(post.get("score")), comments=count(post.get("num_comments")),
            shares=count(post.get("num_crossposts")),
            raw={k: post.get(k) for k in ("score", "ups", "num_comments", "upvote_ratio",
                                           "num_crossposts") if k in post},
        )

    def fetch_channel_metrics(self) -> ChannelMetrics:
        """GET /api/v1/me: the account's profile (subreddit u_name) subscribers are its
        followers. Reddit gives no following or post count."""
        me = readings.read_account(lambda: self._call("GET", "/api/v1/me"), network="Reddit",
                                   permission="identity", what="the account")
        profile = me.get("subreddit") or {}
        return ChannelMetrics(followers=readings.count(profile.get("subscribers")),
                              raw={"subscribers": profile.get("subscribers"),
                                   "total_karma": me.get("total_karma")})

    def list_recent_posts(self, since: datetime) -> list[RecentPost]:
        """GET /user/{name}/submitted?sort=new (the account's own posts), paged with after."""
        name = self.settings.get("username") or self.verify().settings["username"]
        params: dict[str, str] = {"sort": "new", "limit": "100", "raw_json": "1"}
        found: list[RecentPost] = []
        for _ in range(RECENT_PAGES):
            listing = readings.read_account(
                lambda: self._call("GET", f"/user/{name}/submitted", params=params),
                network="Reddit", permission="history", what="the account's posts")
            data = listing.get("data") or {}
            older = False
            for child in data.get("children") or []:
                post = child.get("data") or {}
                created = readings.since_epoch(post.get("created_utc"))
                if child.get("kind") != "t3" or created is None:
                    continue
                if created < since:
                    older = True
                    continue
                found.append(RecentPost(
                    str(post.get("name") or f"t3_{post.get('id')}"),
                    f"https://www.reddit.com{post.get('permalink') or ''}", created,
                    str(post.get("title") or "")))
            after = data.get("after")
            if older or not after:
                break
            params["after"] = str(after)
        return readings.newest_first(found)

    def fetch_comments(self, remote_id: str, since: datetime | None = None) -> list[Comment]:
        post_id = remote_id.removeprefix("t3_")
        answer = self._call("GET", f"/comments/{post_id}",
                            params={"sort": "new", "limit": "100", "raw_json": "1"})
        comments: list[Comment] = []
        if not isinstance(answer, list) or len(answer) < 2:
            return comments

        def walk(listing: Any) -> None:
            for child in (listing or {}).get("data", {}).get("children") or []:
                if child.get("kind") != "t1":
                    continue  # "more" stubs need /api/morechildren; newest come first anyway
                data = child.get("data") or {}
                created = _timestamp(data.get("created_utc"))
                if since is None or (created and created > since):
                    comments.append(Comment(
                        remote_id=str(data.get("id")), text=str(data.get("body") or ""),
                        author_id=str(data.get("author_fullname") or ""),
                        author_handle=str(data.get("author") or ""),
                        author_name=str(data.get("author") or ""), created_at=created,
                        parent_id=str(data.get("parent_id") or ""),
                        url=f"https://www.reddit.com{data.get('permalink', '')}",
                        raw={"name": data.get("name")},
                    ))
                if isinstance(data.get("replies"), dict):
                    walk(data["replies"])

        walk(answer[1])
        return comments

    def reply(self, remote_id: str, text: str) -> PublishResult:
        """A comment on a post (t3_/bare id) or a reply to a comment (t1_ id)."""
        answer = self._call("POST", "/api/comment", data={
            "api_type": "json", "thing_id": self._fullname(remote_id, "t3"), "text": text,
        })
        things = ((answer.get("json") or {}).get("data") or {}).get("things") or []
        if not things:
            raise OutcomeUnknown("Reddit accepted the comment but did not describe it.")
        data = things[0].get("data") or {}
        permalink = str(data.get("permalink") or "")
        return PublishResult(
            remote_id=str(data.get("id")),
            url=f"https://www.reddit.com{permalink}" if permalink else "",
            published_at=_timestamp(data.get("created_utc")) or datetime.now(UTC),
            raw={"name": data.get("name")},
        )

    # -- OAuth -----------------------------------------------------------------------------

    def _token(self, form: dict[str, str], *, keep_refresh_token: str = "") -> TokenSet:
        response = self.http.request(
            "POST", self.oauth_base + self.oauth.token_path, data=form, safe_to_repeat=True,
            auth=(self.context.client_id, self.context.client_secret), check_status=False,
            headers={"User-Agent": self.user_agent, "Accept": "application/json"},
        )
        if response.status_code == 429:
            raise RateLimited(f"Reddit: {error_message(response)}",
                              retry_after=parse_retry_after(response.headers) or 60.0)
        if response.status_code >= 500:
            raise Transient(f"Reddit: {error_message(response)}", status=response.status_code)
        try:
            body = response.json()
        except ValueError:
            body = {}
        # Reddit refuses a grant with {"error": "invalid_grant"}, sometimes with status 200.
        if response.status_code >= 400 or not isinstance(body, dict) or "error" in body \
                or not body.get("access_token"):
            reason = str(body.get("error") if isinstance(body, dict) else "") or \
                error_message(response)
            raise AuthExpired(f"Reddit refused the authorization: {reason}",
                              status=response.status_code)
        expires_in = body.get("expires_in")
        return TokenSet(
            access_token=str(body["access_token"]),
            refresh_token=str(body.get("refresh_token") or keep_refresh_token or ""),
            expires_at=datetime.now(UTC) + timedelta(seconds=float(expires_in))
            if expires_in else None,
            scope=str(body.get("scope") or ""),
            raw={"token_type": body.get("token_type", "")},
        )

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str = "") -> TokenSet:
        return self._token({"grant_type": "authorization_code", "code": code,
                            "redirect_uri": redirect_uri})

    def refresh(self) -> TokenSet:
        refresh_token = str(self.credentials.get("refresh_token") or "")
        if not refresh_token:
            raise AuthExpired("No refresh token stored for this Reddit channel; reconnect it.")
        tokens = self._token({"grant_type": "refresh_token", "refresh_token": refresh_token},
                             keep_refresh_token=refresh_token)
        self.credentials.update(tokens.as_credentials())
        return tokens
