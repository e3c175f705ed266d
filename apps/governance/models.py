"""Public-schema governance records: system banners (and who dismissed them), the emergency
kill switch (PanicState) and the tasks it held back (SkippedTask)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.accounts.models import Tier


class SystemBanner(models.Model):
    """A message shown at the top of the dashboard and the admin, to one audience, for a while.

    Reads go through apps.governance.banners (an in-process snapshot, never a query per request);
    every write to this table or its audience lists invalidates that snapshot (see signals.py)."""

    class Severity(models.TextChoices):
        INFO = "info", "Info"
        WARNING = "warning", "Warning"
        CRITICAL = "critical", "Critical"

    class Audience(models.TextChoices):
        EVERYONE = "everyone", "Everyone signed in"
        TIERS = "tiers", "Users of some tiers"
        TENANTS = "tenants", "Some tenants' dashboards"
        PARTNERS = "partners", "Partners"

    message = models.CharField(max_length=500)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.INFO)
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.EVERYONE)
    tiers = models.JSONField(
        default=list,
        blank=True,
        help_text="Audience “tiers”: the support tiers that see it (0 = tenant users).",
    )
    tenants = models.ManyToManyField(
        "tenancy.Tenant",
        blank=True,
        related_name="+",
        help_text="Audience “tenants”: shown on these tenants' dashboards, to everyone there.",
    )
    partners = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="+",
        limit_choices_to={"tier": Tier.PARTNER},
        help_text="Audience “partners”: these partner accounts (none selected = every partner).",
    )
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField(null=True, blank=True, help_text="Empty: until removed.")
    dismissible = models.BooleanField(default=True, help_text="Users may hide it for themselves.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
                name="banner_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.message[:80]


class BannerDismissal(models.Model):
    """A user hid a dismissible banner; it stays hidden for them on every host and device."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    banner = models.ForeignKey(SystemBanner, on_delete=models.CASCADE, related_name="dismissals")
    dismissed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "banner"], name="banner_dismissal_unique")]

    def __str__(self) -> str:
        return f"{self.user} dismissed {self.banner_id}"


class PanicState(models.Model):
    """One engagement of the emergency kill switch: for one tenant, or for the whole fleet
    (tenant empty). Rows are kept after release as history; at most one is active per scope.
    The active ones are mirrored into Redis for the workers' cheap check (apps.governance.panic)."""

    tenant = models.ForeignKey(
        "tenancy.Tenant", on_delete=models.CASCADE, null=True, blank=True, related_name="panic_states"
    )
    active = models.BooleanField(default=True, db_index=True)
    reason = models.CharField(max_length=255, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    by_email = models.CharField(max_length=254, blank=True)
    at = models.DateTimeField(default=timezone.now)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    released_by_email = models.CharField(max_length=254, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            # NULLS NOT DISTINCT: the global switch (tenant NULL) is one scope too.
            models.UniqueConstraint(
                fields=["tenant"],
                condition=Q(active=True),
                nulls_distinct=False,
                name="panic_one_active_per_scope",
            )
        ]

    def __str__(self) -> str:
        scope = self.tenant.slug if self.tenant_id else "all tenants"
        return f"Panic ({scope}) {'active' if self.active else 'released'} since {self.at:%Y-%m-%d %H:%M}"

    @property
    def scope(self) -> str:
        return self.tenant.slug if self.tenant_id else "all"


class SkippedTask(models.Model):
    """A Celery task that did not run (or stopped between steps) because its tenant, or the
    fleet, was panicked. Kept with everything needed to queue it again after release."""

    class Kind(models.TextChoices):
        SKIPPED = "skipped", "Skipped before it started"
        CANCELLED = "cancelled", "Cancelled between steps"

    task_id = models.CharField(max_length=64, db_index=True)
    task_name = models.CharField(max_length=200)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    schema_name = models.CharField(max_length=63, db_index=True)
    tenant = models.ForeignKey(
        "tenancy.Tenant", on_delete=models.SET_NULL, null=True, blank=True, related_name="skipped_tasks"
    )
    queue = models.CharField(max_length=80, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    skipped_at = models.DateTimeField(auto_now_add=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SKIPPED)
    reason = models.CharField(max_length=255, blank=True)
    rerun_at = models.DateTimeField(null=True, blank=True)
    rerun_task_id = models.CharField(max_length=64, blank=True)
    rerun_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-skipped_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["task_id"], name="skipped_task_once")]
        indexes = [models.Index(fields=["schema_name", "rerun_at"], name="skipped_schema_pending")]

    def __str__(self) -> str:
        return f"{self.task_name} ({self.schema_name}) {self.kind}"

    @property
    def is_pending(self) -> bool:
        return self.rerun_at is None
