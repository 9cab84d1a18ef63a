"""One answer per role and action, from every front end.

The cases are made from keryx.core.permissions.RULES: for each action and each role (and, where
the own-posts rule applies, on a post of their own too) the web UI (Django's test client), the
API (a personal token) and the CLI (call_command) are asked, and each must give the table's
answer. An action without an entry in FRONT_ENDS fails, so a new action cannot go unchecked; a
front end that does not offer an action says None. docs/permissions.md must match the table.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from keryx.analytics.models import Competitor
from keryx.approvals.models import ApprovalRequest, RequestState
from keryx.channels.models import Channel
from keryx.core.cliutil import PERMISSION_DENIED_EXIT
from keryx.core.models import Membership, Role, Workspace
from keryx.core.permissions import RULES, Action, can
from keryx.core.services import create_workspace
from keryx.inbox.models import Conversation, InboxItem
from keryx.publishing import services
from keryx.publishing.models import Media, Post, PostTarget, TargetState
from tests.api_support import API, Caller, mastodon_channel
from tests.support.images import png_bytes

NEXT_YEAR = timezone.now().year + 1
LATER = datetime(NEXT_YEAR, 3, 1, 9, 0, tzinfo=UTC)
ROLES = [Role.OWNER, Role.ADMIN, Role.EDITOR, Role.CONTRIBUTOR, Role.VIEWER,
         Role.CLIENT_APPROVER]
DOCS = Path(__file__).resolve().parent.parent / "docs" / "permissions.md"


@dataclass
class World:
    workspace: Workspace
    users: dict[str, Any]
    writer: Any  # a second contributor, who writes the posts that are nobody else's own
    channel: Any
    tmp: Path

    def membership(self, user: Any) -> Membership:
        return Membership.objects.select_related("workspace").get(
            workspace=self.workspace, user=user)


@pytest.fixture
def world(db, tmp_path) -> World:
    users_model = get_user_model()

    def user(name: str) -> Any:
        # No password: the tests sign in with force_login, and hashing seven would be slow.
        return users_model.objects.create_user(f"{name}@example.com", f"{name}@example.com")

    owner = user("owner")
    workspace = create_workspace(owner, "Acme", timezone="UTC")
    users = {Role.OWNER: owner}
    for role in ROLES[1:]:
        users[role] = user(role.value.replace("_", "-"))
        Membership.objects.create(workspace=workspace, user=users[role], role=role)
    writer = user("writer")
    Membership.objects.create(workspace=workspace, user=writer, role=Role.CONTRIBUTOR)
    return World(workspace, users, writer, mastodon_channel(workspace), tmp_path)


# ---------------------------------------------------------------------------------------------
# The objects the actions are tried on
# ---------------------------------------------------------------------------------------------


def _sent_to_client(world: World, post: Post, state: str = RequestState.APPROVED) -> None:
    """Make the post one that was sent to the client approver, so they can reach it."""
    request = ApprovalRequest.objects.create(post=post, workspace=world.workspace,
                                             requested_by=world.users[Role.OWNER], state=state)
    request.recipients.add(world.users[Role.CLIENT_APPROVER])


def scheduled(world: World, author: Any, *, draft: bool = False, failed: bool = False) -> Post:
    post = services.create_post(
        workspace=world.workspace, author=world.users[Role.OWNER], text="Matrix",
        channels=[world.channel], scheduled_at=LATER, draft=draft, actor="tests")
    Post.objects.filter(pk=post.pk).update(author=author)
    if failed:
        PostTarget.objects.filter(post=post).update(state=TargetState.FAILED,
                                                    error_code="transient", due_at=None)
    _sent_to_client(world, post)
    return Post.objects.get(pk=post.pk)


def draft(world: World, author: Any) -> Post:
    return scheduled(world, author, draft=True)


def failed(world: World, author: Any) -> Post:
    return scheduled(world, author, failed=True)


def pending(world: World, author: Any) -> Post:
    """Written by a contributor, so held for review; every member is asked to approve it."""
    post = services.create_post(workspace=world.workspace, author=world.writer, text="Review me",
                                channels=[world.channel], scheduled_at=LATER, actor="tests")
    review = ApprovalRequest.objects.get(post=post, state=RequestState.PENDING)
    review.recipients.add(*world.users.values())
    return post


def channel(world: World, author: Any) -> Any:
    return mastodon_channel(world.workspace, f"doomed-{Channel.objects.count()}")


def media(world: World, author: Any) -> Media:
    return services.save_media(workspace=world.workspace, user=world.users[Role.OWNER],
                               file=io.BytesIO(png_bytes()), filename="red.png")


# ---------------------------------------------------------------------------------------------
# How each front end says yes or no
# ---------------------------------------------------------------------------------------------


def browser(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def ui_allowed(response: Any) -> bool:
    if response.status_code in (403, 404):
        return False
    # A client approver opening a team page is sent to their review inbox.
    return not (response.status_code == 302 and response.url == reverse("approvals:inbox"))


def api_allowed(response: Any) -> bool:
    if response.status_code == 403:
        assert response.json()["error"]["code"] == "forbidden"
        return False
    return response.status_code != 404


def cli_allowed(user: Any, *args: str) -> bool:
    try:
        call_command(*args, "--user", user.email, stdout=io.StringIO(), stderr=io.StringIO())
    except CommandError as exc:
        if exc.returncode == PERMISSION_DENIED_EXIT:
            return False
        if "No such post" in str(exc):
            return False
        return True  # refused for another reason (bad input, wrong state): the role passed
    return True


def _partner(world: World) -> Any:
    """The workspace's partner the strategy checks move (made the first time it is asked for)."""
    from keryx.strategy import partners

    found = partners.partners_of(world.workspace)
    return found[0] if found else partners.create_partner(world.workspace, name="Matrix")


def _same(*answers: bool) -> bool:
    """Several routes of one action in one front end: they must give the same answer."""
    assert len(set(answers)) == 1, answers
    return answers[0]


def ui_get(name: str) -> Callable[[World, Any, Any], bool]:
    return lambda w, user, obj: ui_allowed(browser(user).get(reverse(name)))


def ui_post(name: str, data: dict[str, Any] | None = None, *, target: bool = False
            ) -> Callable[[World, Any, Any], bool]:
    def check(w: World, user: Any, obj: Any) -> bool:
        pk = obj.targets.get().pk if target else obj.pk
        return ui_allowed(browser(user).post(reverse(name, args=[pk]), data or {}))
    return check


def delete(caller: Caller, path: str) -> Any:
    return caller.client.delete(API + path, headers={"Authorization": f"Bearer {caller.token}"})


def csv_file(w: World) -> str:
    path = w.tmp / "posts.csv"
    path.write_text(f"channels,text,time\nmasto,Hello,{NEXT_YEAR}-03-01 09:00\n",
                    encoding="utf-8")
    return str(path)


def png_file(w: World) -> str:
    path = w.tmp / "red.png"
    path.write_bytes(png_bytes())
    return str(path)


def inbox_item(world: World, author: Any) -> InboxItem:
    number = InboxItem.objects.count() + 1
    conversation = Conversation.objects.create(workspace=world.workspace, channel=world.channel,
                                               remote_id=f"thread:{number}", kind="comment")
    return InboxItem.objects.create(workspace=world.workspace, channel=world.channel,
                                    conversation=conversation, remote_id=str(number),
                                    kind="comment", text="Hello")


def saved_search(world: World, author: Any) -> Any:
    from keryx.listening.models import SavedSearch

    number = SavedSearch.objects.count() + 1
    return SavedSearch.objects.create(workspace=world.workspace, name=f"search {number}",
                                      query="acme", networks=["rss"],
                                      feeds=["https://feed.invalid/rss"])


def competitor(world: World, author: Any) -> Competitor:
    number = Competitor.objects.count() + 1
    return Competitor.objects.create(workspace=world.workspace, network="mastodon",
                                     handle=f"@rival{number}@mastodon.example",
                                     ref=f"rival{number}@mastodon.example")


def scheduled_report(world: World, author: Any) -> Any:
    from keryx.analytics.reports import schedule

    # No recipients: "send now" answers at once (nobody to send to), without making a PDF.
    return schedule.create(world.workspace, name="Weekly", frequency="weekly")


def upload_ui(w: World, user: Any, obj: Any) -> bool:
    upload = io.BytesIO(png_bytes())
    upload.name = "red.png"
    return ui_allowed(browser(user).post(reverse("library:upload"), {"files": [upload]}))


@dataclass
class Checks:
    """How to try one action: the object it is tried on (None: the workspace), and per front
    end a check (or several) answering whether it was allowed, or None where it is not offered."""

    setup: Callable[[World, Any], Any] | None
    ui: list[Callable[[World, Any, Any], bool]] | None
    api: Callable[[World, Any, Any], bool] | None
    cli: Callable[[World, Any, Any], bool] | None


WHEN = {"date": f"{NEXT_YEAR}-04-01", "time": "10:00"}

FRONT_ENDS: dict[Action, Checks] = {
    Action.VIEW_POSTS: Checks(
        scheduled,
        [lambda w, u, p: ui_allowed(browser(u).get(reverse("posts:detail", args=[p.pk])))],
        lambda w, u, p: api_allowed(Caller(u).get(f"/posts/{p.pk}")),
        lambda w, u, p: cli_allowed(u, "posts", "show", str(p.pk)),
    ),
    Action.VIEW_WORKSPACE: Checks(
        None,
        [ui_get("channels:list"), ui_get("planner:month"), ui_get("library:index")],
        lambda w, u, _o: api_allowed(Caller(u).get(f"/workspaces/{w.workspace.pk}/members")),
        lambda w, u, _o: cli_allowed(u, "export", str(w.tmp / "out.csv")),
    ),
    Action.CREATE_DRAFT: Checks(
        None,
        [lambda w, u, _o: ui_allowed(browser(u).post(reverse("posts:new"), {
            "action": "draft", "text": "Hi", "channels": [w.channel.pk], "when": "now"}))],
        lambda w, u, _o: api_allowed(Caller(u).post("/posts", {
            "workspace": w.workspace.pk, "text": "Hi", "channels": ["masto"], "draft": True})),
        lambda w, u, _o: cli_allowed(u, "post", "Hi", "--to", "masto", "--draft"),
    ),
    Action.CREATE_POST: Checks(
        None,
        [lambda w, u, _o: ui_allowed(browser(u).post(reverse("posts:new"), {
            "text": "Hi", "channels": [w.channel.pk], "when": "later", **WHEN}))],
        lambda w, u, _o: api_allowed(Caller(u).post("/posts", {
            "workspace": w.workspace.pk, "text": "Hi", "channels": ["masto"],
            "scheduled_at": LATER.isoformat()})),
        lambda w, u, _o: cli_allowed(u, "post", "Hi", "--to", "masto", "--at",
                                     f"{NEXT_YEAR}-03-01T09:00"),
    ),
    Action.EDIT_POST: Checks(
        scheduled, [ui_post("approvals:edit", {"text": "Changed"})], None, None),
    Action.SUBMIT_FOR_APPROVAL: Checks(draft, [ui_post("approvals:submit")], None, None),
    Action.CANCEL_POST: Checks(
        scheduled,
        [ui_post("posts:cancel"), ui_post("posts:cancel_target", target=True)],
        lambda w, u, p: api_allowed(Caller(u).post(f"/posts/{p.pk}/cancel")),
        lambda w, u, p: cli_allowed(u, "posts", "cancel", str(p.pk)),
    ),
    Action.RESCHEDULE_POST: Checks(
        scheduled,
        [ui_post("posts:reschedule", WHEN),
         ui_post("planner:move", {"day": f"{NEXT_YEAR}-03-02"})],
        lambda w, u, p: api_allowed(Caller(u).post(f"/posts/{p.pk}/reschedule", {
            "scheduled_at": f"{NEXT_YEAR}-04-01T10:00:00Z"})),
        lambda w, u, p: cli_allowed(u, "posts", "reschedule", str(p.pk), "--at",
                                    f"{NEXT_YEAR}-04-01T10:00"),
    ),
    Action.RETRY_POST: Checks(
        failed,
        [ui_post("posts:retry_target", target=True)],
        lambda w, u, p: api_allowed(
            Caller(u).post(f"/posts/{p.pk}/targets/{p.targets.get().pk}/retry")),
        lambda w, u, p: cli_allowed(u, "posts", "retry", str(p.pk)),
    ),
    Action.APPROVE: Checks(
        pending, [ui_post("approvals:approve"), ui_post("approvals:reject", {"reason": "No"})],
        None, None),
    Action.COMMENT: Checks(scheduled, [ui_post("approvals:comment", {"body": "Nice"})],
                           None, None),
    Action.UPLOAD_MEDIA: Checks(
        None,
        [upload_ui],
        lambda w, u, _o: api_allowed(Caller(u).upload(w.workspace.pk, "red.png", png_bytes())),
        lambda w, u, _o: cli_allowed(u, "post", "Hi", "--to", "masto", "--draft",
                                     "--media", png_file(w)),
    ),
    Action.SET_ALT_TEXT: Checks(
        media,
        [ui_post("library:detail", {"alt_text": "A red square", "tags": ""})],
        lambda w, u, m: api_allowed(Caller(u).patch(f"/media/{m.pk}",
                                                    {"alt_text": "A red square"})),
        None,
    ),
    Action.USE_FEEDS: Checks(None, [ui_get("feeds:list")], None, None),
    Action.MANAGE_PLANNING: Checks(
        None, [ui_get("planner:campaign_new"), ui_get("planner:label_new")], None, None),
    Action.IMPORT_POSTS: Checks(
        None, [ui_get("bulk:upload")], None,
        lambda w, u, _o: cli_allowed(u, "import", csv_file(w), "--dry-run"),
    ),
    Action.CONNECT_CHANNEL: Checks(
        None,
        [ui_get("channels:connect"), ui_get("channels:connect_mastodon")],
        lambda w, u, _o: api_allowed(Caller(u).post("/channels/mastodon", {
            "workspace": w.workspace.pk, "instance": "", "access_token": "x"})),
        lambda w, u, _o: cli_allowed(u, "channels", "add", "mastodon", "--instance", "",
                                     "--access-token", "x"),
    ),
    Action.DELETE_CHANNEL: Checks(
        channel,
        [ui_post("channels:delete")],
        lambda w, u, c: api_allowed(delete(Caller(u), f"/channels/{c.pk}")),
        None,
    ),
    Action.MANAGE_MEMBERS: Checks(
        None,
        [lambda w, u, _o: ui_allowed(browser(u).post(reverse("members"), {
            "email": "new@example.com", "role": Role.VIEWER}))],
        None, None,
    ),
    Action.MANAGE_SETTINGS: Checks(
        None, [ui_get("workspace_settings"), ui_get("approvals:settings"),
               ui_get("planner:feed_settings")], None, None),
    Action.VIEW_AUDIT_LOG: Checks(None, [ui_get("approvals:audit")], None, None),
    Action.VIEW_ANALYTICS: Checks(
        None, [ui_get("analytics:page"), ui_get("analytics:csv"), ui_get("strategy:partners"),
               lambda w, u, _o: ui_allowed(browser(u).get(reverse(
                   "strategy:partner", args=[_partner(w).pk])))],
        lambda w, u, _o: _same(api_allowed(Caller(u).get(
            f"/analytics/summary?workspace={w.workspace.pk}")),
            api_allowed(Caller(u).get(f"/strategy/partners?workspace={w.workspace.pk}"))),
        lambda w, u, _o: cli_allowed(u, "analytics", "summary", "--json"),
    ),
    Action.COLLECT_METRICS: Checks(
        None, None, None, lambda w, u, _o: cli_allowed(u, "metrics", "collect", "--json")),
    Action.MANAGE_ANALYTICS: Checks(
        None, [ui_get("analytics:targets")],
        lambda w, u, _o: api_allowed(Caller(u).post("/analytics/experiments", {
            "workspace": w.workspace.pk, "name": "x", "a": {"from": "2026-01-01",
                                                           "until": "2026-01-10"},
            "b": {"from": "2026-02-01", "until": "2026-02-10"}})),
        lambda w, u, _o: cli_allowed(u, "analytics", "experiment", "create", "--name", "x",
                                     "--a-from", "2026-01-01", "--a-until", "2026-01-10",
                                     "--b-from", "2026-02-01", "--b-until", "2026-02-10"),
    ),
    Action.MANAGE_COMPETITORS: Checks(
        competitor, [ui_post("analytics:competitor_remove")],
        lambda w, u, c: api_allowed(delete(
            Caller(u), f"/analytics/competitors/{c.pk}?workspace={w.workspace.pk}")),
        lambda w, u, c: cli_allowed(u, "competitors", "remove", str(c.pk))),
    Action.MANAGE_REPORTS: Checks(
        scheduled_report,
        [ui_get("analytics:reports"),
         lambda w, u, r: ui_allowed(browser(u).get(reverse("analytics:report_edit", args=[r.pk]))),
         lambda w, u, r: ui_allowed(browser(u).post(reverse("analytics:report_edit",
                                                            args=[r.pk]), {
             "name": "Weekly", "frequency": "weekly", "addresses": "client@example.org",
             "language": "en"})),
         ui_post("analytics:report_send_now"),
         lambda w, u, _o: ui_allowed(browser(u).post(reverse("analytics:report_new"), {
             "name": "Weekly", "frequency": "weekly", "addresses": "client@example.org",
             "language": "en"}))],
        None, None),
    Action.VIEW_INBOX: Checks(
        None, [ui_get("inbox:list")],
        lambda w, u, _o: api_allowed(Caller(u).get(f"/inbox/items?workspace={w.workspace.pk}")),
        lambda w, u, _o: cli_allowed(u, "inbox", "list")),
    Action.ANSWER_INBOX: Checks(
        inbox_item, [ui_post("inbox:triage", {"status": "done"})],
        lambda w, u, i: api_allowed(Caller(u).post(f"/inbox/items/{i.pk}/status",
                                                   {"status": "done"})),
        lambda w, u, i: cli_allowed(u, "inbox", "done", str(i.pk))),
    Action.MODERATE_INBOX: Checks(
        None, [ui_get("inbox:rules")], None,
        lambda w, u, _o: cli_allowed(u, "moderation", "retrain")),
    Action.MANAGE_STRATEGY: Checks(
        None, [lambda w, u, _o: ui_allowed(browser(u).post(reverse("strategy:page"),
                                                            {"language": "en"})),
               lambda w, u, _o: ui_allowed(browser(u).post(reverse("strategy:budget_add"), {
                   "category": "ads", "month": "2030-01", "amount": "10",
                   "currency": "EUR"})),
               lambda w, u, _o: ui_allowed(browser(u).post(reverse("strategy:partner_add"), {
                   "name": "Partner"})),
               lambda w, u, p: ui_allowed(browser(u).post(reverse(
                   "strategy:partner_move", args=[_partner(w).pk]), {"stage": "pitched"}))],
        lambda w, u, _o: _same(api_allowed(Caller(u).post("/strategy", {
            "workspace": w.workspace.pk, "language": "en"})),
            api_allowed(Caller(u).patch(f"/strategy/partners/{_partner(w).pk}", {
                "workspace": w.workspace.pk, "stage": "pitched"}))),
        lambda w, u, _o: cli_allowed(u, "goals", "add", "--name", "x", "--metric",
                                     "posts_per_week", "--target", "3", "--deadline",
                                     "2099-01-01")),
    Action.VIEW_LISTENING: Checks(
        saved_search, [ui_get("listening:list"),
                       lambda w, u, s: ui_allowed(browser(u).get(reverse(
                           "listening:search", args=[s.pk]))),
                       lambda w, u, s: ui_allowed(browser(u).get(reverse(
                           "listening:csv", args=[s.pk])))],
        lambda w, u, _o: api_allowed(Caller(u).get(
            f"/listening/searches?workspace={w.workspace.pk}")),
        lambda w, u, _o: cli_allowed(u, "listen", "list")),
    Action.MANAGE_LISTENING: Checks(
        saved_search, [lambda w, u, s: ui_allowed(browser(u).post(reverse("listening:list"), {
            "name": f"{s.name} web", "query": "acme", "networks": ["rss"]})),
                       lambda w, u, s: ui_allowed(browser(u).get(reverse(
                           "listening:edit", args=[s.pk]))),
                       ui_post("listening:run")],
        lambda w, u, s: api_allowed(Caller(u).patch(
            f"/listening/searches/{s.pk}?workspace={w.workspace.pk}", {"enabled": False})),
        lambda w, u, s: cli_allowed(u, "listen", "add", f"{s.name} copy", "--query", "acme",
                                    "--networks", "rss")),
}


def _cases() -> list[Any]:
    cases = []
    for action, rule in RULES.items():
        for role in ROLES:
            for own in ((False, True) if rule.own else (False,)):
                label = f"{action.value}-{role.value}" + ("-own" if own else "")
                cases.append(pytest.param(action, role, own, id=label))
    return cases


def test_every_action_has_its_front_end_checks():
    assert set(FRONT_ENDS) == set(Action) == set(RULES)
    for action, checks in FRONT_ENDS.items():
        assert checks.ui or checks.api or checks.cli, action


@pytest.mark.parametrize(("action", "role", "own"), _cases())
def test_same_answer_everywhere(world, action, role, own):
    user = world.users[role]
    checks = FRONT_ENDS[action]
    author = user if own else world.writer
    obj = checks.setup(world, author) if checks.setup else None
    expected = can(world.membership(user), action, obj)
    answers: dict[str, bool] = {}
    for index, check in enumerate(checks.ui or []):
        # Each check on a fresh object: an allowed one may have changed (or deleted) it.
        target = checks.setup(world, author) if checks.setup and index else obj
        answers[f"ui{index}"] = check(world, user, target)
    if checks.api:
        answers["api"] = checks.api(world, user, checks.setup(world, author)
                                    if checks.setup else None)
    if checks.cli:
        answers["cli"] = checks.cli(world, user, checks.setup(world, author)
                                    if checks.setup else None)
    assert answers == dict.fromkeys(answers, expected), (action, role, own)


def test_docs_table_is_the_code():
    rows = {}
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        match = re.match(r"\| `(\w+)` \| [^|]+ \| (\w+) \| (\w+|–) \| (yes|no) \|$", line)
        if match:
            rows[match[1]] = (match[2], None if match[3] == "–" else match[3], match[4] == "yes")
    assert rows == {
        action.value: (rule.minimum.value, rule.own.value if rule.own else None, rule.clients)
        for action, rule in RULES.items()
    }


def test_refusals_say_what_is_needed(world):
    response = Caller(world.users[Role.VIEWER]).post(
        f"/posts/{scheduled(world, world.writer).pk}/cancel")
    assert response.status_code == 403
    assert response.json()["error"]["message"] == (
        "Cancelling a post needs the Editor role or higher (Contributor for your own posts).")
