"""The Alert Preferences page under the dashboard's settings (/app/settings/alerts/). Thin: parse,
call a service or selector, render. Preferences belong to the user, so they follow them to every
business they work with."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from apps.alerts.forms import AlertPreferenceForm
from apps.alerts.models import Delivery
from apps.alerts.selectors import alert_preference_for, deliveries_recent_for, delivery_get_for
from apps.alerts.services import alert_preference_update, alert_send_test, delivery_retry_now
from apps.audit.services import client_ip
from apps.core.admin_site import add_service_errors
from apps.dashboard.access import dashboard_access_required

PENDING = {Delivery.Status.QUEUED, Delivery.Status.SENDING, Delivery.Status.RETRYING}


def _deliveries_context(request) -> dict:
    deliveries = deliveries_recent_for(user=request.user)
    # Keep refreshing while something is on its way (instant ones; digests wait for their hour).
    polling = any(d.status in PENDING and not d.digest for d in deliveries)
    return {"deliveries": deliveries, "polling": polling}


def _partial(request, *, note: str = "", warning: bool = False):
    return render(
        request, "alerts/partials/deliveries.html", {**_deliveries_context(request), "note": note, "warning": warning}
    )


def _render(request, *, form=None, status=200):
    pref = alert_preference_for(user=request.user)
    return render(
        request,
        "alerts/pages/preferences.html",
        {
            "active_nav": "settings",
            "form": form or AlertPreferenceForm.for_preference(pref),
            "pref": pref,
            "has_chat_id": pref.telegram_chat_id is not None,
            "has_webhook": pref.discord_webhook_url is not None,
            "telegram_configured": bool(settings.TELEGRAM_BOT_TOKEN),
            **_deliveries_context(request),
        },
        status=status,
    )


@dashboard_access_required
def preferences_page(request):
    if request.method != "POST":
        return _render(request)
    form = AlertPreferenceForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            alert_preference_update(user=request.user, **data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Your alert preferences are saved."))
            return redirect("alerts:preferences")
    return _render(request, form=form, status=400)


@require_POST
@dashboard_access_required
def send_test(request):
    pref = alert_preference_for(user=request.user)
    if not pref.channels():
        note = _("Turn on at least one channel first.")
        if request.htmx:  # htmx swaps only 2xx answers: a refusal is shown as a warning note
            return _partial(request, note=note, warning=True)
        messages.error(request, note)
        return redirect("alerts:preferences")
    try:
        alert_send_test(user=request.user, tenant=request.tenant)
    except ValidationError as exc:
        note = " ".join(exc.messages)
        if request.htmx:
            return _partial(request, note=note, warning=True)
        messages.error(request, note)
        return redirect("alerts:preferences")
    note = _("Test alert queued to: %(channels)s.") % {"channels": ", ".join(pref.channels())}
    if request.htmx:
        return _partial(request, note=note)
    messages.success(request, note)
    return redirect("alerts:preferences")


@require_GET
@dashboard_access_required
def deliveries_partial(request):
    return render(request, "alerts/partials/deliveries.html", _deliveries_context(request))


@require_POST
@dashboard_access_required
def retry_delivery(request, delivery_id: int):
    delivery = delivery_get_for(user=request.user, delivery_id=delivery_id)
    if delivery is None:
        raise Http404("No such delivery.")
    try:
        delivery_retry_now(delivery=delivery, actor=request.user, ip=client_ip(request))
    except ValidationError as exc:
        note = " ".join(exc.messages)
    else:
        note = _("Sending again.")
    if request.htmx:
        return _partial(request, note=note)
    messages.info(request, note)
    return redirect("alerts:preferences")
