"""Listening in the API (/api/v1/listening): saved searches (list, create, read, change,
delete, run now), their results (filters, pages), and feedback on a result (irrelevant, sent to
the inbox). Thin: scoped to the caller's workspace, the permission checked first, the work in
keryx.listening.services."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from keryx.api_errors import ApiError
from keryx.core import permissions
from keryx.core.access import membership_for, memberships_of
from keryx.core.models import Membership
from keryx.core.permissions import Action
from keryx.listening import services
from keryx.listening.models import Result, SavedSearch

router = Router(tags=["listening"])
MAX_PAGE = 200


def caller_membership(request: HttpRequest, ref: int | str | None, action: Action) -> Membership:
    if ref is None or ref == "":
        mine = memberships_of(request.auth)
        if len(mine) != 1:
            raise ApiError(400, "workspace_required", _(
                "You belong to several workspaces; say which one with 'workspace'."))
        membership = mine[0]
    elif isinstance(ref, int) or str(ref).isdecimal():
        membership = membership_for(request.auth, int(ref))
    else:
        found = [m for m in memberships_of(request.auth) if m.workspace.slug == ref]
        if not found:
            raise Http404(_("No such workspace"))
        membership = found[0]
    try:
        permissions.require(membership, action)
    except PermissionDenied as exc:
        raise ApiError(403, "forbidden", str(exc)) from exc
    return membership


def workspace_search(membership: Membership, search_id: int) -> SavedSearch:
    search = SavedSearch.objects.filter(workspace=membership.workspace, pk=search_id).first()
    if search is None:
        raise Http404(_("No such saved search"))
    return search


def _refused(exc: services.ListeningError) -> ApiError:
    code = "duplicate_name" if exc.code == "duplicate" else (
        "bad_query" if exc.code == "bad_query" else "invalid_search")
    return ApiError(409 if code == "duplicate_name" else 422, code, str(exc),
                    details={"field": exc.field} if exc.field else None)


class SearchIn(Schema):
    workspace: int | str | None = None
    name: str = Field(max_length=120)
    query: str = Field("", max_length=1000, description='keywords, "phrases", AND OR NOT, '
                       "( ), #hashtags, @handles")
    hashtags: list[str] = []
    mentions: list[str] = []
    domain: str = Field("", max_length=255)
    languages: list[str] = []
    networks: list[str] = []
    feeds: list[str] = []
    servers: list[str] = Field([], description="Mastodon servers searched without an account "
                               "there (their public hashtag timelines), e.g. mastodon.social")
    enabled: bool = True
    alert_webhook_url: str = Field("", max_length=1000)


class SearchPatch(Schema):
    name: str | None = Field(None, max_length=120)
    query: str | None = Field(None, max_length=1000)
    hashtags: list[str] | None = None
    mentions: list[str] | None = None
    domain: str | None = Field(None, max_length=255)
    languages: list[str] | None = None
    networks: list[str] | None = None
    feeds: list[str] | None = None
    servers: list[str] | None = None
    enabled: bool | None = None
    alert_webhook_url: str | None = Field(None, max_length=1000)


class SourceOut(Schema):
    network: str
    key: str
    last_run_at: datetime | None
    last_error: str
    disabled_reason: str


class SearchOut(Schema):
    id: int
    name: str
    query: str
    hashtags: list[str]
    mentions: list[str]
    domain: str
    languages: list[str]
    networks: list[str]
    feeds: list[str]
    servers: list[str]
    enabled: bool
    alert_webhook_url: str
    last_run_at: datetime | None
    last_error: str
    results: int
    sources: list[SourceOut]


class RunOut(Schema):
    search: str
    fetched: int
    new_results: int
    new_matches: int
    dropped_language: int
    dropped_private: int
    dropped_nomatch: int
    errors: dict[str, str]


class ResultOut(Schema):
    id: int
    search: str
    network: str
    url: str
    remote_id: str
    author: str
    author_name: str
    author_followers: int | None
    text: str
    language: str
    sentiment: str
    hashtags: list[str]
    published_at: datetime | None
    fetched_at: datetime | None
    irrelevant: bool
    inbox_item: int | None


class ResultsOut(Schema):
    count: int
    offset: int
    limit: int
    results: list[ResultOut]


class ResultsQuery(Schema):
    workspace: int | str | None = None
    since: datetime | None = None
    until: datetime | None = None
    network: str = Field("", max_length=32)
    sentiment: str = Field("", max_length=10)
    language: str = Field("", max_length=16)
    include_irrelevant: bool = False
    offset: int = Field(0, ge=0, le=10_000_000)
    limit: int = Field(50, ge=1, le=MAX_PAGE)


class IrrelevantIn(Schema):
    workspace: int | str | None = None
    irrelevant: bool = True


class InboxOut(Schema):
    inbox_item: int


def _out(search: SavedSearch) -> dict[str, Any]:
    return {**{f: getattr(search, f) for f in (
        "id", "name", "query", "hashtags", "mentions", "domain", "languages", "networks",
        "feeds", "servers", "enabled", "alert_webhook_url", "last_run_at", "last_error")},
        "results": search.matches.filter(irrelevant=False).count(),
        "sources": list(search.sources.values("network", "key", "last_run_at", "last_error",
                                              "disabled_reason"))}


@router.get("/searches", response=list[SearchOut], summary="The saved searches")
def list_searches(request: HttpRequest, workspace: int | str | None = None) -> list[dict]:
    membership = caller_membership(request, workspace, Action.VIEW_LISTENING)
    return [_out(s) for s in SavedSearch.objects.filter(workspace=membership.workspace)]


@router.post("/searches", response={201: SearchOut}, summary="Save a search")
def create_search(request: HttpRequest, body: SearchIn) -> Status:
    membership = caller_membership(request, body.workspace, Action.MANAGE_LISTENING)
    data = body.dict(exclude={"workspace"})
    try:
        search = services.create_search(membership.workspace, user=request.auth, **data)
    except services.ListeningError as exc:
        raise _refused(exc) from exc
    return Status(201, _out(search))


@router.get("/searches/{search_id}", response=SearchOut, summary="One saved search")
def get_search(request: HttpRequest, search_id: int,
               workspace: int | str | None = None) -> dict:
    membership = caller_membership(request, workspace, Action.VIEW_LISTENING)
    return _out(workspace_search(membership, search_id))


@router.patch("/searches/{search_id}", response=SearchOut, summary="Change a saved search")
def update_search(request: HttpRequest, search_id: int, body: SearchPatch,
                  workspace: int | str | None = None) -> dict:
    membership = caller_membership(request, workspace, Action.MANAGE_LISTENING)
    search = workspace_search(membership, search_id)
    try:
        services.update_search(search, **body.dict(exclude_none=True))
    except services.ListeningError as exc:
        raise _refused(exc) from exc
    return _out(search)


@router.delete("/searches/{search_id}", response={204: None}, summary="Delete a saved search")
def delete_search(request: HttpRequest, search_id: int,
                  workspace: int | str | None = None) -> Status:
    membership = caller_membership(request, workspace, Action.MANAGE_LISTENING)
    services.delete_search(workspace_search(membership, search_id))
    return Status(204, None)


@router.post("/searches/{search_id}/run", response=RunOut, summary="Run a search now")
def run_search(request: HttpRequest, search_id: int,
               workspace: int | str | None = None) -> dict:
    membership = caller_membership(request, workspace, Action.MANAGE_LISTENING)
    search = workspace_search(membership, search_id)
    run = services.run_search(search)
    return {"search": search.name, **{f: getattr(run, f) for f in (
        "fetched", "new_results", "new_matches", "dropped_language", "dropped_private",
        "dropped_nomatch", "errors")}}


@router.get("/searches/{search_id}/results", response=ResultsOut,
            summary="What a search found, newest first")
def search_results(request: HttpRequest, search_id: int,
                   query: Query[ResultsQuery]) -> dict:
    membership = caller_membership(request, query.workspace, Action.VIEW_LISTENING)
    search = workspace_search(membership, search_id)
    rows = services.results(search, since=query.since, until=query.until,
                            network=query.network, sentiment=query.sentiment,
                            language=query.language,
                            include_irrelevant=query.include_irrelevant)
    page = list(rows[query.offset:query.offset + query.limit])
    for row in page:
        row.search = search
    return {"count": rows.count(), "offset": query.offset, "limit": query.limit,
            "results": [services.as_json(m) for m in page]}


def _result(membership: Membership, result_id: int) -> Result:
    result = Result.objects.filter(workspace=membership.workspace, pk=result_id).first()
    if result is None:
        raise Http404(_("No such result"))
    return result


@router.post("/results/{result_id}/irrelevant", response={204: None},
             summary="Mark a result irrelevant (or relevant again)")
def mark_irrelevant(request: HttpRequest, result_id: int, body: IrrelevantIn) -> Status:
    membership = caller_membership(request, body.workspace, Action.MANAGE_LISTENING)
    services.mark_irrelevant(_result(membership, result_id), request.auth, body.irrelevant)
    return Status(204, None)


@router.post("/results/{result_id}/inbox", response=InboxOut,
             summary="Turn a result into an inbox item to answer")
def send_to_inbox(request: HttpRequest, result_id: int,
                  workspace: int | str | None = None) -> dict:
    membership = caller_membership(request, workspace, Action.MANAGE_LISTENING)
    result = _result(membership, result_id)
    try:
        item = services.send_to_inbox(result, request.auth)
    except services.ListeningError as exc:
        raise ApiError(409, "no_inbox_channel", str(exc)) from exc
    return {"inbox_item": item.pk}
