"""The action forms under each item of the inbox stream (reply, triage, hide, spam, block), built
in Python: the same HTML the Django form widgets gave, but the parts every row shares (the CSRF
field, the status and assignee options, the canned-reply options, the translated labels) are
made once per page, not once per row. Rendering 100 rows' forms through widget templates was
most of the page's time (issue 15: the inbox with 100,000 items opens in under 200 ms).

Everything user-supplied goes through `format_html` / `escape`: labels, e-mails, canned titles
and codes, drafts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from keryx.inbox.models import Status


@dataclass
class RowKit:
    """What every row's forms share, made once for the page."""

    csrf: SafeString
    statuses: list[tuple[str, str]]
    assignees: list[tuple[str, str]]
    canned: SafeString
    may_moderate: bool
    text: dict[str, str]
    urls: dict[str, tuple[str, str]]

    def url(self, name: str, pk: int) -> str:
        before, after = self.urls[name]
        return f"{before}{pk}{after}"


# reverse() once per route with a stand-in pk, then the real pk: 6 routes × 100 rows of
# reverse() were a measurable part of the page.
_STAND_IN = 987654321
ROUTES = ("reply", "triage", "hide", "unhide", "decide", "block")


def make_kit(request: Any, members: list, answers: list, may_moderate: bool) -> RowKit:
    csrf = format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">',
                       get_token(request))
    canned = format_html_join("", '<option value="{}">/{}{}</option>', (
        (a.code, a.code, f" · {a.title}" if a.title else "") for a in answers))
    return RowKit(
        csrf=csrf,
        statuses=[(str(value), str(label)) for value, label in Status.choices],
        assignees=[("", _("Nobody"))] + [(str(m.user_id), m.user.email) for m in members],
        canned=canned, may_moderate=may_moderate,
        text={name: _(name) for name in (
            "Reply", "Canned reply", "Send reply", "Status", "Assigned to",
            "Labels (comma-separated)", "Save", "Hide", "Unhide", "Spam", "Not spam",
            "Block author")},
        urls={name: tuple(reverse(f"inbox:{name}", args=[_STAND_IN]).split(str(_STAND_IN), 1))
              for name in ROUTES})


def _options(choices: list[tuple[str, str]], chosen: str) -> SafeString:
    return mark_safe("".join(
        f'<option value="{escape(value)}"{" selected" if value == chosen else ""}>'
        f"{escape(label)}</option>" for value, label in choices))


def actions(item: Any, kit: RowKit) -> SafeString:
    """The forms under one item, for a member who may answer."""
    t = kit.text
    pk = item.pk
    parts = [format_html(
        '<form method="post" action="{}" class="reply-box">{}'
        '<label for="reply-{}">{}</label>'
        '<textarea id="reply-{}" name="text" rows="2" maxlength="5000" data-canned '
        'data-language="{}">{}</textarea>',
        kit.url("reply", pk), kit.csrf, pk, t["Reply"], pk, item.language, item.draft)]
    if kit.canned:
        parts.append(format_html(
            '<label class="small">{} <select class="canned-picker" data-target="reply-{}">'
            '<option value="">—</option>{}</select></label>', t["Canned reply"], pk, kit.canned))
    parts.append(format_html(
        '<button type="submit" class="button primary small">{}</button></form>',
        t["Send reply"]))
    parts.append(format_html(
        '<form method="post" action="{}" class="triage">{}'
        '<label>{} <select name="status" id="status-{}">{}</select></label> '
        '<label>{} <select name="assignee" id="assignee-{}">{}</select></label> '
        '<label>{} <input type="text" name="labels" maxlength="500" id="labels-{}" value="{}">'
        '</label> <button type="submit" class="button small">{}</button></form>',
        kit.url("triage", pk), kit.csrf,
        t["Status"], pk, _options(kit.statuses, item.status),
        t["Assigned to"], pk, _options(kit.assignees, str(item.assignee_id or "")),
        t["Labels (comma-separated)"], pk, ", ".join(item.labels), t["Save"]))
    hidden = "unhide" if item.hidden else "hide"
    parts.append(format_html(
        '<form method="post" action="{}" class="inline">{}'
        '<button type="submit" class="button small">{}</button></form>',
        kit.url(hidden, pk), kit.csrf, t["Unhide"] if item.hidden else t["Hide"]))
    if kit.may_moderate:
        parts.append(format_html(
            '<form method="post" action="{}" class="inline">{}'
            '<button type="submit" name="decision" value="spam" class="button small">{}</button> '
            '<button type="submit" name="decision" value="not_spam" class="button small">{}'
            '</button></form>', kit.url("decide", pk), kit.csrf, t["Spam"], t["Not spam"]))
        if item.author_handle:
            parts.append(format_html(
                '<form method="post" action="{}" class="inline">{}'
                '<button type="submit" class="button small">{}</button></form>',
                kit.url("block", pk), kit.csrf, t["Block author"]))
    return mark_safe("\n".join(parts))
