"""Campaign and label forms, and the planning fields the composer borrows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from keryx.core.models import Workspace
from keryx.core.timeutil import InvalidLocalTime, parse_local_datetime
from keryx.planner.models import Campaign, Label
from keryx.publishing.models import PostKind

COLOUR = forms.TextInput(attrs={"type": "color"})


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = ["name", "colour", "starts_on", "ends_on", "budget", "description"]
        widgets = {
            "colour": COLOUR,
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.workspace = workspace

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("The campaign cannot end before it starts."))
        name = data.get("name")
        if name and Campaign.objects.filter(
            workspace=self.instance.workspace, name__iexact=name
        ).exclude(pk=self.instance.pk).exists():
            self.add_error("name", _("A campaign with this name already exists."))
        return data


class LabelForm(forms.ModelForm):
    class Meta:
        model = Label
        fields = ["name", "colour"]
        widgets = {"colour": COLOUR}

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.workspace = workspace

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if Label.objects.filter(workspace=self.instance.workspace, name__iexact=name).exclude(
            pk=self.instance.pk
        ).exists():
            raise forms.ValidationError(_("A label with this name already exists."))
        return name


def add_planning_fields(form: forms.Form, workspace: Workspace) -> None:
    """Campaign, labels and organic/paid on another form (the composer), scoped to the
    workspace so another workspace's ids are simply invalid choices."""
    form.fields["campaign"] = forms.ModelChoiceField(
        label=_("Campaign"), required=False, empty_label=_("No campaign"),
        queryset=Campaign.objects.filter(workspace=workspace),
    )
    form.fields["labels"] = forms.ModelMultipleChoiceField(
        label=_("Labels"), required=False, widget=forms.CheckboxSelectMultiple,
        queryset=Label.objects.filter(workspace=workspace),
    )
    form.fields["kind"] = forms.ChoiceField(
        label=_("Kind"), choices=PostKind.choices, initial=PostKind.ORGANIC,
        widget=forms.RadioSelect, required=False,
    )


def planning_data(cleaned: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of services.set_planning from a form's cleaned data."""
    return {
        "campaign": cleaned.get("campaign"),
        "labels": list(cleaned.get("labels") or []),
        "kind": cleaned.get("kind") or PostKind.ORGANIC,
    }


def initial_at(value: str | None, workspace: Workspace, tz_name: str | None = None) -> dict:
    """Composer initial values from ?at= (an empty calendar day or slot was clicked).

    `at` is ISO 8601; without an offset it is read in `tz_name` (the viewer's zone, which the
    week view's slots are in) or else the workspace's zone, as the composer's own fields are.
    The result is in the workspace's zone. Anything unreadable is ignored: the composer opens
    as usual."""
    if not value:
        return {}
    from keryx.planner.calendar import zone

    read_in = workspace.timezone
    if tz_name and str(zone(tz_name)) == tz_name:
        read_in = tz_name
    try:
        instant = parse_local_datetime(value[:40], read_in)
    except InvalidLocalTime:
        return {}
    local: datetime = instant.astimezone(zone(workspace.timezone))
    return {
        "when": "later",
        "date": local.date(),
        "time": f"{local:%H:%M}",  # a time input shows seconds when given a time object
    }
