from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from keryx.approvals.models import Workflow
from keryx.core.audit import ACTIONS
from keryx.core.models import Membership, Workspace
from keryx.core.permissions import Action, allowed_roles
from keryx.publishing.forms import WhenMixin


class NewTimeForm(WhenMixin):
    """An optional new time on approval (needed when the post's own time has passed)."""

    comment = forms.CharField(label=_("Comment"), required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, workspace: Workspace, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.workspace = workspace

    def clean(self) -> dict:
        data = super().clean()
        self._clean_when(required=False)
        return data


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("What needs changing"), max_length=5000,
                             widget=forms.Textarea(attrs={"rows": 3}))


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Comment"), max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("Mention someone with @name")}),
    )


class EditForm(forms.Form):
    text = forms.CharField(label=_("Text"), required=False,
                           widget=forms.Textarea(attrs={"rows": 5}))


class PolicyForm(forms.Form):
    workflow = forms.ChoiceField(label=_("Approval workflow"), choices=Workflow.choices,
                                 widget=forms.RadioSelect)
    approvers = forms.ModelMultipleChoiceField(
        label=_("Named approvers"), queryset=Membership.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Used by the named workflow: each of them must approve every post."),
    )

    def __init__(self, *args: Any, workspace: Workspace, **kw: Any) -> None:
        super().__init__(*args, **kw)
        field = self.fields["approvers"]
        field.queryset = (
            Membership.objects.filter(workspace=workspace,
                                      role__in=allowed_roles(Action.APPROVE))
            .select_related("user")
            .order_by("user__email")
        )
        field.label_from_instance = lambda m: f"{m.user.email} ({m.get_role_display()})"


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), required=False)
    actor = forms.CharField(label=_("Who"), required=False, max_length=150)
    since = forms.DateField(label=_("From"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("Until"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["action"].choices = [("", _("Any")), *ACTIONS.items()]
