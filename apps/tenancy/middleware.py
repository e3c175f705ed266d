"""Host -> tenant routing and tenant status gates."""

from __future__ import annotations

from django.db import connection
from django.http import HttpResponseNotFound
from django.shortcuts import render
from django_tenants.middleware.main import TenantMainMiddleware
from django_tenants.utils import get_tenant_domain_model


class TenantMiddleware(TenantMainMiddleware):
    """django-tenants' host routing with two changes:

    * the domain lookup runs on whatever search path the pooled connection already has (every
      tenant search path ends in `public`, where domains live), so a request issues exactly one
      `SET search_path` — the one for its own tenant;
    * an unknown host gets a clear 404 page instead of an exception.
    """

    def process_request(self, request):
        try:
            hostname = self.hostname_from_request(request)
        except Exception:
            return HttpResponseNotFound("Unknown host.", content_type="text/plain")
        domain_model = get_tenant_domain_model()
        try:
            tenant = domain_model.objects.select_related("tenant", "tenant__plan").get(domain=hostname).tenant
        except domain_model.DoesNotExist:
            response = render(request, "tenancy/unknown_host.html", {"hostname": hostname}, status=404)
            return response
        tenant.domain_url = hostname
        request.tenant = tenant
        connection.set_tenant(tenant)
        self.setup_url_routing(request)
        return None


SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class TenantStatusMiddleware:
    """Suspended tenants: the dashboard shows a 'suspended' page (423), data untouched.
    Archived tenants: readable, every write refused (423)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tenant = getattr(request, "tenant", None)
        if tenant is None or tenant.is_public:
            return self.get_response(request)
        path = request.path
        exempt = path.startswith(("/static/", "/accounts/logout"))
        if not exempt and tenant.status == tenant.Status.SUSPENDED:
            return render(request, "tenancy/suspended.html", {"tenant": tenant}, status=423)
        if not exempt and tenant.status == tenant.Status.ARCHIVED and request.method not in SAFE_METHODS:
            if not path.startswith("/accounts/"):
                return render(request, "tenancy/archived.html", {"tenant": tenant}, status=423)
        return self.get_response(request)
