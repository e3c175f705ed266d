"""Celery app. Tasks are tenant-aware through tenant-schemas-celery: a task queued while a
tenant is active carries its schema name and runs inside that schema on the worker. Every task
is a GuardedTask: it does not run while its tenant (or the fleet) is panicked (M21)."""

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = CeleryApp("bizosaas", task_cls="apps.governance.tasks_base:GuardedTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _schedule(sender, **kwargs):
    from django.conf import settings

    sender.conf.beat_schedule = {
        "fleet-heartbeat": {
            "task": "apps.workers.tasks.fleet_heartbeat",
            "schedule": float(settings.CELERY_HEARTBEAT_SECONDS),
            "options": {"queue": "ops", "expires": settings.CELERY_HEARTBEAT_SECONDS},
        },
    }
