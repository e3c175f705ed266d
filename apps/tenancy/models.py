"""Public-schema models: tenants, their domains and subscription plans."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django_tenants.models import DomainMixin, TenantMixin


class Plan(models.Model):
    """A subscription tier. `code` is what the entitlement engine and the API speak."""

    class Code(models.TextChoices):
        FREE = "free", "Free"
        STARTER = "starter", "Starter"
        PRO = "pro", "Pro"
        ENTERPRISE = "enterprise", "Enterprise"

    code = models.CharField(max_length=20, choices=Code.choices, unique=True)
    name = models.CharField(max_length=60)
    rank = models.PositiveSmallIntegerField(default=0, help_text="Higher is a bigger plan.")
    monthly_price = models.DecimalField(max_digits=10, decimal_places=2, default=0)

    class Meta:
        ordering = ["rank"]

    def __str__(self) -> str:
        return self.name


class Tenant(TenantMixin):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"
        ARCHIVED = "archived", "Archived"

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=40, unique=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE, db_index=True)
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="tenants", null=True, blank=True)
    partner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_tenants",
        help_text="The partner (agency) that manages this business.",
    )
    industry = models.CharField(max_length=80, blank=True)
    status_reason = models.CharField(max_length=255, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    # Schemas are made by apps.tenancy.schema_template.clone_template inside the provisioning
    # transaction, never by django-tenants' save() hook (which replays every migration).
    auto_create_schema = False
    auto_drop_schema = False

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["partner", "status"], name="tenant_partner_status")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_public(self) -> bool:
        return self.schema_name == "public"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def is_read_only(self) -> bool:
        return self.status == self.Status.ARCHIVED


class Domain(DomainMixin):
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.domain
