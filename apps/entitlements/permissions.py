"""DRF gating: a gated API route answers 404 with the API's JSON error body."""

from __future__ import annotations

from rest_framework import exceptions, permissions

from apps.entitlements.context import Entitlements, context_for
from apps.entitlements.decorators import request_entitlements


def api_entitlements(request, view) -> Entitlements:
    """The middleware's entitlements, re-based on the user DRF authenticated (an API key is
    not a session, so the middleware saw an anonymous user) and on the tenant the view names
    (`view.get_entitlement_tenant(request)`, for routes under /tenants/<slug>/)."""
    base = request_entitlements(request._request)
    user = request.user
    tenant = base_tenant = getattr(request._request, "tenant", None)
    if hasattr(view, "get_entitlement_tenant"):
        tenant = view.get_entitlement_tenant(request)
    user_id = user.pk if user is not None and user.is_authenticated else None
    if user_id == base.context.user_id and tenant is base_tenant:
        return base
    return Entitlements(context_for(user=user, tenant=tenant), base.snapshot, base.now)


class FeatureRequired(permissions.BasePermission):
    """`permission_classes = [FeatureRequired, IsPlatformUser]` with `required_feature = "key"`
    on the view, or `FeatureRequired.of("key")`. List it first: then even an unauthenticated
    caller cannot tell an unreleased route from a missing one."""

    feature: str | None = None

    @classmethod
    def of(cls, key: str) -> type[FeatureRequired]:
        return type(f"FeatureRequired[{key}]", (cls,), {"feature": key})

    def has_permission(self, request, view) -> bool:
        key = self.feature or getattr(view, "required_feature", None)
        if not key or not api_entitlements(request, view).is_on(key):
            raise exceptions.NotFound(f"No API endpoint at {request.path}.")
        return True
