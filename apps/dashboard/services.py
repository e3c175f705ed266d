"""Writes behind the dashboard's settings page.

Theme and language go through `apps.accounts.services.user_set_preferences`; the profile name
has no accounts service yet, so it lives here, behind the same keyword-only, validated shape.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from apps.accounts.models import User

FULL_NAME_MAX = User._meta.get_field("full_name").max_length


def user_update_profile(*, user: User, full_name: str) -> User:
    full_name = " ".join((full_name or "").split())
    if len(full_name) > FULL_NAME_MAX:
        raise ValidationError({"full_name": _("Use at most %(max)d characters.") % {"max": FULL_NAME_MAX}})
    if user.full_name != full_name:
        user.full_name = full_name
        user.save(update_fields=["full_name"])
    return user


def tenant_setting_set(*, key: str, value: dict):
    """Upsert a setting in the current tenant's schema (idempotent; used by tasks and onboarding)."""
    from apps.dashboard.models import TenantSetting

    key = (key or "").strip()
    if not key or len(key) > 100:
        raise ValidationError({"key": "A key of 1–100 characters is required."})
    setting, _created = TenantSetting.objects.update_or_create(key=key, defaults={"value": value})
    return setting
