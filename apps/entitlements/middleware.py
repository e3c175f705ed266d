"""Edge gating: builds ``request.entitlements`` once per request, before any view runs.

It sits after authentication, OTP and hijack (so impersonation sees what the impersonated user
sees) and costs no SQL in the steady state: one in-process snapshot, a Redis version check at
most once per interval (apps.entitlements.snapshot), and a context made of ids already loaded.
"""

from __future__ import annotations

from apps.entitlements import snapshot
from apps.entitlements.context import Entitlements, _current, context_for


class EntitlementMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        entitlements = Entitlements(
            context_for(user=getattr(request, "user", None), tenant=getattr(request, "tenant", None)),
            snapshot.refresh_if_stale(),
        )
        request.entitlements = entitlements
        token = _current.set(entitlements)
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)
