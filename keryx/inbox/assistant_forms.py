"""Forms of the assistant's page: its settings, one FAQ entry, the CSV import, the try box."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class SettingsForm(forms.Form):
    enabled = forms.BooleanField(label=_("Assistant on"), required=False)
    always = forms.BooleanField(label=_("Answer during business hours too"), required=False)
    timezone = forms.CharField(label=_("Time zone (empty: the workspace's)"), required=False,
                               max_length=64)
    hours = forms.CharField(label=_("Business hours"), max_length=500,
                            help_text=_("e.g. mon-fri 09:00-17:00; sat 10:00-14:00 — or "
                                        "none: always away"))
    holidays = forms.CharField(label=_("Holidays (dates, e.g. 2026-12-25)"), required=False,
                               max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    threshold = forms.FloatField(label=_("Match threshold"), min_value=0.01, max_value=1.99)
    away_message_el = forms.CharField(label=_("Away message (Greek)"), max_length=2000,
                                      widget=forms.Textarea(attrs={"rows": 2}))
    away_message_en = forms.CharField(label=_("Away message (English)"), max_length=2000,
                                      widget=forms.Textarea(attrs={"rows": 2}))


class FaqEntryForm(forms.Form):
    key = forms.CharField(label=_("Id"), max_length=100)
    questions_el = forms.CharField(label=_("Questions in Greek (one per line)"), required=False,
                                   widget=forms.Textarea(attrs={"rows": 3}))
    questions_en = forms.CharField(label=_("Questions in English (one per line)"),
                                   required=False, widget=forms.Textarea(attrs={"rows": 3}))
    answer_el = forms.CharField(label=_("Answer in Greek"), required=False, max_length=2000,
                                widget=forms.Textarea(attrs={"rows": 3}))
    answer_en = forms.CharField(label=_("Answer in English"), required=False, max_length=2000,
                                widget=forms.Textarea(attrs={"rows": 3}))

    def lines(self, name: str) -> list[str]:
        return [line.strip() for line in self.cleaned_data[name].splitlines() if line.strip()]

    @classmethod
    def initial_for(cls, entry: Any) -> dict[str, str]:
        questions = list(entry.questions.all())
        return {"key": entry.key, "answer_el": entry.answer_el, "answer_en": entry.answer_en,
                **{f"questions_{lang}": "\n".join(q.text for q in questions
                                                   if q.language == lang)
                   for lang in ("el", "en")}}


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file (faq,language,question,answer)"))


class TryForm(forms.Form):
    text = forms.CharField(label=_("Try a message"), max_length=1000)
