"""Who may enter a tenant's dashboard: members, its managing partner, support staff."""

from __future__ import annotations

from functools import wraps

from django.shortcuts import redirect, render

from apps.tenancy.selectors import tenant_access_role


def dashboard_access_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect(f"/accounts/login/?next={request.get_full_path()}")
        role = tenant_access_role(user=request.user, tenant=request.tenant)
        if role is None:
            return render(request, "dashboard/no_access.html", status=403)
        request.tenant_role = role
        return view(request, *args, **kwargs)

    return wrapper
