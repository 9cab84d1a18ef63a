"""Sign-in, preferences, members and invitations, personal API tokens. Thin: rules live in
keryx.accounts.services."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from keryx.accounts import services, twofactor
from keryx.accounts.forms import (
    EmailAuthenticationForm,
    InviteForm,
    PreferencesForm,
    RoleForm,
    SignUpForm,
    TokenForm,
)
from keryx.accounts.language import apply_language
from keryx.accounts.models import Invitation
from keryx.core.models import Membership, Role
from keryx.core.permissions import Action, can
from keryx.core.web import safe_next, switch_workspace, workspace_view


class SignInView(LoginView):
    template_name = "accounts/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form: EmailAuthenticationForm) -> HttpResponse:
        user = form.get_user()
        if twofactor.is_enabled(user):
            from keryx.accounts.security_views import start_second_step

            return start_second_step(self.request, user, self.get_success_url())
        response = super().form_valid(form)
        language = services.profile_of(self.request.user).language
        return apply_language(self.request, response, language) if language else response


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    language = request.POST.get("language", "")
    response = redirect(safe_next(request, reverse("dashboard")))
    if language in dict(settings.LANGUAGES) and request.user.is_authenticated:
        services.set_preferences(request.user, language=language)
    return apply_language(request, response, language)


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    profile = services.profile_of(request.user)
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            services.set_preferences(
                request.user,
                language=form.cleaned_data["language"],
                tz=form.cleaned_data["timezone"],
            )
            response = redirect("preferences")
            messages.success(request, _("Your preferences are saved."))
            return apply_language(request, response, form.cleaned_data["language"])
    else:
        form = PreferencesForm(
            initial={
                "language": profile.language or translation.get_language(),
                "timezone": profile.timezone,
            }
        )
    return render(request, "accounts/preferences.html", {"form": form})


# ---------------------------------------------------------------------------------------------
# Members
# ---------------------------------------------------------------------------------------------


@workspace_view()
def members(request: HttpRequest) -> HttpResponse:
    membership: Membership = request.membership
    can_manage = can(membership, Action.MANAGE_MEMBERS)
    rows = (
        Membership.objects.filter(workspace=membership.workspace)
        .select_related("user")
        .order_by("user__email")
    )
    invitations = Invitation.objects.filter(
        workspace=membership.workspace, accepted_at__isnull=True
    ).order_by("-created_at")
    new_link = None
    invite_form = InviteForm()
    if request.method == "POST":
        invite_form = InviteForm(request.POST)
        if invite_form.is_valid():
            try:
                invitation = services.invite(
                    actor=membership,
                    email=invite_form.cleaned_data["email"],
                    role=invite_form.cleaned_data["role"],
                )
            except ValidationError as exc:
                invite_form.add_error("email", exc)
            else:
                new_link = _invite_link(request, invitation)
                messages.success(
                    request,
                    _("Invitation e-mailed to %(email)s. The link is below too.")
                    % {"email": invitation.email},
                )
                invite_form = InviteForm()
    return render(
        request,
        "accounts/members.html",
        {
            "rows": rows,
            "invitations": [(i, _invite_link(request, i)) for i in invitations]
            if can_manage
            else [],
            "invite_form": invite_form,
            "can_manage": can_manage,
            "is_owner": membership.role == Role.OWNER,
            "requires_two_factor": twofactor.workspace_requires(membership.workspace_id),
            "new_link": new_link,
            "roles": Role.choices,
        },
    )


def _invite_link(request: HttpRequest, invitation: Invitation) -> str:
    return request.build_absolute_uri(reverse("accept_invitation", args=[invitation.token]))


@require_POST
@workspace_view()
def member_role(request: HttpRequest, membership_id: int) -> HttpResponse:
    form = RoleForm(request.POST)
    if form.is_valid():
        try:
            services.change_role(
                actor=request.membership,
                membership_id=membership_id,
                role=form.cleaned_data["role"],
            )
            messages.success(request, _("Role changed."))
        except Membership.DoesNotExist:
            return _not_found()
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    return redirect("members")


@require_POST
@workspace_view()
def member_remove(request: HttpRequest, membership_id: int) -> HttpResponse:
    try:
        services.remove_member(actor=request.membership, membership_id=membership_id)
        messages.success(request, _("Member removed."))
    except Membership.DoesNotExist:
        return _not_found()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("members")


@require_POST
@workspace_view()
def invitation_revoke(request: HttpRequest, invitation_id: int) -> HttpResponse:
    services.revoke_invitation(actor=request.membership, invitation_id=invitation_id)
    messages.success(request, _("Invitation withdrawn."))
    return redirect("members")


def _not_found() -> HttpResponse:
    raise Http404


def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Signed in: join. Not signed in: new people choose a password; known people sign in."""
    invitation = services.open_invitation(token)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    has_account = get_user_model().objects.filter(email__iexact=invitation.email).exists()
    form = SignUpForm()
    error = ""
    if request.method == "POST":
        try:
            if request.user.is_authenticated:
                joined = services.accept_invitation(invitation, request.user)
            elif has_account:
                return redirect(f"{reverse('login')}?next={request.path}")
            else:
                form = SignUpForm(request.POST)
                if not form.is_valid():
                    raise _FormInvalid
                user, joined = services.sign_up_and_accept(
                    invitation, form.cleaned_data["password1"]
                )
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        except services.InvitationError as exc:
            error = str(exc)
        except _FormInvalid:
            pass
        else:
            switch_workspace(request, joined)
            messages.success(
                request, _("Welcome to %(workspace)s.") % {"workspace": joined.workspace.name}
            )
            return redirect("dashboard")
    return render(
        request,
        "accounts/accept.html",
        {"invitation": invitation, "form": form, "has_account": has_account, "error": error},
    )


class _FormInvalid(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# API tokens (personal: they act as the user in every workspace the user belongs to)
# ---------------------------------------------------------------------------------------------


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    form = TokenForm()
    raw_token = None
    if request.method == "POST":
        form = TokenForm(request.POST)
        if form.is_valid():
            try:
                _token, raw_token = services.issue_token(
                    request.user, form.cleaned_data["name"], scope=form.cleaned_data["scope"],
                    expires_in_days=form.cleaned_data["expires_in_days"])
                form = TokenForm()
            except ValidationError as exc:
                form.add_error("name", exc)
    response = render(
        request,
        "accounts/tokens.html",
        {"form": form, "tokens": services.active_tokens(request.user), "raw_token": raw_token,
         "now": timezone.now()},
    )
    if raw_token:
        # The one page that shows a secret: keep it out of every cache.
        response["Cache-Control"] = "no-store"
    return response


@require_POST
@login_required
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    if services.revoke_token(request.user, token_id):
        messages.success(request, _("Token revoked. Programs using it can no longer sign in."))
    return redirect("tokens")

