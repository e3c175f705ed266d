from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from apps.accounts.services import user_set_preferences
from apps.dashboard.access import dashboard_access_required


@dashboard_access_required
def overview(request):
    return render(request, "dashboard/pages/overview.html", {"active_nav": "overview"})


@dashboard_access_required
def settings_page(request):
    return render(request, "dashboard/pages/settings.html", {"active_nav": "settings"})


@require_POST
@dashboard_access_required
def set_theme(request):
    try:
        user_set_preferences(user=request.user, theme=request.POST.get("theme", ""))
    except ValidationError as exc:
        return HttpResponse("; ".join(exc.messages), status=400)
    response = HttpResponse(status=204)
    response["HX-Trigger"] = '{"theme-changed": "%s"}' % request.user.theme
    return response
