"""Contract tests of every network's metric readers at the one HTTP seam (respx): post counts in
the PostMetrics shape (None, never 0, for what a network does not give), the account's counts,
the import list of recent posts, and the ugly cases: a 403 that names the permission, a post
deleted on the network (PostGone), a rate limit with its reset, a field missing → None.

The answers are shaped after the example responses of each network's official reference (the
source is named beside each); ids and numbers are ours. Mastodon and Bluesky have their own
file (test_metrics_readers.py) and real-server tests."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import respx

from keryx.networks.base import MissingPermission, NotSupported, ProviderContext, RateLimited
from keryx.networks.community import POST_METRIC_FIELDS, ChannelMetrics, PostGone, PostMetrics
from keryx.networks.facebook import FacebookProvider
from keryx.networks.instagram import InstagramProvider
from keryx.networks.linkedin import LinkedInProvider
from keryx.networks.pinterest import PinterestProvider
from keryx.networks.reddit import RedditProvider
from keryx.networks.registry import get_provider_class
from keryx.networks.threads import ThreadsProvider
from keryx.networks.tiktok import TikTokProvider
from keryx.networks.x import XProvider
from keryx.networks.youtube import YouTubeProvider

SINCE = datetime(2026, 11, 1, tzinfo=UTC)
IN_WINDOW = "2026-11-20T10:00:00+0000"
TOO_OLD = "2026-10-01T10:00:00+0000"

Route = tuple[str, str, Any]  # method, URL path regex (after the API base), JSON body


@dataclass
class Case:
    name: str
    cls: type
    api: str
    post_id: str
    post: list[Route]  # the happy path's answers, the first one is the one refused below
    expect: dict[str, int | None]
    channel: Route
    channel_expect: tuple[int | None, int | None, int | None]
    recent: list[Route]
    recent_ids: list[str]
    forbidden: tuple[int, Any]
    permission: str
    gone: tuple[int, Any]
    limited: tuple[int, Any, dict[str, str]]
    wait: tuple[float, float]  # the retry_after expected, within
    sparse: Any  # the first post answer with a figure left out
    sparse_none: str  # that figure
    settings: dict[str, Any] = field(default_factory=dict)
    app_scope: bool = False  # the rate limit is the whole app's

    def provider(self) -> Any:
        host = httpx.URL(self.api).host
        return self.cls(ProviderContext(
            credentials={"access_token": "tok", "refresh_token": "ref"},
            settings=dict(self.settings), timeout=5.0, allow_private=(host,),
            api_base=self.api, client_id="app", client_secret="secret"))


def graph_insights(values: dict[str, int]) -> dict[str, Any]:
    """A Graph /insights answer (Instagram Media Insights, Threads Insights API examples)."""
    return {"data": [{"name": name, "period": "lifetime", "values": [{"value": value}],
                      "title": name, "id": f"1/insights/{name}/lifetime"}
                     for name, value in values.items()]}


# Graph API error bodies ("Handling errors" guide): code 100/33 a missing object, code 10 a
# missing permission, code 4 the application's own request limit.
GRAPH_GONE = (400, {"error": {"message": "Unsupported get request. Object with ID '1' does not "
                              "exist, cannot be loaded due to missing permissions, or does "
                              "not support this operation.", "type": "GraphMethodException",
                              "code": 100, "error_subcode": 33, "fbtrace_id": "Az"}})
GRAPH_DENIED = (400, {"error": {"message": "(#10) Application does not have permission for "
                                "this action", "type": "OAuthException", "code": 10,
                                "fbtrace_id": "Az"}})
GRAPH_APP_LIMIT = (400, {"error": {"message": "(#4) Application request limit reached",
                                   "type": "OAuthException", "is_transient": True, "code": 4,
                                   "fbtrace_id": "Az"}},
                   {"x-business-use-case-usage": '{"1": [{"type": "pages", "call_count": 100, '
                    '"total_cputime": 10, "total_time": 10, '
                    '"estimated_time_to_regain_access": 5}]}'})

X_TWEET = "1445880548472328192"
IG_MEDIA = "17895695668004550"
TH_MEDIA = "18012345678901234"
FB_POST = "104_205"
LI_POST = "urn:li:share:7100000000000000000"
TT_VIDEO = "7360993925536458027"
PIN = "813744226420795884"
REDDIT_POST = "t3_1abcde"
YT_VIDEO = "dQw4w9WgXcQ"

CASES = [
    Case(
        "x", XProvider, "https://api.x.com", X_TWEET,
        # GET /2/tweets/:id (docs.x.com "Metrics" and the v2 OpenAPI PostPublicMetrics).
        post=[("GET", rf"/2/tweets/{X_TWEET}$", {
            "data": {"id": X_TWEET, "text": "Hello",
                     "attachments": {"media_keys": ["7_1"]},
                     "public_metrics": {"retweet_count": 4, "reply_count": 2, "like_count": 31,
                                        "quote_count": 1, "bookmark_count": 3,
                                        "impression_count": 1204},
                     "non_public_metrics": {"impression_count": 1204, "url_link_clicks": 17,
                                            "user_profile_clicks": 5}},
            "includes": {"media": [{"media_key": "7_1", "type": "video",
                                    "public_metrics": {"view_count": 640}}]}})],
        expect={"likes": 31, "comments": 2, "shares": 4, "quotes": 1, "saves": 3,
                "impressions": 1204, "reach": None, "clicks": 17, "video_views": 640},
        # GET /2/users/me?user.fields=public_metrics (UserPublicMetrics).
        channel=("GET", r"/2/users/me$", {"data": {
            "id": "2244994945", "name": "X Dev", "username": "XDevelopers",
            "public_metrics": {"followers_count": 507902, "following_count": 1863,
                               "tweet_count": 3561, "listed_count": 1550}}}),
        channel_expect=(507902, 1863, 3561),
        # GET /2/users/:id/tweets (exclude=replies,retweets).
        recent=[("GET", r"/2/users/2244994945/tweets$", {
            "data": [{"id": "2", "text": "Second", "created_at": "2026-11-21T10:00:00.000Z"},
                     {"id": "1", "text": "First", "created_at": "2026-11-20T10:00:00.000Z"}],
            "meta": {"result_count": 2, "newest_id": "2", "oldest_id": "1"}})],
        recent_ids=["2", "1"],
        # X's problem objects (v2 OpenAPI "Problem").
        forbidden=(403, {"title": "Unsupported Authentication", "type":
                         "https://api.x.com/2/problems/unsupported-authentication",
                         "status": 403, "detail": "Authenticating with OAuth 2.0 "
                         "Application-Only is forbidden for this endpoint."}),
        permission="tweet.read",
        gone=(200, {"errors": [{"value": X_TWEET, "detail": f"Could not find tweet with id: "
                                f"[{X_TWEET}].", "title": "Not Found Error",
                                "resource_type": "tweet", "parameter": "id",
                                "resource_id": X_TWEET, "type":
                                "https://api.x.com/2/problems/resource-not-found"}]}),
        limited=(429, {"title": "Too Many Requests", "detail": "Too Many Requests",
                       "type": "about:blank", "status": 429},
                 {"x-rate-limit-limit": "900", "x-rate-limit-remaining": "0",
                  "x-rate-limit-reset": "{reset}"}),
        wait=(110, 121),
        sparse={"data": {"id": X_TWEET, "public_metrics": {"like_count": 3, "reply_count": 0,
                                                           "retweet_count": 0}}},
        sparse_none="saves",
        settings={"user_id": "2244994945", "username": "XDevelopers"},
    ),
    Case(
        "instagram", InstagramProvider, "https://graph.instagram.com", IG_MEDIA,
        # GET /<INSTAGRAM_MEDIA_ID>/insights (Instagram Platform, Instagram Media Insights).
        post=[("GET", rf"/v23.0/{IG_MEDIA}/insights$", graph_insights(
            {"reach": 812, "likes": 64, "comments": 7, "shares": 3, "saved": 9,
             "views": 1430}))],
        expect={"likes": 64, "comments": 7, "shares": 3, "quotes": None, "saves": 9,
                "impressions": 1430, "reach": 812, "clicks": None, "video_views": None},
        # GET /<IG_USER_ID>?fields=followers_count,follows_count,media_count (IG User).
        channel=("GET", r"/v23.0/17841400000000000$", {
            "followers_count": 1234, "follows_count": 56, "media_count": 78,
            "id": "17841400000000000"}),
        channel_expect=(1234, 56, 78),
        # GET /<IG_USER_ID>/media (IG User Media edge).
        recent=[("GET", r"/v23.0/17841400000000000/media$", {"data": [
            {"id": "11", "caption": "New", "permalink": "https://www.instagram.com/p/a/",
             "timestamp": IN_WINDOW},
            {"id": "10", "caption": "Old", "permalink": "https://www.instagram.com/p/b/",
             "timestamp": TOO_OLD}],
            "paging": {"cursors": {"before": "b", "after": "a"}}})],
        recent_ids=["11"],
        forbidden=GRAPH_DENIED, permission="instagram_business_manage_insights",
        gone=GRAPH_GONE, limited=GRAPH_APP_LIMIT, wait=(299, 301), app_scope=True,
        sparse=graph_insights({"reach": 5, "likes": 1}), sparse_none="saves",
        settings={"user_id": "17841400000000000"},
    ),
    Case(
        "threads", ThreadsProvider, "https://graph.threads.net", TH_MEDIA,
        # GET /{threads-media-id}/insights (Threads Insights API, media insights).
        post=[("GET", rf"/v1.0/{TH_MEDIA}/insights$", graph_insights(
            {"views": 1520, "likes": 40, "replies": 5, "reposts": 3, "quotes": 1,
             "shares": 2}))],
        expect={"likes": 40, "comments": 5, "shares": 3, "quotes": 1, "saves": None,
                "impressions": 1520, "reach": None, "clicks": None, "video_views": None},
        # GET /{threads-user-id}/threads_insights?metric=followers_count (total_value).
        channel=("GET", r"/v1.0/1234567/threads_insights$", {"data": [
            {"name": "followers_count", "period": "day", "title": "followers_count",
             "description": "The number of followers.", "total_value": {"value": 4321},
             "id": "1234567/insights/followers_count/day"}]}),
        channel_expect=(4321, None, None),
        # GET /{threads-user-id}/threads (Retrieve Threads posts).
        recent=[("GET", r"/v1.0/1234567/threads$", {"data": [
            {"id": "21", "text": "Mine", "timestamp": IN_WINDOW, "media_type": "TEXT_POST",
             "permalink": "https://www.threads.net/@k/post/a"},
            {"id": "20", "timestamp": IN_WINDOW, "media_type": "REPOST_FACADE",
             "permalink": "https://www.threads.net/@k/post/b"}],
            "paging": {"cursors": {"before": "b", "after": "a"}}})],
        recent_ids=["21"],
        forbidden=GRAPH_DENIED, permission="threads_manage_insights",
        gone=GRAPH_GONE, limited=GRAPH_APP_LIMIT, wait=(299, 301), app_scope=True,
        sparse=graph_insights({"views": 10, "likes": 1}), sparse_none="quotes",
        settings={"user_id": "1234567"},
    ),
    Case(
        "facebook", FacebookProvider, "https://graph.facebook.com/v23.0", FB_POST,
        # GET /{page-post-id} with reactions/comments summaries and shares (Page Post
        # reference), then GET /{page-post-id}/insights (Page Post Insights).
        post=[("GET", rf"/{FB_POST}$", {
            "reactions": {"data": [], "summary": {"total_count": 25,
                                                  "viewer_reaction": "NONE"}},
            "comments": {"data": [], "summary": {"order": "ranked", "total_count": 4,
                                                 "can_comment": True}},
            "shares": {"count": 3}, "id": FB_POST}),
            ("GET", rf"/{FB_POST}/insights$", {"data": [
                {"name": "post_impressions", "period": "lifetime", "values": [{"value": 1200}]},
                {"name": "post_impressions_unique", "period": "lifetime",
                 "values": [{"value": 950}]},
                {"name": "post_clicks", "period": "lifetime", "values": [{"value": 31}]}]})],
        expect={"likes": 25, "comments": 4, "shares": 3, "quotes": None, "saves": None,
                "impressions": 1200, "reach": 950, "clicks": 31, "video_views": None},
        # GET /{page-id}?fields=followers_count,fan_count (Page reference).
        channel=("GET", r"/104$", {"followers_count": 5100, "fan_count": 4900, "id": "104"}),
        channel_expect=(5100, None, None),
        # GET /{page-id}/published_posts.
        recent=[("GET", r"/104/published_posts$", {"data": [
            {"id": "104_3", "message": "Hi", "created_time": IN_WINDOW,
             "permalink_url": "https://www.facebook.com/104/posts/3"}],
            "paging": {"cursors": {"before": "b", "after": "a"}}})],
        recent_ids=["104_3"],
        forbidden=GRAPH_DENIED, permission="pages_read_engagement",
        gone=GRAPH_GONE, limited=GRAPH_APP_LIMIT, wait=(299, 301), app_scope=True,
        sparse={"reactions": {"data": [], "summary": {"total_count": 2}}, "id": FB_POST},
        sparse_none="comments",
        settings={"page_id": "104"},
    ),
    Case(
        "linkedin", LinkedInProvider, "https://api.linkedin.com", LI_POST,
        # GET /rest/socialActions/{urn} (Social Actions API) and
        # GET /rest/organizationalEntityShareStatistics (Share Statistics API).
        post=[("GET", r"/rest/socialActions/urn%3Ali%3Ashare%3A7100000000000000000$", {
            "likesSummary": {"totalLikes": 12, "aggregatedTotalLikes": 12,
                             "likedByCurrentUser": False},
            "commentsSummary": {"totalFirstLevelComments": 3, "aggregatedTotalComments": 4},
            "target": LI_POST}),
            ("GET", r"/rest/organizationalEntityShareStatistics", {"elements": [{
                "totalShareStatistics": {"uniqueImpressionsCount": 900, "shareCount": 5,
                                         "engagement": 0.05, "clickCount": 40,
                                         "likeCount": 12, "impressionCount": 1500,
                                         "commentCount": 4},
                "organizationalEntity": "urn:li:organization:2414183", "share": LI_POST}],
                "paging": {"count": 10, "start": 0, "links": []}})],
        expect={"likes": 12, "comments": 4, "shares": 5, "quotes": None, "saves": None,
                "impressions": 1500, "reach": 900, "clicks": 40, "video_views": None},
        # GET /rest/networkSizes/{organization urn}?edgeType=COMPANY_FOLLOWED_BY_MEMBER.
        channel=("GET", r"/rest/networkSizes/urn%3Ali%3Aorganization%3A2414183$",
                 {"firstDegreeSize": 2500}),
        channel_expect=(2500, None, None),
        # GET /rest/posts?q=author (Posts API, find posts by authors).
        recent=[("GET", r"/rest/posts$", {"elements": [
            {"id": "urn:li:share:2", "commentary": "Hello \\(world\\)",
             "publishedAt": int(datetime(2026, 11, 20, tzinfo=UTC).timestamp() * 1000)},
            {"id": "urn:li:share:1", "commentary": "Old",
             "publishedAt": int(datetime(2026, 10, 1, tzinfo=UTC).timestamp() * 1000)}],
            "paging": {"start": 0, "count": 100}})],
        recent_ids=["urn:li:share:2"],
        # LinkedIn's error body ({"status", "serviceErrorCode", "code", "message"}).
        forbidden=(403, {"status": 403, "serviceErrorCode": 100, "code": "ACCESS_DENIED",
                         "message": "Not enough permissions to access: GET /socialActions"}),
        permission="r_organization_social",
        gone=(404, {"status": 404, "serviceErrorCode": 0, "code": "NOT_FOUND",
                    "message": "Not Found"}),
        limited=(429, {"status": 429, "message": "Resource level throttle limit reached"},
                 {"retry-after": "60"}),
        wait=(59, 61),
        sparse={"likesSummary": {"totalLikes": 1}, "target": LI_POST},
        sparse_none="comments",
        settings={"organization_id": "2414183"},
    ),
    Case(
        "tiktok", TikTokProvider, "https://open.tiktokapis.com", TT_VIDEO,
        # POST /v2/video/query/ (Display API "Query Videos").
        post=[("POST", r"/v2/video/query/$", {
            "data": {"videos": [{"id": TT_VIDEO, "like_count": 120, "comment_count": 14,
                                 "share_count": 9, "view_count": 4021}]},
            "error": {"code": "ok", "message": "", "log_id": "2026"}})],
        expect={"likes": 120, "comments": 14, "shares": 9, "quotes": None, "saves": None,
                "impressions": None, "reach": None, "clicks": None, "video_views": 4021},
        # GET /v2/user/info/ (Display API "Get User Info", user.info.stats fields).
        channel=("GET", r"/v2/user/info/$", {
            "data": {"user": {"open_id": "o", "follower_count": 880, "following_count": 42,
                              "video_count": 17, "likes_count": 9000}},
            "error": {"code": "ok", "message": "", "log_id": "2026"}}),
        channel_expect=(880, 42, 17),
        # POST /v2/video/list/ (Display API "List Videos").
        recent=[("POST", r"/v2/video/list/$", {
            "data": {"videos": [
                {"id": "72", "video_description": "new", "create_time":
                 int(datetime(2026, 11, 20, tzinfo=UTC).timestamp()),
                 "share_url": "https://www.tiktok.com/@k/video/72"},
                {"id": "71", "video_description": "old", "create_time":
                 int(datetime(2026, 10, 1, tzinfo=UTC).timestamp()),
                 "share_url": "https://www.tiktok.com/@k/video/71"}],
                "cursor": 1700000000000, "has_more": True},
            "error": {"code": "ok", "message": "", "log_id": "2026"}})],
        recent_ids=["72"],
        # TikTok API v2 error handling: error.code.
        forbidden=(401, {"data": {}, "error": {
            "code": "scope_not_authorized", "message": "The user did not authorize the "
            "scope required for completing this request.", "log_id": "2026"}}),
        permission="video.list",
        gone=(200, {"data": {"videos": [], "cursor": 0, "has_more": False},
                    "error": {"code": "ok", "message": "", "log_id": "2026"}}),
        limited=(429, {"data": {}, "error": {
            "code": "rate_limit_exceeded", "message": "API rate limit exceeded.",
            "log_id": "2026"}}, {}),
        wait=(59, 61), app_scope=True,
        sparse={"data": {"videos": [{"id": TT_VIDEO, "like_count": 1, "view_count": 5}]},
                "error": {"code": "ok", "message": "", "log_id": "2026"}},
        sparse_none="shares",
    ),
    Case(
        "pinterest", PinterestProvider, "https://api.pinterest.com/v5", PIN,
        # GET /pins/{pin_id}/analytics (Pinterest v5 OpenAPI, PinAnalyticsMetricsResponse
        # example values).
        post=[("GET", rf"/pins/{PIN}/analytics$", {"all": {
            "daily_metrics": [],
            "summary_metrics": {"IMPRESSION": 240, "OUTBOUND_CLICK": 20, "PIN_CLICK": 37,
                                "SAVE": 20, "SAVE_RATE": 0.18, "VIDEO_MRC_VIEW": 20},
            "lifetime_metrics": {"TOTAL_COMMENTS": 10, "TOTAL_REACTIONS": 12}}})],
        expect={"likes": 12, "comments": 10, "shares": None, "quotes": None, "saves": 20,
                "impressions": 240, "reach": None, "clicks": 20, "video_views": 20},
        # GET /user_account (Account schema).
        channel=("GET", r"/user_account$", {
            "account_type": "BUSINESS", "username": "keryx", "follower_count": 410,
            "following_count": 12, "pin_count": 95, "monthly_views": 7000}),
        channel_expect=(410, 12, 95),
        # GET /pins (List Pins).
        recent=[("GET", r"/pins$", {"items": [
            {"id": "9", "created_at": "2026-11-20T10:00:00", "description": "mine",
             "is_owner": True},
            {"id": "8", "created_at": "2026-11-19T10:00:00", "is_owner": False},
            {"id": "7", "created_at": "2026-10-01T10:00:00", "is_owner": True}],
            "bookmark": None})],
        recent_ids=["9"],
        # The OpenAPI's 403/404 examples for pin analytics.
        forbidden=(403, {"code": 403, "message": "Not authorized to access board or Pin."}),
        permission="pins:read",
        gone=(404, {"code": 404, "message": "Pin not found."}),
        limited=(429, {"code": 8, "message": "Rate limit exceeded"}, {"retry-after": "30"}),
        wait=(29, 31),
        sparse={"all": {"summary_metrics": {"IMPRESSION": 3}, "lifetime_metrics": {}}},
        sparse_none="saves",
    ),
    Case(
        "reddit", RedditProvider, "https://oauth.reddit.com", REDDIT_POST,
        # GET /api/info?id=t3_... (reddit.com/dev/api, a Listing of things).
        post=[("GET", r"/api/info$", {"kind": "Listing", "data": {"children": [
            {"kind": "t3", "data": {"name": REDDIT_POST, "score": 42, "ups": 42,
                                    "num_comments": 7, "num_crossposts": 1,
                                    "upvote_ratio": 0.95, "author": "keryx",
                                    "removed_by_category": None}}]}})],
        expect={"likes": 42, "comments": 7, "shares": 1, "quotes": None, "saves": None,
                "impressions": None, "reach": None, "clicks": None, "video_views": None},
        # GET /api/v1/me (identity).
        channel=("GET", r"/api/v1/me$", {"name": "keryx", "total_karma": 100,
                                         "subreddit": {"display_name": "u_keryx",
                                                       "subscribers": 321}}),
        channel_expect=(321, None, None),
        # GET /user/{username}/submitted.
        recent=[("GET", r"/user/keryx/submitted$", {"kind": "Listing", "data": {
            "after": None, "children": [
                {"kind": "t3", "data": {"name": "t3_b", "id": "b", "title": "New",
                                        "permalink": "/r/x/comments/b/new/",
                                        "created_utc": datetime(2026, 11, 20,
                                                                tzinfo=UTC).timestamp()}},
                {"kind": "t3", "data": {"name": "t3_a", "id": "a", "title": "Old",
                                        "permalink": "/r/x/comments/a/old/",
                                        "created_utc": datetime(2026, 10, 1,
                                                                tzinfo=UTC).timestamp()}}]}})],
        recent_ids=["t3_b"],
        forbidden=(403, {"message": "Forbidden", "error": 403}), permission="read",
        gone=(200, {"kind": "Listing", "data": {"children": [
            {"kind": "t3", "data": {"name": REDDIT_POST, "score": 1, "num_comments": 0,
                                    "author": "[deleted]",
                                    "removed_by_category": "deleted"}}]}}),
        limited=(429, {"message": "Too Many Requests", "error": 429},
                 {"x-ratelimit-remaining": "0", "x-ratelimit-used": "100",
                  "x-ratelimit-reset": "120"}),
        wait=(119, 121), app_scope=True,
        sparse={"kind": "Listing", "data": {"children": [
            {"kind": "t3", "data": {"name": REDDIT_POST, "score": 3, "num_comments": 0}}]}},
        sparse_none="shares",
        settings={"username": "keryx", "subreddit": "selfhosted"},
    ),
    Case(
        "youtube", YouTubeProvider, "https://www.googleapis.com", YT_VIDEO,
        # videos.list?part=statistics (YouTube Data API v3, Videos resource).
        post=[("GET", r"/youtube/v3/videos$", {"kind": "youtube#videoListResponse",
                                               "items": [{"kind": "youtube#video",
                                                          "id": YT_VIDEO, "statistics": {
                                                              "viewCount": "1523",
                                                              "likeCount": "87",
                                                              "favoriteCount": "0",
                                                              "commentCount": "12"}}]})],
        expect={"likes": 87, "comments": 12, "shares": None, "quotes": None, "saves": None,
                "impressions": None, "reach": None, "clicks": None, "video_views": 1523},
        # channels.list?part=statistics,contentDetails&mine=true (Channels resource).
        channel=("GET", r"/youtube/v3/channels$", {"items": [{
            "id": "UC1", "statistics": {"viewCount": "90000", "subscriberCount": "1200",
                                        "hiddenSubscriberCount": False, "videoCount": "34"},
            "contentDetails": {"relatedPlaylists": {"likes": "", "uploads": "UU1"}}}]}),
        channel_expect=(1200, None, 34),
        # playlistItems.list on the uploads playlist (PlaylistItems resource).
        recent=[("GET", r"/youtube/v3/channels$", {"items": [{
            "id": "UC1", "contentDetails": {"relatedPlaylists": {"uploads": "UU1"}}}]}),
            ("GET", r"/youtube/v3/playlistItems$", {"items": [
                {"snippet": {"title": "New", "publishedAt": "2026-11-20T10:00:00Z"},
                 "contentDetails": {"videoId": "v2", "videoPublishedAt":
                                    "2026-11-20T10:00:00Z"}},
                {"snippet": {"title": "Old"},
                 "contentDetails": {"videoId": "v1", "videoPublishedAt":
                                    "2026-10-01T10:00:00Z"}}]})],
        recent_ids=["v2"],
        # Google API error body (YouTube Data API "Errors").
        forbidden=(403, {"error": {"code": 403, "message": "Request had insufficient "
                                   "authentication scopes.", "errors": [
                                       {"message": "Insufficient Permission",
                                        "domain": "global",
                                        "reason": "insufficientPermissions"}],
                                   "status": "PERMISSION_DENIED"}}),
        permission="youtube.force-ssl",
        gone=(200, {"kind": "youtube#videoListResponse", "items": []}),
        limited=(403, {"error": {"code": 403, "message": "The request cannot be completed "
                                 "because you have exceeded your quota.", "errors": [
                                     {"message": "quota", "domain": "youtube.quota",
                                      "reason": "quotaExceeded"}]}}, {}),
        wait=(1, 86400), app_scope=True,
        sparse={"items": [{"id": YT_VIDEO, "statistics": {"viewCount": "5"}}]},
        sparse_none="likes",
    ),
]


def pattern(case: Case, path: str) -> str:
    """The route's URL regex: the API base, the path, any query."""
    return "^" + re.escape(case.api.rstrip("/")) + path.removesuffix("$") + r"(\?.*)?$"


def mount(router: respx.Router, case: Case, routes: list[Route]) -> None:
    for method, path, body in routes:
        router.route(method=method, url__regex=pattern(case, path)).respond(json=body)


def refuse(router: respx.Router, case: Case, status: int, body: Any,
           headers: dict[str, str] | None = None) -> None:
    method, path, _body = case.post[0]
    router.route(method=method, url__regex=pattern(case, path)).respond(
        status, json=body, headers=headers or {})


params = pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])


@params
def test_post_counts_in_the_one_shape(case: Case) -> None:
    with respx.mock(assert_all_called=True) as router:
        mount(router, case, case.post)
        metrics = case.provider().fetch_metrics(case.post_id)
    assert isinstance(metrics, PostMetrics)
    assert {name: getattr(metrics, name) for name in POST_METRIC_FIELDS} == case.expect


@params
def test_declared_figures_match_what_is_read(case: Case) -> None:
    """The Capabilities declaration is what the page says "not given by this network" from:
    every figure read is declared, and a declared one is read in the full answer."""
    spec = get_provider_class(case.name).capabilities.metrics_spec
    assert spec is not None and spec.permission and spec.recent_posts
    given = {name for name, value in case.expect.items() if value is not None}
    assert given == set(spec.post)
    declared_channel = {name for name, value in zip(("followers", "following", "posts"),  # noqa: B905
                                                    case.channel_expect) if value is not None}
    assert declared_channel == set(spec.channel)
    assert case.permission.split(".")[-1] in spec.permission


@params
def test_channel_counts(case: Case) -> None:
    with respx.mock(assert_all_called=True) as router:
        mount(router, case, [case.channel])
        counts = case.provider().fetch_channel_metrics()
    assert isinstance(counts, ChannelMetrics)
    assert (counts.followers, counts.following, counts.posts) == case.channel_expect


@params
def test_recent_posts_for_import(case: Case) -> None:
    with respx.mock(assert_all_called=True) as router:
        mount(router, case, case.recent)
        posts = case.provider().list_recent_posts(SINCE)
    assert [p.remote_id for p in posts] == case.recent_ids
    assert all(p.published_at >= SINCE and p.url for p in posts)


@params
def test_forbidden_names_the_permission(case: Case) -> None:
    with respx.mock() as router:
        refuse(router, case, *case.forbidden)
        with pytest.raises(MissingPermission) as caught:
            case.provider().fetch_metrics(case.post_id)
    assert case.permission in caught.value.permission
    assert case.permission in caught.value.message


@params
def test_deleted_post_is_gone(case: Case) -> None:
    with respx.mock() as router:
        refuse(router, case, *case.gone)
        result = case.provider().fetch_metrics(case.post_id)
    assert isinstance(result, PostGone)
    assert result.remote_id == case.post_id and result.reason


@params
def test_rate_limit_with_its_reset(case: Case) -> None:
    status, body, headers = case.limited
    headers = {k: v.replace("{reset}", str(int(time.time()) + 120)) for k, v in headers.items()}
    with respx.mock() as router:
        refuse(router, case, status, body, headers)
        with pytest.raises(RateLimited) as caught:
            case.provider().fetch_metrics(case.post_id)
    low, high = case.wait
    assert caught.value.retry_after is not None and low <= caught.value.retry_after <= high
    assert (caught.value.scope == "app") is case.app_scope


@params
def test_a_missing_field_is_none_not_zero(case: Case) -> None:
    with respx.mock() as router:
        first, *rest = case.post
        mount(router, case, [(first[0], first[1], case.sparse), *rest])
        metrics = case.provider().fetch_metrics(case.post_id)
    assert isinstance(metrics, PostMetrics)
    assert getattr(metrics, case.sparse_none) is None


def test_instagram_too_few_viewers_still_reads_likes_and_comments() -> None:
    """Instagram answers "(#10) Not enough viewers" for small media: not a missing permission;
    the media's own like_count / comments_count are read instead (insights stay None)."""
    case = next(c for c in CASES if c.name == "instagram")
    with respx.mock() as router:
        router.get(f"{case.api}/v23.0/{IG_MEDIA}/insights").respond(400, json={"error": {
            "message": "(#10) Not enough viewers for the media to show insights",
            "type": "OAuthException", "code": 10}})
        router.get(f"{case.api}/v23.0/{IG_MEDIA}").respond(json={
            "id": IG_MEDIA, "like_count": 4, "comments_count": 1})
        metrics = case.provider().fetch_metrics(IG_MEDIA)
    assert isinstance(metrics, PostMetrics)
    assert (metrics.likes, metrics.comments, metrics.reach, metrics.impressions) == (
        4, 1, None, None)


def test_linkedin_member_channels_say_what_linkedin_does_not_give() -> None:
    case = next(c for c in CASES if c.name == "linkedin")
    member = LinkedInProvider(ProviderContext(
        credentials={"access_token": "tok"}, settings={"person_id": "abc"},
        allow_private=("api.linkedin.com",), api_base=case.api))
    with pytest.raises(NotSupported, match="partners"):
        member.fetch_channel_metrics()
    with pytest.raises(NotSupported):
        member.list_recent_posts(SINCE)


def test_youtube_hidden_subscriber_count_is_none() -> None:
    case = next(c for c in CASES if c.name == "youtube")
    with respx.mock() as router:
        router.get(f"{case.api}/youtube/v3/channels").respond(json={"items": [{
            "id": "UC1", "statistics": {"subscriberCount": "0", "hiddenSubscriberCount": True,
                                        "videoCount": "3"}}]})
        counts = case.provider().fetch_channel_metrics()
    assert (counts.followers, counts.posts) == (None, 3)


def test_youtube_quota_waits_until_pacific_midnight() -> None:
    case = next(c for c in CASES if c.name == "youtube")
    with respx.mock() as router:
        refuse(router, case, *case.limited[:2])
        with pytest.raises(RateLimited) as caught:
            case.provider().fetch_metrics(YT_VIDEO)
    assert caught.value.retry_after is not None
    reset = datetime.now(UTC) + timedelta(seconds=caught.value.retry_after)
    local = reset.astimezone(ZoneInfo("America/Los_Angeles"))
    assert (local.hour, local.minute) in ((0, 0), (23, 59))



def test_x_older_posts_without_non_public_metrics_still_give_the_public_ones() -> None:
    """X gives non_public_metrics for posts of the last 30 days only; for an older post the
    field is refused (a not-authorized-for-field problem) and the public counts are asked
    again alone: clicks are then unknown (None), the rest is read."""
    case = next(c for c in CASES if c.name == "x")
    calls: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        fields = request.url.params["tweet.fields"]
        calls.append(fields)
        if "non_public_metrics" in fields:
            return httpx.Response(200, json={"errors": [{
                "parameter": "non_public_metrics", "resource_id": X_TWEET, "value": X_TWEET,
                "detail": "Sorry, you are not authorized to access non_public_metrics on "
                          f"the Tweet with ids: {X_TWEET}.", "title": "Field Authorization Error",
                "resource_type": "tweet",
                "type": "https://api.x.com/2/problems/not-authorized-for-field"}]})
        return httpx.Response(200, json={"data": {"id": X_TWEET, "public_metrics": {
            "retweet_count": 1, "reply_count": 0, "like_count": 9, "quote_count": 0,
            "bookmark_count": 0, "impression_count": 90}}})

    with respx.mock() as router:
        router.get(f"{case.api}/2/tweets/{X_TWEET}").mock(side_effect=answer)
        metrics = case.provider().fetch_metrics(X_TWEET)
    assert calls == ["public_metrics,non_public_metrics", "public_metrics"]
    assert isinstance(metrics, PostMetrics)
    assert (metrics.likes, metrics.impressions, metrics.clicks) == (9, 90, None)
