"""Connect forms. Secrets are PasswordInputs that never render their value back."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class BlueskyForm(forms.Form):
    handle = forms.CharField(
        label=_("Handle"), max_length=253, help_text=_("For example alice.bsky.social")
    )
    app_password = forms.CharField(
        label=_("App password"),
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Create one in Bluesky under Settings → Privacy and security → App passwords."),
    )
    service = forms.CharField(
        label=_("Server (PDS)"),
        required=False,
        initial="https://bsky.social",
        help_text=_("Leave as is unless your account lives on another server."),
    )
    name = forms.CharField(
        label=_("Channel name"), required=False, max_length=120,
        help_text=_("Defaults to the handle."),
    )


class MastodonForm(forms.Form):
    instance = forms.CharField(
        label=_("Server"), max_length=300, help_text=_("For example mastodon.social")
    )
    access_token = forms.CharField(
        label=_("Access token (optional)"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "Leave empty to sign in on your server. Or paste a token made under Preferences → "
            "Development, with the read and write scopes."
        ),
    )
    name = forms.CharField(
        label=_("Channel name"), required=False, max_length=120,
        help_text=_("Defaults to the handle."),
    )
