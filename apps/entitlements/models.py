"""Public-schema models of the Unified Entitlement Engine (M3): features, beta grants and
per-tenant overrides.

Rows are written only through apps.entitlements.services (which audits every change and bumps
the snapshot version); the request path never reads these tables, it reads the in-process
snapshot (apps.entitlements.snapshot).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

FEATURE_KEY_RE = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$"


class Feature(models.Model):
    class Stage(models.TextChoices):
        ALPHA = "alpha", "Alpha"
        BETA = "beta", "Beta"
        GA = "ga", "GA"
        RETIRED = "retired", "Retired"

    key = models.CharField(
        max_length=80,
        unique=True,
        validators=[RegexValidator(FEATURE_KEY_RE, "Lowercase words separated by dots, e.g. crm.kanban.")],
        help_text="Stable identifier used in code, e.g. crm.kanban.",
    )
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    stage = models.CharField(max_length=8, choices=Stage.choices, default=Stage.ALPHA, db_index=True)
    killed = models.BooleanField(default=False, help_text="Global kill switch: OFF for everyone, staff included.")
    kill_reason = models.CharField(max_length=255, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="owned_features"
    )
    rollout_percentage = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(100)],
        help_text="Beta only: share of tenants (0–100) that get the feature without a grant. Sticky per tenant.",
    )
    prerequisites = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="dependents",
        help_text="Features that must also be ON for this one to be ON.",
    )
    super_admin_only = models.BooleanField(
        default=False,
        help_text="Only super admins (tier 4) manage this feature's grants (e.g. the QuantTrade whitelist).",
    )
    stage_changed_at = models.DateTimeField(auto_now_add=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]
        constraints = [
            models.CheckConstraint(condition=Q(rollout_percentage__lte=100), name="feature_rollout_le_100"),
        ]

    def __str__(self) -> str:
        return self.key


class Grant(models.Model):
    """A beta grant: the feature is ON for one user, tenant, partner (all its tenants) or plan
    tier (all tenants on that plan) until it expires."""

    class Target(models.TextChoices):
        USER = "user", "User"
        TENANT = "tenant", "Tenant"
        PARTNER = "partner", "Partner"
        TIER = "tier", "Plan tier"

    feature = models.ForeignKey(Feature, on_delete=models.CASCADE, related_name="grants")
    target_type = models.CharField(max_length=8, choices=Target.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="feature_grants"
    )
    tenant = models.ForeignKey(
        "tenancy.Tenant", on_delete=models.CASCADE, null=True, blank=True, related_name="feature_grants"
    )
    partner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="partner_feature_grants"
    )
    plan = models.ForeignKey(
        "tenancy.Plan", on_delete=models.CASCADE, null=True, blank=True, related_name="feature_grants"
    )
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty: never expires.")
    reason = models.CharField(max_length=255, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["feature__key", "target_type", "id"]
        constraints = [
            models.CheckConstraint(
                name="grant_exactly_one_target",
                condition=(
                    Q(
                        target_type="user",
                        user__isnull=False,
                        tenant__isnull=True,
                        partner__isnull=True,
                        plan__isnull=True,
                    )
                    | Q(
                        target_type="tenant",
                        user__isnull=True,
                        tenant__isnull=False,
                        partner__isnull=True,
                        plan__isnull=True,
                    )
                    | Q(
                        target_type="partner",
                        user__isnull=True,
                        tenant__isnull=True,
                        partner__isnull=False,
                        plan__isnull=True,
                    )
                    | Q(
                        target_type="tier",
                        user__isnull=True,
                        tenant__isnull=True,
                        partner__isnull=True,
                        plan__isnull=False,
                    )
                ),
            ),
            models.UniqueConstraint(
                fields=["feature", "target_type", "user", "tenant", "partner", "plan"],
                name="grant_unique_target",
                nulls_distinct=False,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.feature_id and self.feature.key} → {self.target_label}"

    @property
    def target_label(self) -> str:
        if self.target_type == self.Target.USER:
            return f"user {self.user.email}" if self.user_id else "user ?"
        if self.target_type == self.Target.TENANT:
            return f"tenant {self.tenant.slug}" if self.tenant_id else "tenant ?"
        if self.target_type == self.Target.PARTNER:
            return f"partner {self.partner.email}" if self.partner_id else "partner ?"
        return f"tier {self.plan.code}" if self.plan_id else "tier ?"


class TenantOverride(models.Model):
    """Forces a feature ON or OFF for one tenant (e.g. a GA feature a tenant opted out of)."""

    feature = models.ForeignKey(Feature, on_delete=models.CASCADE, related_name="overrides")
    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.CASCADE, related_name="feature_overrides")
    enabled = models.BooleanField()
    reason = models.CharField(max_length=255, blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["feature__key", "tenant__slug"]
        constraints = [models.UniqueConstraint(fields=["feature", "tenant"], name="override_unique_feature_tenant")]

    def __str__(self) -> str:
        return f"{self.feature_id and self.feature.key} @ {self.tenant_id and self.tenant.slug}: {'on' if self.enabled else 'off'}"


class QuantTradeWhitelistEntry(Grant):
    """The grants of the beta feature `quanttrade`, shown in the admin as the "QuantTrade beta
    whitelist" of the platform settings (super admins only)."""

    class Meta:
        proxy = True
        verbose_name = "QuantTrade beta whitelist entry"
        verbose_name_plural = "QuantTrade beta whitelist"
