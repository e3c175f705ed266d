"""Celery tasks of the managed site. Thin: they run in the schema of the tenant that queued them
(tenant-schemas-celery), are held while that tenant is panicked (GuardedTask, the project's
task base class) and call the service."""

from __future__ import annotations

from celery import shared_task

from apps.cms.services import site_sync


@shared_task(acks_late=True, ignore_result=True)
def site_sync_task(reason: str = "") -> str:
    """Republish the current tenant's site. Idempotent: unchanged content makes no new snapshot.
    Queue it inside `tenant_context(tenant)` (or with `site_sync_queue`)."""
    return site_sync(reason=reason or "task").content_hash
