"""Public sign-up pages on the platform host. Thin: parse, call a service or selector, render.

/signup/                      the lead form → Stripe Checkout (or the progress page)
/signup/return/?session_id=   where Stripe sends the customer back; progress with HTMX polling
/signup/resume/<token>/       the same progress page from the emailed resume link
/signup/webhook/stripe/       Stripe's webhook (signature verified, CSRF-exempt)
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.core.admin_site import add_service_errors
from apps.onboarding import selectors, services
from apps.onboarding.forms import SignupForm
from apps.onboarding.stripe_client import SignatureError

log = logging.getLogger(__name__)

SESSION_KEY = "onboarding_resume_token"
RECONCILE_EVERY_SECONDS = 10
# Sign-ups one address may start per hour: each sends an email, so the form must not be a relay.
SIGNUPS_PER_HOUR = 20


def _not_found(request, message: str):
    return render(request, "onboarding/pages/not_found.html", {"message": message}, status=404)


def _go_to_payment(request, onboarding, token: str):
    """Send the customer to Stripe Checkout, or back to the progress page with the reason."""
    resume = reverse("onboarding:resume", args=[token])
    if not services.payments_configured():
        return redirect(resume)
    try:
        url = services.checkout_create(onboarding=onboarding, trigger="user")
    except services.StepFailed:
        messages.error(request, _("We could not open the payment page. Please try again in a moment."))
        return redirect(resume)
    return HttpResponseRedirect(url) if url else redirect(resume)


@require_http_methods(["GET", "POST"])
def signup(request):
    crm_import = services.crm_importer() is not None
    posted = request.method == "POST"
    form = SignupForm(request.POST if posted else None, request.FILES if posted else None, crm_import=crm_import)
    if posted and form.is_valid() and _rate_limited(request):
        form.add_error(None, _("Too many sign-ups from your network in the last hour. Please try again later."))
        return render(request, "onboarding/pages/signup.html", _signup_context(form), status=429)
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            started = services.onboarding_start(
                business_name=data["business_name"],
                industry=data["industry"],
                email=data["email"],
                plan=data["plan"],
                slug=data.get("slug", ""),
                crm_csv=data.get("contacts_csv", ""),
            )
        except ValidationError as exc:
            add_service_errors(form, exc, {"crm_csv": "contacts_csv"})
        else:
            request.session[SESSION_KEY] = started.resume_token
            return _go_to_payment(request, started.onboarding, started.resume_token)
    return render(request, "onboarding/pages/signup.html", _signup_context(form), status=400 if form.errors else 200)


def _signup_context(form) -> dict:
    return {
        "form": form,
        "payments_configured": services.payments_configured(),
        "simulation_allowed": services.simulation_allowed(),
    }


def _rate_limited(request) -> bool:
    key = f"onboarding:signups:{request.META.get('REMOTE_ADDR', '')}"
    cache.add(key, 0, 3600)
    try:
        return cache.incr(key) > SIGNUPS_PER_HOUR
    except ValueError:  # expired between add and incr
        return False


def _remembered_token(request, onboarding) -> str:
    """The resume token this browser was given for this onboarding, if any."""
    remembered = request.session.get(SESSION_KEY, "")
    if remembered and services.token_digest(remembered) == onboarding.resume_token_digest:
        return remembered
    return ""


def _progress_page(request, onboarding, *, status_url: str, token: str = "", awaiting_payment: bool = False):
    token = token or _remembered_token(request, onboarding)
    context = {
        "onboarding": onboarding,
        "progress": selectors.onboarding_progress(onboarding, awaiting_payment=awaiting_payment),
        "status_url": status_url,
        "token": token,
        "resume_url": services.platform_url(reverse("onboarding:resume", args=[token])) if token else "",
    }
    return render(request, "onboarding/pages/progress.html", context)


def _progress_partial(request, onboarding, *, status_url: str, token: str = "", awaiting_payment: bool = False):
    progress = selectors.onboarding_progress(onboarding, awaiting_payment=awaiting_payment)
    if request.GET.get("format") == "json" or "application/json" in request.headers.get("Accept", ""):
        return JsonResponse(progress, json_dumps_params={"ensure_ascii": False})
    context = {
        "onboarding": onboarding,
        "progress": progress,
        "status_url": status_url,
        "token": token or _remembered_token(request, onboarding),
    }
    return render(request, "onboarding/partials/progress.html", context)


@require_GET
def checkout_return(request):
    session_id = request.GET.get("session_id", "")
    onboarding = selectors.onboarding_by_session(session_id)
    if onboarding is None:
        return _not_found(request, _("We could not find a sign-up for that payment session."))
    services.checkout_reconcile(onboarding=onboarding)
    onboarding.refresh_from_db()
    cancelled = bool(request.GET.get("cancelled"))
    if cancelled and onboarding.state in (onboarding.State.LEAD, onboarding.State.PAYMENT_PENDING):
        messages.info(request, _("Payment was cancelled. Your details are saved: continue whenever you are ready."))
    status_url = reverse("onboarding:return_status") + f"?session_id={onboarding.stripe_session_id}"
    return _progress_page(request, onboarding, status_url=status_url, awaiting_payment=not cancelled)


@require_GET
def return_status(request):
    onboarding = selectors.onboarding_by_session(request.GET.get("session_id", ""))
    if onboarding is None:
        return JsonResponse({"error": "not found"}, status=404)
    # Back from Stripe but no webhook yet: ask Stripe now and then (not on every poll).
    if onboarding.state == onboarding.State.PAYMENT_PENDING and cache.add(
        f"onboarding:reconcile:{onboarding.pk}", 1, RECONCILE_EVERY_SECONDS
    ):
        services.checkout_reconcile(onboarding=onboarding)
        onboarding.refresh_from_db()
    status_url = reverse("onboarding:return_status") + f"?session_id={onboarding.stripe_session_id}"
    return _progress_partial(request, onboarding, status_url=status_url, awaiting_payment=True)


@require_GET
def resume(request, token: str):
    onboarding = selectors.onboarding_by_token(token)
    if onboarding is None:
        return _not_found(request, _("This sign-up link is not valid. Check that you copied all of it."))
    request.session[SESSION_KEY] = token
    return _progress_page(
        request, onboarding, status_url=reverse("onboarding:resume_status", args=[token]), token=token
    )


@require_GET
def resume_status(request, token: str):
    onboarding = selectors.onboarding_by_token(token)
    if onboarding is None:
        return JsonResponse({"error": "not found"}, status=404)
    return _progress_partial(
        request, onboarding, status_url=reverse("onboarding:resume_status", args=[token]), token=token
    )


@require_POST
def resume_checkout(request, token: str):
    onboarding = selectors.onboarding_by_token(token)
    if onboarding is None:
        return _not_found(request, _("This sign-up link is not valid. Check that you copied all of it."))
    return _go_to_payment(request, onboarding, token)


@require_POST
def resume_simulate(request, token: str):
    onboarding = selectors.onboarding_by_token(token)
    if onboarding is None or not services.simulation_allowed():
        return _not_found(request, _("There is nothing to simulate here."))
    services.payment_simulate(onboarding=onboarding)
    messages.warning(request, _("Payment simulated (development only): no money was taken."))
    return redirect("onboarding:resume", token=token)


@csrf_exempt  # Stripe cannot send a CSRF token; the signature is the authentication.
@require_POST
def stripe_webhook(request):
    try:
        result = services.webhook_handle(payload=request.body, signature=request.headers.get("Stripe-Signature", ""))
    except SignatureError as exc:
        log.warning("Stripe webhook refused: %s", exc)
        return JsonResponse({"error": str(exc)}, status=400)
    return JsonResponse({"received": True, "result": result})
