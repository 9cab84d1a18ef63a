"""Workspaces in the API: the caller's workspaces (with their role), create one, list members."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from keryx.core.access import membership_for, memberships_of
from keryx.core.models import Membership, Role
from keryx.core.permissions import Action, require
from keryx.core.services import create_workspace

router = Router(tags=["workspaces"])


class WorkspaceOut(Schema):
    id: int
    name: str
    slug: str
    timezone: str
    role: str = Field(description="The caller's role in this workspace.")


class WorkspaceIn(Schema):
    name: str = Field(min_length=1, max_length=120)
    timezone: str = Field("UTC", description="An IANA time zone, e.g. Europe/Athens.")


class MemberOut(Schema):
    user_id: int
    email: str
    name: str
    role: str
    joined_at: str


def _workspace_out(membership: Membership) -> WorkspaceOut:
    ws = membership.workspace
    return WorkspaceOut(id=ws.id, name=ws.name, slug=ws.slug, timezone=ws.timezone,
                        role=membership.role)


@router.get("/workspaces", response=list[WorkspaceOut], summary="My workspaces")
def list_workspaces(request: HttpRequest) -> list[WorkspaceOut]:
    return [_workspace_out(m) for m in memberships_of(request.auth)]


@router.post("/workspaces", response={201: WorkspaceOut}, summary="Create a workspace")
def create(request: HttpRequest, payload: WorkspaceIn) -> Status[WorkspaceOut]:
    # Any signed-in user may start a workspace (one per brand or client); they become its owner.
    workspace = create_workspace(request.auth, payload.name.strip(), timezone=payload.timezone)
    return Status(201, WorkspaceOut(id=workspace.id, name=workspace.name, slug=workspace.slug,
                                    timezone=workspace.timezone, role=Role.OWNER.value))


@router.get("/workspaces/{workspace_id}", response=WorkspaceOut, summary="One workspace")
def get_workspace(request: HttpRequest, workspace_id: int) -> WorkspaceOut:
    return _workspace_out(membership_for(request.auth, workspace_id))


@router.get("/workspaces/{workspace_id}/members", response=list[MemberOut],
            summary="Members of a workspace")
def list_members(request: HttpRequest, workspace_id: int) -> list[MemberOut]:
    membership = membership_for(request.auth, workspace_id)
    require(membership, Action.VIEW_WORKSPACE)  # not client approvers: only their posts
    members = (
        Membership.objects.filter(workspace=membership.workspace)
        .select_related("user")
        .order_by("created_at", "pk")
    )
    return [
        MemberOut(
            user_id=m.user_id,
            email=m.user.email,
            name=m.user.get_full_name() or m.user.get_username(),
            role=m.role,
            joined_at=m.created_at.isoformat(),
        )
        for m in members
    ]
