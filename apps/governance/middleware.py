"""The kill switch at the dashboard's door: called by apps.tenancy.middleware.TenantStatusMiddleware
for every write (POST, PUT, PATCH, DELETE) on a tenant host."""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import render

from apps.governance.panic import panic_for_tenant

# Still allowed while panicked: signing in and out, dismissing a banner, stopping "view as"
# (all under /accounts/), and support starting "view as" to look at the tenant.
PANIC_EXEMPT_PREFIXES = ("/accounts/", "/static/", "/app/support/")


def panic_refusal(request, tenant):
    """A 423 response if this write must be refused because the tenant (or the fleet) is
    panicked; None otherwise. One Redis GET, no SQL."""
    if request.path.startswith(PANIC_EXEMPT_PREFIXES):
        return None
    panic = panic_for_tenant(tenant)
    if panic is None:
        return None
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse(
            {"error": "locked", "message": f"Tenant “{tenant.slug}” is paused by an emergency stop.", "fields": {}},
            status=423,
        )
    return render(request, "governance/pages/panicked.html", {"tenant": tenant, "panic": panic}, status=423)
