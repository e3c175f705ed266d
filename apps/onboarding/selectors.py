"""Reads of the onboarding funnel: a record by its resume token or Stripe session, the progress
a customer sees, and the funnel (counts and drop-off per step) from our own records."""

from __future__ import annotations

import re
from datetime import datetime

from django.db.models import Count, Q

from apps.core.analytics import analytics_status
from apps.onboarding.models import Onboarding
from apps.onboarding.services import payments_configured, simulation_allowed, site_url, token_digest

State = Onboarding.State
Step = Onboarding.Step

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,100}$")
SESSION_RE = re.compile(r"^cs_[A-Za-z0-9_]{4,250}$")

# The customer-facing steps, each with the state that means "running" and the timestamp that
# means "done".
PROGRESS_STEPS = (
    ("lead", "Your details", None, "created_at"),
    (Step.PAYMENT, "Payment", State.PAYMENT_PENDING, "paid_at"),
    (Step.PROVISIONING, "Setting up your site", State.PROVISIONING, "provisioned_at"),
    (Step.SYNC, "Publishing your site", State.SYNCING, "completed_at"),
)

# Funnel stages: how many records ever reached each one (from their timestamps).
FUNNEL_STAGES = (
    ("lead", "Lead", "created_at"),
    ("checkout", "Checkout opened", "payment_pending_at"),
    ("paid", "Paid", "paid_at"),
    ("provisioned", "Site provisioned", "provisioned_at"),
    ("completed", "Synced (completed)", "completed_at"),
)


def onboarding_by_token(token: str) -> Onboarding | None:
    if not token or not TOKEN_RE.match(token):
        return None
    return Onboarding.objects.select_related("tenant").filter(resume_token_digest=token_digest(token)).first()


def onboarding_by_session(session_id: str) -> Onboarding | None:
    if not session_id or not SESSION_RE.match(session_id):
        return None
    return Onboarding.objects.select_related("tenant").filter(stripe_session_id=session_id).first()


def mask_email(email: str) -> str:
    """j•••@example.com: enough to recognise, not enough to harvest from a shared link."""
    local, _sep, domain = (email or "").partition("@")
    return f"{local[:1]}•••@{domain}" if domain else ""


def onboarding_progress(onboarding: Onboarding, *, awaiting_payment: bool = False) -> dict:
    """What the progress page and the status JSON show. `awaiting_payment`: the customer came
    back from Stripe's success URL, so an unpaid record is waiting for the payment to be
    confirmed (webhook or a check with Stripe), not for the customer."""
    steps = []
    for key, label, running_state, done_field in PROGRESS_STEPS:
        if getattr(onboarding, done_field):
            status = "done"
        elif onboarding.failed_step and onboarding.failed_step == key:
            status = "failed"
        elif running_state is not None and onboarding.state == running_state:
            status = "running"
        elif key == Step.PAYMENT and onboarding.state == State.LEAD:
            status = "waiting"
        elif (key == Step.PROVISIONING and onboarding.state == State.PAID) or (
            key == Step.SYNC and onboarding.state == State.PROVISIONED
        ):
            status = "running"
        else:
            status = "pending"
        steps.append({"key": key, "label": label, "status": status})
    needs_payment = onboarding.state in (State.LEAD, State.PAYMENT_PENDING)
    return {
        "onboarding_id": str(onboarding.public_id),
        "business_name": onboarding.business_name,
        "state": onboarding.state,
        "state_label": onboarding.get_state_display(),
        "completed": onboarding.is_completed,
        "failed_step": onboarding.failed_step,
        "error": onboarding.error if onboarding.failed_step == Step.PAYMENT else "",
        "steps": steps,
        "polling": not onboarding.is_completed
        and not onboarding.failed_step
        and (not needs_payment or (awaiting_payment and onboarding.state == State.PAYMENT_PENDING)),
        "awaiting_payment": awaiting_payment and onboarding.state == State.PAYMENT_PENDING,
        "needs_payment": needs_payment,
        "payments_configured": payments_configured(),
        "simulation_allowed": simulation_allowed(),
        "site_url": site_url(onboarding.tenant.slug) if onboarding.tenant_id and onboarding.is_completed else "",
        "address": site_url(onboarding.slug),
        "invited": onboarding.invited_at is not None,
        "email": mask_email(onboarding.email),
        "analytics": analytics_status(),
    }


def funnel(*, since: datetime | None = None) -> dict:
    """Counts per stage (records that ever reached it), conversion and drop-off from the stage
    before, failures waiting per step and records in each state — all from our own table."""
    rows = Onboarding.objects.all()
    if since is not None:
        rows = rows.filter(created_at__gte=since)
    aggregates = {key: Count("id", filter=Q(**{f"{field}__isnull": False})) for key, _label, field in FUNNEL_STAGES}
    aggregates.update(
        {f"failed_{step}": Count("id", filter=Q(failed_step=step)) for step in Step.values},
    )
    totals = rows.aggregate(**aggregates)
    stages = []
    previous = None
    for key, label, _field in FUNNEL_STAGES:
        count = totals[key] or 0
        if previous is None:
            conversion, drop_off, lost = None, None, 0
        else:
            conversion = round(100 * count / previous, 1) if previous else 0.0
            drop_off = round(100 - conversion, 1) if previous else 0.0
            lost = previous - count
        stages.append(
            {"key": key, "label": label, "count": count, "conversion": conversion, "drop_off": drop_off, "lost": lost}
        )
        previous = count
    by_state = dict(rows.values_list("state").annotate(n=Count("id")).order_by())
    started = stages[0]["count"]
    return {
        "stages": stages,
        "overall_conversion": round(100 * stages[-1]["count"] / started, 1) if started else 0.0,
        "failed": [
            {"step": step, "label": label, "count": totals[f"failed_{step}"] or 0} for step, label in Step.choices
        ],
        "states": [{"state": value, "label": label, "count": by_state.get(value, 0)} for value, label in State.choices],
        "analytics": analytics_status(),
        "payments_configured": payments_configured(),
    }
