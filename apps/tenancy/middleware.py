"""Host -> tenant routing and tenant status gates."""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connection
from django.http import HttpResponseNotFound
from django.shortcuts import render
from django_tenants.middleware.main import TenantMainMiddleware

from apps.tenancy.models import Tenant

# Schema-qualified, so it reads the same whatever search path the pooled connection has.
TENANT_BY_HOST_SQL = (
    "SELECT t.* FROM public.tenancy_tenant t JOIN public.tenancy_domain d ON d.tenant_id = t.id WHERE d.domain = %s"
)


@contextmanager
def _search_path_untouched():
    """Run a query without django-tenants first issuing `SET search_path` for the previous
    schema: the lookup below names its schema, so the request's only SET is its tenant's."""
    previous = connection._setting_search_path
    connection._setting_search_path = True
    try:
        yield
    finally:
        connection._setting_search_path = previous


class TenantMiddleware(TenantMainMiddleware):
    """django-tenants' host routing with two changes:

    * the host -> tenant lookup is one schema-qualified query that does not depend on the
      connection's search path, so a request issues exactly one `SET search_path` — the one
      for its own tenant (django-tenants would set `public` first, then the tenant);
    * an unknown host gets a clear 404 page instead of an exception.
    """

    def process_request(self, request):
        try:
            hostname = self.hostname_from_request(request)
        except Exception:
            return HttpResponseNotFound("Unknown host.", content_type="text/plain")
        with _search_path_untouched():
            found = list(Tenant.objects.raw(TENANT_BY_HOST_SQL, [hostname]))
        if not found:
            return render(request, "tenancy/unknown_host.html", {"hostname": hostname}, status=404)
        tenant = found[0]
        tenant.domain_url = hostname
        request.tenant = tenant
        connection.set_tenant(tenant)
        self.setup_url_routing(request)
        return None


SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# Everything else on a tenant host is its public website (apps.cms), whose visitors must not
# see the account's status or its reason.
NON_SITE_PREFIXES = ("/app/", "/accounts/", "/i18n/", "/api/")


class TenantStatusMiddleware:
    """Suspended tenants: the dashboard shows a 'suspended' page (423), data untouched; the
    public website a neutral "temporarily unavailable" page (423).
    Archived tenants: readable, every write refused (423). Panicked tenants (emergency stop,
    apps.governance): every write but signing in and out refused (423)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tenant = getattr(request, "tenant", None)
        if tenant is None or tenant.is_public:
            return self.get_response(request)
        path = request.path
        exempt = path.startswith(("/static/", "/accounts/logout"))
        if not exempt and tenant.status == tenant.Status.SUSPENDED:
            if not path.startswith(NON_SITE_PREFIXES):  # the public website: a neutral page for visitors
                return render(request, "site/unavailable.html", status=423)
            return render(request, "tenancy/suspended.html", {"tenant": tenant}, status=423)
        writes_blocked = tenant.status == tenant.Status.ARCHIVED and request.method not in SAFE_METHODS
        if not exempt and writes_blocked and not path.startswith("/accounts/"):
            return render(request, "tenancy/archived.html", {"tenant": tenant}, status=423)
        if request.method not in SAFE_METHODS:  # emergency stop (M21): writes refused, 423
            from apps.governance.middleware import panic_refusal

            refusal = panic_refusal(request, tenant)
            if refusal is not None:
                return refusal
        return self.get_response(request)
