"""Every route, generated: nobody outside a workspace reads or changes anything in it.

The routes come from the URL conf (every pattern but the admin's and the API's) and the API's
operations from its OpenAPI schema. Workspace A holds one object of every kind a route can name;
each route is called with A's ids, by GET and by POST/unsafe method with a plausible body, as:

- an owner of workspace B (an outsider to A),
- A's client approver to whom nothing was sent,
- A's viewer,
- nobody signed in.

None may get a 5xx; the outsider, the client approver and the anonymous caller never see a
marker of A's objects in an answer; none of the four changes a row of A. A route whose
parameters this file cannot fill fails the test, so a new route cannot go unchecked.
Capability routes (the secret is in the URL) are called with a wrong secret: 404.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from keryx.accounts.models import ApiToken, Invitation
from keryx.analytics.models import Benchmark, Competitor, Experiment
from keryx.analytics.reports import schedule, sharing
from keryx.approvals.models import Comment
from keryx.bulk.models import ImportJob
from keryx.core.models import Membership, Role, Workspace
from keryx.core.services import create_workspace
from keryx.feeds.models import FeedItem, FeedSource
from keryx.inbox.models import (
    BlockedAuthor,
    CannedReply,
    Conversation,
    FaqEntry,
    InboxItem,
    ModerationLog,
)
from keryx.links.models import ShortLink
from keryx.planner.models import Campaign, Label
from keryx.planner.services import issue_feed
from keryx.publishing import services, workers
from keryx.publishing.models import PostTarget
from keryx.queues.models import EvergreenRule, QueueSchedule
from keryx.strategy.models import (
    Budget,
    Goal,
    Partner,
    PartnerEvent,
    SpendEntry,
    SpendImport,
    Strategy,
    StrategyChannel,
)
from tests.api_support import API, mastodon_channel
from tests.support.images import png_bytes

MARK = "ZQXMARK"  # every object of A carries it in a name or text
LATER = datetime(datetime.now(UTC).year + 1, 3, 1, 9, 0, tzinfo=UTC)
SKIPPED_PREFIXES = ("admin/", "api/")  # the admin is Django's; the API comes from its schema
WRONG_SECRET = "not-a-real-secret-0000000000"


@dataclass
class World:
    a: Workspace
    b: Workspace
    outsider: Any
    viewer: Any
    approver: Any
    ids: dict[str, Any]
    owner: Any = None
    engine: Any = None


@pytest.fixture
def world(db, settings, tmp_path) -> World:
    settings.MEDIA_ROOT = tmp_path
    users = get_user_model().objects

    def user(name: str) -> Any:
        return users.create_user(f"{name}@example.com", f"{name}@example.com")

    owner, outsider, viewer, approver = (user(n) for n in ("owner", "out", "view", "client"))
    a = create_workspace(owner, f"Acme {MARK}-workspace")
    b = create_workspace(outsider, "Globex")
    Membership.objects.create(workspace=a, user=viewer, role=Role.VIEWER)
    Membership.objects.create(workspace=a, user=approver, role=Role.CLIENT_APPROVER)
    channel = mastodon_channel(a, f"{MARK}-channel")
    post = services.create_post(workspace=a, author=owner, text=f"{MARK} post text",
                                channels=[channel], scheduled_at=LATER, actor="tests")
    media = services.save_media(workspace=a, user=owner, file=io.BytesIO(png_bytes()),
                                filename=f"{MARK}.png")
    Comment.objects.create(post=post, author=owner, body=f"{MARK} comment")
    campaign = Campaign.objects.create(workspace=a, name=f"{MARK} campaign")
    label = Label.objects.create(workspace=a, name=f"{MARK} label")
    issue_feed(a, owner)
    invitation = Invitation.objects.create(workspace=a, email=f"{MARK.lower()}@example.com",
                                           invited_by=owner)
    job = ImportJob.objects.create(workspace=a, created_by=owner, format="csv")
    source = FeedSource.objects.create(workspace=a, url="https://feed.example/rss",
                                       created_by=owner, **_if_field(FeedSource, "name", MARK))
    item = FeedItem.objects.create(source=source, key="k1", title=f"{MARK} item")
    ShortLink.objects.create(workspace=a, code="zqx1", url=f"https://example.com/{MARK}",
                             created_by=owner)
    QueueSchedule.objects.create(channel=channel, timezone="UTC")
    EvergreenRule.objects.create(post=post, workspace=a, every=1, unit="week")
    token, _raw = ApiToken.issue(owner, f"{MARK} token")
    experiment = Experiment.objects.create(
        workspace=a, name=f"{MARK} experiment", a_first=LATER.date(), a_last=LATER.date(),
        b_first=LATER.date().replace(day=2), b_last=LATER.date().replace(day=3))
    Benchmark.objects.create(workspace=a, channel=channel, posts_per_week=3)
    # A live engine process, so /healthz answers 200 as on a running install (with none it
    # answers 503 by design, which this test would read as a server error).
    engine = workers.register("serve")
    conversation = Conversation.objects.create(workspace=a, channel=channel,
                                               remote_id="thread:1", kind="comment")
    inbox_item = InboxItem.objects.create(workspace=a, channel=channel,
                                          conversation=conversation, remote_id="1",
                                          kind="comment", text=f"{MARK} inbox text")
    moderation = ModerationLog.objects.create(item=inbox_item, rule_name=f"{MARK} rule",
                                              action="flag", applied=True)
    competitor = Competitor.objects.create(
        workspace=a, network="mastodon", handle=f"@{MARK}@mastodon.example",
        ref=f"{MARK}@mastodon.example", display_name=f"{MARK} rival")
    scheduled_report = schedule.create(a, name=f"{MARK} report", frequency="weekly",
                                       addresses=f"{MARK.lower()}@example.org", user=owner)
    share_link, _token = sharing.issue(a, name=f"{MARK} link", first_day=LATER.date(),
                                       last_day=LATER.date(), user=owner)
    canned = CannedReply.objects.create(workspace=a, code="zqx", text_en=f"{MARK} canned")
    blocked = BlockedAuthor.objects.create(workspace=a, network="mastodon",
                                           handle=f"{MARK.lower()}-troll")
    faq_entry = FaqEntry.objects.create(workspace=a, key="hours", answer_en=f"{MARK} answer")
    strategy = Strategy.objects.create(workspace=a, title=f"{MARK} strategy")
    StrategyChannel.objects.create(strategy=strategy, channel=channel, main=True)
    goal = Goal.objects.create(workspace=a, name=f"{MARK} goal", metric="posts_per_week",
                               target=3, deadline=LATER.date(), start_date=LATER.date())
    budget = Budget.objects.create(workspace=a, month=LATER.date().replace(day=1),
                                   category="ads", amount=100, currency="EUR",
                                   note=f"{MARK} budget")
    spend_batch = SpendImport.objects.create(workspace=a, source="keryx",
                                             filename=f"{MARK}.csv")
    spend = SpendEntry.objects.create(workspace=a, date=LATER.date(), amount=10,
                                      currency="EUR", campaign=campaign, batch=spend_batch,
                                      campaign_name_as_imported=f"{MARK} spend")
    partner = Partner.objects.create(workspace=a, name=f"{MARK} partner", handle=f"@{MARK}",
                                     stage="pitched", stage_changed_at=LATER,
                                     notes=f"{MARK} partner notes", campaign=campaign)
    PartnerEvent.objects.create(partner=partner, kind="note", text=f"{MARK} partner note",
                                at=LATER)
    from keryx.listening.models import Match as ListeningMatch
    from keryx.listening.models import Result as ListeningResult
    from keryx.listening.models import SavedSearch

    listening_search = SavedSearch.objects.create(workspace=a, name=f"{MARK} search",
                                                  query=MARK.lower(), networks=["mastodon"])
    listening_result = ListeningResult.objects.create(
        workspace=a, network="mastodon", remote_id="L1", text=f"{MARK} heard",
        author_handle=f"{MARK.lower()}-author", published_at=LATER)
    ListeningMatch.objects.create(search=listening_search, result=listening_result,
                                  published_at=LATER, network="mastodon")
    from keryx.listening.models import Alert as ListeningAlert
    from keryx.listening.models import AlertRule as ListeningRule

    listening_rule = ListeningRule.objects.create(
        search=listening_search, kind="author", authors=[f"{MARK.lower()}-author"],
        emails=[f"{MARK.lower()}@example.org"], webhook_secret={"secret": MARK * 4})
    listening_alert = ListeningAlert.objects.create(
        workspace=a, search=listening_search, rule=listening_rule, kind="author",
        fired_at=LATER, count=1, figures={"authors": [f"{MARK.lower()}-author"]})
    ids = {
        "listening_search": listening_search.pk, "listening_result": listening_result.pk,
        "listening_rule": listening_rule.pk, "listening_alert": listening_alert.pk,
        "scheduled_report": scheduled_report.pk, "share_link": share_link.pk,
        "competitor": competitor.pk,
        "post": post.pk, "media": media.pk, "channel": channel.pk, "campaign": campaign.pk,
        "label": label.pk, "invitation": invitation.pk, "job": job.pk, "feed": source.pk,
        "item": item.pk, "token": token.pk, "workspace": a.pk,
        "membership": Membership.objects.get(workspace=a, user=owner).pk,
        "target": PostTarget.objects.get(post=post).pk,
        "inbox_item": inbox_item.pk, "conversation": conversation.pk,
        "moderation": moderation.pk, "experiment": experiment.pk,
        "canned": canned.pk, "blocked": blocked.pk, "faq_entry": faq_entry.pk,
        "goal": goal.pk, "budget": budget.pk, "spend": spend.pk,
        "spend_batch": spend_batch.pk, "partner": partner.pk,
    }
    return World(a, b, outsider, viewer, approver, ids, owner, engine)


def _if_field(model: type[models.Model], name: str, value: str) -> dict[str, str]:
    names = {f.name for f in model._meta.get_fields()}
    return {name: value} if name in names else {}


# ---------------------------------------------------------------------------------------------
# How each route's parameters are filled
# ---------------------------------------------------------------------------------------------

# By parameter name, where the name says what it is.
BY_NAME: dict[str, str] = {
    "post_id": "post", "post_pk": "post", "media_id": "media", "channel_id": "channel",
    "token_id": "token", "membership_id": "membership", "invitation_id": "invitation",
    "workspace_id": "workspace", "target_id": "target", "competitor_id": "competitor",
    "experiment_id": "experiment", "inbox_item_id": "inbox_item",
    "goal_id": "goal", "budget_id": "budget", "partner_id": "partner",
    "search_id": "listening_search", "result_id": "listening_result",
    "rule_id": "listening_rule", "alert_id": "listening_alert",
}
# `pk` means a different object on each route: the route's pattern says which.
PK_OF: dict[str, str] = {
    "posts/<int:pk>/": "post", "posts/<int:pk>/cancel/": "post",
    "posts/<int:pk>/reschedule/": "post", "posts/media/<int:pk>/": "media",
    "posts/deliveries/<int:pk>/retry/": "target", "posts/deliveries/<int:pk>/cancel/": "target",
    "approvals/posts/<int:pk>/approve/": "post", "approvals/posts/<int:pk>/reject/": "post",
    "approvals/posts/<int:pk>/submit/": "post", "approvals/posts/<int:pk>/edit/": "post",
    "approvals/posts/<int:pk>/comments/": "post", "calendar/posts/<int:pk>/move/": "post",
    "calendar/campaigns/<int:pk>/": "campaign", "calendar/labels/<int:pk>/": "label",
    "queues/channels/<int:pk>/schedule/": "channel",
    "queues/channels/<int:pk>/<str:action>/": "channel",
    "import/<int:pk>/": "job", "import/<int:pk>/progress/": "job",
    "import/<int:pk>/start/": "job", "import/<int:pk>/rejected.csv": "job",
    "feeds/<int:pk>/refresh/": "feed", "feeds/<int:pk>/delete/": "feed",
    "feeds/items/<int:pk>/draft/": "item", "feeds/items/<int:pk>/dismiss/": "item",
    "library/<int:pk>/": "media", "library/<int:pk>/adapted/<str:network>/": "media",
    "inbox/items/<int:pk>/reply/": "inbox_item", "inbox/items/<int:pk>/triage/": "inbox_item",
    "inbox/items/<int:pk>/hide/": "inbox_item",
    "inbox/conversations/<int:pk>/note/": "conversation",
    "inbox/rules/log/<int:pk>/revert/": "moderation",
    "analytics/competitors/<int:pk>/remove/": "competitor",
    "analytics/competitors/<int:pk>/refresh/": "competitor",
    "analytics/reports/scheduled/<int:pk>/": "scheduled_report",
    "analytics/reports/scheduled/<int:pk>/send/": "scheduled_report",
    "analytics/reports/scheduled/<int:pk>/delete/": "scheduled_report",
    "analytics/reports/links/<int:pk>/revoke/": "share_link",
    "queues/channels/<int:pk>/slots/add/": "channel",
    "analytics/experiments/<int:pk>/": "experiment",
    "analytics/experiments/<int:pk>/edit/": "experiment",
    "analytics/experiments/<int:pk>/delete/": "experiment",
    "inbox/items/<int:pk>/": "inbox_item", "inbox/items/<int:pk>/unhide/": "inbox_item",
    "inbox/items/<int:pk>/decide/": "inbox_item", "inbox/items/<int:pk>/block/": "inbox_item",
    "inbox/rules/blocked/<int:pk>/delete/": "blocked",
    "inbox/canned/<int:pk>/": "canned", "inbox/canned/<int:pk>/delete/": "canned",
    "inbox/assistant/faq/<int:pk>/": "faq_entry",
    "inbox/assistant/faq/<int:pk>/delete/": "faq_entry",
    "strategy/goals/<int:pk>/refresh/": "goal", "strategy/goals/<int:pk>/delete/": "goal",
    "strategy/budgets/<int:pk>/delete/": "budget",
    "strategy/budgets/<int:pk>/edit/": "budget",
    "strategy/budgets/spend/<int:pk>/delete/": "spend",
    "strategy/budgets/imports/<int:pk>/": "spend_batch",
    "strategy/partners/<int:pk>/": "partner", "strategy/partners/<int:pk>/edit/": "partner",
    "strategy/partners/<int:pk>/move/": "partner", "strategy/partners/<int:pk>/note/": "partner",
}
# Plain values: which network, which queue action.
LITERALS: dict[str, str] = {"network": "mastodon", "action": "pause"}
# The secret is the URL: whoever holds it may use it. Called with a wrong secret.
CAPABILITIES = {
    "m/<str:token>/", "invite/<str:token>/", "calendar/feed/<str:token>.ics",
    "library/public/<str:token>/", "l/<str:code>",
    "analytics/shared/<str:token>/", "analytics/shared/<str:token>/report.pdf",
    "account/reset/<uidb64>/<token>/",
}
# Pages that are the same for everyone and name nothing of a workspace.
PUBLIC = {"login/", "logout/", "i18n/setlang/", "login/code/", "account/reset/",
          "account/reset/sent/", "account/reset/done/"}

PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def url_patterns() -> Iterator[str]:
    def walk(patterns: list[Any], prefix: str) -> Iterator[str]:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                yield prefix + str(entry.pattern)

    for route in walk(get_resolver().url_patterns, ""):
        if not route.startswith(SKIPPED_PREFIXES):
            yield route


def fill(route: str, ids: dict[str, Any]) -> str:
    """The route with A's values in it; a parameter nobody explained fails the test."""

    def value(match: re.Match[str]) -> str:
        name = match.group(2)
        if route in CAPABILITIES:
            return WRONG_SECRET
        if name == "pk":
            assert route in PK_OF, f"route {route!r}: say in PK_OF which object its pk is"
            return str(ids[PK_OF[route]])
        if name in BY_NAME:
            return str(ids[BY_NAME[name]])
        assert name in LITERALS, f"route {route!r}: no value for <{name}> (add it to a table)"
        return LITERALS[name]

    return "/" + PARAM.sub(value, route)


# A body that fills the fields most forms and schemas ask for, with A's ids where they name one.
def form_body(ids: dict[str, Any]) -> dict[str, Any]:
    return {
        "text": "changed", "name": "changed", "email": "x@example.com", "role": "owner",
        "alt_text": "changed", "scheduled_at": "2030-01-01T10:00", "date": "2030-01-01",
        "channels": [ids["channel"]], "channel": ids["channel"], "workspace": ids["workspace"],
        "url": "https://example.com/x", "body": "changed", "colour": "#000000",
        "focal_x": "0.5", "focal_y": "0.5", "language": "en", "timezone": "UTC",
    }


# ---------------------------------------------------------------------------------------------
# What A holds, to prove nothing changed
# ---------------------------------------------------------------------------------------------


def _path_to_workspace(model: type[models.Model], depth: int = 3) -> str | None:
    if model is Workspace:
        return "pk"
    for field in model._meta.concrete_fields:
        if isinstance(field, models.ForeignKey) and field.related_model is Workspace:
            return field.name
    if depth == 0:
        return None
    for field in model._meta.concrete_fields:
        if isinstance(field, models.ForeignKey) and field.related_model.__module__.startswith(
            "keryx."
        ):
            rest = _path_to_workspace(field.related_model, depth - 1)
            if rest is not None:
                return f"{field.name}__{'workspace' if rest == 'pk' else rest}"
    return None


def state_of(workspace: Workspace) -> dict[str, list[dict[str, Any]]]:
    state: dict[str, list[dict[str, Any]]] = {}
    for model in apps.get_models():
        if not model.__module__.startswith("keryx."):
            continue
        path = _path_to_workspace(model)
        if path is None:
            continue
        rows = model.objects.filter(**{path: workspace.pk}).order_by("pk").values()
        state[model.__name__] = [
            {k: v for k, v in row.items() if k not in {"last_used_at", "updated_at"}}
            for row in rows
        ]
    owners = Membership.objects.filter(workspace=workspace).values("user")
    state["ApiToken"] = list(
        ApiToken.objects.filter(user__in=owners).order_by("pk").values("pk", "revoked_at")
    )
    return state


# Renditions of a file, made on demand for a member who may see it: a cache, not a change.
DERIVED = {"AdaptedFile"}


def changes(before: dict[str, Any], after: dict[str, Any], who: str) -> list[str]:
    return [
        f"{who} changed {name}"
        for name in before
        if before[name] != after[name] and not (who == "viewer" and name in DERIVED)
    ]


# ---------------------------------------------------------------------------------------------
# The callers
# ---------------------------------------------------------------------------------------------


def callers(world: World) -> dict[str, Client]:
    out = {}
    for name, user in (("outsider", world.outsider), ("viewer", world.viewer),
                       ("approver", world.approver), ("anonymous", None)):
        client = Client()
        if user is not None:
            client.force_login(user)
        out[name] = client
    return out


# The outsider and the anonymous caller never see A; the approver, sent nothing, neither does,
# except the name of the workspace it belongs to.
MUST_NOT_SEE = {"outsider", "outsider-session", "anonymous", "approver"}


def _leaks(who: str, content: bytes, world: World) -> bool:
    text = content.decode(errors="replace")
    if who == "approver":
        text = text.replace(world.a.name, "")
    return MARK in text


def web_problems(who: str, method: str, route: str, url: str, response: Any,
                 world: World) -> list[str]:
    problems = []
    status = response.status_code
    if status >= 500:
        problems.append(f"{who} {method.upper()} {url}: {status}")
    if route in CAPABILITIES and status not in (404, 405, 302):
        problems.append(f"{who} {method.upper()} {url}: wrong secret gave {status}")
    body = b"" if response.streaming else response.content
    if who in MUST_NOT_SEE and route not in PUBLIC and _leaks(who, body, world):
        problems.append(f"{who} {method.upper()} {url}: shows A's data ({status})")
    names_a = route not in CAPABILITIES and any(
        name not in LITERALS for _conv, name in PARAM.findall(route))
    if who == "outsider" and names_a and status not in (302, 400, 403, 404, 405):
        problems.append(f"{who} {method.upper()} {url}: {status}, not 404 or 403")
    return problems


def test_every_web_route_keeps_workspace_a_to_itself(world):
    before = state_of(world.a)
    routes = list(url_patterns())
    assert len(routes) > 60  # the enumeration found the app's routes
    problems: list[str] = []
    cases = 0
    for who, client in callers(world).items():
        # The engine's heartbeat, renewed per caller: one caller's pass (PDF reports among the
        # routes) can outlast the silence after which /healthz counts the engine as gone.
        workers.beat(world.engine)
        for route in routes:
            url = fill(route, world.ids)
            for method in ("get", "post"):
                call: Callable[..., Any] = getattr(client, method)
                response = call(url, form_body(world.ids)) if method == "post" else call(url)
                cases += 1
                problems += web_problems(who, method, route, url, response, world)
        after = state_of(world.a)
        problems += changes(before, after, who)
        before = after
    assert not problems, "\n".join(problems)
    print(f"web: {len(routes)} routes, {cases} cases")


# ---------------------------------------------------------------------------------------------
# The API, from its OpenAPI schema
# ---------------------------------------------------------------------------------------------

API_PARAMS = {**BY_NAME, "network": None}


def api_operations(client: Client) -> Iterator[tuple[str, str]]:
    schema = client.get(f"{API}/openapi.json").json()
    for path, operations in schema["paths"].items():
        for method in operations:
            yield method, path


def fill_api(path: str, ids: dict[str, Any]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in API_PARAMS, f"API path {path!r}: no value for {{{name}}}"
        kind = API_PARAMS[name]
        return LITERALS["network"] if kind is None else str(ids[kind])

    return re.sub(r"\{(\w+)\}", value, path)


def api_body(ids: dict[str, Any]) -> dict[str, Any]:
    return {
        "workspace": ids["workspace"], "text": "changed", "channels": [ids["channel"]],
        "alt_text": "changed", "scheduled_at": "2030-01-01T10:00:00Z", "name": "changed",
        "handle": "x.bsky.social", "app_password": "x", "instance": "https://m.example",
        "access_token": "x", "values": {"access_token": "x"},
    }


def api_problems(who: str, method: str, path: str, url: str, response: Any,
                 world: World) -> list[str]:
    problems = []
    status = response.status_code
    if status >= 500:
        problems.append(f"{who} {method.upper()} {url}: {status}")
    if who in MUST_NOT_SEE and _leaks(who, response.content, world):
        problems.append(f"{who} {method.upper()} {url}: shows A's data ({status})")
    if status >= 400 and set(response.json()) != {"error"}:
        problems.append(f"{who} {method.upper()} {url}: error not in the JSON error shape")
    if who == "anonymous" and status != 401 and not path.endswith("/openapi.json"):
        problems.append(f"anonymous {method.upper()} {url}: {status}, not 401")
    if who.startswith("outsider") and "{" in path and status not in (400, 403, 404, 405, 422):
        problems.append(f"outsider {method.upper()} {url}: {status}")
    return problems


def test_every_api_operation_keeps_workspace_a_to_itself(world):
    tokens = {"outsider": ApiToken.issue(world.outsider, "t")[1],
              "viewer": ApiToken.issue(world.viewer, "t")[1],
              "approver": ApiToken.issue(world.approver, "t")[1], "anonymous": None,
              "outsider-session": None}
    before = state_of(world.a)
    operations = list(api_operations(Client()))
    assert len(operations) >= 20
    problems: list[str] = []
    cases = 0
    for who, token in tokens.items():
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        for method, path in operations:
            url = fill_api(path, world.ids)
            kwargs: dict[str, Any] = {"headers": headers}
            if method != "get":
                kwargs.update(data=json.dumps(api_body(world.ids)),
                              content_type="application/json")
            client = Client()
            if who == "outsider-session":
                client.force_login(world.outsider)
            response = getattr(client, method)(url, **kwargs)
            cases += 1
            problems += api_problems(who, method, path, url, response, world)
        after = state_of(world.a)
        problems += changes(before, after, who)
        before = after
    assert not problems, "\n".join(problems)
    print(f"api: {len(operations)} operations, {cases} cases")


def test_every_route_answers_ids_out_of_range_without_a_5xx(world):
    """Ids beyond the database's integer range, as the workspace's owner: 404, never a 500."""
    huge = {kind: "9" * 25 for kind in world.ids}
    client = Client()
    client.force_login(world.owner)
    problems = []
    for route in url_patterns():
        if "<int:" not in route:
            continue
        url = fill(route, huge)
        for method in ("get", "post"):
            status = getattr(client, method)(url).status_code
            if status >= 500:
                problems.append(f"{method.upper()} {url}: {status}")
    assert not problems, "\n".join(problems)


INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
INLINE_ELEMENT = re.compile(r"<(script|style)\b([^>]*)>", re.IGNORECASE)


def test_every_page_works_under_the_content_security_policy(world):
    """As A's owner, every page: a CSP header, no inline event handler, and every inline
    <script>/<style> (other than JSON data) carries this response's nonce."""
    client = Client()
    client.force_login(world.owner)
    problems, pages = [], 0
    for route in url_patterns():
        url = fill(route, world.ids)
        response = client.get(url)
        if not response.get("Content-Type", "").startswith("text/html") or response.streaming:
            continue
        pages += 1
        policy = response.get("Content-Security-Policy", "")
        if "script-src 'self' 'nonce-" not in policy:
            problems.append(f"{url}: no CSP")
            continue
        nonce = policy.split("'nonce-")[1].split("'")[0]
        body = response.content.decode()
        if INLINE_HANDLER.search(body):
            problems.append(f"{url}: inline event handler")
        for _tag, attrs in INLINE_ELEMENT.findall(body):
            runs = "src=" not in attrs and "application/json" not in attrs
            if runs and f'nonce="{nonce}"' not in attrs:
                problems.append(f"{url}: inline <{_tag}> without the nonce")
    assert pages > 30
    assert not problems, "\n".join(problems)


def test_a_route_without_a_case_fails():
    with pytest.raises(AssertionError, match="no value for <gadget_id>"):
        fill("gadgets/<int:gadget_id>/", {})
    with pytest.raises(AssertionError, match="say in PK_OF"):
        fill("gadgets/<int:pk>/", {})
    with pytest.raises(AssertionError, match="no value for"):
        fill_api("/api/v1/gadgets/{gadget_id}", {})
