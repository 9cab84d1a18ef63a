"""Forms for posting-frequency experiments and channel targets. They only parse; the rules
(overlapping arms, ranges) are in keryx.analytics.experiments and keryx.analytics.benchmarks."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from keryx.analytics.experiments import ArmInput, ExperimentInput
from keryx.analytics.models import Benchmark, Experiment
from keryx.channels.models import Channel
from keryx.core.models import Workspace

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ExperimentForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    channels = forms.ModelMultipleChoiceField(
        label=_("Channels"), queryset=Channel.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple, help_text=_("None chosen: all channels."))
    a_label = forms.CharField(label=_("Name of arm A"), max_length=60, initial="A")
    a_first = forms.DateField(label=_("From"), widget=DATE)
    a_last = forms.DateField(label=_("Until"), widget=DATE)
    a_planned_per_week = forms.FloatField(
        label=_("Planned posts a week per channel"), required=False, min_value=0.1,
        max_value=100)
    b_label = forms.CharField(label=_("Name of arm B"), max_length=60, initial="B")
    b_first = forms.DateField(label=_("From"), widget=DATE)
    b_last = forms.DateField(label=_("Until"), widget=DATE)
    b_planned_per_week = forms.FloatField(
        label=_("Planned posts a week per channel"), required=False, min_value=0.1,
        max_value=100)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(
        attrs={"rows": 3}))

    def __init__(self, workspace: Workspace, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channels"].queryset = Channel.objects.filter(  # type: ignore[attr-defined]
            workspace=workspace).order_by("name")

    @classmethod
    def initial_of(cls, experiment: Experiment) -> dict[str, Any]:
        data: dict[str, Any] = {"name": experiment.name, "notes": experiment.notes,
                                "channels": list(experiment.channels.all())}
        for key in ("a", "b"):
            for part in ("label", "first", "last", "planned_per_week"):
                data[f"{key}_{part}"] = getattr(experiment, f"{key}_{part}")
        return data

    def to_input(self) -> ExperimentInput:
        data = self.cleaned_data

        def arm(key: str) -> ArmInput:
            return ArmInput(data[f"{key}_first"], data[f"{key}_last"], data[f"{key}_label"],
                            data[f"{key}_planned_per_week"])

        return ExperimentInput(data["name"], arm("a"), arm("b"),
                               [c.pk for c in data["channels"]], data["notes"])

    def arms(self) -> list[list[forms.BoundField]]:
        return [[self[f"{key}_{part}"] for part in ("label", "first", "last",
                                                   "planned_per_week")] for key in ("a", "b")]


class TargetsForm(forms.Form):
    """Three optional targets for each of the workspace's channels."""

    def __init__(self, workspace: Workspace, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.channels = list(Channel.objects.filter(workspace=workspace).order_by("name"))
        current = {b.channel_id: b for b in Benchmark.objects.filter(workspace=workspace)}
        for channel in self.channels:
            bench = current.get(channel.pk)
            self.fields[f"rate_{channel.pk}"] = forms.FloatField(
                label=_("Engagement rate by followers (%)"), required=False, min_value=0,
                max_value=1000, initial=bench.engagement_rate if bench else None)
            self.fields[f"posts_{channel.pk}"] = forms.FloatField(
                label=_("Posts a week"), required=False, min_value=0, max_value=500,
                initial=bench.posts_per_week if bench else None)
            self.fields[f"followers_{channel.pk}"] = forms.IntegerField(
                label=_("New followers a month"), required=False,
                initial=bench.followers_per_month if bench else None)
            for kind in ("rate", "posts", "followers"):
                field = self.fields[f"{kind}_{channel.pk}"]
                field.widget.attrs["aria-label"] = f"{channel.name}: {field.label}"

    def rows(self) -> list[tuple[Channel, list[forms.BoundField]]]:
        return [(c, [self[f"{kind}_{c.pk}"] for kind in ("rate", "posts", "followers")])
                for c in self.channels]
