"""Password reset, two-factor sign-in and enrolment, sign out everywhere, the workspace's
two-factor requirement. Thin: the rules live in keryx.accounts.twofactor and services."""

from __future__ import annotations

import time
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from keryx.accounts import services, throttle, twofactor
from keryx.accounts.forms import CodeForm, KeryxPasswordResetForm
from keryx.accounts.language import apply_language
from keryx.accounts.signin_guard import locked_response
from keryx.core import audit
from keryx.core.web import workspace_view

PENDING_KEY = "keryx_2fa_pending"
PENDING_SECONDS = 300


# ---------------------------------------------------------------------------------------------
# Second step of sign-in
# ---------------------------------------------------------------------------------------------


def start_second_step(request: HttpRequest, user: Any, next_url: str) -> HttpResponse:
    """The password was right; the session is not signed in until the code is."""
    request.session.cycle_key()
    request.session[PENDING_KEY] = {"user": user.pk, "backend": user.backend,
                                    "at": time.time(), "next": next_url}
    return redirect("login_code")


def _pending_user(request: HttpRequest) -> tuple[Any, dict[str, Any]] | None:
    pending = request.session.get(PENDING_KEY)
    if not pending or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None
    user = get_user_model().objects.filter(pk=pending["user"], is_active=True).first()
    return (user, pending) if user else None


def login_code(request: HttpRequest) -> HttpResponse:
    found = _pending_user(request)
    if found is None:
        messages.info(request, _("Sign in with your password first."))
        return redirect("login")
    user, pending = found
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        how, wait = twofactor.check_code(user, form.cleaned_data["code"],
                                         throttle.client_address(request))
        if how:
            del request.session[PENDING_KEY]
            login(request, user, backend=pending["backend"])
            if how == "recovery":
                messages.warning(request, _(
                    "You signed in with a recovery code; %(n)d left. Make new ones on the "
                    "two-factor page if you are running out.")
                    % {"n": twofactor.recovery_codes_left(user)})
            language = services.profile_of(user).language
            response = redirect(pending.get("next") or reverse("dashboard"))
            return apply_language(request, response, language) if language else response
        if wait:
            request.session.pop(PENDING_KEY, None)
            return locked_response(request, wait)
        form.add_error("code", _("That code is not right."))
    return render(request, "accounts/login_code.html", {"form": form})


# ---------------------------------------------------------------------------------------------
# Enrolment
# ---------------------------------------------------------------------------------------------


@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    user = request.user
    context: dict[str, Any] = {"form": CodeForm(), "recovery_codes": None}
    step = request.POST.get("step", "") if request.method == "POST" else ""
    try:
        if step == "start":
            twofactor.start_enrolment(user)
        elif step in {"confirm", "disable", "regenerate"}:
            form = CodeForm(request.POST)
            context["form"] = form
            if form.is_valid():
                code = form.cleaned_data["code"]
                if step == "confirm":
                    context["recovery_codes"] = twofactor.confirm_enrolment(user, code)
                    messages.success(request, _("Two-factor sign-in is on."))
                elif step == "disable":
                    twofactor.disable(user, code)
                    messages.success(request, _("Two-factor sign-in is off."))
                elif twofactor.verify(user, code):
                    context["recovery_codes"] = twofactor.new_recovery_codes(user)
                else:
                    form.add_error("code", _("That code is not right."))
    except ValidationError as exc:
        context["form"].add_error("code", exc)
    enabled = twofactor.is_enabled(user)
    secret = None if enabled else twofactor.pending_secret(user)
    context.update({
        "enabled": enabled,
        "secret": secret,
        "uri": twofactor.provisioning_uri(user, secret) if secret else "",
        "codes_left": twofactor.recovery_codes_left(user) if enabled else 0,
    })
    response = render(request, "accounts/two_factor.html", context)
    response["Cache-Control"] = "no-store"  # secrets and recovery codes
    return response


# ---------------------------------------------------------------------------------------------
# Sign out everywhere
# ---------------------------------------------------------------------------------------------


@require_POST
@login_required
def sign_out_everywhere(request: HttpRequest) -> HttpResponse:
    if request.POST.get("everywhere") != "1":
        return redirect("preferences")
    user = request.user
    ended = services.sign_out_everywhere(user)
    logout(request)
    messages.success(request, _("Signed out of %(n)d sessions, this one included.") % {"n": ended})
    return redirect("login")


# ---------------------------------------------------------------------------------------------
# The workspace's requirement
# ---------------------------------------------------------------------------------------------


@require_POST
@workspace_view()
def workspace_two_factor(request: HttpRequest) -> HttpResponse:
    try:
        twofactor.set_requirement(request.membership, request.POST.get("require") == "1")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionDenied:
        raise
    else:
        messages.success(request, _("Saved."))
    return redirect("members")


# ---------------------------------------------------------------------------------------------
# Password reset (Django's views and token generator; our templates, throttle and audit)
# ---------------------------------------------------------------------------------------------


class PasswordResetView(auth_views.PasswordResetView):
    form_class = KeryxPasswordResetForm
    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Every request counts (a right address too: each one sends a mail), by address and by
        # the address asked for, with the sign-in limits.
        account = "reset:" + request.POST.get("email", "")
        address = throttle.client_address(request)
        by_account, by_address = throttle.signin_account_limit(), throttle.signin_address_limit()
        wait = max(throttle.retry_after(by_account, account),
                   throttle.retry_after(by_address, "reset:" + address))
        if wait:
            return locked_response(request, wait)
        throttle.record_failure(by_account, account)
        throttle.record_failure(by_address, "reset:" + address)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: KeryxPasswordResetForm) -> HttpResponse:
        for user in form.get_users(form.cleaned_data["email"]):
            audit.record(None, "account.password_reset_requested", actor=user,
                         summary=user.email, address=throttle.client_address(self.request))
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> HttpResponse:
        # A wrong, used or expired link is "not found", like every other capability link.
        if not context.get("validlink"):
            kwargs["status"] = 404
        return super().render_to_response(context, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        audit.record(None, "account.password_reset", actor=self.user, summary=self.user.email)
        # The new password invalidates every other session (Django's session auth hash).
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"
