"""Partners and influencers (seed §19): add and change partners, move them along the pipeline
(every move is an event in their history and sets stage_changed_at), notes, the follow-up
reminders, and what each partnership brought in a period.

The reminder: a partner in "reached out" or "pitched" whose stage has not changed for
FOLLOW_UP_DAYS days gets one in-app notification ("no answer for 10 days: follow up") to the
members who may manage the strategy, once per stage change — claimed with a guarded UPDATE of
Partner.reminded_for, so several periodic loops running at once send it once.

What it brought (`brought`), for the period's first and last day (inclusive, UTC):
- inbox items: InboxItem rows of the workspace whose author_key is the partner's handle
  (lower-cased, without "@"), by received_at;
- mentions heard: listening Result rows of the workspace by that author (author_handle
  compared without "@" and case), not marked irrelevant, by published_at;
both on the partner's network only, when it has one;
- campaign posts: posts of the partner's campaign with a delivery published in the period.
Followers gained are not counted: nothing links a follower to a partner."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from keryx.approvals.models import NotificationKind
from keryx.approvals.notifications import notify
from keryx.core.models import Membership, Workspace
from keryx.core.permissions import Action, can
from keryx.inbox.models import InboxItem
from keryx.listening.models import Result
from keryx.planner.models import Campaign
from keryx.publishing.models import Post
from keryx.strategy.models import EventKind, Partner, PartnerEvent, Stage

# Days without a stage change, in "reached out" or "pitched", before the follow-up reminder.
# The notification's text (keryx.approvals.notifications) says "10 days": change both together.
FOLLOW_UP_DAYS = 10
WAITING = (Stage.REACHED_OUT, Stage.PITCHED)
MAX_NOTE = 10_000
FIELDS = ("name", "network", "handle", "profile_url", "email", "next_follow_up_at", "notes",
          "campaign")


class PartnerError(ValueError):
    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message, self.field = message, field


def handle_key(handle: str) -> str:
    """How handles are compared: without spaces, a leading "@" and case ("@Anna" is "anna")."""
    return str(handle or "").strip().lstrip("@").lower()


def _clean(workspace: Workspace, field: str, value: Any) -> Any:
    text = "" if value is None else str(value).strip()
    if field == "name":
        if not text:
            raise PartnerError(_("The partner needs a name."), "name")
        return text[:200]
    if field == "network":
        if not re.fullmatch(r"[a-z0-9_]{0,32}", text.lower()):
            raise PartnerError(_("Unknown network."), "network")
        return text.lower()
    if field == "handle":
        return text[:255]
    if field == "profile_url":
        if text:
            try:
                URLValidator(schemes=["http", "https"])(text)
            except ValidationError as exc:
                raise PartnerError(_("The profile URL must start with http:// or https://."),
                                   "profile_url") from exc
        return text[:1000]
    if field == "email":
        if text:
            try:
                EmailValidator()(text)
            except ValidationError as exc:
                raise PartnerError(_("That is not an e-mail address."), "email") from exc
        return text
    if field == "next_follow_up_at":
        if isinstance(value, date):
            return value
        if not text:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError as exc:
            raise PartnerError(_("The date must be written YYYY-MM-DD."),
                               "next_follow_up_at") from exc
    if field == "notes":
        return str(value or "")[:MAX_NOTE]
    if field == "campaign":
        return _campaign(workspace, value)
    raise PartnerError(_("Unknown field."), field)


def _campaign(workspace: Workspace, value: Any) -> Campaign | None:
    if value in (None, ""):
        return None
    if isinstance(value, Campaign):
        found: Campaign | None = value if value.workspace_id == workspace.pk else None
    else:
        found = Campaign.objects.filter(workspace=workspace, pk=int(value)).first() \
            if str(value).isdecimal() else None
    if found is None:
        raise PartnerError(_("No such campaign in this workspace."), "campaign")
    return found


def _stage(value: Any) -> str:
    if value not in Stage.values:
        raise PartnerError(_("Unknown stage."), "stage")
    return str(value)


def create_partner(workspace: Workspace, *, user: Any = None, stage: str = Stage.IDENTIFIED,
                   **fields: Any) -> Partner:
    now = timezone.now()
    values = {f: _clean(workspace, f, fields.get(f)) for f in FIELDS}
    with transaction.atomic():
        partner = Partner.objects.create(workspace=workspace, stage=_stage(stage),
                                         stage_changed_at=now, created_by=user, **values)
        PartnerEvent.objects.create(partner=partner, kind=EventKind.STAGE,
                                    to_stage=partner.stage, at=now, by=user)
    return partner


def update_partner(partner: Partner, **changes: Any) -> Partner:
    """Change any of FIELDS; a stage in `changes` is a move (see move_stage)."""
    stage = changes.pop("stage", None)
    user = changes.pop("user", None)
    for field, value in changes.items():
        setattr(partner, field, _clean(partner.workspace, field, value))
    partner.save()
    if stage is not None:
        move_stage(partner, stage, user=user)
    return partner


def move_stage(partner: Partner, stage: str, *, user: Any = None, how: str = "",
               text: str = "") -> Partner:
    """To another stage: an event in the history, stage_changed_at now (the follow-up clock
    starts again). Into "reached out", `how` ("dm" or "email") records the contact too. Moving
    to the stage it is in changes nothing."""
    stage = _stage(stage)
    if how not in ("", "dm", "email"):
        raise PartnerError(_("Reached out by direct message or by e-mail."), "how")
    if stage == partner.stage:
        return partner
    now = timezone.now()
    with transaction.atomic():
        PartnerEvent.objects.create(partner=partner, kind=EventKind.STAGE,
                                    from_stage=partner.stage, to_stage=stage, at=now, by=user,
                                    text=str(text)[:MAX_NOTE])
        if stage == Stage.REACHED_OUT and how:
            PartnerEvent.objects.create(
                partner=partner, at=now, by=user,
                kind=EventKind.REACHED_DM if how == "dm" else EventKind.REACHED_EMAIL)
        partner.stage, partner.stage_changed_at = stage, now
        partner.save(update_fields=["stage", "stage_changed_at"])
    return partner


def add_note(partner: Partner, text: str, *, user: Any = None) -> PartnerEvent:
    text = str(text or "").strip()
    if not text:
        raise PartnerError(_("The note is empty."), "text")
    return PartnerEvent.objects.create(partner=partner, kind=EventKind.NOTE,
                                       text=text[:MAX_NOTE], at=timezone.now(), by=user)


def partners_of(workspace: Workspace) -> list[Partner]:
    return list(Partner.objects.filter(workspace=workspace).select_related("campaign"))


def by_stage(workspace: Workspace) -> list[tuple[str, str, list[Partner]]]:
    """(stage, label, partners) in the pipeline's order, every stage even when empty."""
    found = partners_of(workspace)
    return [(value, str(label), [p for p in found if p.stage == value])
            for value, label in Stage.choices]


def history(partner: Partner) -> list[PartnerEvent]:
    return list(partner.events.select_related("by"))


def _managers(workspace: Workspace) -> list[Any]:
    return [m.user for m in Membership.objects.filter(workspace=workspace)
            .select_related("user", "workspace")
            if m.user.is_active and can(m, Action.MANAGE_STRATEGY)]


def follow_up_due(now: datetime | None = None) -> int:
    """The periodic job (keryx.queues.periodic): every partner waiting for an answer for
    FOLLOW_UP_DAYS days gets its reminder, once per stage change."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=FOLLOW_UP_DAYS)
    waiting = (Partner.objects.filter(stage__in=WAITING, stage_changed_at__lte=cutoff)
               .filter(Q(reminded_for__isnull=True) | ~Q(reminded_for=F("stage_changed_at")))
               .select_related("workspace"))
    sent = 0
    for partner in waiting:
        with transaction.atomic():
            # The claim: only the process whose UPDATE changes the row sends the reminder.
            claimed = Partner.objects.filter(
                pk=partner.pk, stage=partner.stage, stage_changed_at=partner.stage_changed_at,
                reminded_for=partner.reminded_for,
            ).update(reminded_for=partner.stage_changed_at)
            if not claimed:
                continue
            # No text: the page writes the reminder in the reader's language.
            PartnerEvent.objects.create(partner=partner, kind=EventKind.REMINDER, at=now)
            notify(_managers(partner.workspace), workspace_id=partner.workspace_id,
                   kind=NotificationKind.PARTNER_FOLLOW_UP, detail=partner.name,
                   link=reverse("strategy:partner", args=[partner.pk]))
        sent += 1
    return sent


@dataclass(frozen=True)
class Brought:
    inbox_items: int | None  # None: the partner has no handle
    mentions: int | None
    campaign_posts: int | None  # None: no campaign

    def json(self) -> dict[str, int | None]:
        return {"inbox_items": self.inbox_items, "mentions": self.mentions,
                "campaign_posts": self.campaign_posts}


def _bounds(first: date, last: date) -> tuple[datetime, datetime]:
    return (datetime.combine(first, time.min, tzinfo=UTC),
            datetime.combine(last + timedelta(days=1), time.min, tzinfo=UTC))


def brought(partner: Partner, first: date, last: date) -> Brought:
    """What the partnership brought from `first` to `last` (inclusive days, UTC)."""
    start, end = _bounds(first, last)
    key = handle_key(partner.handle)
    inbox = mentions = None
    if key:
        items = InboxItem.objects.filter(workspace_id=partner.workspace_id, author_key=key,
                                         received_at__gte=start, received_at__lt=end)
        heard = (Result.objects.filter(workspace_id=partner.workspace_id, irrelevant=False,
                                       published_at__gte=start, published_at__lt=end)
                 .filter(Q(author_handle__iexact=key) | Q(author_handle__iexact="@" + key)))
        if partner.network:  # the same handle on another network is someone else
            items = items.filter(channel__network=partner.network)
            heard = heard.filter(network=partner.network)
        inbox, mentions = items.count(), heard.count()
    posts = None
    if partner.campaign_id:
        posts = (Post.objects.filter(workspace_id=partner.workspace_id,
                                     campaign_id=partner.campaign_id,
                                     targets__published_at__gte=start,
                                     targets__published_at__lt=end)
                 .aggregate(n=Count("pk", distinct=True))["n"])
    return Brought(inbox, mentions, posts)
