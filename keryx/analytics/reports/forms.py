"""Forms of the Reports page: a scheduled report, a share link, the logo. Choices are the
current workspace's own channels, members, campaigns and labels only."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from keryx.analytics.reports.models import LANGUAGES, Frequency
from keryx.analytics.reports.schedule import parse_addresses
from keryx.channels.models import Channel
from keryx.core.models import Membership, Role, Workspace
from keryx.planner.models import Campaign, Label


class ScheduledReportForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    frequency = forms.ChoiceField(label=_("How often"), choices=Frequency.choices)
    channels = forms.ModelMultipleChoiceField(
        label=_("Channels"), queryset=Channel.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple, help_text=_("None ticked: all channels."))
    campaign = forms.ModelChoiceField(label=_("Campaign"), queryset=Campaign.objects.none(),
                                      required=False)
    labels = forms.ModelMultipleChoiceField(
        label=_("Labels"), queryset=Label.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple, help_text=_("Posts with any of the labels ticked."))
    members = forms.ModelMultipleChoiceField(
        label=_("Members"), queryset=get_user_model().objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple)
    addresses = forms.CharField(
        label=_("Other addresses"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Clients and other people outside the workspace, one address per line."))
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGES)

    def __init__(self, workspace: Workspace, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channels"].queryset = Channel.objects.filter(
            workspace=workspace).order_by("name")
        self.fields["campaign"].queryset = Campaign.objects.filter(
            workspace=workspace).order_by("name")
        self.fields["labels"].queryset = Label.objects.filter(workspace=workspace).order_by("name")
        team = Membership.objects.filter(workspace=workspace).exclude(
            role=Role.CLIENT_APPROVER).values("user_id")
        self.fields["members"].queryset = get_user_model().objects.filter(
            pk__in=team).order_by("email")
        self.fields["members"].label_from_instance = lambda user: user.email

    def clean_addresses(self) -> str:
        return "\n".join(parse_addresses(self.cleaned_data.get("addresses", "")))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("members") and not data.get("addresses") and not self.errors:
            raise ValidationError(_("Choose at least one member or write an address."))
        return data

    @classmethod
    def initial_of(cls, report: Any) -> dict[str, Any]:
        """The form's values for editing `report`."""
        return {"name": report.name, "frequency": report.frequency,
                "channels": list(report.channels.all()), "campaign": report.campaign,
                "labels": list(report.labels.all()), "members": list(report.members.all()),
                "addresses": report.addresses, "language": report.language}


class ShareLinkForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    first_day = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    last_day = forms.DateField(label=_("Until"), widget=forms.DateInput(attrs={"type": "date"}))
    channels = forms.ModelMultipleChoiceField(
        label=_("Channels"), queryset=Channel.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple, help_text=_("None ticked: all channels."))
    campaign = forms.ModelChoiceField(label=_("Campaign"), queryset=Campaign.objects.none(),
                                      required=False)
    labels = forms.ModelMultipleChoiceField(label=_("Labels"), queryset=Label.objects.none(),
                                            required=False, widget=forms.CheckboxSelectMultiple)
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGES)
    expires_on = forms.DateField(label=_("Works until (optional)"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, workspace: Workspace, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        self.fields["channels"].queryset = Channel.objects.filter(
            workspace=workspace).order_by("name")
        self.fields["campaign"].queryset = Campaign.objects.filter(
            workspace=workspace).order_by("name")
        self.fields["labels"].queryset = Label.objects.filter(workspace=workspace).order_by("name")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("first_day"), data.get("last_day")
        if first and last and first > last:
            raise ValidationError(_("The period starts after it ends."))
        expires: date | None = data.get("expires_on")
        if expires and expires < date.today():
            self.add_error("expires_on", _("That day has passed."))
        return data

    def expires_at(self) -> datetime | None:
        """The end of the chosen day in the workspace's time zone."""
        day: date | None = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        return datetime.combine(day, time.max, ZoneInfo(self.workspace.timezone or "UTC"))


class LogoForm(forms.Form):
    logo = forms.FileField(label=_("Logo"), help_text=_("PNG, JPEG, GIF or WebP, up to 2 MB."))
