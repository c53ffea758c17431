"""The second step of staff sign-in: the code, setting up an authenticator, and the recovery codes."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlencode

import django_otp
from django.contrib import admin, messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from . import lockouts, second_factor
from .forms import CodeForm

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    class StaffRequest(HttpRequest):
        user: User


SHOWN_ONCE = "accounts.recovery_codes"
CODE_HELP = "The 6-digit code your authenticator app shows now, or one of your recovery codes."
SETUP_HELP = "The 6-digit code your authenticator app shows for this account."


def _next(request: HttpRequest) -> str:
    """Where to go once through: the staff page asked for, if it is one of ours."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(wanted, {request.get_host()}, require_https=request.is_secure()):
        return wanted
    return reverse("admin:index")


def _page(request: HttpRequest, template: str, title: str, **context: object) -> HttpResponse:
    """A page in the admin's frame, without the admin's menus: nothing there opens before the second factor."""
    frame = admin.site.each_context(request) | {"is_nav_sidebar_enabled": False, "available_apps": []}
    return render(request, template, frame | {"title": title, "next": _next(request), **context})


def _signed_in(request: HttpRequest, user: User, device: object, destination: str) -> HttpResponse:
    """Through: a new session key, the device recorded in the session, and this browser and address familiar."""
    request.session.cycle_key()
    django_otp.login(request, device)
    response = redirect(destination)
    lockouts.remember_familiar(request, response, user)
    return response


@never_cache
@sensitive_post_parameters("code")
def verify(request: StaffRequest) -> HttpResponse:
    user = request.user
    if not second_factor.is_staff(user):
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
    if user.is_verified():  # type: ignore[attr-defined]
        return redirect(_next(request))
    if not second_factor.has_authenticator(user):
        return redirect(f"{reverse('accounts:setup')}?{request.GET.urlencode()}")
    form = CodeForm(request.POST or None, help_text=CODE_HELP)
    if form.is_valid():
        check = second_factor.check_code(user, form.cleaned_data["code"])
        if check.device is not None:
            response = _signed_in(request, user, check.device, _next(request))
            if check.recovery_codes_left is not None:
                messages.warning(
                    request,
                    f"You used a recovery code: {check.recovery_codes_left} left. "
                    "Make new ones from the recovery codes page if you are running out.",
                )
            return response
        form.add_error("code", _wrong_code(check.wait))
    return _page(request, "accounts/verify.html", "Enter your sign-in code", form=form)


def _wrong_code(wait: int) -> str:
    if wait > 1:
        return f"That code did not work, and too many have been tried: wait {wait} seconds, then try again."
    return "That code did not work. Check it is the one your app shows for this account now, and try again."


@never_cache
@sensitive_post_parameters("code")
def setup(request: StaffRequest) -> HttpResponse:
    user = request.user
    if not second_factor.is_staff(user):
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
    if second_factor.has_authenticator(user):
        return redirect(f"{reverse('accounts:verify')}?{request.GET.urlencode()}")
    device = second_factor.pending_authenticator(user)
    form = CodeForm(request.POST or None, help_text=SETUP_HELP)
    if form.is_valid():
        codes = second_factor.confirm_authenticator(device, form.cleaned_data["code"])
        if codes is not None:
            shown = f"{reverse('accounts:recovery_codes')}?{urlencode({'next': _next(request)})}"
            response = _signed_in(request, user, device, shown)
            request.session[SHOWN_ONCE] = codes
            return response
        form.add_error("code", _wrong_code(second_factor.wait_before_next(device)))
    return _page(
        request,
        "accounts/setup.html",
        "Set up your second factor",
        form=form,
        qr_code=second_factor.qr_code(device),
        secret=second_factor.secret(device),
    )


@never_cache
def recovery_codes(request: StaffRequest) -> HttpResponse:
    """The recovery codes, shown once, just after they are made (after setup, or on asking for new ones)."""
    user = request.user
    if not second_factor.is_staff(user):
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
    if not user.is_verified():  # type: ignore[attr-defined]
        return redirect(f"{reverse('accounts:verify')}?next={reverse('accounts:recovery_codes')}")
    if request.method == "POST":
        request.session[SHOWN_ONCE] = second_factor.new_recovery_codes(user)
        return redirect(request.get_full_path())
    codes = request.session.pop(SHOWN_ONCE, None)
    return _page(
        request,
        "accounts/recovery_codes.html",
        "Your recovery codes",
        codes=codes,
        left=second_factor.recovery_codes_left(user),
    )
