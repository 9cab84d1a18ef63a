"""The off-hours assistant: a new message or question outside business hours (or always, if the
workspace says so) is matched by meaning against the workspace's FAQ; above the threshold it
gets that entry's answer in the message's language, below it the away message; either way the
item stays open for a person.

Runs on each newly stored item, right after the classifier and the moderation rules (it is
registered in keryx.inbox.services.NEW_ITEM_HOOKS by the app config). Guarantees:

- at most one automatic reply per incoming item: an AssistantDecision row, unique per item, is
  written before the reply is sent (a second sync or a second process finds it and stops); the
  reply itself goes through services.send_reply, a delivery with a fixed idempotency key;
- none to the brand's own items, to hidden, spam, done or deleted ones, none in a conversation a
  person has answered in the last PERSON_ANSWERING, none to items older than when the assistant
  was switched on (a first sync reaches a week back) or than MAX_AGE;
- the away message once per conversation (or author, on the channel) per AWAY_REPEAT, not
  for every line someone types.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from keryx.classify import faq as matcher
from keryx.classify.classifier import DEFAULT_SPAM_THRESHOLD
from keryx.classify.language import detect
from keryx.classify.text import clean, greek_share
from keryx.core.models import Workspace
from keryx.inbox import faq, hours, services
from keryx.inbox.assistant_models import AutoAction
from keryx.inbox.models import (
    AssistantDecision,
    AssistantSettings,
    FaqEntry,
    InboxItem,
    Kind,
    Reply,
    ReplyState,
    Status,
)

logger = logging.getLogger(__name__)

PERSON_ANSWERING = timedelta(hours=12)
AWAY_REPEAT = timedelta(hours=12)
MAX_AGE = timedelta(hours=12)
MIN_SYNC_SECONDS = 10


class AssistantError(ValueError):
    """A setting that cannot be taken; the message says which and why."""


@dataclass(frozen=True)
class Answer:
    """What the assistant would send for a text (`keryx assistant answer --json`)."""

    faq: str | None
    score: float
    language: str
    action: str  # "answer" or "away"
    reply: str

    def as_json(self) -> dict[str, Any]:
        return {"faq": self.faq, "score": round(self.score, 4), "language": self.language,
                "action": self.action, "reply": self.reply}


def settings_for(workspace_id: int) -> AssistantSettings:
    found, _made = AssistantSettings.objects.get_or_create(workspace_id=workspace_id)
    return found


def threshold_of(config: AssistantSettings) -> float:
    return matcher.DEFAULT_THRESHOLD if config.threshold is None else config.threshold


def zone_of(config: AssistantSettings) -> Any:
    name = config.timezone or Workspace.objects.filter(pk=config.workspace_id) \
        .values_list("timezone", flat=True).first() or "UTC"
    return hours.zone(name)


def configure(workspace_id: int, *, enabled: bool | None = None, always: bool | None = None,
              tz: str | None = None, spec: str | None = None, holidays: str | None = None,
              threshold: float | None = None, away_el: str | None = None,
              away_en: str | None = None, sync_seconds: int | None = None) -> AssistantSettings:
    """Change what is given, after checking all of it (nothing is saved if one value is bad)."""
    config = settings_for(workspace_id)
    try:
        if tz is not None:
            config.timezone = hours.zone(tz.strip()).key if tz.strip() else ""
        if spec is not None:
            config.hours = hours.format_spec(hours.parse_spec(spec))
        if holidays is not None:
            config.holidays = [d.isoformat() for d in hours.parse_holidays(holidays)]
    except hours.HoursError as exc:
        raise AssistantError(str(exc)) from exc
    if threshold is not None:
        if not 0 < threshold < 2:
            raise AssistantError(_("The threshold must be a number above 0 and below 2 "
                                   "(default %(default)s).")
                                 % {"default": matcher.DEFAULT_THRESHOLD})
        config.threshold = threshold
    for language, text in (("el", away_el), ("en", away_en)):
        if text is not None:
            if not clean(text):
                raise AssistantError(_("The away message (%(language)s) is empty.")
                                     % {"language": language})
            setattr(config, f"away_message_{language}", clean(text)[:2000])
    if sync_seconds is not None:
        if sync_seconds < MIN_SYNC_SECONDS:
            raise AssistantError(_("Fetching more often than every %(min)s seconds is not "
                                   "allowed.") % {"min": MIN_SYNC_SECONDS})
        config.sync_seconds = sync_seconds
    if always is not None:
        config.always = always
    if enabled is not None:
        if enabled and not config.enabled:
            config.enabled_at = timezone.now()
        config.enabled = enabled
    config.save()
    return config


def settings_json(config: AssistantSettings) -> dict[str, Any]:
    return {"enabled": config.enabled, "always": config.always,
            "timezone": zone_of(config).key, "hours": config.hours,
            "holidays": config.holidays, "threshold": threshold_of(config),
            "away_message_el": config.away_message_el,
            "away_message_en": config.away_message_en, "sync_seconds": config.sync_seconds,
            "faq_entries": FaqEntry.objects.filter(workspace_id=config.workspace_id).count()}


def in_business_hours(config: AssistantSettings, at: datetime) -> bool:
    weekly = hours.parse_spec(config.hours or "none")
    days = hours.parse_holidays(config.holidays or [])
    return hours.is_open(weekly, at, zone_of(config), days)


def language_of(text: str, known: str = "") -> str:
    """el or en: the item's language if it is one of them, else Greek letters or the detector."""
    if known in faq.LANGUAGES:
        return known
    if greek_share(clean(text)) > 0.4:
        return "el"
    guess = detect(text).code
    return guess if guess in faq.LANGUAGES else "en"


def answer(workspace_id: int, text: str, *, language: str = "",
           config: AssistantSettings | None = None) -> Answer:
    """What the assistant would reply to `text` (business hours aside). Sends nothing."""
    config = config or settings_for(workspace_id)
    lang = language_of(text, language)
    entries = faq.entries_for(workspace_id)
    key, score = (matcher.match_faq(text, entries, threshold_of(config), store=faq.STORE)
                  if entries and clean(text) else (None, 0.0))
    if key is not None:
        entry = FaqEntry.objects.get(workspace_id=workspace_id, key=key)
        other = "en" if lang == "el" else "el"
        reply = getattr(entry, f"answer_{lang}") or getattr(entry, f"answer_{other}")
        if reply:
            return Answer(key, score, lang, "answer", reply)
    return Answer(None, score, lang, "away", getattr(config, f"away_message_{lang}"))


def _is_question(text: str) -> bool:
    # NFC (keryx.classify.text.clean) turns the Greek question mark U+037E into ";".
    cleaned = clean(text)
    return "?" in cleaned or ";" in cleaned or "？" in cleaned


def _skip_reason(item: InboxItem, config: AssistantSettings, now: datetime) -> str:
    channel = item.channel
    if (channel.remote_id and item.author_id == channel.remote_id) or (
            channel.handle and item.author_handle.lstrip("@").lower()
            == channel.handle.lstrip("@").lower()):
        return "own item"
    if _person_answering(item, now):
        return "a person is answering"
    if item.hidden or item.deleted_remotely:
        return "hidden or deleted"
    if item.spam is not None and item.spam >= DEFAULT_SPAM_THRESHOLD:
        return "spam"
    if item.status == Status.DONE:
        return "marked done"
    arrived = item.created_at or now
    if (config.enabled_at and arrived < config.enabled_at) or arrived < now - MAX_AGE:
        return "older than the assistant"
    if not config.always and in_business_hours(config, arrived):
        return "business hours"
    if item.kind != Kind.MESSAGE and not _is_question(item.text):
        return "not a message or a question"
    return ""


def _same_talk(item: InboxItem) -> Q:
    """Items of this conversation, or of this author on this channel (networks such as
    Mastodon may start a new conversation for a DM that answers ours)."""
    by_author = Q(item__channel_id=item.channel_id, item__author_id=item.author_id) \
        if item.author_id else Q(pk__in=[])
    return Q(item__conversation_id=item.conversation_id) | by_author


def _person_answering(item: InboxItem, now: datetime) -> bool:
    """A person replied (from Keryx) lately in the same talk (see _same_talk)."""
    return Reply.objects.filter(_same_talk(item), automatic=False,
                                created_at__gte=now - PERSON_ANSWERING).exists()


def handle_new_item(item: InboxItem, *, now: datetime | None = None) -> AssistantDecision | None:
    """Decide about one new item and send the automatic reply if one is due (see module doc).
    None when the workspace's assistant is off."""
    config = AssistantSettings.objects.filter(workspace_id=item.workspace_id,
                                              enabled=True).first()
    if config is None:
        return None
    now = now or timezone.now()
    item = InboxItem.objects.select_related("channel", "conversation").get(pk=item.pk)
    existing = AssistantDecision.objects.filter(item=item).first()
    if existing:
        return existing
    reason = _skip_reason(item, config, now)
    planned: Answer | None = None
    if not reason:
        planned = answer(item.workspace_id, item.text, language=item.language, config=config)
        if planned.action == "away" and AssistantDecision.objects.filter(
                _same_talk(item), action=AutoAction.AWAY,
                created_at__gte=now - AWAY_REPEAT).exists():
            reason = "away message sent already"
    entry = FaqEntry.objects.filter(workspace_id=item.workspace_id, key=planned.faq).first() \
        if planned and planned.faq else None
    try:
        with transaction.atomic():
            decision = AssistantDecision.objects.create(
                item=item, action=AutoAction.SKIP if reason else planned.action,
                reason=reason, faq=entry, score=planned.score if planned else None,
                language=planned.language if planned else "")
    except IntegrityError:
        return AssistantDecision.objects.get(item=item)  # another process decided first
    if reason or planned is None:
        return decision
    # A person may have answered while we were matching: the last look before sending.
    if _person_answering(item, timezone.now()):
        AssistantDecision.objects.filter(pk=decision.pk).update(
            action=AutoAction.SKIP, reason="a person is answering")
        decision.refresh_from_db()
        return decision
    try:
        reply = services.send_reply(item, planned.reply, automatic=True)
    except services.InboxError as exc:
        AssistantDecision.objects.filter(pk=decision.pk).update(reason=str(exc)[:200])
        decision.refresh_from_db()
        return decision
    updates: dict[str, Any] = {"reply": reply}
    if reply.state != ReplyState.SENT:
        updates["reason"] = (reply.error or reply.state)[:200]
    AssistantDecision.objects.filter(pk=decision.pk).update(**updates)
    # An automatic answer leaves the item open for a person (send_reply moved it to pending).
    InboxItem.objects.filter(pk=item.pk, status=Status.PENDING).update(status=item.status)
    decision.refresh_from_db()
    return decision


def decision_json(decision: AssistantDecision | None) -> dict[str, Any] | None:
    if decision is None:
        return None
    return {"action": decision.action, "reason": decision.reason,
            "faq": decision.faq.key if decision.faq else None, "score": decision.score,
            "language": decision.language, "reply_id": decision.reply_id}
