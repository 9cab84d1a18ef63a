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


class ConnectFieldsForm(forms.Form):
    """A credential form generated from a network's connect_fields (bot token, webhook URL,
    page id ... and the token fields). With `only_settings`, just the non-secret settings a
    channel connected through OAuth needs (a page, a board)."""

    name = forms.CharField(
        label=_("Channel name"), required=False, max_length=120,
        help_text=_("Defaults to the account's handle."),
    )

    def __init__(self, *args, connect_fields=(), only_settings: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.connect_field_names: list[str] = []
        for spec in connect_fields:
            if only_settings and (spec.store != "settings" or spec.secret):
                continue
            widget = forms.PasswordInput(render_value=False) if spec.secret else None
            self.fields[spec.name] = forms.CharField(
                label=_(spec.label), required=spec.required and not only_settings,
                help_text=_(spec.help) if spec.help else "", widget=widget, max_length=2000,
            )
            self.connect_field_names.append(spec.name)
        # The name goes last, after what the network needs.
        self.fields["name"] = self.fields.pop("name")

    def values(self) -> dict[str, str]:
        return {n: self.cleaned_data.get(n) or "" for n in self.connect_field_names}


class RenameForm(forms.Form):
    name = forms.CharField(label=_("Channel name"), max_length=120)
