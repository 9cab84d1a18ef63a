"""The inbox's forms: filters, a reply, the triage fields, a note, a moderation rule."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from keryx.inbox.models import CannedReply, Kind, ModerationRule, Status

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
        self.fields["assignee"].choices = ANY + [(0, _("Nobody"))] + [
            (m.user_id, m.user.email) for m in members]


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
                  "only_emoji", "all_caps", "only_mentions", "min_words", "max_words",
                  "new_author", "blocked_author", "spam_above", "offensive_above", "action",
                  "label", "assign_to", "canned"]
        labels = {"name": _("Name"), "priority": _("Priority (lowest first)"),
                  "active": _("Active"), "dry_run": _("Dry run (only log)"),
                  "has_link": _("Has a link"), "has_contact": _("Has an e-mail or phone"),
                  "only_emoji": _("Only emoji"), "all_caps": _("All caps"),
                  "spam_above": _("Spam score above"),
                  "offensive_above": _("Offensive score above"), "action": _("Action"),
                  "label": _("Label"), "only_mentions": _("Only mentions"),
                  "min_words": _("At least this many words"),
                  "max_words": _("At most this many words"),
                  "new_author": _("A new author (their first item)"),
                  "blocked_author": _("A blocked author"),
                  "assign_to": _("Assign to (for “Assign”)"),
                  "canned": _("Canned answer (for “Reply with a canned answer”)")}

    def __init__(self, *args: Any, workspace: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assign_to"].queryset = get_user_model().objects.filter(
            memberships__workspace=workspace).order_by("email")
        self.fields["assign_to"].label_from_instance = lambda user: user.email
        self.fields["canned"].queryset = CannedReply.objects.filter(workspace=workspace)
        self.fields["canned"].label_from_instance = lambda c: f"/{c.code} {c.title}".strip()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        action = data.get("action")
        if action == "assign" and not data.get("assign_to"):
            self.add_error("assign_to", _("Choose whom to assign to."))
        if action == "reply" and not data.get("canned"):
            self.add_error("canned", _("Choose the canned answer to send."))
        if action == "label" and not (data.get("label") or "").strip():
            self.add_error("label", _("Write the label to add."))
        low, high = data.get("min_words"), data.get("max_words")
        if low is not None and high is not None and low > high:
            self.add_error("max_words", _("The maximum is below the minimum."))
        return data

    def save(self, commit: bool = True) -> ModerationRule:
        rule = super().save(commit=False)
        rule.keywords = [k.strip() for k in self.cleaned_data["keywords_text"].split(",")
                         if k.strip()]
        if commit:
            rule.save()
        return rule


class CannedForm(forms.Form):
    code = forms.CharField(label=_("Code (typed as /code)"), max_length=40)
    title = forms.CharField(label=_("Title"), max_length=120, required=False)
    text_el = forms.CharField(label=_("Answer in Greek"), required=False, max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 3}))
    text_en = forms.CharField(label=_("Answer in English"), required=False, max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 3}))


class BlockForm(forms.Form):
    network = forms.CharField(label=_("Network"), max_length=30)
    handle = forms.CharField(label=_("Handle"), max_length=255)
    reason = forms.CharField(label=_("Reason"), max_length=255, required=False)
