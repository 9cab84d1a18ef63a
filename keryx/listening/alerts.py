"""Alerts on saved searches: the rules (made, changed, checked here), their evaluation after
every run of a search, and the default rule behind SavedSearch.alert_webhook_url.

Evaluation (after each run, services.run_search; the periodic poll runs searches, so it
evaluates too):
- spike and negative surge look at hourly buckets of the search's relevant matches (by
  published time, UTC hours): every complete hour not evaluated yet (at most CATCH_UP_HOURS
  back), against the `window_hours` before it (keryx.listening.spikes), then the hour in
  progress, which may fire early (its count only grows) but never re-arms the rule;
- once per episode: a rule fires when its condition turns on, and re-arms when a complete hour
  is back under the threshold; a unique (rule, hour) constraint keeps two processes from firing
  the same hour twice;
- author: any match newer than the rule's cursor whose author is listed; the cursor moves
  with a guarded UPDATE, so each new result is alerted once.
Delivery: keryx.listening.alert_delivery (in-app, e-mail, webhook; failed attempts retried on
later ticks, capped)."""

from __future__ import annotations

import logging
import math
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from statistics import median
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.db.models.functions import TruncHour
from django.utils import timezone
from django.utils.translation import gettext as _

from keryx.listening import alert_delivery, spikes, webhooks
from keryx.listening.models import Alert, AlertKind, AlertRule, Match, SavedSearch
from keryx.networks.netguard import BlockedAddress, check_url

logger = logging.getLogger(__name__)

HOUR = timedelta(hours=1)
CATCH_UP_HOURS = 24  # complete hours evaluated at most, when runs were missed
MAX_AUTHORS = 50
MAX_EMAILS = 20
MAX_WINDOW_HOURS = 24 * 30
MIN_WINDOW_HOURS = 24
AUTHOR_RESULTS_LISTED = 20


class AlertError(ValueError):
    """Bad input for a rule; the message says what, `field` where."""

    def __init__(self, message: str, field: str = "", code: str = "invalid_rule") -> None:
        super().__init__(message)
        self.field = field
        self.code = code


# -- rules ------------------------------------------------------------------------------------


def handle(value: str) -> str:
    """An author handle as compared: without the leading '@', lower case."""
    return str(value or "").strip().lstrip("@").strip().lower()


def webhook_problem(url: str) -> str:
    """Why the URL cannot be a webhook ("" if it can). A host that does not resolve now is
    accepted (it may later); every delivery checks the address again."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return _("The alert webhook must be an http:// or https:// address.")
    try:
        socket.getaddrinfo(parts.hostname, parts.port or 443)
    except (socket.gaierror, UnicodeError, ValueError):
        return ""
    try:
        check_url(url, tuple(settings.ALLOWED_PRIVATE_HOSTS))
    except BlockedAddress:
        return _("The alert webhook %(url)s points at a private or local address; Keryx does "
                 "not post there unless the administrator allows the host "
                 "(KERYX_ALLOWED_PRIVATE_HOSTS).") % {"url": url}
    return ""


RULE_FIELDS = ("kind", "enabled", "authors", "k", "min_count", "share_jump", "min_negative",
               "window_hours", "in_app", "emails", "language", "webhook_url")


def _number(rule: AlertRule, name: str, low: float, high: float) -> None:
    value = getattr(rule, name)
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value) \
            or not low <= value <= high:
        raise AlertError(_("%(field)s must be between %(low)s and %(high)s.") % {
            "field": name, "low": low, "high": high}, name)


def _validate(rule: AlertRule) -> None:
    if rule.kind not in AlertKind.values:
        raise AlertError(_("%(kind)s is not an alert kind; choose from %(known)s.") % {
            "kind": rule.kind, "known": ", ".join(AlertKind.values)}, "kind")
    authors = [rule.authors] if isinstance(rule.authors, str) else list(rule.authors or ())
    rule.authors = list(dict.fromkeys(h for h in (handle(a) for a in authors) if h))
    if len(rule.authors) > MAX_AUTHORS or any(len(a) > 255 or " " in a for a in rule.authors):
        raise AlertError(_("Give at most %(n)s author handles, without spaces.") % {
            "n": MAX_AUTHORS}, "authors")
    if rule.kind == AlertKind.AUTHOR and not rule.authors:
        raise AlertError(_("An author alert needs the author handle(s) to watch."), "authors")
    emails = [rule.emails] if isinstance(rule.emails, str) else list(rule.emails or ())
    rule.emails = list(dict.fromkeys(e.strip() for e in emails if str(e).strip()))
    if len(rule.emails) > MAX_EMAILS:
        raise AlertError(_("Give at most %(n)s e-mail addresses.") % {"n": MAX_EMAILS},
                         "emails")
    for address in rule.emails:
        try:
            validate_email(address)
        except ValidationError as exc:
            raise AlertError(_("%(address)s is not an e-mail address.") % {
                "address": address}, "emails") from exc
    _number(rule, "k", 0.5, 100)
    _number(rule, "min_count", 1, 1_000_000)
    _number(rule, "share_jump", 0.01, 1)
    _number(rule, "min_negative", 2, 1_000_000)  # one negative post is no surge
    _number(rule, "window_hours", MIN_WINDOW_HOURS, MAX_WINDOW_HOURS)
    if rule.language not in dict(settings.LANGUAGES):
        raise AlertError(_("%(lang)s is not a language Keryx writes in (%(known)s).") % {
            "lang": rule.language, "known": ", ".join(dict(settings.LANGUAGES))}, "language")
    rule.webhook_url = (rule.webhook_url or "").strip()
    if rule.webhook_url:
        if len(rule.webhook_url) > 1000:
            raise AlertError(_("The alert webhook address is too long."), "webhook_url")
        problem = webhook_problem(rule.webhook_url)
        if problem:
            raise AlertError(problem, "webhook_url", "blocked_webhook")
    if not (rule.in_app or rule.emails or rule.webhook_url):
        raise AlertError(_("Say where the alert goes: in the app, e-mail or a webhook."),
                         "in_app")


def create_rule(search: SavedSearch, *, kind: str, user: Any = None,
                webhook_secret: str = "", **fields: Any) -> AlertRule:
    """A new rule; a webhook gets a fresh secret unless one is given (read it once, from
    `rule.webhook_secret["secret"]`). It alerts on what comes after it, not on the past."""
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        raise AlertError(_("Unknown field %(field)s.") % {"field": sorted(unknown)[0]},
                         sorted(unknown)[0])
    rule = AlertRule(search=search, kind=kind,
                     created_by=user if getattr(user, "pk", None) else None,
                     language=fields.pop("language", "") or _language_of(user), **fields)
    _validate(rule)
    _set_secret(rule, webhook_secret)
    rule.last_match_id = _latest_match(search)
    rule.save()
    return rule


def update_rule(rule: AlertRule, *, webhook_secret: str = "", **fields: Any) -> AlertRule:
    """Change a rule. A rule that changes kind, or is enabled again, starts afresh: it alerts
    on what comes next, not on what it missed (no flood of old results or past hours)."""
    was = (rule.kind, rule.enabled)
    for key, value in fields.items():
        if key not in RULE_FIELDS:
            raise AlertError(_("Unknown field %(field)s.") % {"field": key}, key)
        setattr(rule, key, value)
    _validate(rule)
    if rule.kind != was[0] or (rule.enabled and not was[1]):
        rule.active, rule.evaluated_until = False, None
        rule.last_match_id = _latest_match(rule.search)
    if webhook_secret or (rule.webhook_url and not rule.webhook_secret.get("secret")):
        _set_secret(rule, webhook_secret)
    with transaction.atomic():
        rule.save()
        if rule.from_search and "webhook_url" in fields:
            # The default rule and the search's field say the same thing.
            SavedSearch.objects.filter(pk=rule.search_id).update(
                alert_webhook_url=rule.webhook_url)
    return rule


def rotate_secret(rule: AlertRule, secret: str = "") -> str:
    """A new signing secret (or the one given); the receiver must be told it."""
    rule.webhook_secret = {}
    _set_secret(rule, secret)
    AlertRule.objects.filter(pk=rule.pk).update(webhook_secret=rule.webhook_secret)
    return rule.webhook_secret["secret"]


def delete_rule(rule: AlertRule) -> None:
    with transaction.atomic():
        if rule.from_search:
            SavedSearch.objects.filter(pk=rule.search_id).update(alert_webhook_url="")
        rule.delete()


def _set_secret(rule: AlertRule, secret: str) -> None:
    secret = (secret or "").strip()
    if secret and len(secret) < 16:
        raise AlertError(_("A webhook secret needs at least 16 characters."), "webhook_secret")
    if secret or not rule.webhook_secret.get("secret"):
        rule.webhook_secret = {"secret": secret or webhooks.new_secret()}


def _language_of(user: Any) -> str:
    profile = getattr(user, "profile", None) if getattr(user, "pk", None) else None
    language = getattr(profile, "language", "") or ""
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def _latest_match(search: SavedSearch) -> int:
    return Match.objects.filter(search=search).aggregate(m=Max("pk"))["m"] or 0


def sync_search_webhook(search: SavedSearch) -> AlertRule | None:
    """SavedSearch.alert_webhook_url (`keryx listen add --alert-webhook`) is the webhook of
    the search's default spike rule (`from_search`), made here when the field is first set,
    changed when it changes; clearing the field disables the rule (its alerts are kept)."""
    rule = AlertRule.objects.filter(search=search, from_search=True).first()
    url = search.alert_webhook_url or ""
    if rule is None:
        if not url:
            return None
        rule = AlertRule(search=search, kind=AlertKind.SPIKE, from_search=True, in_app=True,
                         webhook_url=url, language=settings.LANGUAGE_CODE,
                         created_by=search.created_by,
                         webhook_secret={"secret": webhooks.new_secret()},
                         last_match_id=_latest_match(search))
        rule.save()
        return rule
    if rule.webhook_url != url:
        rule.webhook_url = url
        rule.enabled = bool(url)
        if url and not rule.webhook_secret.get("secret"):
            rule.webhook_secret = {"secret": webhooks.new_secret()}
        rule.save()
    return rule


# -- evaluation -------------------------------------------------------------------------------


@dataclass
class Verdict:
    flag: bool
    count: int
    baseline: float
    threshold: float
    figures: dict[str, Any] = field(default_factory=dict)


def evaluate_search(search: SavedSearch, *, now: datetime | None = None) -> list[Alert]:
    """Evaluate every enabled rule of the search over its stored results; deliver what fired
    (one attempt per channel now; failures are retried by retry_due on later ticks)."""
    now = now or timezone.now()
    sync_search_webhook(search)
    fired: list[Alert] = []
    for rule in AlertRule.objects.filter(search=search, enabled=True).select_related("search"):
        try:
            fired += _author(rule, now) if rule.kind == AlertKind.AUTHOR else _volume(rule, now)
        except Exception:  # one broken rule must not stop the others or the run
            logger.exception("listening alert rule %s failed", rule.pk)
    for alert in fired:
        alert_delivery.deliver(alert, now=now)
    return fired


def hourly(search: SavedSearch, start: datetime, end: datetime) -> dict[datetime, tuple[int, int]]:
    """{hour (UTC): (relevant matches, negative ones)} for start <= published_at < end."""
    rows = (Match.objects.filter(search=search, irrelevant=False, published_at__gte=start,
                                 published_at__lt=end)
            .annotate(hour=TruncHour("published_at", tzinfo=UTC)).order_by()
            .values("hour")
            .annotate(total=Count("id"), negative=Count("id", filter=Q(sentiment="negative"))))
    return {row["hour"].astimezone(UTC): (row["total"], row["negative"]) for row in rows}


def _floor(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _volume(rule: AlertRule, now: datetime) -> list[Alert]:
    current = _floor(now)
    last_complete = current - HOUR
    start = rule.evaluated_until.astimezone(UTC) if rule.evaluated_until else last_complete
    start = max(start, last_complete - (CATCH_UP_HOURS - 1) * HOUR)
    hours = []
    while start <= last_complete:
        hours.append(start)
        start += HOUR
    first = hours[0] if hours else current
    counts = hourly(rule.search, first - rule.window_hours * HOUR, current + HOUR)
    active = rule.active
    fired: list[Alert] = []
    for hour in hours:
        verdict = verdict_for(rule, counts, hour)
        if verdict.flag and not active:
            fired += _fire(rule, hour, verdict, now)
        active = verdict.flag
    # The hour in progress: its count only grows, so a spike there is one already; an hour
    # under the threshold so far says nothing yet (it re-arms nothing).
    verdict = verdict_for(rule, counts, current)
    if verdict.flag and not active:
        verdict.figures["partial"] = True
        fired += _fire(rule, current, verdict, now)
        active = True
    until = last_complete + HOUR
    if rule.evaluated_until and rule.evaluated_until > until:
        until = rule.evaluated_until  # an evaluation with an older clock moves nothing back
    AlertRule.objects.filter(pk=rule.pk).update(active=active, evaluated_until=until)
    rule.active, rule.evaluated_until = active, until
    return fired


def verdict_for(rule: AlertRule, counts: dict[datetime, tuple[int, int]],
                hour: datetime) -> Verdict:
    """The rule's verdict on one hour, with the figures that decide it."""
    window_hours = rule.window_hours
    window = [counts.get(hour - i * HOUR, (0, 0)) for i in range(window_hours, 0, -1)]
    total, negative = counts.get(hour, (0, 0))
    if rule.kind == AlertKind.NEGATIVE_SURGE:
        window_total = sum(t for t, _n in window)
        window_negative = sum(n for _t, n in window)
        surge = spikes.negative_surge(window_total, window_negative, total, negative,
                                      share_jump=rule.share_jump,
                                      min_negative=rule.min_negative)
        return Verdict(surge.surge, negative, round(surge.baseline_share, 4),
                       round(surge.baseline_share + rule.share_jump, 4), {
                           "total": total, "negative": negative,
                           "share": round(surge.share, 4),
                           "baseline_share": round(surge.baseline_share, 4),
                           "share_jump": rule.share_jump, "min_negative": rule.min_negative,
                           "window_total": window_total, "window_negative": window_negative,
                           "window_hours": window_hours})
    volumes = [t for t, _n in window]
    found = spikes.spike(volumes, total, k=rule.k, min_count=rule.min_count)
    middle = float(median(volumes)) if volumes else 0.0
    mad = float(median(abs(v - middle) for v in volumes)) if volumes else 0.0
    spread = max(spikes.MAD_SCALE * mad, math.sqrt(max(middle, 1.0)))
    return Verdict(found.spike, total, round(found.baseline, 4), round(found.threshold, 4), {
        "median": middle, "mad": mad, "spread": round(spread, 4), "k": rule.k,
        "min_count": rule.min_count, "window_hours": window_hours,
        "window_total": sum(volumes)})


def _fire(rule: AlertRule, hour: datetime | None, verdict: Verdict, now: datetime,
          result_ids: list[int] | None = None) -> list[Alert]:
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                workspace_id=rule.search.workspace_id, search=rule.search, rule=rule,
                kind=rule.kind, fired_at=now, period_start=hour,
                period_end=hour + HOUR if hour else None, count=verdict.count,
                baseline=verdict.baseline, threshold=verdict.threshold,
                figures=verdict.figures, result_ids=result_ids or [])
    except IntegrityError:  # another process fired this rule for this hour already
        return []
    alert.rule = rule
    return [alert]


def _author(rule: AlertRule, now: datetime) -> list[Alert]:
    top = _latest_match(rule.search)
    seen = rule.last_match_id
    if top <= seen or not AlertRule.objects.filter(pk=rule.pk, last_match_id=seen).update(
            last_match_id=top):
        return []  # nothing new, or another process took these matches
    rule.last_match_id = top
    wanted = Q()
    for name in rule.authors:
        wanted |= Q(result__author_handle__iexact=name) | Q(
            result__author_handle__iexact=f"@{name}")
    rows = list(Match.objects.filter(wanted, search=rule.search, pk__gt=seen, pk__lte=top,
                                     irrelevant=False)
                .select_related("result").order_by("pk"))
    if not rows:
        return []
    authors = sorted({handle(m.result.author_handle) for m in rows})
    listed = [{"id": m.result_id, "author": m.result.author_handle, "url": m.result.url,
               "network": m.result.network, "text": m.result.text[:280],
               "published_at": m.result.published_at.isoformat()
               if m.result.published_at else None} for m in rows[:AUTHOR_RESULTS_LISTED]]
    verdict = Verdict(True, len(rows), 0.0, 0.0, {"authors": authors, "results": listed})
    return _fire(rule, None, verdict, now, [m.result_id for m in rows])
