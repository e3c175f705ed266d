"""Public-schema health monitoring of tenant domains.

* DomainHealth: the latest state of each domain (one row per domain, upserted every cycle) and
  its state machine: UP / DEGRADED / DOWN with a consecutive-failure counter.
* DomainCheck: the rolling history (one compact row per check), indexed on (domain, checked_at)
  for uptime and latency charts, pruned after MONITOR_HISTORY_DAYS.
* MaintenanceWindow: planned work; alerts and self-healing are suppressed inside it.
* HealingAction: what the monitor did on its own (site sync re-triggered after a 404) and how
  it ended.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import BrinIndex
from django.db import models

from apps.monitoring.states import OK_OUTCOMES, HealthState, Outcome

__all__ = ["OK_OUTCOMES", "DomainCheck", "DomainHealth", "HealingAction", "HealthState", "MaintenanceWindow", "Outcome"]


class DomainHealth(models.Model):
    domain = models.OneToOneField("tenancy.Domain", on_delete=models.CASCADE, related_name="health")
    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.CASCADE, related_name="domain_health")
    state = models.CharField(max_length=10, choices=HealthState.choices, default=HealthState.UNKNOWN, db_index=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_latency_ms = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    last_url = models.CharField(max_length=500, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_ok_at = models.DateTimeField(null=True, blank=True)
    state_changed_at = models.DateTimeField(null=True, blank=True)
    tls_expires_at = models.DateTimeField(null=True, blank=True)
    # Whether the people answerable were told it is DOWN (a DOWN reached inside a maintenance
    # window is announced when the window ends, if it is still down; recovery is announced only
    # after an announced DOWN).
    down_alerted = models.BooleanField(default=False)
    tls_alerted_for = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["domain__domain"]
        verbose_name = "domain health"
        verbose_name_plural = "domain health"

    def __str__(self) -> str:
        return f"{self.domain_id}: {self.state}"


class DomainCheck(models.Model):
    """One check of one domain. Kept small: ~40 bytes a row plus the index."""

    domain = models.ForeignKey("tenancy.Domain", on_delete=models.CASCADE, related_name="checks", db_index=False)
    checked_at = models.DateTimeField()
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-checked_at"]
        indexes = [
            models.Index(fields=["domain", "checked_at"], name="domaincheck_domain_time"),
            # Rows arrive in time order: a BRIN index (a few pages for millions of rows) lets
            # the hourly prune find the old ones without scanning the table.
            BrinIndex(fields=["checked_at"], name="domaincheck_time_brin"),
        ]

    def __str__(self) -> str:
        return f"{self.domain_id} {self.checked_at:%Y-%m-%d %H:%M} {self.outcome}"

    @property
    def ok(self) -> bool:
        return self.outcome in OK_OUTCOMES


class MaintenanceWindow(models.Model):
    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.CASCADE, related_name="maintenance_windows")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["ends_at", "starts_at"], name="maintenance_window_time")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="maintenance_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.tenant}: {self.starts_at:%Y-%m-%d %H:%M} – {self.ends_at:%Y-%m-%d %H:%M}"


class HealingAction(models.Model):
    class Trigger(models.TextChoices):
        NOT_FOUND = "not_found", "Site answered 404"
        NO_SNAPSHOT = "no_snapshot", "No published site"

    class Status(models.TextChoices):
        QUEUED = "queued", "Site sync queued, re-checking"
        HEALED = "healed", "Healed"
        FAILED = "failed", "Still failing"

    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.CASCADE, related_name="healing_actions")
    domain = models.ForeignKey("tenancy.Domain", on_delete=models.SET_NULL, null=True, blank=True)
    url = models.CharField(max_length=500)
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    detail = models.TextField(blank=True)
    rechecks = models.PositiveSmallIntegerField(default=0)
    recheck_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="healing_tenant_created")]

    def __str__(self) -> str:
        return f"{self.tenant}: {self.get_trigger_display()} → {self.get_status_display()}"
