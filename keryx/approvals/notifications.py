"""Notifications: stored for the bell, and sent by e-mail once the change is committed.

Below the approval actions and the publishing engine, which both tell people things (the
engine: a delivery that failed for good).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from keryx.approvals.models import Notification, NotificationKind
from keryx.core.models import UserProfile
from keryx.publishing.models import Post, PostTarget

logger = logging.getLogger(__name__)


def notify(users: Iterable[Any], *, workspace_id: int, kind: str, post: Post | None = None,
           actor_label: str = "", detail: str = "", link: str = "",
           email: bool = True) -> list[Notification]:
    """Store a notification for each person; e-mail them too unless `email` is False (a
    listening alert has e-mail addresses of its own)."""
    rows = Notification.objects.bulk_create(
        Notification(user=u, workspace_id=workspace_id, kind=kind, post=post,
                     actor_label=actor_label[:150], detail=detail, link=link[:500])
        for u in {u.pk: u for u in users}.values()
    )
    ids = [n.pk for n in rows if n.pk]
    if ids and email:
        transaction.on_commit(lambda: send_emails(ids), robust=True)
    return rows


def notification_text(notification: Notification) -> str:
    """One sentence, in the active language."""
    who = notification.actor_label or _("Someone")
    texts = {
        NotificationKind.SUBMITTED: _("%(who)s asks for your approval of a post."),
        NotificationKind.APPROVED: _("%(who)s approved your post."),
        NotificationKind.REJECTED: _("%(who)s sent your post back: %(detail)s"),
        NotificationKind.MENTIONED: _("%(who)s mentioned you: %(detail)s"),
        NotificationKind.PUBLISH_FAILED: _("Your post could not be published: %(detail)s"),
        NotificationKind.INBOX_ASSIGNED: _("%(who)s assigned an inbox item to you: %(detail)s"),
        NotificationKind.LISTENING_ALERT: _("Listening alert for “%(who)s”: %(detail)s"),
        NotificationKind.BUDGET_ALERT: _("A budget passed a threshold: %(detail)s"),
        NotificationKind.PARTNER_FOLLOW_UP: _("No answer for 10 days: follow up with %(detail)s"),
    }
    template = texts.get(notification.kind, "%(detail)s")
    return template % {"who": who, "detail": notification.detail}


def send_emails(notification_ids: Sequence[int]) -> int:
    """E-mail each notification to its person, in their language. A mail server that fails is
    logged, never raised: the notification is in the app either way."""
    rows = list(
        Notification.objects.filter(pk__in=notification_ids).select_related("user", "post",
                                                                            "workspace")
    )
    languages = dict(
        UserProfile.objects.filter(user_id__in=[n.user_id for n in rows]).values_list(
            "user_id", "language"
        )
    )
    messages = []
    for notification in rows:
        if not notification.user.email:
            continue
        with translation.override(languages.get(notification.user_id) or settings.LANGUAGE_CODE):
            text = notification_text(notification)
            link = ""
            if notification.post_id:
                link = settings.BASE_URL + reverse("posts:detail", args=[notification.post_id])
            elif notification.kind == NotificationKind.INBOX_ASSIGNED:
                link = settings.BASE_URL + inbox_link(notification.user_id)
            elif notification.link:
                link = settings.BASE_URL + notification.link
            elif notification.kind == NotificationKind.BUDGET_ALERT:
                link = settings.BASE_URL + reverse("strategy:budgets")
            subject = f"[Keryx · {notification.workspace.name}] {notification.get_kind_display()}"
            body = text
            if notification.post is not None:
                body += "\n\n" + _("The post:") + "\n" + excerpt(notification.post.text, 500)
            if link:
                body += "\n\n" + link
        messages.append(mail.EmailMessage(subject=subject, body=body,
                                          from_email=settings.DEFAULT_FROM_EMAIL,
                                          to=[notification.user.email]))
    if not messages:
        return 0
    try:
        return mail.get_connection().send_messages(messages) or 0
    except Exception:  # a mail server problem must not undo or break the action
        logger.warning("could not send %d notification e-mails", len(messages), exc_info=True)
        return 0


def inbox_link(user_id: int) -> str:
    """The inbox filtered to what is open and assigned to that person."""
    return reverse("inbox:list") + f"?status=open&assignee={user_id}"


def notify_publish_failed(target_id: int) -> None:
    """Tell the author that a delivery failed for good (called by the engine)."""
    target = PostTarget.objects.select_related("post", "channel").filter(pk=target_id).first()
    if target is None or not target.post.author_id:
        return
    notify([target.post.author], workspace_id=target.workspace_id,
           kind=NotificationKind.PUBLISH_FAILED, post=target.post,
           actor_label=target.channel.name,
           detail=f"{target.channel.name}: {target.error_message}"[:1000])


def unread_count(user: Any) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def mark_read(user: Any, ids: Sequence[int] | None = None) -> int:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


def excerpt(text: str, limit: int = 80) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
