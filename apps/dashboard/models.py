"""Tenant-schema models of the dashboard shell."""

from django.db import models


class TenantSetting(models.Model):
    """Per-tenant key/value settings (industry context, brand colour, …), in the tenant's schema."""

    key = models.CharField(max_length=100, unique=True)
    value = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key


class DashboardWidget(models.Model):
    """One widget on a user's overview page; the order is the user's own (drag and drop later)."""

    user_id = models.BigIntegerField(db_index=True)
    kind = models.CharField(max_length=40)
    position = models.PositiveSmallIntegerField(default=0)
    config = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["user_id", "position"]
        constraints = [models.UniqueConstraint(fields=["user_id", "kind"], name="widget_unique_user_kind")]

    def __str__(self) -> str:
        return f"{self.kind}@{self.position}"
