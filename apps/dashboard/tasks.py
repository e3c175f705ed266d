from __future__ import annotations

from celery import shared_task

from apps.dashboard.services import tenant_setting_set


@shared_task(acks_late=True, ignore_result=True)
def tenant_setting_set_task(key: str, value: dict) -> None:
    """Runs in the schema of the tenant that queued it (tenant-schemas-celery)."""
    tenant_setting_set(key=key, value=value)
