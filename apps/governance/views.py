"""Governance pages: dismissing a banner (both hosts) and starting “view as” (tenant hosts).
Thin: parse, call a service, render."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from apps.governance.impersonation import impersonation_refusal_for_tenant, impersonation_start
from apps.governance.services import banner_dismiss


def _login_redirect(request):
    return redirect(f"/accounts/login/?{urlencode({'next': request.get_full_path()})}")


@require_POST
def dismiss_banner(request, pk: int):
    """HTMX: answers an empty 200 that swaps the banner away. Without HTMX: back to `next`."""
    if not request.user.is_authenticated:
        return HttpResponse(status=401)
    if not banner_dismiss(user=request.user, banner_id=pk):
        raise Http404("No dismissible banner with this id.")
    if getattr(request, "htmx", False):
        return HttpResponse("")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    return redirect(target)


@require_http_methods(["GET", "POST"])
def view_as(request, user_id: int):
    """On the tenant's own host (so the impersonated session is this host's session, see ADR
    0004): GET asks the support agent to confirm, POST switches the session and opens the
    dashboard."""
    tenant = getattr(request, "tenant", None)
    if tenant is None or tenant.is_public:
        raise Http404("View as starts on the tenant's host.")
    if not request.user.is_authenticated:
        return _login_redirect(request)
    if not request.user.is_platform_staff:
        raise PermissionDenied("Only support staff may view as a user.")
    target = get_user_model().objects.filter(pk=user_id).first()
    if target is None:
        raise Http404("No such user.")
    refusal = impersonation_refusal_for_tenant(hijacker=request.user, hijacked=target, tenant=tenant)
    if request.method == "POST" and refusal is None:
        impersonation_start(request=request, hijacked=target, tenant=tenant)
        return redirect("/app/")
    return render(
        request,
        "governance/pages/view_as.html",
        {"target": target, "tenant": tenant, "refusal": refusal},
        status=403 if refusal else 200,
    )
