from __future__ import annotations

from django.core.exceptions import ValidationError

from apps.dashboard.models import TenantSetting


def tenant_setting_set(*, key: str, value: dict) -> TenantSetting:
    """Upsert a setting in the current tenant's schema (idempotent)."""
    key = (key or "").strip()
    if not key or len(key) > 100:
        raise ValidationError({"key": "A key of 1–100 characters is required."})
    setting, _ = TenantSetting.objects.update_or_create(key=key, defaults={"value": value})
    return setting
