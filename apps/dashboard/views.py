"""The dashboard shell: overview and settings. Thin: parse, call a service or selector, render."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.services import user_set_preferences
from apps.dashboard.access import dashboard_access_required
from apps.dashboard.forms import LanguageForm, ProfileForm
from apps.dashboard.nav import widget_items
from apps.dashboard.selectors import tenant_facts, user_mfa_enabled
from apps.dashboard.services import user_update_profile


def _back(request) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("dashboard:settings")


@dashboard_access_required
def overview(request):
    return render(
        request,
        "dashboard/pages/overview.html",
        {
            "active_nav": "overview",
            "facts": tenant_facts(tenant=request.tenant, role=request.tenant_role),
            "widgets": widget_items(),
        },
    )


def _render_settings(request, *, profile_form=None, language_form=None, status=200):
    user = request.user
    return render(
        request,
        "dashboard/pages/settings.html",
        {
            "active_nav": "settings",
            "profile_form": profile_form or ProfileForm(initial={"full_name": user.full_name}),
            "language_form": language_form or LanguageForm(initial={"language": user.language}),
            "mfa_enabled": user_mfa_enabled(user=user),
        },
        status=status,
    )


@dashboard_access_required
def settings_page(request):
    return _render_settings(request)


@require_POST
@dashboard_access_required
def update_profile(request):
    form = ProfileForm(request.POST)
    if form.is_valid():
        try:
            user_update_profile(user=request.user, full_name=form.cleaned_data["full_name"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Your profile is saved."))
            return redirect("dashboard:settings")
    return _render_settings(request, profile_form=form, status=400)


@require_POST
@dashboard_access_required
def set_language(request):
    form = LanguageForm(request.POST)
    if not form.is_valid():
        return _render_settings(request, language_form=form, status=400)
    user = user_set_preferences(user=request.user, language=form.cleaned_data["language"])
    translation.activate(user.language)  # so the confirmation below is already in the new language
    messages.success(request, _("Language saved."))
    response = redirect("dashboard:settings")
    # Also remembered by the browser, so the sign-in page speaks it after signing out.
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language, samesite="Lax")
    return response


@require_POST
@dashboard_access_required
def set_theme(request):
    try:
        user_set_preferences(user=request.user, theme=request.POST.get("theme", ""))
    except ValidationError as exc:
        return HttpResponse("; ".join(exc.messages), status=400)
    if not request.htmx:  # a plain form post (no JavaScript): back to where the user was
        return redirect(_back(request))
    response = HttpResponse(status=204)
    response["HX-Trigger"] = json.dumps({"theme-changed": request.user.theme})
    return response
