"""Workspace forms. The time-zone select lists every IANA zone Python knows."""

from __future__ import annotations

import zoneinfo
from functools import lru_cache

from django import forms
from django.utils.translation import gettext_lazy as _


@lru_cache(maxsize=1)
def timezone_choices() -> list[tuple[str, str]]:
    zones = sorted(z for z in zoneinfo.available_timezones() if "/" in z or z == "UTC")
    return [(z, z.replace("_", " ")) for z in zones]


class TimezoneField(forms.ChoiceField):
    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("label", _("Time zone"))
        super().__init__(choices=timezone_choices, **kwargs)


class WorkspaceForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    timezone = TimezoneField(
        help_text=_("Times you schedule are read in this time zone."), initial="UTC"
    )
