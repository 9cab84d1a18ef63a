"""The inbox's forms: filters, a reply, the triage fields, a note, a moderation rule."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from keryx.inbox.models import Kind, ModerationRule, Status

ANY = [("", _("Any"))]


class FilterForm(forms.Form):
    channel = forms.TypedChoiceField(label=_("Channel"), required=False, coerce=int,
                                     empty_value=None)
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=ANY + Kind.choices)
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("open", _("Open")), ("pending", _("Pending")),
                                        ("done", _("Done")), ("all", _("All"))])
    language = forms.ChoiceField(label=_("Language"), required=False,
                                 choices=ANY + [("el", _("Greek")), ("en", _("English")),
                                                ("und", _("Unknown"))])
    sentiment = forms.ChoiceField(label=_("Sentiment"), required=False,
                                  choices=ANY + [("positive", _("Positive")),
                                                 ("neutral", _("Neutral")),
                                                 ("negative", _("Negative"))])
    label = forms.CharField(label=_("Label"), required=False, max_length=60)
    assignee = forms.TypedChoiceField(label=_("Assigned to"), required=False, coerce=int,
                                      empty_value=None)

    def __init__(self, *args: Any, channels: Any, members: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = ANY + [(c.pk, c.name) for c in channels]
        self.fields["assignee"].choices = ANY + [(m.user_id, m.user.email) for m in members]


class ReplyForm(forms.Form):
    text = forms.CharField(label=_("Reply"), max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 3}))


class TriageForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices)
    assignee = forms.TypedChoiceField(label=_("Assigned to"), required=False, coerce=int,
                                      empty_value=None)
    labels = forms.CharField(label=_("Labels (comma-separated)"), required=False,
                             max_length=500)

    def __init__(self, *args: Any, members: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", _("Nobody"))] + [
            (m.user_id, m.user.email) for m in members]


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Internal note"), max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class RuleForm(forms.ModelForm):
    keywords_text = forms.CharField(label=_("Keywords (comma-separated)"), required=False)

    class Meta:
        model = ModerationRule
        fields = ["name", "priority", "active", "dry_run", "has_link", "has_contact",
                  "only_emoji", "all_caps", "spam_above", "offensive_above", "action", "label"]
        labels = {"name": _("Name"), "priority": _("Priority (lowest first)"),
                  "active": _("Active"), "dry_run": _("Dry run (only log)"),
                  "has_link": _("Has a link"), "has_contact": _("Has an e-mail or phone"),
                  "only_emoji": _("Only emoji"), "all_caps": _("All caps"),
                  "spam_above": _("Spam score above"),
                  "offensive_above": _("Offensive score above"), "action": _("Action"),
                  "label": _("Label")}

    def save(self, commit: bool = True) -> ModerationRule:
        rule = super().save(commit=False)
        rule.keywords = [k.strip() for k in self.cleaned_data["keywords_text"].split(",")
                         if k.strip()]
        if commit:
            rule.save()
        return rule
