"""Composer and reschedule forms. Times typed here are wall-clock times in the workspace's time
zone; core.timeutil turns them into UTC (and refuses times the clocks skip)."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from keryx.channels.models import Channel
from keryx.core.models import Workspace
from keryx.core.timeutil import InvalidLocalTime, parse_local_datetime
from keryx.planner.forms import add_planning_fields

MAX_IMAGES = 4


class WhenMixin(forms.Form):
    date = forms.DateField(
        label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    time = forms.TimeField(
        label=_("Time"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )

    workspace: Workspace

    def scheduled_at(self) -> datetime | None:
        """The chosen instant in UTC, or None when no date was given."""
        date, time = self.cleaned_data.get("date"), self.cleaned_data.get("time")
        if not date:
            return None
        text = f"{date.isoformat()}T{(time.strftime('%H:%M') if time else '09:00')}"
        return parse_local_datetime(text, self.workspace.timezone)

    def _clean_when(self, required: bool) -> None:
        if required and not self.cleaned_data.get("date"):
            self.add_error("date", _("Choose the day to publish on."))
            return
        if required and not self.cleaned_data.get("time"):
            self.add_error("time", _("Choose the time to publish at."))
            return
        try:
            self.cleaned_data["scheduled_at"] = self.scheduled_at()
        except InvalidLocalTime as exc:
            self.add_error("time", str(exc))


class ComposerForm(WhenMixin):
    WHEN_CHOICES = [("now", _("Publish now")), ("later", _("Schedule")),
                    ("queue", _("Add to queue"))]

    text = forms.CharField(
        label=_("Text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 7, "placeholder": _("What do you want to say?")}),
    )
    content_warning = forms.CharField(label=_("Content warning"), required=False, max_length=500)
    language = forms.ChoiceField(
        label=_("Language"), required=False,
        choices=[("", _("Detect from the text")), ("el", _("Greek")), ("en", _("English"))],
        help_text=_("Told to the networks that take it (Mastodon, Bluesky), so followers' "
                    "language filters and translation work."))
    channels = forms.ModelMultipleChoiceField(
        label=_("Channels"),
        queryset=Channel.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one channel.")},
    )
    when = forms.ChoiceField(
        label=_("When"), choices=WHEN_CHOICES, initial="now", widget=forms.RadioSelect
    )

    def __init__(self, *args: object, workspace: Workspace, draft: bool = False, **kw: object):
        super().__init__(*args, **kw)
        self.workspace = workspace
        self.draft = draft
        # Only this workspace's channels can even be chosen: another workspace's id is invalid.
        self.fields["channels"].queryset = Channel.objects.filter(workspace=workspace)
        add_planning_fields(self, workspace)

    def clean(self) -> dict:
        data = super().clean()
        scheduling = data.get("when") == "later"
        if scheduling or self.draft:
            self._clean_when(required=scheduling and not self.draft)
        else:
            data["scheduled_at"] = None
        return data


class RescheduleForm(WhenMixin):
    def __init__(self, *args: object, workspace: Workspace, **kw: object):
        super().__init__(*args, **kw)
        self.workspace = workspace

    def clean(self) -> dict:
        data = super().clean()
        self._clean_when(required=True)
        return data
