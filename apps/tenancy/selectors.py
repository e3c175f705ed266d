"""Reads for tenants, always scoped to what the asking user may see."""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet

from apps.tenancy.models import Tenant


def tenants_visible_to(*, user) -> QuerySet[Tenant]:
    """Staff (tier >= 2) see every tenant; a partner sees the tenants it manages; anyone else
    sees the tenants they are a member of. The platform's own public tenant is never listed."""
    qs = Tenant.objects.exclude(schema_name="public").select_related("plan", "partner")
    if not user.is_authenticated:
        return qs.none()
    if user.is_platform_staff:
        return qs
    if user.is_partner:
        return qs.filter(partner=user)
    return qs.filter(memberships__user=user)


def tenant_get_visible(*, user, slug: str) -> Tenant | None:
    """The tenant with this slug if the user may see it; None otherwise (callers answer 404,
    so another tenant's existence is not revealed)."""
    return tenants_visible_to(user=user).filter(slug=slug).first()


def tenant_access_role(*, user, tenant: Tenant) -> str | None:
    """How a user reaches a tenant's dashboard: a membership role, 'partner' for its managing
    partner, 'staff' for support tiers; None means no access."""
    from apps.accounts.models import Membership

    if not user.is_authenticated or not user.is_active:
        return None
    if user.is_platform_staff:
        return "staff"
    if user.is_partner and tenant.partner_id == user.pk:
        return "partner"
    return Membership.objects.filter(user=user, tenant=tenant).order_by().values_list("role", flat=True).first()


def tenant_dashboard_url(tenant: Tenant) -> str:
    """Where the tenant's dashboard is served (scheme and port follow the deployment)."""
    scheme = "https" if getattr(settings, "SESSION_COOKIE_SECURE", False) else "http"
    port = f":{settings.PUBLIC_PORT}" if settings.PUBLIC_PORT else ""
    return f"{scheme}://{tenant.slug}.{settings.BASE_DOMAIN}{port}/app/"
