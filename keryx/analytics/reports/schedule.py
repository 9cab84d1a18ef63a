"""Scheduled reports: each complete week (Monday–Sunday) or month, in the workspace's time
zone, e-mailed with its PDF to the chosen members and outside addresses.

1. The periodic loop (keryx.queues.periodic) calls send_due() every minute.
2. claim_due() takes the due reports with one guarded UPDATE (due, and no live lease), so one
   process sends each; a process that dies leaves its lease to run out.
3. Before the e-mail leaves, the period is written as being sent (sending_period_start). After
   it left, the period is written as sent (last_period_start), and next_run_at moves to after
   the next period. A report whose period was already sent, or whose earlier attempt for this
   period ended without word (the process died mid-send), is not sent again for that period.
4. A failed send is recorded (last_error) and tried again RETRY_AFTER later.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from keryx.analytics import services
from keryx.analytics.reports.export import pdf_filename, pdf_report
from keryx.analytics.reports.fonts import FontMissing
from keryx.analytics.reports.models import Frequency, ScheduledReport
from keryx.core import audit
from keryx.core.models import Membership, Workspace

logger = logging.getLogger(__name__)

SEND_HOUR = 7  # local time on the first day after the period: the day's readings are in
LEASE = timedelta(minutes=10)
RETRY_AFTER = timedelta(minutes=5)
CLAIM_BATCH = 10
# What kind of failure a report's last_error is; the Reports page says what to do next.
ERROR_KINDS = ("font", "smtp", "made", "unknown", "no-channels", "no-recipients", "bug")


@dataclass(frozen=True)
class ReportPeriod:
    first_day: date
    last_day: date


def _zone(workspace: Workspace) -> ZoneInfo:
    return ZoneInfo(workspace.timezone or "UTC")


def _period_starting(first: date, frequency: str) -> ReportPeriod:
    if frequency == Frequency.MONTHLY:
        following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
        return ReportPeriod(first, following - timedelta(days=1))
    return ReportPeriod(first, first + timedelta(days=6))


def last_complete_period(frequency: str, today: date) -> ReportPeriod:
    """The last whole week (Monday to Sunday) or calendar month that ended before `today`."""
    if frequency == Frequency.MONTHLY:
        end = today.replace(day=1) - timedelta(days=1)
        return _period_starting(end.replace(day=1), frequency)
    monday = today - timedelta(days=today.weekday())
    return _period_starting(monday - timedelta(days=7), frequency)


def next_run_after(frequency: str, now: datetime, zone: ZoneInfo) -> datetime:
    """SEND_HOUR local on the first day after the period that is running at `now`."""
    today = now.astimezone(zone).date()
    if frequency == Frequency.MONTHLY:
        current = _period_starting(today.replace(day=1), frequency)
    else:
        current = _period_starting(today - timedelta(days=today.weekday()), frequency)
    return datetime.combine(current.last_day + timedelta(days=1), time(SEND_HOUR), zone)


def parse_addresses(text: str) -> list[str]:
    """Outside addresses, one per line or separated by commas; ValidationError names a bad one."""
    found = []
    for raw in text.replace(",", "\n").replace(";", "\n").splitlines():
        address = raw.strip()
        if not address:
            continue
        try:
            validate_email(address)
        except ValidationError as exc:
            raise ValidationError(_("Not an e-mail address: %(address)s")
                                  % {"address": address}) from exc
        if address.lower() not in {a.lower() for a in found}:
            found.append(address)
    return found


def recipients(report: ScheduledReport) -> list[str]:
    """The members chosen (while they are still members) and the outside addresses."""
    members = Membership.objects.filter(workspace=report.workspace_id,
                                        user__in=report.members.all()) \
        .values_list("user__email", flat=True)
    out: list[str] = []
    for address in [*members, *parse_addresses(report.addresses)]:
        if address and address.lower() not in {a.lower() for a in out}:
            out.append(address)
    return out


def schedule_first_run(report: ScheduledReport, now: datetime | None = None) -> None:
    report.next_run_at = next_run_after(report.frequency, now or timezone.now(),
                                        _zone(report.workspace))


def claim_due(*, now: datetime | None = None, limit: int = CLAIM_BATCH) -> tuple[str, list[int]]:
    """Lease up to `limit` due reports; returns the claim's token and the ids this process won."""
    now = now or timezone.now()
    token = str(uuid.uuid4())
    due = ScheduledReport.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now), next_run_at__lte=now)
    picked = list(due.order_by("next_run_at", "pk").values_list("pk", flat=True)[:limit])
    if not picked:
        return token, []
    # The UPDATE is the claim: its own condition (due, no live lease) loses to any process
    # that claimed first, so each report goes to one process only.
    due.filter(pk__in=picked).update(claim_token=token, claimed_until=now + LEASE)
    won = list(ScheduledReport.objects.filter(pk__in=picked, claim_token=token)
               .order_by("pk").values_list("pk", flat=True))
    return token, won


def _release(report_id: int, token: str, **fields: object) -> bool:
    return bool(ScheduledReport.objects.filter(pk=report_id, claim_token=token).update(
        claim_token="", claimed_until=None, **fields))


def filter_of(report: ScheduledReport) -> services.PostFilter:
    """The report's campaign and labels, as the analytics page's filters take them."""
    labels = tuple(sorted(report.labels.filter(workspace=report.workspace_id)
                          .values_list("pk", flat=True)))
    return services.PostFilter(report.campaign_id, labels)


def message_for(report: ScheduledReport, span: ReportPeriod, to: list[str]) -> mail.EmailMessage:
    """The e-mail with the PDF attached, in the report's language. Recipients in Bcc, so
    clients do not see each other's addresses."""
    workspace = report.workspace
    when = services.period(workspace, span.first_day, span.last_day)
    channels = list(report.channels.filter(workspace=workspace))
    data = pdf_report(workspace, when, channels or None, filter_of(report),
                      language=report.language)
    with translation.override(report.language):
        subject = _("%(workspace)s: %(name)s, %(from)s – %(until)s") % {
            "workspace": workspace.name, "name": report.name, "from": span.first_day,
            "until": span.last_day}
        body = "\n\n".join([
            _("The analytics report of %(workspace)s for %(from)s – %(until)s is attached "
              "(PDF).") % {"workspace": workspace.name, "from": span.first_day,
                           "until": span.last_day},
            _("You receive it because you are on the recipients of the scheduled report "
              "“%(name)s”. A member of the workspace can change or delete it on the "
              "analytics page, under Reports.") % {"name": report.name},
        ])
    message = mail.EmailMessage(subject=subject, body=body,
                                from_email=settings.DEFAULT_FROM_EMAIL, to=[], bcc=to)
    message.attach(pdf_filename(workspace, when), data, "application/pdf")
    return message


def send_one(report_id: int, token: str, now: datetime) -> str:
    """Send one claimed report for its last complete period. Returns what happened:
    'sent', 'already-sent', 'unknown', 'no-recipients' or 'failed'."""
    report = ScheduledReport.objects.select_related("workspace").get(pk=report_id)
    zone = _zone(report.workspace)
    span = last_complete_period(report.frequency, now.astimezone(zone).date())
    following = next_run_after(report.frequency, now, zone)
    if report.last_period_start == span.first_day:
        _release(report_id, token, next_run_at=following)
        return "already-sent"
    if report.sending_period_start == span.first_day:
        # An attempt for this period ended without word (the process stopped mid-send):
        # the e-mail may have left, so it is not sent again; the next period goes as usual.
        _release(report_id, token, next_run_at=following, last_error_at=now,
                 last_error=_("The report for %(from)s – %(until)s may not have been sent "
                              "(the sending process stopped); it is not sent twice.")
                 % {"from": span.first_day, "until": span.last_day}, last_error_kind="unknown")
        return "unknown"
    if not report.all_channels and not report.channels.exists():
        _release(report_id, token, next_run_at=following, last_error_at=now,
                 last_error=_("Its channels have been deleted: the report for %(from)s – "
                              "%(until)s was not sent.") % {"from": span.first_day,
                                                          "until": span.last_day},
                 last_error_kind="no-channels")
        return "no-channels"
    to = recipients(report)
    if not to:
        _release(report_id, token, next_run_at=following, last_error_at=now,
                 last_error=_("No recipients: nobody was sent the report for %(from)s – "
                              "%(until)s.") % {"from": span.first_day, "until": span.last_day},
                 last_error_kind="no-recipients")
        return "no-recipients"
    try:
        message = message_for(report, span, to)
    except Exception as exc:  # noqa: BLE001 - recorded on the report, tried again
        logger.exception("scheduled report %s could not be made", report_id)
        _release(report_id, token, next_run_at=now + RETRY_AFTER, last_error_at=now,
                 last_error=str(exc)[:2000],
                 last_error_kind="font" if isinstance(exc, FontMissing) else "made")
        return "failed"
    # Written first: the period is being sent (guarded by the claim).
    if not ScheduledReport.objects.filter(pk=report_id, claim_token=token).update(
            sending_period_start=span.first_day):
        return "lost-claim"
    try:
        message.send(fail_silently=False)
    except Exception as exc:  # noqa: BLE001 - SMTP and friends: recorded, tried again
        logger.warning("scheduled report %s: sending failed: %s", report_id, exc)
        _release(report_id, token, sending_period_start=None, next_run_at=now + RETRY_AFTER,
                 last_error_at=now, last_error=_("Sending failed: %(error)s")
                 % {"error": str(exc)[:1900]}, last_error_kind="smtp")
        return "failed"
    _release(report_id, token, sending_period_start=None, last_period_start=span.first_day,
             last_period_end=span.last_day, last_sent_at=now, last_error="",
             last_error_at=None, last_error_kind="", next_run_at=following)
    return "sent"


def send_due(now: datetime | None = None) -> int:
    """The periodic job: send every due report this process claims. Returns how many were sent."""
    now = now or timezone.now()
    token, won = claim_due(now=now)
    sent = 0
    for report_id in won:
        try:
            sent += send_one(report_id, token, now) == "sent"
        except Exception:  # one report's bug never stops the others
            logger.exception("scheduled report %s failed", report_id)
            _release(report_id, token, next_run_at=now + RETRY_AFTER, last_error_at=now,
                     last_error=_("Unexpected error; see the server log."),
                     last_error_kind="bug")
    return sent


def send_now(workspace: Workspace, report_id: int, *, user: object = None,
             now: datetime | None = None) -> tuple[str, ReportPeriod] | None:
    """Send the report's last complete period at once, guarded like the scheduled send: the
    same claim (no live lease), and a period already sent (or whose sending stopped midway) is
    not sent again. None when the workspace has no such report; ('busy', period) when another
    process holds it right now; else what send_one returned."""
    now = now or timezone.now()
    report = ScheduledReport.objects.filter(workspace=workspace, pk=report_id) \
        .select_related("workspace").first()
    if report is None:
        return None
    span = last_complete_period(report.frequency, now.astimezone(_zone(workspace)).date())
    token = str(uuid.uuid4())
    if not ScheduledReport.objects.filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now), pk=report_id,
            workspace=workspace).update(claim_token=token, claimed_until=now + LEASE):
        return "busy", span
    try:
        outcome = send_one(report_id, token, now)
    except Exception:
        logger.exception("scheduled report %s failed (send now)", report_id)
        _release(report_id, token, next_run_at=now + RETRY_AFTER, last_error_at=now,
                 last_error=_("Unexpected error; see the server log."), last_error_kind="bug")
        outcome = "failed"
    audit.record(workspace, "report.sent_now", actor=user, obj=report,
                 summary=f"{report.name}: {span.first_day} – {span.last_day}: {outcome}",
                 first_day=str(span.first_day), last_day=str(span.last_day), outcome=outcome)
    return outcome, span


def advice(report: ScheduledReport) -> str:
    """What to do about the report's last error (empty when there is none)."""
    if not report.last_error:
        return ""
    return {
        "font": _("Install a font with Greek letters on the server (Debian: fonts-dejavu-core) "
                  "or set KERYX_PDF_FONT; it is tried again every 5 minutes."),
        "smtp": _("Check the server's e-mail settings (EMAIL_HOST and the rest) and that the "
                  "addresses are right; it is tried again every 5 minutes."),
        "made": _("The PDF could not be made; it is tried again every 5 minutes. If the error "
                  "stays, tell the server's administrator."),
        "unknown": _("Ask the recipients whether it arrived; it is not sent again, and the "
                     "next period is sent as usual."),
        "no-channels": _("Edit the report and choose channels (or none, for all channels)."),
        "no-recipients": _("Edit the report and choose members or write addresses."),
        "bug": _("Tell the server's administrator (the error is in the server log); it is "
                 "tried again every 5 minutes."),
    }.get(report.last_error_kind, "")


def _check(workspace: Workspace, channels: list, members: list, campaign: object,
           labels: list) -> None:
    if any(c.workspace_id != workspace.pk for c in channels):
        raise ValueError("A channel of another workspace.")
    if any(x.workspace_id != workspace.pk for x in [*labels, *([campaign] if campaign else [])]):
        raise ValueError("A campaign or label of another workspace.")
    member_ids = set(Membership.objects.filter(workspace=workspace)
                     .values_list("user_id", flat=True))
    if any(m.pk not in member_ids for m in members):
        raise ValueError("A member of another workspace.")


def _described(report: ScheduledReport) -> dict[str, object]:
    """What the audit log keeps of a report's settings (names, not ids)."""
    return {"name": report.name, "frequency": report.frequency, "language": report.language,
            "channels": sorted(c.name for c in report.channels.all()),
            "campaign": report.campaign.name if report.campaign else None,
            "labels": sorted(label.name for label in report.labels.all()),
            "members": sorted(m.email for m in report.members.all()),
            "addresses": parse_addresses(report.addresses)}


def create(workspace: Workspace, *, name: str, frequency: str, channels: list | None = None,
           members: list | None = None, addresses: str = "", language: str = "en",
           campaign: object = None, labels: list | None = None,
           user: object = None, now: datetime | None = None) -> ScheduledReport:
    """A new scheduled report, first sent after the period running now ends. Channels,
    members, campaign and labels must be the workspace's own (ValueError otherwise)."""
    channels, members, labels = list(channels or []), list(members or []), list(labels or [])
    _check(workspace, channels, members, campaign, labels)
    report = ScheduledReport(
        workspace=workspace, name=name, frequency=Frequency(frequency),
        addresses="\n".join(parse_addresses(addresses)), language=language,
        all_channels=not channels, campaign=campaign,
        created_by=user if getattr(user, "pk", None) else None)
    schedule_first_run(report, now)
    report.save()
    report.channels.set(channels)
    report.members.set(members)
    report.labels.set(labels)
    audit.record(workspace, "report.scheduled", actor=user, obj=report, summary=name,
                 **_described(report))
    return report


def update(workspace: Workspace, report_id: int, *, name: str, frequency: str,
           channels: list | None = None, members: list | None = None, addresses: str = "",
           language: str = "en", campaign: object = None, labels: list | None = None,
           user: object = None, now: datetime | None = None) -> ScheduledReport | None:
    """Change a report of the workspace (None: no such report). What was sent stays recorded;
    a new frequency moves the next run to after the period running now."""
    report = ScheduledReport.objects.filter(workspace=workspace, pk=report_id).first()
    if report is None:
        return None
    channels, members, labels = list(channels or []), list(members or []), list(labels or [])
    _check(workspace, channels, members, campaign, labels)
    before = _described(report)
    changed_frequency = report.frequency != frequency
    report.name, report.frequency, report.language = name, Frequency(frequency), language
    report.addresses = "\n".join(parse_addresses(addresses))
    report.all_channels, report.campaign = not channels, campaign
    fields = ["name", "frequency", "language", "addresses", "all_channels", "campaign"]
    if changed_frequency:
        schedule_first_run(report, now)
        fields.append("next_run_at")
    if report.last_error_kind in {"no-channels", "no-recipients"}:
        report.last_error, report.last_error_kind, report.last_error_at = "", "", None
        fields += ["last_error", "last_error_kind", "last_error_at"]
    report.save(update_fields=fields)
    report.channels.set(channels)
    report.members.set(members)
    report.labels.set(labels)
    after = _described(report)
    audit.record(workspace, "report.edited", actor=user, obj=report, summary=name,
                 changed={k: {"old": before[k], "new": after[k]} for k in after
                          if before[k] != after[k]})
    return report


def delete(workspace: Workspace, report_id: int, user: object = None) -> bool:
    report = ScheduledReport.objects.filter(workspace=workspace, pk=report_id).first()
    if report is None:
        return False
    described = _described(report)
    audit.record(workspace, "report.deleted", actor=user, obj=report, summary=report.name,
                 **described)
    report.delete()
    return True
