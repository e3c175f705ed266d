from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from apps.accounts.services import api_key_authenticate


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer bz_…`. Users who must use MFA need an enrolled device before a key works."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        parts = header.split()
        if len(parts) != 2 or parts[0] != self.keyword:
            raise exceptions.AuthenticationFailed("Use the header: Authorization: Bearer <api key>.")
        key = api_key_authenticate(parts[1])
        if key is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
        user = key.user
        if user.requires_mfa:
            from apps.accounts.mfa import user_has_device

            if not user_has_device(user):
                raise exceptions.PermissionDenied("Enrol an MFA device before using the API.")
        return user, key

    def authenticate_header(self, request):
        return self.keyword


class VerifiedSessionAuthentication(authentication.SessionAuthentication):
    """Session auth (with CSRF) for the interactive docs; MFA-bound users need a verified session."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        if user.requires_mfa and not getattr(request._request.user, "is_verified", lambda: False)():
            raise exceptions.PermissionDenied("Verify your sign-in with your MFA code first.")
        return result


class ApiKeySchema(OpenApiAuthenticationExtension):
    target_class = "apps.api.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "A key from `manage.py create_api_key`."}
