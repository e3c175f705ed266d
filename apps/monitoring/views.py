"""The tenant's Health page (/app/health/): state, uptime and a latency chart per domain, what the
monitor repaired on its own, and maintenance windows. Thin: selectors and services do the work;
every read is scoped to the request's tenant."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.core.admin_site import add_service_errors
from apps.dashboard.access import dashboard_access_required
from apps.monitoring.charts import latency_chart
from apps.monitoring.forms import MaintenanceWindowForm
from apps.monitoring.selectors import (
    healing_actions_for,
    latency_series,
    maintenance_active_for,
    maintenance_window_get_for,
    maintenance_windows_for,
    tenant_health_overview,
)
from apps.monitoring.services import maintenance_window_create, maintenance_window_end

RANGES = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
# Who may schedule maintenance: the people answerable for the site.
MANAGERS = {"owner", "admin", "partner", "staff"}


def _render(request, *, form=None, status=200):
    tenant = request.tenant
    range_key = request.GET.get("range", "24h")
    if range_key not in RANGES:
        range_key = "24h"
    until = timezone.now()
    since = until - RANGES[range_key]
    rows = tenant_health_overview(tenant=tenant)
    chart_domain = request.GET.get("domain") or None
    if chart_domain not in {r.domain for r in rows}:
        chart_domain = rows[0].domain if rows else None
    series = latency_series(tenant=tenant, since=since, domain=chart_domain) if chart_domain else []
    can_manage = request.tenant_role in MANAGERS
    now = timezone.now()
    return render(
        request,
        "monitoring/pages/health.html",
        {
            "active_nav": "health",
            "rows": rows,
            "chart": latency_chart(series, since=since, until=until),
            "chart_domain": chart_domain,
            "range_key": range_key,
            "ranges": list(RANGES),
            "healing": healing_actions_for(tenant=tenant),
            "maintenance_now": maintenance_active_for(tenant=tenant),
            "windows": maintenance_windows_for(tenant=tenant),
            "can_manage": can_manage,
            "form": form
            or MaintenanceWindowForm(
                initial={
                    "starts_at": now.replace(second=0, microsecond=0),
                    "ends_at": (now + timedelta(hours=1)).replace(second=0, microsecond=0),
                }
            ),
            "now": now,
        },
        status=status,
    )


@dashboard_access_required
def health_page(request):
    return _render(request)


@require_POST
@dashboard_access_required
def maintenance_create(request):
    if request.tenant_role not in MANAGERS:
        return render(request, "dashboard/no_access.html", status=403)
    form = MaintenanceWindowForm(request.POST)
    if form.is_valid():
        try:
            maintenance_window_create(
                tenant=request.tenant,
                starts_at=form.cleaned_data["starts_at"],
                ends_at=form.cleaned_data["ends_at"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Maintenance window scheduled: no alerts and no automatic repairs during it."))
            return redirect("monitoring:health")
    return _render(request, form=form, status=400)


@require_POST
@dashboard_access_required
def maintenance_end(request, window_id: int):
    if request.tenant_role not in MANAGERS:
        return render(request, "dashboard/no_access.html", status=403)
    window = maintenance_window_get_for(tenant=request.tenant, window_id=window_id)
    if window is None:
        raise Http404("No such maintenance window.")
    maintenance_window_end(window=window, actor=request.user)
    messages.success(request, _("Maintenance window ended."))
    return redirect("monitoring:health")
