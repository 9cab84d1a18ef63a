"""Delivering a listening alert on its rule's channels, each attempt logged (AlertDelivery).

- in-app: a notification (keryx.approvals, kind LISTENING_ALERT, linking to the search) for
  every member of the workspace who may read listening, in that member's language; no e-mail
  from it (the rule's e-mail addresses are the e-mail channel);
- e-mail: one message per address, in the language of the member who has that address, else
  the rule's language;
- webhook: one signed POST (keryx.listening.webhooks) per attempt, through the private-address
  guard, with a short timeout.
A failed e-mail or webhook attempt that may pass later (a network error, a 5xx, a 429, a mail
server error) is retried on a later tick of the periodic job — after RETRY_AFTER, at most
MAX_ATTEMPTS in all — so a dead receiver never holds the loop for more than one short attempt;
a refusal (a 4xx, a private address) is not retried."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import mail
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from keryx.approvals.models import NotificationKind
from keryx.approvals.notifications import notify
from keryx.core import permissions
from keryx.core.models import Membership, UserProfile
from keryx.core.permissions import Action
from keryx.listening import webhooks
from keryx.listening.alert_text import explanation
from keryx.listening.models import (
    Alert,
    AlertDelivery,
    AlertKind,
    DeliveryChannel,
    DeliveryStatus,
    SavedSearch,
)

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# Before the 2nd, 3rd, 4th and 5th attempt.
RETRY_AFTER = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15),
               timedelta(hours=1))
WEBHOOK_TIMEOUT = 5.0  # seconds per network operation of one attempt
RETRIES_PER_TICK = 20
RETRY_BUDGET_SECONDS = 20.0  # a tick stops retrying after this; the rest wait for the next


def search_link(search: SavedSearch) -> str:
    """The search's listening page (keryx.listening.urls), where the alert's hour shows."""
    return reverse("listening:search", args=[search.pk])


def payload(alert: Alert, language: str) -> dict[str, Any]:
    """The webhook's body: the alert, its figures, and the sentence in the rule's language."""
    with translation.override(language):
        text = explanation(alert)
    link = search_link(alert.search)
    return {
        "event": "listening.alert", "id": alert.pk, "kind": alert.kind,
        "workspace": alert.workspace_id,
        "search": {"id": alert.search_id, "name": alert.search.name},
        "fired_at": alert.fired_at.isoformat(),
        "period_start": alert.period_start.isoformat() if alert.period_start else None,
        "period_end": alert.period_end.isoformat() if alert.period_end else None,
        "count": alert.count, "baseline": alert.baseline, "threshold": alert.threshold,
        "figures": alert.figures, "result_ids": alert.result_ids, "text": text,
        "link": settings.BASE_URL + link if link else "",
    }


def deliver(alert: Alert, *, now: datetime | None = None) -> list[AlertDelivery]:
    """The first attempt on every channel of the alert's rule."""
    now = now or timezone.now()
    rule = alert.rule
    rows = []
    if rule.in_app:
        rows.append(_in_app(alert, now))
    for address in rule.emails:
        rows.append(attempt(alert, DeliveryChannel.EMAIL, address, 1, now))
    if rule.webhook_url:
        rows.append(attempt(alert, DeliveryChannel.WEBHOOK, rule.webhook_url, 1, now))
    return rows


def _in_app(alert: Alert, now: datetime) -> AlertDelivery:
    members = Membership.objects.filter(workspace_id=alert.workspace_id,
                                        user__is_active=True).select_related("user")
    readers = [m.user for m in members if permissions.can(m, Action.VIEW_LISTENING)]
    languages = dict(UserProfile.objects.filter(user__in=readers).values_list("user_id",
                                                                              "language"))
    link = search_link(alert.search)
    for user in readers:
        # The detail is written per reader, so each sees it in their own language.
        with translation.override(languages.get(user.pk) or settings.LANGUAGE_CODE):
            notify([user], workspace_id=alert.workspace_id,
                   kind=NotificationKind.LISTENING_ALERT, actor_label=alert.search.name,
                   detail=explanation(alert), link=link, email=False)
    return AlertDelivery.objects.create(alert=alert, channel=DeliveryChannel.IN_APP,
                                        target=str(len(readers)), status=DeliveryStatus.OK,
                                        at=now)


def attempt(alert: Alert, channel: str, target: str, number: int,
            now: datetime) -> AlertDelivery:
    """One attempt, logged; a failure that may pass later is scheduled for another."""
    if channel == DeliveryChannel.EMAIL:
        status, code, error, again = _email(alert, target)
    else:
        status, code, error, again = _webhook(alert, target)
    retry_at = now + RETRY_AFTER[number - 1] if again and number < MAX_ATTEMPTS else None
    if status != DeliveryStatus.OK and not retry_at and again:
        error = (error + " " if error else "") + _("Gave up after %(n)s attempts.") % {
            "n": number}
    return AlertDelivery.objects.create(alert=alert, channel=channel, target=target[:1000],
                                        attempt=number, status=status, status_code=code,
                                        error=error[:2000], at=now, retry_at=retry_at)


def _email_language(alert: Alert, address: str) -> str:
    language = UserProfile.objects.filter(
        Q(user__email__iexact=address), user__memberships__workspace_id=alert.workspace_id,
    ).values_list("language", flat=True).first()
    return language if language in dict(settings.LANGUAGES) else alert.rule.language


def _email(alert: Alert, address: str) -> tuple[str, int | None, str, bool]:
    link = search_link(alert.search)
    with translation.override(_email_language(alert, address)):
        subject = f"[Keryx · {alert.workspace.name}] " + _("Listening alert: %(search)s") % {
            "search": alert.search.name}
        body = explanation(alert)
        if alert.kind == AlertKind.AUTHOR:
            body += "\n\n" + "\n\n".join(
                f"@{r['author'].lstrip('@')}: {r['text']}\n{r['url']}".rstrip()
                for r in alert.figures.get("results", []))
        if link:
            body += "\n\n" + settings.BASE_URL + link
    message = mail.EmailMessage(subject=" ".join(subject.split()), body=body,
                                from_email=settings.DEFAULT_FROM_EMAIL, to=[address])
    try:
        sent = message.send()
    except Exception as exc:  # any mail server problem: logged on the delivery, retried
        return DeliveryStatus.FAILED, None, str(exc) or type(exc).__name__, True
    if not sent:
        return DeliveryStatus.FAILED, None, _("The mail server did not take the message."), True
    return DeliveryStatus.OK, None, "", False


def _webhook(alert: Alert, url: str) -> tuple[str, int | None, str, bool]:
    secret = alert.rule.webhook_secret.get("secret", "")
    result = webhooks.deliver(url, secret, payload(alert, alert.rule.language),
                              allow_private=tuple(settings.ALLOWED_PRIVATE_HOSTS), backoff=(),
                              timeout=WEBHOOK_TIMEOUT)
    last = result.attempts[-1]
    status = {"ok": DeliveryStatus.OK, "blocked": DeliveryStatus.BLOCKED}.get(
        last.status, DeliveryStatus.FAILED)
    error = last.error
    if status == DeliveryStatus.FAILED and not error and last.code:
        error = _("The receiver answered %(code)s.") % {"code": last.code}
    return status, last.code, error, webhooks.retryable(last)


def retry_due(*, now: datetime | None = None, limit: int = RETRIES_PER_TICK,
              budget: float = RETRY_BUDGET_SECONDS) -> int:
    """The next attempt of every failed delivery whose retry time has come (the periodic job,
    every tick): each claimed by clearing its retry_at with a guarded UPDATE, so two processes
    never make the same attempt. A target no longer on the rule is dropped. Returns attempts."""
    now = now or timezone.now()
    started = time.monotonic()
    done = 0
    due = (AlertDelivery.objects.filter(retry_at__lte=now)
           .select_related("alert__rule", "alert__search", "alert__workspace")
           .order_by("retry_at", "pk")[:limit])
    for row in list(due):
        if time.monotonic() - started > budget:
            break
        if not AlertDelivery.objects.filter(pk=row.pk, retry_at=row.retry_at).update(
                retry_at=None):
            continue
        rule = row.alert.rule
        current = (rule.webhook_url == row.target if row.channel == DeliveryChannel.WEBHOOK
                   else row.target in rule.emails)
        if not current:
            continue
        try:
            attempt(row.alert, row.channel, row.target, row.attempt + 1, now)
        except Exception:
            logger.exception("listening alert delivery %s failed", row.pk)
        done += 1
    return done
