"""Upload and export forms."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from keryx.bulk.models import ImportFormat
from keryx.bulk.parsing import DATE_FORMATS
from keryx.channels.models import Channel
from keryx.core.models import Workspace


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"))
    format = forms.ChoiceField(label=_("Format"), choices=ImportFormat.choices,
                               initial=ImportFormat.KERYX, widget=forms.RadioSelect)
    date_format = forms.ChoiceField(
        label=_("Dates in column A"), choices=[(k, k) for k in DATE_FORMATS],
        initial="dd/mm/yyyy", help_text=_("Hootsuite files only; times are 24-hour."),
    )
    channels = forms.ModelMultipleChoiceField(
        label=_("Channels"), queryset=Channel.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Hootsuite files: where every row goes. Keryx files: for rows that name "
                    "no channel."),
    )

    def __init__(self, *args: object, workspace: Workspace, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channels"].queryset = Channel.objects.filter(workspace=workspace)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("format") == ImportFormat.HOOTSUITE and not data.get("channels"):
            self.add_error("channels", _("Choose the channels to schedule the Hootsuite file to."))
        return data


class ExportForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Until"), required=False,
                          widget=forms.DateInput(attrs={"type": "date"}))
    channels = forms.ModelMultipleChoiceField(
        label=_("Channels"), queryset=Channel.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple, help_text=_("None chosen: all channels."),
    )

    def __init__(self, *args: object, workspace: Workspace, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channels"].queryset = Channel.objects.filter(workspace=workspace)
