"""Listening alerts in the API (/api/v1/listening): a search's alert rules (list, create,
read, change, delete, a new webhook secret) and the alerts that fired, with their figures,
their sentence and their delivery log. Thin: scoped to the caller's workspace, the permission
checked first, the work in keryx.listening.alerts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from keryx.api_errors import ApiError
from keryx.core.models import Membership
from keryx.core.permissions import Action
from keryx.listening import alerts
from keryx.listening.alert_text import explanation
from keryx.listening.api import caller_membership, workspace_search
from keryx.listening.models import Alert, AlertRule

router = Router(tags=["listening"])
MAX_PAGE = 200


class RuleIn(Schema):
    workspace: int | str | None = None
    kind: str = Field(description="spike, negative_surge or author")
    enabled: bool = True
    authors: list[str] = Field([], description="handles, for an author rule")
    k: float = 4.0
    min_count: int = 10
    share_jump: float = 0.25
    min_negative: int = 5
    window_hours: int = 168
    in_app: bool = True
    emails: list[str] = []
    language: str = Field("", max_length=8, description="of e-mails to unknown addresses")
    webhook_url: str = Field("", max_length=1000)
    webhook_secret: str = Field("", max_length=200, description="default: a new one")


class RulePatch(Schema):
    kind: str | None = None
    enabled: bool | None = None
    authors: list[str] | None = None
    k: float | None = None
    min_count: int | None = None
    share_jump: float | None = None
    min_negative: int | None = None
    window_hours: int | None = None
    in_app: bool | None = None
    emails: list[str] | None = None
    language: str | None = Field(None, max_length=8)
    webhook_url: str | None = Field(None, max_length=1000)


class RuleOut(Schema):
    id: int
    search: int
    kind: str
    enabled: bool
    authors: list[str]
    k: float
    min_count: int
    share_jump: float
    min_negative: int
    window_hours: int
    in_app: bool
    emails: list[str]
    language: str
    webhook_url: str
    webhook_secret_set: bool
    from_search: bool
    active: bool
    created_at: datetime


class RuleMade(RuleOut):
    webhook_secret: str = Field(description="shown here once; POST .../secret makes a new one")


class SecretIn(Schema):
    workspace: int | str | None = None
    webhook_secret: str = Field("", max_length=200, description="default: a new one")


class SecretOut(Schema):
    webhook_secret: str


class DeliveryOut(Schema):
    channel: str
    target: str
    attempt: int
    status: str
    status_code: int | None
    error: str
    at: datetime
    retry_at: datetime | None


class AlertOut(Schema):
    id: int
    search: int
    search_name: str
    rule: int
    kind: str
    fired_at: datetime
    period_start: datetime | None
    period_end: datetime | None
    count: int
    baseline: float
    threshold: float
    figures: dict[str, Any]
    result_ids: list[int]
    text: str
    deliveries: list[DeliveryOut]


class AlertsOut(Schema):
    count: int
    offset: int
    limit: int
    alerts: list[AlertOut]


class AlertsQuery(Schema):
    workspace: int | str | None = None
    search: int | None = Field(None, ge=1, le=2**62)
    kind: str = Field("", max_length=20)
    since: datetime | None = None
    offset: int = Field(0, ge=0, le=10_000_000)
    limit: int = Field(50, ge=1, le=MAX_PAGE)


RULE_OUT = ("id", "kind", "enabled", "authors", "k", "min_count", "share_jump", "min_negative",
            "window_hours", "in_app", "emails", "language", "webhook_url", "from_search",
            "active", "created_at")


def _rule_out(rule: AlertRule) -> dict[str, Any]:
    return {**{f: getattr(rule, f) for f in RULE_OUT}, "search": rule.search_id,
            "webhook_secret_set": bool(rule.webhook_secret.get("secret"))}


def _alert_out(alert: Alert) -> dict[str, Any]:
    return {**{f: getattr(alert, f) for f in (
        "id", "kind", "fired_at", "period_start", "period_end", "count", "baseline",
        "threshold", "figures", "result_ids")},
        "search": alert.search_id, "search_name": alert.search.name, "rule": alert.rule_id,
        "text": explanation(alert),
        "deliveries": list(alert.deliveries.values(
            "channel", "target", "attempt", "status", "status_code", "error", "at",
            "retry_at"))}


def _refused(exc: alerts.AlertError) -> ApiError:
    return ApiError(422, exc.code, str(exc), details={"field": exc.field} if exc.field else None)


def _rule(membership: Membership, rule_id: int) -> AlertRule:
    rule = AlertRule.objects.filter(search__workspace=membership.workspace,
                                    pk=rule_id).first()
    if rule is None:
        raise Http404(_("No such alert rule"))
    return rule


@router.get("/searches/{search_id}/rules", response=list[RuleOut],
            summary="A search's alert rules")
def list_rules(request: HttpRequest, search_id: int,
               workspace: int | str | None = None) -> list[dict]:
    membership = caller_membership(request, workspace, Action.VIEW_LISTENING)
    search = workspace_search(membership, search_id)
    return [_rule_out(r) for r in AlertRule.objects.filter(search=search)]


@router.post("/searches/{search_id}/rules", response={201: RuleMade},
             summary="Add an alert rule to a search")
def create_rule(request: HttpRequest, search_id: int, body: RuleIn) -> Status:
    membership = caller_membership(request, body.workspace, Action.MANAGE_LISTENING)
    search = workspace_search(membership, search_id)
    data = body.dict(exclude={"workspace", "kind", "webhook_secret"})
    try:
        rule = alerts.create_rule(search, kind=body.kind, user=request.auth,
                                  webhook_secret=body.webhook_secret, **data)
    except alerts.AlertError as exc:
        raise _refused(exc) from exc
    return Status(201, {**_rule_out(rule),
                        "webhook_secret": rule.webhook_secret.get("secret", "")})


@router.get("/rules/{rule_id}", response=RuleOut, summary="One alert rule")
def get_rule(request: HttpRequest, rule_id: int, workspace: int | str | None = None) -> dict:
    membership = caller_membership(request, workspace, Action.VIEW_LISTENING)
    return _rule_out(_rule(membership, rule_id))


@router.patch("/rules/{rule_id}", response=RuleOut, summary="Change an alert rule")
def update_rule(request: HttpRequest, rule_id: int, body: RulePatch,
                workspace: int | str | None = None) -> dict:
    membership = caller_membership(request, workspace, Action.MANAGE_LISTENING)
    rule = _rule(membership, rule_id)
    try:
        alerts.update_rule(rule, **body.dict(exclude_none=True))
    except alerts.AlertError as exc:
        raise _refused(exc) from exc
    return _rule_out(rule)


@router.delete("/rules/{rule_id}", response={204: None}, summary="Delete an alert rule")
def delete_rule(request: HttpRequest, rule_id: int,
                workspace: int | str | None = None) -> Status:
    membership = caller_membership(request, workspace, Action.MANAGE_LISTENING)
    alerts.delete_rule(_rule(membership, rule_id))
    return Status(204, None)


@router.post("/rules/{rule_id}/secret", response=SecretOut,
             summary="A new webhook signing secret for a rule")
def rotate_secret(request: HttpRequest, rule_id: int, body: SecretIn) -> dict:
    membership = caller_membership(request, body.workspace, Action.MANAGE_LISTENING)
    rule = _rule(membership, rule_id)
    try:
        return {"webhook_secret": alerts.rotate_secret(rule, body.webhook_secret)}
    except alerts.AlertError as exc:
        raise _refused(exc) from exc


@router.get("/alerts", response=AlertsOut, summary="The alerts that fired, newest first")
def list_alerts(request: HttpRequest, query: Query[AlertsQuery]) -> dict:
    membership = caller_membership(request, query.workspace, Action.VIEW_LISTENING)
    rows = Alert.objects.filter(workspace=membership.workspace).select_related(
        "search", "workspace")
    if query.search:
        rows = rows.filter(search_id=query.search)
    if query.kind:
        rows = rows.filter(kind=query.kind)
    if query.since:
        rows = rows.filter(fired_at__gte=query.since)
    page = list(rows[query.offset:query.offset + query.limit])
    return {"count": rows.count(), "offset": query.offset, "limit": query.limit,
            "alerts": [_alert_out(a) for a in page]}


@router.get("/alerts/{alert_id}", response=AlertOut, summary="One alert")
def get_alert(request: HttpRequest, alert_id: int, workspace: int | str | None = None) -> dict:
    membership = caller_membership(request, workspace, Action.VIEW_LISTENING)
    alert = Alert.objects.filter(workspace=membership.workspace, pk=alert_id).select_related(
        "search", "workspace").first()
    if alert is None:
        raise Http404(_("No such alert"))
    return _alert_out(alert)
