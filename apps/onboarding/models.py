"""Public-schema models of the onboarding funnel (M12): one record per sign-up, its step log,
and the Stripe webhook events already handled (so a redelivery is a no-op)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class Onboarding(models.Model):
    """One sign-up, from the lead form to a synced tenant. The record *is* the resumable state:
    every step reads it, does only what is still missing, and moves it forward."""

    class State(models.TextChoices):
        LEAD = "lead", "Lead"
        PAYMENT_PENDING = "payment_pending", "Payment pending"
        PAID = "paid", "Paid"
        PROVISIONING = "provisioning", "Provisioning"
        PROVISIONED = "provisioned", "Provisioned"
        SYNCING = "syncing", "Syncing"
        COMPLETED = "completed", "Completed"

    class Step(models.TextChoices):
        PAYMENT = "payment", "Payment"
        PROVISIONING = "provisioning", "Site provisioning"
        SYNC = "sync", "Data sync"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    business_name = models.CharField(max_length=120)
    slug = models.CharField(
        max_length=40,
        help_text="Suggested tenant slug (its address is <slug>.<base domain>). Fix it here if provisioning "
        "failed because it is taken, then retry.",
    )
    industry = models.CharField(max_length=40)
    email = models.EmailField()
    plan = models.CharField(max_length=20)
    state = models.CharField(max_length=20, choices=State.choices, default=State.LEAD, db_index=True)

    failed_step = models.CharField(max_length=20, choices=Step.choices, blank=True, db_index=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0, help_text="Attempts of the current step.")

    stripe_session_id = models.CharField(max_length=255, blank=True, db_index=True)
    checkout_url = models.URLField(max_length=2000, blank=True)
    checkout_sessions = models.PositiveSmallIntegerField(
        default=0, help_text="Checkout sessions created so far (part of the Stripe idempotency key)."
    )
    payment_source = models.CharField(max_length=20, blank=True, help_text="stripe, or simulated (DEBUG only).")
    amount_total = models.PositiveIntegerField(null=True, blank=True, help_text="In the currency's minor unit.")
    currency = models.CharField(max_length=3, blank=True)

    tenant = models.ForeignKey(
        "tenancy.Tenant", on_delete=models.SET_NULL, null=True, blank=True, related_name="onboardings"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="onboardings"
    )
    invited_at = models.DateTimeField(null=True, blank=True)
    crm_csv = models.TextField(blank=True, help_text="Contacts CSV uploaded at sign-up, kept until imported.")
    sync_notes = models.JSONField(default=list, blank=True)

    resume_token_digest = models.CharField(max_length=64, unique=True, editable=False)

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    payment_pending_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    provisioning_at = models.DateTimeField(null=True, blank=True)
    provisioned_at = models.DateTimeField(null=True, blank=True)
    syncing_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "sign-up"
        verbose_name_plural = "sign-ups"
        constraints = [
            models.UniqueConstraint(
                fields=["stripe_session_id"],
                condition=~models.Q(stripe_session_id=""),
                name="onboarding_unique_stripe_session",
            )
        ]

    def __str__(self) -> str:
        return f"{self.business_name} <{self.email}>"

    @property
    def is_failed(self) -> bool:
        return bool(self.failed_step)

    @property
    def is_completed(self) -> bool:
        return self.state == self.State.COMPLETED


class OnboardingAttempt(models.Model):
    """One run of one step: what started it, how it ended. Failures stay visible after a retry."""

    class Outcome(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    onboarding = models.ForeignKey(Onboarding, on_delete=models.CASCADE, related_name="step_attempts")
    step = models.CharField(max_length=20, choices=Onboarding.Step.choices)
    trigger = models.CharField(max_length=40, blank=True, help_text="user, webhook, worker, admin:<email> …")
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.RUNNING)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["started_at", "id"]

    def __str__(self) -> str:
        return f"{self.step} {self.outcome}"


class StripeEvent(models.Model):
    """A Stripe webhook event we have handled (Stripe delivers at least once)."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    onboarding = models.ForeignKey(
        Onboarding, on_delete=models.SET_NULL, null=True, blank=True, related_name="stripe_events"
    )
    result = models.CharField(max_length=255, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"
