"""Forms for posting schedules and evergreen rules."""

from __future__ import annotations

import re
import zoneinfo
from datetime import time

from django import forms
from django.utils.translation import gettext_lazy as _

from keryx.queues.models import EvergreenUnit, Weekday

_TIME = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)$")


def parse_times(text: str) -> list[time]:
    """'09:00, 13:30 18.15' -> sorted times; raises ValidationError naming a bad entry."""
    found = set()
    for part in re.split(r"[\s,;]+", text.strip()):
        if not part:
            continue
        match = _TIME.match(part)
        if not match:
            raise forms.ValidationError(
                _("%(value)s is not a time; write times like 09:00, 13:30."),
                params={"value": part},
            )
        found.add(time(int(match.group(1)), int(match.group(2))))
    return sorted(found)


class TimesField(forms.CharField):
    def clean(self, value: object) -> list[time]:  # type: ignore[override]
        return parse_times(super().clean(value) or "")


class ScheduleForm(forms.Form):
    timezone = forms.ChoiceField(label=_("Time zone"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = [(z, z) for z in sorted(zoneinfo.available_timezones())]
        for day in Weekday:
            self.fields[f"day_{day.value}"] = TimesField(
                label=day.label, required=False,
                widget=forms.TextInput(attrs={"placeholder": "09:00, 13:30"}),
            )

    def day_fields(self) -> list[forms.BoundField]:
        return [self[f"day_{day.value}"] for day in Weekday]

    def slots(self) -> list[tuple[int, time]]:
        return [
            (day.value, t) for day in Weekday for t in self.cleaned_data[f"day_{day.value}"]
        ]


class EvergreenForm(forms.Form):
    every = forms.IntegerField(label=_("Every"), min_value=1, max_value=365, initial=2)
    unit = forms.ChoiceField(label=_("Unit"), choices=EvergreenUnit.choices,
                             initial=EvergreenUnit.WEEKS)
    until = forms.DateField(label=_("Until"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    max_count = forms.IntegerField(label=_("At most this many times"), min_value=1,
                                   max_value=1000, required=False)

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("until") and not data.get("max_count"):
            raise forms.ValidationError(_("Give an end date or a maximum number of repeats."))
        return data
