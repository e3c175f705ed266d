"""Writes of the onboarding funnel (M12): Lead → Payment → Site Provisioning → Data Sync.

The Onboarding record keeps the state, so every step can be repeated: each one locks the
record, does only what is still missing and moves the state forward; a step that is already
done is a no-op. A failure is recorded on the record (step, reason, attempts) and in its step
log, reported to PostHog, and retried from the admin through `onboarding_retry`, which runs the
same step functions the automatic path runs.

Events (apps.core.analytics): `onboarding_started`, `payment_success`, `sync_completed`, and
`payment_failed` / `provisioning_failed` / `sync_failed`. They are sent after the transaction
that made them true commits, so a rolled-back step reports nothing.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import logging
import re
import secrets
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, OperationalError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.text import slugify
from django_tenants.utils import tenant_context

from apps.audit.services import audit_record
from apps.core import analytics
from apps.onboarding.models import Onboarding, OnboardingAttempt, StripeEvent
from apps.onboarding.stripe_client import (
    SignatureError,
    StripeClient,
    StripeConnectionError,
    StripeError,
    StripeRateLimitError,
    webhook_verify,
)

log = logging.getLogger(__name__)

State = Onboarding.State
Step = Onboarding.Step

SIGNUP_PLANS = ("starter", "pro", "enterprise")
BUSINESS_NAME_MAX = 120
CRM_CSV_MAX_BYTES = 1_000_000
ERROR_MAX = 2000
INDUSTRY_SETTING = "industry"
FAILURE_EVENTS = {Step.PAYMENT: "payment_failed", Step.PROVISIONING: "provisioning_failed", Step.SYNC: "sync_failed"}
PAID_STATUSES = {"paid", "no_payment_required"}
# A step still "running" after this long is treated as stuck (its worker died): it may be retried.
STUCK_AFTER_SECONDS = 15 * 60


class StepFailed(Exception):
    """A step failed; the failure is already recorded on the onboarding record."""

    def __init__(self, step: str, message: str, *, transient: bool = False, will_retry: bool = False):
        super().__init__(message)
        self.step = step
        self.transient = transient
        self.will_retry = will_retry


# ---------------------------------------------------------------------- small helpers


def payments_configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def simulation_allowed() -> bool:
    """The development-only "simulate payment" path: DEBUG on and no Stripe key configured."""
    return bool(settings.DEBUG) and not payments_configured()


def industry_choices() -> list[tuple[str, str]]:
    """The industries the CMS has starter templates for (key, label), the catch-all last."""
    from apps.cms.starter import GENERIC, TEMPLATES

    items = [(key, t.label) for key, t in TEMPLATES.items() if key != GENERIC]
    return [*items, (GENERIC, TEMPLATES[GENERIC].label)]


def plan_choices() -> list[tuple[str, str, object]]:
    from apps.tenancy.models import Plan

    plans = {p.code: p for p in Plan.objects.filter(code__in=SIGNUP_PLANS)}
    return [(code, plans[code].name, plans[code].monthly_price) for code in SIGNUP_PLANS if code in plans]


def token_digest(raw: str) -> str:
    return hashlib.sha256((raw or "").encode()).hexdigest()


def platform_url(path: str) -> str:
    """An absolute URL on the platform host (scheme and port follow the deployment)."""
    scheme = "https" if getattr(settings, "SESSION_COOKIE_SECURE", False) else "http"
    port = f":{settings.PUBLIC_PORT}" if settings.PUBLIC_PORT else ""
    return f"{scheme}://{settings.PLATFORM_HOST}{port}{path}"


def site_url(slug: str) -> str:
    scheme = "https" if getattr(settings, "SESSION_COOKIE_SECURE", False) else "http"
    port = f":{settings.PUBLIC_PORT}" if settings.PUBLIC_PORT else ""
    return f"{scheme}://{slug}.{settings.BASE_DOMAIN}{port}/"


def _slug_taken(slug: str, *, exclude_pk: int | None = None) -> bool:
    from apps.tenancy.models import Domain, Tenant
    from apps.tenancy.services import RESERVED_SLUGS

    # Paid sign-ups waiting for their tenant hold their slug; unpaid leads do not.
    others = Onboarding.objects.filter(slug=slug, tenant__isnull=True, paid_at__isnull=False).exclude(pk=exclude_pk)
    return (
        slug in RESERVED_SLUGS
        or Tenant.objects.filter(slug=slug).exists()
        or Domain.objects.filter(domain=f"{slug}.{settings.BASE_DOMAIN}").exists()
        or others.exists()
    )


def slug_validate(slug: str, *, onboarding: Onboarding | None = None) -> str:
    from apps.tenancy.services import SLUG_RE

    slug = (slug or "").strip().lower()
    if not SLUG_RE.match(slug):
        raise ValidationError(
            {"slug": "3–40 characters: lowercase letters, digits and hyphens, starting with a letter."}
        )
    if _slug_taken(slug, exclude_pk=onboarding.pk if onboarding else None):
        raise ValidationError({"slug": f"“{slug}” is taken. Try another address."})
    return slug


def slug_suggest(business_name: str) -> str:
    """A free tenant slug from the business name: `joes-pizza`, else `joes-pizza-2`, …"""
    base = re.sub(r"-+", "-", slugify(business_name or "")).strip("-")
    base = re.sub(r"^[^a-z]+", "", base)[:34].strip("-")
    if len(base) < 3:
        base = (base + "-site").strip("-") if base else "my-business"
    candidate = base
    for n in range(2, 1000):
        if not _slug_taken(candidate):
            return candidate
        candidate = f"{base}-{n}"
    return f"{base[:27]}-{secrets.token_hex(3)}"


def _distinct_id(onboarding: Onboarding) -> str:
    return f"onboarding:{onboarding.public_id}"


def _properties(onboarding: Onboarding, **extra) -> dict:
    # No email or business name: analytics gets what the funnel needs, not personal data.
    return {
        "onboarding_id": str(onboarding.public_id),
        "industry": onboarding.industry,
        "plan": onboarding.plan,
        "state": onboarding.state,
        **extra,
    }


def _emit(event: str, onboarding: Onboarding, **extra) -> None:
    properties = _properties(onboarding, **extra)
    distinct_id = _distinct_id(onboarding)
    transaction.on_commit(lambda: analytics.capture(event, distinct_id=distinct_id, properties=properties))


# ---------------------------------------------------------------------- step bookkeeping


def _lock(onboarding_id: int) -> Onboarding:
    return Onboarding.objects.select_for_update().get(pk=onboarding_id)


def _attempt_start(onboarding: Onboarding, step: str, trigger: str) -> OnboardingAttempt:
    return OnboardingAttempt.objects.create(onboarding=onboarding, step=step, trigger=trigger[:40])


def _attempt_finish(attempt: OnboardingAttempt | None, outcome: str, error: str = "") -> None:
    if attempt is None:
        return
    attempt.outcome = outcome
    attempt.error = error[:ERROR_MAX]
    attempt.finished_at = timezone.now()
    attempt.save(update_fields=["outcome", "error", "finished_at"])


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
        return " ".join(exc.messages)
    return f"{exc.__class__.__name__}: {exc}" if not isinstance(exc, StripeError) else str(exc)


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, StripeError):
        return exc.retryable or isinstance(exc, StripeRateLimitError | StripeConnectionError)
    if isinstance(exc, ValidationError | IntegrityError):
        return False
    return isinstance(exc, OperationalError | ConnectionError | TimeoutError | OSError)


def _fail(
    onboarding_id: int, step: str, exc: BaseException, attempt: OnboardingAttempt | None, *, retries_left: int = 0
) -> StepFailed:
    """Record a failed step on the record, its log and PostHog; return the exception to raise."""
    message = _describe(exc)[:ERROR_MAX]
    transient = _is_transient(exc)
    will_retry = transient and retries_left > 0
    with transaction.atomic():
        onboarding = _lock(onboarding_id)
        onboarding.failed_step = step
        onboarding.error = message
        onboarding.failed_at = timezone.now()
        onboarding.save(update_fields=["failed_step", "error", "failed_at", "updated_at"])
        _attempt_finish(attempt, OnboardingAttempt.Outcome.FAILED, message)
        _emit(
            FAILURE_EVENTS[step],
            onboarding,
            step=step,
            error=message[:300],
            attempt=onboarding.attempts,
            will_retry=will_retry,
        )
    log.warning("onboarding %s: %s failed (attempt %s): %s", onboarding_id, step, onboarding.attempts, message)
    return StepFailed(step, message, transient=transient, will_retry=will_retry)


def _enter(onboarding: Onboarding, state: str, step: str) -> None:
    """Move into a step's running state; attempts count the runs of the current step."""
    field = f"{state}_at"
    if onboarding.state != state:
        onboarding.attempts = 0
    onboarding.state = state
    onboarding.attempts += 1
    if getattr(onboarding, field, None) is None:
        setattr(onboarding, field, timezone.now())


def _clear_failure(onboarding: Onboarding) -> None:
    onboarding.failed_step = ""
    onboarding.error = ""
    onboarding.failed_at = None


# ---------------------------------------------------------------------- 1. lead


@dataclass(frozen=True)
class Started:
    onboarding: Onboarding
    resume_token: str


def onboarding_start(
    *, business_name: str, industry: str, email: str, plan: str, slug: str = "", crm_csv: str = ""
) -> Started:
    """Record a lead. Returns the record and its resume token (only its digest is stored)."""
    business_name = " ".join((business_name or "").split())
    email = (email or "").strip().lower()
    industry = (industry or "").strip().lower()
    plan = (plan or "").strip().lower()
    slug = (slug or "").strip().lower()
    errors: dict[str, str] = {}
    if not business_name:
        errors["business_name"] = "Tell us the name of your business."
    elif len(business_name) > BUSINESS_NAME_MAX:
        errors["business_name"] = f"Use at most {BUSINESS_NAME_MAX} characters."
    if industry not in dict(industry_choices()):
        errors["industry"] = "Choose the industry closest to yours."
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = "Enter a valid email address, like you@example.com."
    if plan not in {code for code, _name, _price in plan_choices()}:
        errors["plan"] = f"Choose a plan: {', '.join(SIGNUP_PLANS)}."
    if slug:
        try:
            slug = slug_validate(slug)
        except ValidationError as exc:
            errors.update({k: " ".join(v) for k, v in exc.message_dict.items()})
    if len(crm_csv.encode()) > CRM_CSV_MAX_BYTES:
        errors["crm_csv"] = "The contacts file is larger than 1 MB."
    if errors:
        raise ValidationError(errors)

    raw = secrets.token_urlsafe(32)
    with transaction.atomic():
        onboarding = Onboarding.objects.create(
            business_name=business_name,
            slug=slug or slug_suggest(business_name),
            industry=industry,
            email=email,
            plan=plan,
            crm_csv=crm_csv,
            resume_token_digest=token_digest(raw),
        )
        _emit("onboarding_started", onboarding, source="signup")
        resume_url = platform_url(f"/signup/resume/{raw}/")
        transaction.on_commit(lambda: _send_resume_email(onboarding, resume_url))
    return Started(onboarding=onboarding, resume_token=raw)


def _send_resume_email(onboarding: Onboarding, resume_url: str) -> None:
    context = {"onboarding": onboarding, "resume_url": resume_url}
    try:
        send_mail(
            render_to_string("onboarding/email/resume_subject.txt", context).strip(),
            render_to_string("onboarding/email/resume.txt", context),
            None,
            [onboarding.email],
        )
    except OSError:  # the lead is recorded; the link is also on the page they are looking at
        log.warning("onboarding %s: could not send the resume link", onboarding.pk, exc_info=True)


# ---------------------------------------------------------------------- 2. payment


def _checkout_params(onboarding: Onboarding) -> dict:
    from apps.tenancy.models import Plan

    plan = Plan.objects.get(code=onboarding.plan)
    unit_amount = int((plan.monthly_price * 100).to_integral_value())
    return {
        "mode": "subscription",
        "success_url": platform_url("/signup/return/") + "?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": platform_url("/signup/return/") + "?session_id={CHECKOUT_SESSION_ID}&cancelled=1",
        "customer_email": onboarding.email,
        "client_reference_id": str(onboarding.public_id),
        "metadata": {"onboarding_id": str(onboarding.public_id), "plan": onboarding.plan},
        "subscription_data": {"metadata": {"onboarding_id": str(onboarding.public_id)}},
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": settings.STRIPE_CURRENCY,
                    "unit_amount": unit_amount,
                    "recurring": {"interval": "month"},
                    "product_data": {"name": f"BizOSaaS {plan.name}"},
                },
            }
        ],
    }


def checkout_create(*, onboarding: Onboarding, trigger: str = "user", client: StripeClient | None = None) -> str:
    """The Stripe Checkout URL to send the customer to, creating a session only when there is no
    open one. Returns "" when payment is already done. Raises StepFailed (recorded) on errors."""
    if onboarding.state not in (State.LEAD, State.PAYMENT_PENDING):
        return ""
    client = client or StripeClient.from_settings()
    if onboarding.stripe_session_id:
        try:
            session = client.checkout_session_retrieve(onboarding.stripe_session_id)
        except StripeError:
            # Could not check it. A second open session could be paid twice, so while the one
            # we know may still be open, send the customer back to it.
            if onboarding.checkout_url:
                return onboarding.checkout_url
            session = None
        if session is not None:
            if session.get("status") == "open" and session.get("url"):
                return session["url"]
            if session.get("status") == "complete" and session.get("payment_status") in PAID_STATUSES:
                payment_confirm(onboarding=onboarding, session=session, source="stripe", trigger=trigger)
                return ""

    with transaction.atomic():
        onboarding = _lock(onboarding.pk)
        if onboarding.state not in (State.LEAD, State.PAYMENT_PENDING):
            return ""
        _enter(onboarding, State.PAYMENT_PENDING, Step.PAYMENT)
        onboarding.save(update_fields=["state", "attempts", "payment_pending_at", "updated_at"])
        attempt = _attempt_start(onboarding, Step.PAYMENT, trigger)
    # Same key for every try of this session: a retry after a timeout replays, never duplicates.
    key = f"bizosaas-onboarding-{onboarding.public_id}-checkout-{onboarding.checkout_sessions + 1}"
    try:
        session = client.checkout_session_create(params=_checkout_params(onboarding), idempotency_key=key)
        if not session.get("id") or not session.get("url"):
            raise StripeError("Stripe answered without a session id or URL.")
    except StripeError as exc:
        raise _fail(onboarding.pk, Step.PAYMENT, exc, attempt) from exc
    with transaction.atomic():
        onboarding = _lock(onboarding.pk)
        if onboarding.stripe_session_id != session["id"]:
            onboarding.checkout_sessions += 1
        onboarding.stripe_session_id = session["id"]
        onboarding.checkout_url = session["url"]
        if onboarding.failed_step == Step.PAYMENT:
            _clear_failure(onboarding)
        onboarding.save()
        _attempt_finish(attempt, OnboardingAttempt.Outcome.SUCCEEDED)
    return session["url"]


def payment_confirm(*, onboarding: Onboarding, session: dict | None, source: str, trigger: str) -> bool:
    """Mark the onboarding paid and queue provisioning. Idempotent: True only the first time."""
    with transaction.atomic():
        onboarding = _lock(onboarding.pk)
        if onboarding.state not in (State.LEAD, State.PAYMENT_PENDING):
            return False
        now = timezone.now()
        onboarding.state = State.PAID
        onboarding.attempts = 0
        onboarding.paid_at = now
        onboarding.payment_pending_at = onboarding.payment_pending_at or now
        onboarding.payment_source = source
        if session:
            onboarding.stripe_session_id = session.get("id") or onboarding.stripe_session_id
            if isinstance(session.get("amount_total"), int):
                onboarding.amount_total = session["amount_total"]
            onboarding.currency = (session.get("currency") or "")[:3]
        onboarding.checkout_url = ""
        _clear_failure(onboarding)
        onboarding.save()
        OnboardingAttempt.objects.create(
            onboarding=onboarding,
            step=Step.PAYMENT,
            trigger=trigger[:40],
            outcome=OnboardingAttempt.Outcome.SUCCEEDED,
            finished_at=now,
        )
        _emit(
            "payment_success",
            onboarding,
            source=source,
            amount_total=onboarding.amount_total,
            currency=onboarding.currency,
        )
        _queue_provision(onboarding)
    return True


def payment_simulate(*, onboarding: Onboarding) -> bool:
    """Development only (DEBUG, no Stripe key): pretend the customer paid, through the same
    transition the webhook uses."""
    if not simulation_allowed():
        raise ValidationError("Simulated payments exist only in development (DEBUG on, no Stripe key).")
    return payment_confirm(onboarding=onboarding, session=None, source="simulated", trigger="simulated")


def checkout_reconcile(*, onboarding: Onboarding, client: StripeClient | None = None) -> bool:
    """On the return page: if Stripe already reports the session paid, move on without waiting
    for the webhook. Best effort: any error leaves it to the webhook."""
    if onboarding.state not in (State.LEAD, State.PAYMENT_PENDING) or not onboarding.stripe_session_id:
        return False
    if not payments_configured():
        return False
    try:
        session = (client or StripeClient.from_settings()).checkout_session_retrieve(onboarding.stripe_session_id)
    except StripeError:
        return False
    if session.get("status") == "complete" and session.get("payment_status") in PAID_STATUSES:
        return payment_confirm(onboarding=onboarding, session=session, source="stripe", trigger="return page")
    return False


def _onboarding_for_session(session: dict) -> Onboarding | None:
    for candidate in ((session.get("metadata") or {}).get("onboarding_id"), session.get("client_reference_id")):
        try:
            public_id = uuid.UUID(str(candidate))
        except (TypeError, ValueError):
            continue
        found = Onboarding.objects.filter(public_id=public_id).first()
        if found is not None:
            return found
    if session.get("id"):
        return Onboarding.objects.filter(stripe_session_id=str(session["id"])).first()
    return None


def webhook_handle(*, payload: bytes, signature: str) -> str:
    """Verify and handle one Stripe webhook delivery; returns what was done. SignatureError (→
    HTTP 400) when the signature does not verify: then nothing is read or changed."""
    event = webhook_verify(
        payload=payload,
        header=signature,
        secret=settings.STRIPE_WEBHOOK_SECRET,
        tolerance=settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS,
    )
    event_type = str(event["type"])[:100]
    session = (event.get("data") or {}).get("object") or {}
    if not isinstance(session, dict):
        raise SignatureError("The event has no data object.")
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = StripeEvent.objects.create(event_id=str(event["id"])[:255], type=event_type)
        except IntegrityError:
            return "duplicate: already handled"
        onboarding = _onboarding_for_session(session) if event_type.startswith("checkout.session.") else None
        result = _handle_event(event_type, session, onboarding)
        record.onboarding = onboarding
        record.result = result[:255]
        record.save(update_fields=["onboarding", "result"])
    return result


def _handle_event(event_type: str, session: dict, onboarding: Onboarding | None) -> str:
    if not event_type.startswith("checkout.session."):
        return f"ignored: {event_type}"
    if onboarding is None:
        return "ignored: no onboarding for this session"
    if event_type in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
        if session.get("payment_status") not in PAID_STATUSES:
            return "waiting: payment not settled yet"
        done = payment_confirm(onboarding=onboarding, session=session, source="stripe", trigger="webhook")
        return "paid" if done else "no-op: already paid"
    if event_type == "checkout.session.async_payment_failed":
        _fail(onboarding.pk, Step.PAYMENT, StripeError("The customer's payment failed."), None)
        return "payment failed"
    if event_type == "checkout.session.expired":
        if onboarding.stripe_session_id == session.get("id") and onboarding.state == State.PAYMENT_PENDING:
            Onboarding.objects.filter(pk=onboarding.pk).update(checkout_url="")
        return "expired"
    return f"ignored: {event_type}"


# ---------------------------------------------------------------------- 3. provisioning


def _queue_provision(onboarding: Onboarding, trigger: str = "worker") -> None:
    from apps.onboarding.tasks import provision_task

    onboarding_id = onboarding.pk
    transaction.on_commit(lambda: provision_task.delay(onboarding_id, trigger))


def _owner_ensure(onboarding: Onboarding):
    """The owner's account: the existing one for this email, or a new one without a usable
    password (they choose it from the invitation)."""
    from apps.accounts.models import User
    from apps.accounts.services import user_create

    if onboarding.owner_id:
        return onboarding.owner
    existing = User.objects.filter(email__iexact=onboarding.email).first()
    if existing is not None:
        return existing
    user = user_create(email=onboarding.email, password="", check_password=False)
    user.set_unusable_password()
    user.save(update_fields=["password"])
    return user


def _starter_site(onboarding: Onboarding) -> None:
    from apps.cms.services import starter_site_create

    starter_site_create(industry=onboarding.industry, business_name=onboarding.business_name)


def _industry_context(onboarding: Onboarding) -> dict:
    return {
        "key": onboarding.industry,
        "label": dict(industry_choices()).get(onboarding.industry, onboarding.industry),
        "source": "onboarding",
        "onboarding_id": str(onboarding.public_id),
        "business_name": onboarding.business_name,
        "plan": onboarding.plan,
    }


def provision(*, onboarding_id: int, trigger: str = "worker", retries_left: int = 0) -> Onboarding:
    """Create the tenant (through the one provisioning service), its starter site and industry
    setting, and invite the owner. Idempotent: a tenant already made is reused, the invitation
    goes out once."""
    from apps.accounts.services import membership_set
    from apps.dashboard.services import tenant_setting_set
    from apps.tenancy.services import tenant_create

    with transaction.atomic():
        onboarding = _lock(onboarding_id)
        if onboarding.state not in (State.PAID, State.PROVISIONING):
            return onboarding  # not paid yet, or already past this step
        _enter(onboarding, State.PROVISIONING, Step.PROVISIONING)
        onboarding.save(update_fields=["state", "attempts", "provisioning_at", "updated_at"])
        attempt = _attempt_start(onboarding, Step.PROVISIONING, trigger)

    try:
        with transaction.atomic():
            onboarding = _lock(onboarding_id)
            owner = _owner_ensure(onboarding)
            if onboarding.tenant_id is None:
                tenant = tenant_create(
                    name=onboarding.business_name,
                    slug=onboarding.slug,
                    plan=onboarding.plan,
                    industry=onboarding.industry,
                    owner=owner,
                )
            else:
                tenant = onboarding.tenant
                membership_set(user=owner, tenant=tenant, role="owner")
            onboarding.tenant = tenant
            onboarding.owner = owner
            onboarding.save(update_fields=["tenant", "owner", "updated_at"])
            with tenant_context(tenant):
                tenant_setting_set(key=INDUSTRY_SETTING, value=_industry_context(onboarding))
                _starter_site(onboarding)
        if onboarding.invited_at is None:
            _send_invite(onboarding)
            Onboarding.objects.filter(pk=onboarding_id).update(invited_at=timezone.now())
    except Exception as exc:
        raise _fail(onboarding_id, Step.PROVISIONING, exc, attempt, retries_left=retries_left) from exc

    with transaction.atomic():
        onboarding = _lock(onboarding_id)
        onboarding.state = State.PROVISIONED
        onboarding.provisioned_at = onboarding.provisioned_at or timezone.now()
        _clear_failure(onboarding)
        onboarding.save()
        _attempt_finish(attempt, OnboardingAttempt.Outcome.SUCCEEDED)
        _emit("site_provisioned", onboarding, tenant=onboarding.tenant.slug)
        _queue_sync(onboarding)
    return onboarding


def _send_invite(onboarding: Onboarding) -> None:
    from apps.tenancy.selectors import tenant_dashboard_url

    owner = onboarding.owner
    context = {
        "onboarding": onboarding,
        "tenant": onboarding.tenant,
        "site_url": site_url(onboarding.tenant.slug),
        "dashboard_url": tenant_dashboard_url(onboarding.tenant),
        "login_url": platform_url("/accounts/login/"),
        "set_password_url": "",
    }
    if not owner.has_usable_password():
        uid = urlsafe_base64_encode(force_bytes(owner.pk))
        token = default_token_generator.make_token(owner)
        context["set_password_url"] = platform_url(f"/accounts/password/reset/{uid}/{token}/")
    send_mail(
        render_to_string("onboarding/email/invite_subject.txt", context).strip(),
        render_to_string("onboarding/email/invite.txt", context),
        None,
        [owner.email],
    )


# ---------------------------------------------------------------------- 4. data sync


def _queue_sync(onboarding: Onboarding, trigger: str = "worker") -> None:
    from apps.onboarding.tasks import data_sync_task

    onboarding_id, tenant = onboarding.pk, onboarding.tenant

    def send() -> None:
        # Queued inside the tenant, so the worker runs it in the tenant's schema and a panic on
        # that tenant holds it (apps.governance.tasks_base).
        with tenant_context(tenant):
            data_sync_task.delay(onboarding_id, trigger)

    transaction.on_commit(send)


CRM_IMPORTERS = ("contacts_import", "contacts_import_csv", "contact_import_csv", "import_contacts_csv")


def crm_importer():
    """The CRM's contacts CSV import service, when the CRM module has one; None otherwise."""
    try:
        module = importlib.import_module("apps.crm.services")
    except ImportError:
        return None
    names = [*CRM_IMPORTERS, *sorted(n for n in dir(module) if "import" in n.lower() and "csv" in n.lower())]
    for name in names:
        func = getattr(module, name, None)
        if inspect.isfunction(func) and not name.startswith("_"):
            return func
    return None


def _crm_import(onboarding: Onboarding) -> str:
    """Import the contacts CSV given at sign-up, when there is one and the CRM can import it.
    Returns the note recorded on the onboarding. A file the CRM refuses is a note, not a failed
    step: the site is live either way."""
    importer = crm_importer()
    if importer is None:
        kept = " The uploaded contacts file is kept for a later import." if onboarding.crm_csv else ""
        return "CRM import skipped: the CRM module has no CSV import service." + kept
    if not onboarding.crm_csv.strip():
        return "CRM import skipped: no contacts file was uploaded."
    params = inspect.signature(importer).parameters
    kwargs: dict = {}
    for name in ("file", "csv_text", "text", "content", "data"):
        if name in params:
            kwargs[name] = onboarding.crm_csv
            break
    else:
        return f"CRM import skipped: {importer.__name__} takes no file this onboarding can give it."
    if "import_valid_rows" in params:
        kwargs["import_valid_rows"] = True  # one bad row should not keep the others out
    try:
        report = importer(**kwargs)
    except ValidationError as exc:
        return f"CRM import skipped: the contacts file was refused ({_describe(exc)})."
    imported = getattr(report, "imported", None)
    total = getattr(report, "total_rows", None)
    errors = list(getattr(report, "errors", []) or [])
    note = f"CRM import done: {imported} of {total} contacts imported."
    if errors:
        shown = "; ".join(str(e) for e in errors[:5])
        note += f" {len(errors)} problem(s): {shown}{' …' if len(errors) > 5 else ''}"
    return note


def data_sync(*, onboarding_id: int, trigger: str = "worker", retries_left: int = 0) -> Onboarding:
    """The first site sync (publishes the starter site), then the optional CRM import."""
    with transaction.atomic():
        onboarding = _lock(onboarding_id)
        if onboarding.state not in (State.PROVISIONED, State.SYNCING) or onboarding.tenant_id is None:
            return onboarding
        _enter(onboarding, State.SYNCING, Step.SYNC)
        onboarding.save(update_fields=["state", "attempts", "syncing_at", "updated_at"])
        attempt = _attempt_start(onboarding, Step.SYNC, trigger)

    try:
        from apps.cms.services import site_sync

        with transaction.atomic(), tenant_context(onboarding.tenant):
            site_sync(reason="onboarding: first sync")
            note = _crm_import(onboarding)
    except Exception as exc:
        raise _fail(onboarding_id, Step.SYNC, exc, attempt, retries_left=retries_left) from exc

    with transaction.atomic():
        onboarding = _lock(onboarding_id)
        onboarding.state = State.COMPLETED
        onboarding.completed_at = onboarding.completed_at or timezone.now()
        notes = [n for n in (onboarding.sync_notes or []) if not str(n).startswith("CRM import")]
        onboarding.sync_notes = [*notes, note]
        if note.startswith("CRM import done"):
            onboarding.crm_csv = ""
        _clear_failure(onboarding)
        onboarding.save()
        _attempt_finish(attempt, OnboardingAttempt.Outcome.SUCCEEDED)
        _emit("sync_completed", onboarding, tenant=onboarding.tenant.slug, crm_import=note)
    return onboarding


# ---------------------------------------------------------------------- admin


def onboarding_slug_set(*, onboarding: Onboarding, slug: str, actor=None, ip: str | None = None) -> Onboarding:
    """Fix the slug of an onboarding whose tenant does not exist yet (e.g. it was taken)."""
    if onboarding.tenant_id:
        raise ValidationError({"slug": "The tenant exists already: its address cannot change here."})
    slug = slug_validate(slug, onboarding=onboarding)
    if slug != onboarding.slug:
        with transaction.atomic():
            before = onboarding.slug
            onboarding.slug = slug
            onboarding.save(update_fields=["slug", "updated_at"])
            audit_record(
                action="onboarding.update",
                actor=actor,
                target=onboarding,
                before={"slug": before},
                after={"slug": slug},
                ip=ip,
            )
    return onboarding


def retryable_step(onboarding: Onboarding) -> str | None:
    """The step a retry would run: the failed one, or a step whose run looks stuck."""
    if onboarding.failed_step:
        return onboarding.failed_step
    stale = (timezone.now() - onboarding.updated_at).total_seconds() > STUCK_AFTER_SECONDS
    if onboarding.state == State.PAID or (onboarding.state == State.PROVISIONING and stale):
        return Step.PROVISIONING
    if onboarding.state == State.PROVISIONED or (onboarding.state == State.SYNCING and stale):
        return Step.SYNC
    return None


def onboarding_retry(*, onboarding: Onboarding, actor=None, ip: str | None = None) -> str:
    """Run the failed (or stuck) step again, the way the automatic path runs it. Returns a
    sentence for the person who asked."""
    step = retryable_step(onboarding)
    if step is None:
        raise ValidationError(f"{onboarding}: nothing to retry (state “{onboarding.get_state_display()}”).")
    trigger = f"admin:{getattr(actor, 'email', '') or 'system'}"
    audit_record(
        action="onboarding.retry",
        actor=actor,
        target=onboarding,
        before={"state": onboarding.state, "failed_step": onboarding.failed_step, "error": onboarding.error[:200]},
        after={"step": step},
        ip=ip,
    )
    if step == Step.PAYMENT:
        if onboarding.state not in (State.LEAD, State.PAYMENT_PENDING):
            Onboarding.objects.filter(pk=onboarding.pk).update(failed_step="", error="", failed_at=None)
            return f"{onboarding}: payment is already done."
        try:
            checkout_create(onboarding=onboarding, trigger=trigger)
        except StepFailed as exc:
            return f"{onboarding}: payment step failed again: {exc}"
        return f"{onboarding}: a new checkout is ready; the customer continues from their resume link."
    if step == Step.PROVISIONING:
        _queue_provision(onboarding, trigger=trigger)
        return f"{onboarding}: provisioning queued."
    if onboarding.tenant_id is None:
        raise ValidationError(f"{onboarding}: no tenant yet; retry provisioning first.")
    _queue_sync(onboarding, trigger=trigger)
    return f"{onboarding}: data sync queued."
