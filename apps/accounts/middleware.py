from __future__ import annotations

from urllib.parse import urlencode

from django.shortcuts import redirect
from django.utils import translation

# Paths an authenticated-but-not-yet-verified user may still reach.
MFA_EXEMPT_PREFIXES = ("/accounts/", "/static/", "/healthz", "/readyz", "/api/")


def _protected(request) -> bool:
    """Everything on the platform host but the exempt paths; on a tenant host only the dashboard
    (its public website is public, for signed-in staff as for anyone)."""
    if request.path.startswith(MFA_EXEMPT_PREFIXES):
        return False
    tenant = getattr(request, "tenant", None)
    if tenant is not None and not tenant.is_public:
        return request.path.startswith("/app/")
    return True


class UserPreferencesMiddleware:
    """Activates the user's language, and holds users who must use MFA (tiers 1–4), and users
    who signed in with an optional device, at the verification or enrolment step until their
    session is OTP-verified."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if user.language:
                translation.activate(user.language)
                request.LANGUAGE_CODE = user.language
            from apps.accounts.mfa import MFA_PENDING_SESSION_KEY

            must_verify = user.requires_mfa or request.session.get(MFA_PENDING_SESSION_KEY, False)
            if must_verify and not user.is_verified() and _protected(request):
                from apps.accounts.mfa import user_has_device

                target = "accounts:otp_verify" if user_has_device(user) else "accounts:mfa_setup"
                from django.urls import reverse

                return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
