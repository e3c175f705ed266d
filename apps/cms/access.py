"""Who may do what in the site editor (one place; the views only ask).

Everyone who gets into the tenant's dashboard (apps.dashboard.access) may read the editor.
Editing is for the tenant's owners and admins, its managing partner, and BizOSaaS support staff
(tier >= 2, MFA-verified): that is the staff path to a tenant's content, since tenant-schema
models are not admin models on the platform host. Members and viewers read only.
The whole editor is behind the entitlement `site` (404 when it is off for the tenant).
"""

from __future__ import annotations

from functools import wraps

from django.shortcuts import render

from apps.cms.services import SITE_FEATURE
from apps.dashboard.access import dashboard_access_required
from apps.entitlements.decorators import feature_required

EDITOR_ROLES = frozenset({"owner", "admin", "partner", "staff"})


def site_role_can_edit(role: str | None) -> bool:
    return role in EDITOR_ROLES


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def site_view():
    """Dashboard access, then the `site` feature; every write (POST…) needs an editor role and
    is refused with 403 otherwise, so a read-only member can open every page but change nothing."""

    def decorator(view):
        @wraps(view)
        def inner(request, *args, **kwargs):
            request.site_can_edit = site_role_can_edit(request.tenant_role)
            if request.method not in SAFE_METHODS and not request.site_can_edit:
                return render(request, "cms/pages/read_only.html", {"active_nav": "site"}, status=403)
            return view(request, *args, **kwargs)

        return dashboard_access_required(feature_required(SITE_FEATURE)(inner))

    return decorator
