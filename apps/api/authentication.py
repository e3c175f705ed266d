"""How the partner API knows who is calling: an API key, or a signed-in browser session."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from apps.accounts.services import api_key_authenticate


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer bz_…`. `request.auth` is the ApiKey, which tells views the call
    came with a key rather than a session."""

    keyword = "Bearer"

    def authenticate(self, request):
        try:
            header = authentication.get_authorization_header(request).decode("latin-1")
        except UnicodeError:
            raise exceptions.AuthenticationFailed("The Authorization header is not valid text.") from None
        if not header:
            return None
        parts = header.split()
        # The scheme name is case-insensitive (RFC 9110 §11.1).
        if len(parts) != 2 or parts[0].lower() != self.keyword.lower():
            raise exceptions.AuthenticationFailed("Use the header: Authorization: Bearer <api key>.")
        key = api_key_authenticate(parts[1])
        if key is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
        return key.user, key

    def authenticate_header(self, request):
        return self.keyword


class VerifiedSessionAuthentication(authentication.SessionAuthentication):
    """Session auth (with CSRF) for the interactive docs and the dashboard's sandbox. Users who
    must use MFA (tiers 1–4) need a session verified with their second factor."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        django_user = request._request.user
        if user.requires_mfa and not getattr(django_user, "is_verified", lambda: False)():
            raise exceptions.PermissionDenied("Verify your sign-in with your MFA code first (/accounts/verify/).")
        return result


class ApiKeySchema(OpenApiAuthenticationExtension):
    target_class = "apps.api.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key from `POST /api/v1/api-keys/` or `manage.py create_api_key`.",
        }


class VerifiedSessionSchema(OpenApiAuthenticationExtension):
    target_class = "apps.api.authentication.VerifiedSessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": settings.SESSION_COOKIE_NAME,
            "description": "A signed-in, MFA-verified browser session (send the CSRF token on writes).",
        }
