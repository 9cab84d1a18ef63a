"""Fetching, storing, answering and handling inbox items.

- sync_channel / sync_due: fetch a channel's items, store each once per (channel, remote id),
  classify and moderate it in the same transaction that makes it visible.
- send_reply / retry_reply: a Reply row with its fixed idempotency key is written (and its
  attempt counted) before the network is called; an unknown outcome is looked up on the network
  before anything is sent again.
- hide / set_status / assign / add_label / add_note, and the JSON shape `keryx inbox list` prints.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keryx.approvals.models import NotificationKind
from keryx.approvals.notifications import excerpt, notify
from keryx.channels.health import mark_needs_reconnect
from keryx.channels.models import Channel, ChannelStatus
from keryx.channels.providers import provider_for
from keryx.classify import classify
from keryx.inbox import moderation, spamhead
from keryx.inbox.models import (
    AssistantSettings,
    CannedReply,
    Conversation,
    Decision,
    InboxItem,
    Kind,
    ModerationLog,
    ModeratorLabel,
    Note,
    Reply,
    ReplyState,
    RuleAction,
    Status,
    SyncState,
)
from keryx.networks import base as net
from keryx.networks import community
from keryx.networks.registry import get_provider_class
from keryx.publishing.models import PostTarget

logger = logging.getLogger(__name__)

SYNC_EVERY = timedelta(seconds=60)
# Items of a first fetch reach back at most this far.
FIRST_SYNC_WINDOW = timedelta(days=7)
# The network's clock and ours differ: fetch a little before the last sync.
SYNC_OVERLAP = timedelta(minutes=5)

# Called with each newly stored item once its transaction has committed (the classifier and
# the moderation rules have run): the off-hours assistant registers here (keryx.inbox.apps).
NEW_ITEM_HOOKS: list[Callable[[InboxItem], object]] = []


class InboxError(Exception):
    """Something a person must be told (one line); `code` is stable for scripts."""

    def __init__(self, message: str, code: str = "error") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class SyncResult:
    channel: str
    fetched: int
    new: int
    error: str = ""


def supports_inbox(channel: Channel) -> bool:
    try:
        return bool(get_provider_class(channel.network).capabilities.inbox)
    except (KeyError, ImportError):
        return False


def inbox_channels(workspace_id: int) -> list[Channel]:
    channels = Channel.objects.filter(workspace_id=workspace_id, status=ChannelStatus.ACTIVE)
    return [c for c in channels if supports_inbox(c)]


# -- storing --------------------------------------------------------------------------------


def _target_for(channel: Channel, remote: community.InboxItem) -> PostTarget | None:
    if remote.kind != community.InboxKind.COMMENT:
        return None
    root = remote.conversation_id.split(":", 1)[-1]
    ids = {i for i in (remote.in_reply_to, root) if i}
    return PostTarget.objects.filter(channel=channel, remote_id__in=ids).first() if ids else None


def _hider(item: InboxItem, hidden: bool) -> None:
    provider = provider_for(item.channel)
    if not provider.capabilities.hide_comments:
        raise net.NotSupported(
            _("%(network)s does not let Keryx hide this item; it stays visible.")
            % {"network": provider.display_name})
    provider.hide_comment(item.remote_id, hidden)


def _deleter(item: InboxItem) -> None:
    provider = provider_for(item.channel)
    delete = getattr(provider, "delete_comment", None)
    if not provider.capabilities.delete_comments or delete is None:
        raise net.NotSupported(
            _("%(network)s does not let Keryx delete this item; it stays visible.")
            % {"network": provider.display_name})
    delete(item.remote_id)


def _rule_assign(item: InboxItem, user: Any, rule_name: str) -> None:
    assign(item, user, actor_label=rule_name)


def _rule_reply(item: InboxItem, canned: CannedReply, log: ModerationLog) -> None:
    """After the item is committed (a network call never runs inside the store transaction)."""
    transaction.on_commit(lambda: auto_reply_canned(item.pk, canned.pk, log.pk), robust=True)


def auto_reply_canned(item_id: int, canned_id: int, log_id: int) -> Reply | None:
    """A rule's canned answer, sent through send_reply (automatic), at most once per item and
    never after a reply is already there; the rule's log says what happened."""
    item = InboxItem.objects.select_related("channel", "conversation").filter(pk=item_id).first()
    canned = CannedReply.objects.filter(pk=canned_id).first()
    log = ModerationLog.objects.filter(pk=log_id)
    if item is None or canned is None:
        log.update(message=_("The item or the canned answer no longer exists."))
        return None
    if item.replies.exists():
        log.update(message=_("Not sent: the item already has a reply."))
        return None
    try:
        reply = send_reply(item, canned.text_for(item.language), automatic=True)
    except InboxError as exc:
        log.update(message=str(exc))
        return None
    log.update(applied=reply.state == ReplyState.SENT,
               message="" if reply.state == ReplyState.SENT else reply.error or reply.state)
    return reply


EFFECTS = moderation.Effects(hide=_hider, delete=_deleter, assign=_rule_assign,
                             reply=_rule_reply)


def store(channel: Channel, remote: community.InboxItem) -> tuple[InboxItem, bool]:
    """The item for (channel, remote id), made if new: classified and moderated before the
    transaction that makes it visible commits. Returns (item, created)."""
    existing = InboxItem.objects.filter(channel=channel, remote_id=remote.remote_id).first()
    if existing:
        return existing, False
    verdict = classify(remote.text)
    # The workspace's own spam head (retrained from its moderators' decisions) when it has one.
    spam = spamhead.spam_score(channel.workspace_id, remote.text, verdict.spam)
    now = timezone.now()
    try:
        with transaction.atomic():
            target = _target_for(channel, remote)
            conversation, _made = Conversation.objects.get_or_create(
                channel=channel, remote_id=remote.conversation_id or remote.remote_id,
                defaults={"workspace_id": channel.workspace_id, "kind": remote.kind,
                          "target": target, "last_activity_at": remote.created_at or now})
            item = InboxItem.objects.create(
                workspace_id=channel.workspace_id, channel=channel, conversation=conversation,
                remote_id=remote.remote_id, kind=remote.kind, text=remote.text,
                author_id=remote.author_id, author_handle=remote.author_handle,
                author_key=moderation.author_key(remote.author_handle)[:255],
                author_name=remote.author_name, in_reply_to=remote.in_reply_to,
                visibility=remote.visibility, url=remote.url[:1000],
                created_at=remote.created_at, target=target,
                language=remote.language or verdict.language, sentiment=verdict.sentiment,
                spam=spam, offensive=verdict.offensive)
            Conversation.objects.filter(pk=conversation.pk).update(
                last_activity_at=max(filter(None, [conversation.last_activity_at,
                                                   remote.created_at, now])),
                status=Status.OPEN)
            moderation.moderate(item, _hider, effects=EFFECTS)
    except IntegrityError:
        # Another process stored it between our look and our insert: that one is the item.
        return InboxItem.objects.get(channel=channel, remote_id=remote.remote_id), False
    for hook in NEW_ITEM_HOOKS:
        try:
            hook(item)
        except Exception:  # one hook's failure must not lose the sync of the others
            logger.exception("inbox hook %s failed on item %s", hook, item.pk)
    return item, True


def sync_channel(channel: Channel) -> SyncResult:
    """Fetch now. Network errors are reported on the result (and the sync state), not raised."""
    state, _made = SyncState.objects.get_or_create(channel=channel)
    since = (state.last_synced_at - SYNC_OVERLAP) if state.last_synced_at \
        else timezone.now() - FIRST_SYNC_WINDOW
    started = timezone.now()
    provider = provider_for(channel)
    try:
        remote_items = provider.fetch_inbox(since)
    except net.ProviderError as exc:
        if isinstance(exc, net.AuthExpired):
            # The network refused the stored credentials: the channel needs reconnecting.
            mark_needs_reconnect(channel, exc.message)
        SyncState.objects.filter(pk=state.pk).update(last_error=exc.message)
        return SyncResult(channel.name, 0, 0, exc.message)
    new = sum(1 for remote in remote_items if store(channel, remote)[1])
    # A fetch that read only part of what it should (say, posts but not direct messages)
    # leaves the provider's reason on the sync state.
    warnings = "; ".join(getattr(provider, "fetch_warnings", None) or [])
    SyncState.objects.filter(pk=state.pk).update(last_synced_at=started, last_error=warnings)
    return SyncResult(channel.name, len(remote_items), new)


def sync_period(channel: Channel) -> timedelta:
    """How often the periodic job fetches the channel: the assistant's period (30 s by
    default) when the workspace's assistant is on, else SYNC_EVERY."""
    seconds = AssistantSettings.objects.filter(
        workspace_id=channel.workspace_id, enabled=True).values_list("sync_seconds",
                                                                     flat=True).first()
    return timedelta(seconds=seconds) if seconds else SYNC_EVERY


def sync_due(*, now: datetime | None = None) -> int:
    """The periodic job: every inbox channel whose time has come, each claimed first by moving
    its next_sync_at with a guarded UPDATE. Returns channels fetched."""
    now = now or timezone.now()
    done = 0
    for channel in Channel.objects.filter(status=ChannelStatus.ACTIVE):
        if not supports_inbox(channel):
            continue
        state, _made = SyncState.objects.get_or_create(channel=channel)
        if state.next_sync_at and state.next_sync_at > now:
            continue
        claimed = SyncState.objects.filter(pk=state.pk, next_sync_at=state.next_sync_at) \
            if state.next_sync_at else SyncState.objects.filter(pk=state.pk,
                                                                next_sync_at__isnull=True)
        if not claimed.update(next_sync_at=now + sync_period(channel)):
            continue  # another process has it this period
        result = sync_channel(channel)
        if result.error:
            logger.info("inbox sync of channel %s: %s", channel.pk, result.error)
        done += 1
    return done


# -- answering ------------------------------------------------------------------------------


def remote_item(item: InboxItem) -> community.InboxItem:
    return community.InboxItem(
        remote_id=item.remote_id, kind=item.kind, text=item.text, author_id=item.author_id,
        author_handle=item.author_handle, author_name=item.author_name,
        language=item.language, created_at=item.created_at, in_reply_to=item.in_reply_to,
        conversation_id=item.conversation.remote_id, visibility=item.visibility, url=item.url)


def send_reply(item: InboxItem, text: str, *, user: Any = None,
               automatic: bool = False) -> Reply:
    """Answer the item once. The row (with its key) is written before the network is called."""
    text = (text or "").strip()
    if not text:
        raise InboxError(_("The reply is empty."), code="empty")
    if item.deleted_remotely:
        raise InboxError(_("This item was deleted on the network; it cannot be answered."),
                         code="gone")
    provider = provider_for(item.channel)
    reply = Reply.objects.create(item=item, text=text, author=user, automatic=automatic,
                                 idempotency_key=provider.new_idempotency_key())
    return _attempt(reply, provider)


def retry_reply(reply: Reply) -> Reply:
    """Try a failed or unknown reply again, under the same key; an unknown one is looked up
    on the network first and is sent again only if it is certainly not there."""
    if reply.state in (ReplyState.SENT, ReplyState.GONE):
        return reply
    provider = provider_for(reply.item.channel)
    if reply.state in (ReplyState.UNKNOWN, ReplyState.SENDING):
        try:
            found = provider.lookup_reply(remote_item(reply.item), reply.text)
        except net.ProviderError as exc:
            Reply.objects.filter(pk=reply.pk).update(error=exc.message)
            reply.refresh_from_db()
            return reply
        if found:
            return _sent(reply, found)
    return _attempt(reply, provider)


def _attempt(reply: Reply, provider: Any) -> Reply:
    # The attempt is on record before the request leaves, so a crash mid-send leaves a row
    # that says "sending", which retry_reply treats as unknown rather than as never sent.
    Reply.objects.filter(pk=reply.pk).update(state=ReplyState.SENDING,
                                             attempts=reply.attempts + 1)
    item = reply.item
    try:
        result = provider.reply_to(remote_item(item), reply.text, reply.idempotency_key)
    except net.Gone as exc:
        InboxItem.objects.filter(pk=item.pk).update(deleted_remotely=True)
        return _failed(reply, ReplyState.GONE, exc.message)
    except net.OutcomeUnknown as exc:
        return _failed(reply, ReplyState.UNKNOWN, exc.message)
    except net.ProviderError as exc:
        return _failed(reply, ReplyState.FAILED, exc.message)
    return _sent(reply, result)


def _sent(reply: Reply, result: net.PublishResult) -> Reply:
    with transaction.atomic():
        Reply.objects.filter(pk=reply.pk).update(
            state=ReplyState.SENT, remote_id=result.remote_id, remote_url=result.url[:1000],
            sent_at=timezone.now(), error="")
        InboxItem.objects.filter(pk=reply.item_id, status=Status.OPEN).update(
            status=Status.PENDING)
    reply.refresh_from_db()
    return reply


def _failed(reply: Reply, state: str, message: str) -> Reply:
    Reply.objects.filter(pk=reply.pk).update(state=state, error=message)
    reply.refresh_from_db()
    return reply


# -- handling -------------------------------------------------------------------------------


def hide(item: InboxItem, user: Any = None) -> None:
    """Hide on the network; InboxError (the item stays visible) where the network refuses.
    A person's hide is kept as a "spam" label for retraining."""
    try:
        _hider(item, True)
    except net.ProviderError as exc:
        raise InboxError(exc.message, code=exc.code) from exc
    InboxItem.objects.filter(pk=item.pk).update(hidden=True)
    if user is not None:
        record_decision(item, Decision.SPAM, "hide", user)


def unhide(item: InboxItem, user: Any = None) -> None:
    try:
        _hider(item, False)
    except net.ProviderError as exc:
        raise InboxError(exc.message, code=exc.code) from exc
    InboxItem.objects.filter(pk=item.pk).update(hidden=False)
    if user is not None:
        record_decision(item, Decision.NOT_SPAM, "unhide", user)


def record_decision(item: InboxItem, decision: str, source: str, user: Any) -> ModeratorLabel:
    """A moderator's spam / not spam decision, kept as labelled data (moderation retrain)."""
    if decision not in Decision.values:
        raise InboxError(_("Unknown decision %(d)s.") % {"d": decision}, code="bad_decision")
    return ModeratorLabel.objects.create(workspace_id=item.workspace_id, item=item,
                                         text=item.text, decision=decision, source=source,
                                         user=user)


def set_status(item: InboxItem, status: str) -> None:
    if status not in Status.values:
        raise InboxError(_("Unknown status %(status)s.") % {"status": status}, code="bad_status")
    InboxItem.objects.filter(pk=item.pk).update(status=status)
    if not item.conversation.items.exclude(pk=item.pk).exclude(status=status).exists():
        Conversation.objects.filter(pk=item.conversation_id).update(status=status)


def assign(item: InboxItem, user: Any, *, by: Any = None, actor_label: str = "") -> None:
    """Assign the item (and its conversation). The new assignee is told, in the app and by
    e-mail, unless they assigned it to themselves or already had it."""
    before = InboxItem.objects.filter(pk=item.pk).values_list("assignee_id", flat=True).first()
    InboxItem.objects.filter(pk=item.pk).update(assignee=user)
    Conversation.objects.filter(pk=item.conversation_id).update(assignee=user)
    if user is None or before == user.pk or (by is not None and by.pk == user.pk):
        return
    who = actor_label or (getattr(by, "email", "") if by is not None else "")
    notify([user], workspace_id=item.workspace_id, kind=NotificationKind.INBOX_ASSIGNED,
           actor_label=who, detail=f"{item.author_handle}: {excerpt(item.text, 200)}")


def set_labels(item: InboxItem, labels: list[str]) -> None:
    clean = sorted({label.strip()[:60] for label in labels if label.strip()})
    InboxItem.objects.filter(pk=item.pk).update(labels=clean)


def add_note(conversation: Conversation, user: Any, text: str) -> Note:
    if not text.strip():
        raise InboxError(_("The note is empty."), code="empty")
    return Note.objects.create(conversation=conversation, author=user, text=text.strip())


def revert_moderation(log: moderation.ModerationLog, user: Any) -> None:
    """Undo a rule's action; undoing a hide is kept as a "not spam" label."""
    if log.applied and not log.reverted_at and not log.reversible:
        raise InboxError(_("This action cannot be undone."), code="irreversible")
    try:
        moderation.revert(log, user, _hider)
    except net.ProviderError as exc:
        raise InboxError(exc.message, code=exc.code) from exc
    if log.action == RuleAction.HIDE and user is not None:
        record_decision(log.item, Decision.NOT_SPAM, "undo", user)


# -- reading --------------------------------------------------------------------------------


def items_for(workspace_id: int, status: str = "open") -> Any:
    items = InboxItem.objects.filter(workspace_id=workspace_id).select_related(
        "channel", "target", "conversation").prefetch_related("moderation", "replies")
    return items if status == "all" else items.filter(status=status)


def open_count(workspace_id: int) -> int:
    return InboxItem.objects.filter(workspace_id=workspace_id, status=Status.OPEN).count()


def as_json(item: InboxItem) -> dict[str, Any]:
    """The shape `keryx inbox list --json` prints (issue 15: keep it stable)."""
    logs = [log for log in item.moderation.all() if not log.dry_run and not log.reverted_at]
    automatic = next((r.text for r in item.replies.all()
                      if r.automatic and r.state == ReplyState.SENT), None)
    return {
        "id": item.pk,
        "channel": item.channel.name,
        "network": item.channel.network,
        "kind": item.kind,
        "author": {"handle": item.author_handle, "name": item.author_name},
        "text": item.text,
        "language": item.language,
        "received_at": item.received_at,
        "created_at": item.created_at,
        "status": item.status,
        "post_id": item.target.post_id if item.target else None,
        "remote_id": item.remote_id,
        "conversation_id": item.conversation_id,
        "moderation": {"action": logs[0].action, "rule": logs[0].rule_name} if logs else None,
        "sentiment": item.sentiment,
        "spam": item.spam,
        "offensive": item.offensive,
        "hidden": item.hidden,
        "labels": item.labels,
        "auto_reply": automatic,
    }


def reply_json(reply: Reply) -> dict[str, Any]:
    return {"id": reply.pk, "item_id": reply.item_id, "state": reply.state,
            "text": reply.text, "remote_id": reply.remote_id, "url": reply.remote_url,
            "error": reply.error, "attempts": reply.attempts}


__all__ = ["InboxError", "Kind", "SyncResult"]
