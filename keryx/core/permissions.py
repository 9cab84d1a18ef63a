"""Who may do what in a workspace: one table of actions, each with the lowest role that may do
it, the lower role that may do it to their own posts, and whether client approvers may.

Every front end asks here: the web views (keryx.core.web.workspace_view and the views' own
checks), the templates (the `can` tag in keryx.core.templatetags.permissions), the API and the
CLI, and the services that check a role. So one question has one answer everywhere, and
docs/permissions.md is this table in prose (a test compares the two).

Scoping (which workspace, which posts a client approver sees) is not decided here: lookups go
through keryx.core.access and keryx.approvals.services.visible_posts first, and answer 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.core import exceptions
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from keryx.core.models import ROLE_RANK, Membership, Role


class Action(StrEnum):
    VIEW_POSTS = "view_posts"
    VIEW_WORKSPACE = "view_workspace"
    CREATE_DRAFT = "create_draft"
    CREATE_POST = "create_post"
    EDIT_POST = "edit_post"
    SUBMIT_FOR_APPROVAL = "submit_for_approval"
    CANCEL_POST = "cancel_post"
    RESCHEDULE_POST = "reschedule_post"
    RETRY_POST = "retry_post"
    APPROVE = "approve"
    COMMENT = "comment"
    UPLOAD_MEDIA = "upload_media"
    SET_ALT_TEXT = "set_alt_text"
    USE_FEEDS = "use_feeds"
    MANAGE_PLANNING = "manage_planning"
    IMPORT_POSTS = "import_posts"
    CONNECT_CHANNEL = "connect_channel"
    DELETE_CHANNEL = "delete_channel"
    MANAGE_MEMBERS = "manage_members"
    MANAGE_SETTINGS = "manage_settings"
    VIEW_AUDIT_LOG = "view_audit_log"
    VIEW_ANALYTICS = "view_analytics"
    COLLECT_METRICS = "collect_metrics"
    MANAGE_ANALYTICS = "manage_analytics"
    VIEW_INBOX = "view_inbox"
    ANSWER_INBOX = "answer_inbox"
    MODERATE_INBOX = "moderate_inbox"
    MANAGE_COMPETITORS = "manage_competitors"
    MANAGE_REPORTS = "manage_reports"
    MANAGE_STRATEGY = "manage_strategy"
    VIEW_LISTENING = "view_listening"
    MANAGE_LISTENING = "manage_listening"


@dataclass(frozen=True)
class Rule:
    """`minimum`: the lowest team role allowed on anything. `own`: a lower role allowed on a
    post its holder wrote (None: no such rule). `clients`: client approvers may too, on what
    was sent to them (the lookups scope that; the approval service checks the recipients)."""

    minimum: Role
    label: Any
    own: Role | None = None
    clients: bool = False


RULES: dict[Action, Rule] = {
    Action.VIEW_POSTS: Rule(Role.VIEWER, gettext_lazy("Reading posts"), clients=True),
    Action.VIEW_WORKSPACE: Rule(Role.VIEWER, gettext_lazy("Reading the workspace")),
    Action.CREATE_DRAFT: Rule(Role.CONTRIBUTOR, gettext_lazy("Writing a draft")),
    # Scheduling or publishing now; the approval workflow holds a contributor's post for review
    # (keryx.approvals.services.needs_approval), so this is not a way around it.
    Action.CREATE_POST: Rule(Role.CONTRIBUTOR, gettext_lazy("Scheduling a post")),
    Action.EDIT_POST: Rule(Role.EDITOR, gettext_lazy("Editing a post"), own=Role.CONTRIBUTOR),
    Action.SUBMIT_FOR_APPROVAL: Rule(Role.EDITOR, gettext_lazy("Sending a post for approval"),
                                     own=Role.CONTRIBUTOR),
    Action.CANCEL_POST: Rule(Role.EDITOR, gettext_lazy("Cancelling a post"),
                             own=Role.CONTRIBUTOR),
    Action.RESCHEDULE_POST: Rule(Role.EDITOR, gettext_lazy("Rescheduling a post"),
                                 own=Role.CONTRIBUTOR),
    Action.RETRY_POST: Rule(Role.EDITOR, gettext_lazy("Retrying a post"), own=Role.CONTRIBUTOR),
    Action.APPROVE: Rule(Role.EDITOR, gettext_lazy("Approving a post"), clients=True),
    Action.COMMENT: Rule(Role.CONTRIBUTOR, gettext_lazy("Commenting on a post"), clients=True),
    Action.UPLOAD_MEDIA: Rule(Role.CONTRIBUTOR, gettext_lazy("Uploading media")),
    Action.SET_ALT_TEXT: Rule(Role.CONTRIBUTOR, gettext_lazy("Changing alt text")),
    Action.USE_FEEDS: Rule(Role.CONTRIBUTOR, gettext_lazy("Working with feeds")),
    Action.MANAGE_PLANNING: Rule(Role.EDITOR, gettext_lazy(
        "Managing campaigns, labels, queues, contacts and links")),
    Action.IMPORT_POSTS: Rule(Role.EDITOR, gettext_lazy("Importing posts")),
    Action.CONNECT_CHANNEL: Rule(Role.EDITOR, gettext_lazy("Connecting a channel")),
    Action.DELETE_CHANNEL: Rule(Role.ADMIN, gettext_lazy("Deleting a channel")),
    Action.MANAGE_MEMBERS: Rule(Role.ADMIN, gettext_lazy("Managing members")),
    Action.MANAGE_SETTINGS: Rule(Role.ADMIN, gettext_lazy("Changing the workspace's settings")),
    Action.VIEW_AUDIT_LOG: Rule(Role.ADMIN, gettext_lazy("Reading the audit log")),
    # Client approvers see only the posts sent to them, so not the workspace's figures.
    Action.VIEW_ANALYTICS: Rule(Role.VIEWER, gettext_lazy("Reading analytics and reports")),
    Action.COLLECT_METRICS: Rule(Role.EDITOR, gettext_lazy("Collecting metrics now")),
    Action.MANAGE_ANALYTICS: Rule(Role.EDITOR, gettext_lazy(
        "Managing posting-frequency experiments and targets")),
    Action.VIEW_INBOX: Rule(Role.VIEWER, gettext_lazy("Reading the inbox")),
    # Replying, hiding, status, assignee, labels, notes and fetching now.
    Action.ANSWER_INBOX: Rule(Role.CONTRIBUTOR, gettext_lazy("Answering in the inbox")),
    Action.MODERATE_INBOX: Rule(Role.EDITOR, gettext_lazy(
        "Managing moderation rules and undoing what they did")),
    Action.MANAGE_COMPETITORS: Rule(Role.EDITOR, gettext_lazy(
        "Following and removing competitors")),
    # Scheduled reports e-mail the figures outside the team, and share links show them to
    # anyone holding the link: more than reading them.
    Action.MANAGE_REPORTS: Rule(Role.EDITOR, gettext_lazy(
        "Managing scheduled reports, share links and the report logo")),
    Action.MANAGE_STRATEGY: Rule(Role.EDITOR, gettext_lazy(
        "Writing the strategy and setting goals")),
    Action.VIEW_LISTENING: Rule(Role.VIEWER, gettext_lazy("Reading listening results")),
    # Running a search spends the networks' request budgets; marking results irrelevant and
    # sending them to the inbox change what everyone sees.
    Action.MANAGE_LISTENING: Rule(Role.CONTRIBUTOR, gettext_lazy(
        "Managing saved searches, running them and giving feedback on results")),
}


class PermissionDenied(exceptions.PermissionDenied):
    """The member's role does not allow the action. A Django PermissionDenied, so the web
    answers 403 and the API its JSON "forbidden" error; the CLI exits with cliutil's code."""

    def __init__(self, action: Action, message: str) -> None:
        super().__init__(message)
        self.action = action


def _rank(role: Role | str) -> int:
    return ROLE_RANK[Role(role)]


def _owner_id(obj: Any) -> int | None:
    """Who wrote `obj`: a post's author, or the author of a delivery's post."""
    if hasattr(obj, "author_id"):
        return obj.author_id
    post = getattr(obj, "post", None)
    return getattr(post, "author_id", None)


def can(membership: Membership | None, action: Action | str, obj: Any = None) -> bool:
    """Whether the member may do `action` (to `obj`, a post or one of its deliveries, where the
    own-posts rule matters). An object of another workspace is never allowed."""
    if membership is None:
        return False
    rule = RULES[Action(action)]
    workspace_id = getattr(obj, "workspace_id", None)
    if workspace_id is not None and workspace_id != membership.workspace_id:
        return False
    role = Role(membership.role)
    if role == Role.CLIENT_APPROVER:
        return rule.clients
    if _rank(role) >= _rank(rule.minimum):
        return True
    return (
        rule.own is not None
        and obj is not None
        and _rank(role) >= _rank(rule.own)
        and _owner_id(obj) == membership.user_id
    )


def explain(action: Action | str) -> str:
    """Who may do `action`, in a sentence for the person who was refused."""
    rule = RULES[Action(action)]
    params = {"action": rule.label, "role": rule.minimum.label}
    if rule.own is not None:
        params["own"] = rule.own.label
        return _("%(action)s needs the %(role)s role or higher (%(own)s for your own posts).") % (
            params)
    return _("%(action)s needs the %(role)s role or higher.") % params


def require(membership: Membership | None, action: Action | str, obj: Any = None) -> None:
    """Raise PermissionDenied unless can(membership, action, obj)."""
    if not can(membership, action, obj):
        raise PermissionDenied(Action(action), explain(action))


def allowed_roles(action: Action | str, *, own: bool = False) -> list[Role]:
    """The roles that may do `action` (with `own`, to a post they wrote), highest first."""
    rule = RULES[Action(action)]
    lowest = rule.own if own and rule.own is not None else rule.minimum
    roles = [r for r in Role if r != Role.CLIENT_APPROVER and _rank(r) >= _rank(lowest)]
    if rule.clients:
        roles.append(Role.CLIENT_APPROVER)
    return roles
