"""Sign-in, MFA and sign-out. Served on the platform host and on every tenant host."""

from __future__ import annotations

import math
from urllib.parse import urlencode

from axes.helpers import get_cool_off
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from apps.accounts import mfa
from apps.accounts.forms import LoginForm, TokenForm
from apps.accounts.services import login_lockout_clear


def _safe_next(request, default: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or default
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def _home(request) -> str:
    tenant = getattr(request, "tenant", None)
    if tenant is not None and not tenant.is_public:
        return "/app/"
    user = request.user
    return "/admin/" if user.is_authenticated and user.is_platform_staff else "/api/docs/"


def _with_next(path: str, nxt: str) -> str:
    return f"{path}?{urlencode({'next': nxt})}"


def lockout_response(request, original_response=None, credentials=None):
    """axes' AXES_LOCKOUT_CALLABLE: too many failures for this email from this address."""
    cool_off = get_cool_off(request)
    minutes = max(1, math.ceil(cool_off.total_seconds() / 60)) if cool_off else None
    response = render(request, "accounts/locked_out.html", {"cooloff_minutes": minutes}, status=429)
    if cool_off:
        response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response


@require_http_methods(["GET", "POST"])
def login_view(request):
    form = LoginForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.user
        login(request, user)  # rotates the session key
        nxt = _safe_next(request, _home(request))
        if mfa.user_has_device(user):
            # Users who chose MFA (tier 0) are held at the code step too, not only tiers 1–4.
            request.session[mfa.MFA_PENDING_SESSION_KEY] = True
            return redirect(_with_next("/accounts/verify/", nxt))
        if user.requires_mfa:
            return redirect(_with_next("/accounts/mfa/setup/", nxt))
        return redirect(nxt)
    return render(request, "accounts/login.html", {"form": form, "next": request.GET.get("next", "")})


@login_required
@require_http_methods(["GET", "POST"])
def otp_verify_view(request):
    if request.user.is_verified():
        return redirect(_safe_next(request, _home(request)))
    if not mfa.user_has_device(request.user):
        if not request.user.requires_mfa:  # an optional device was removed meanwhile
            request.session.pop(mfa.MFA_PENDING_SESSION_KEY, None)
            return redirect(_safe_next(request, _home(request)))
        return redirect(_with_next("/accounts/mfa/setup/", _safe_next(request, _home(request))))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = mfa.verify_token(user=request.user, token=form.cleaned_data["token"])
        if device is not None:
            mfa.verify_login(request=request, device=device)
            return redirect(_safe_next(request, _home(request)))
        form.add_error("token", _("That code is not valid, or it was already used."))
    return render(
        request,
        "accounts/otp_verify.html",
        {"form": form, "next": request.GET.get("next", "")},
        status=200 if not form.errors else 400,
    )


@login_required
@require_http_methods(["GET", "POST"])
def mfa_setup_view(request):
    user = request.user
    if mfa.user_has_device(user) and not request.user.is_verified():
        return redirect(_with_next("/accounts/verify/", _safe_next(request, _home(request))))
    device = mfa.totp_pending_device(user=user) if request.method == "POST" else None
    if device is None:
        device = mfa.totp_start_enrolment(user=user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = mfa.totp_confirm_enrolment(request=request, device=device, token=form.cleaned_data["token"])
        if codes is not None:
            return render(
                request, "accounts/backup_codes.html", {"codes": codes, "next": _safe_next(request, _home(request))}
            )
        form.add_error("token", _("That code did not match. Check the time on your phone and try again."))
    return render(
        request,
        "accounts/mfa_setup.html",
        {"form": form, "qr_svg": mfa.totp_qr_svg(device), "secret": _b32(device), "next": request.GET.get("next", "")},
        status=200 if not form.errors else 400,
    )


def _b32(device) -> str:
    import base64

    return base64.b32encode(device.bin_key).decode().rstrip("=")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's view, plus: a new password also lifts a sign-in lockout (the lockout page
    offers a reset as the way out)."""

    def form_valid(self, form):
        response = super().form_valid(form)
        login_lockout_clear(email=form.user.email)
        return response


@require_POST
def logout_view(request):
    logout(request)
    messages.info(request, _("You are signed out."))
    return redirect("/accounts/login/")
