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
    from celery.schedules import crontab
    from django.conf import settings

    sender.conf.beat_schedule = {
        "fleet-heartbeat": {
            "task": "apps.workers.tasks.fleet_heartbeat",
            "schedule": float(settings.CELERY_HEARTBEAT_SECONDS),
            "options": {"queue": "ops", "expires": settings.CELERY_HEARTBEAT_SECONDS},
        },
        # Health monitoring (apps.monitoring) and alerts (apps.alerts).
        "monitoring-health-cycle": {
            "task": "apps.monitoring.tasks.health_cycle_task",
            "schedule": float(settings.MONITOR_INTERVAL_SECONDS),
            "options": {"queue": settings.MONITOR_QUEUE, "expires": settings.MONITOR_INTERVAL_SECONDS},
        },
        "monitoring-history-prune": {
            "task": "apps.monitoring.tasks.history_prune_task",
            "schedule": 3600.0,
            "options": {"queue": settings.MONITOR_QUEUE, "expires": 3600},
        },
        "alerts-retry-due": {
            "task": "apps.alerts.tasks.deliveries_retry_task",
            "schedule": 60.0,
            "options": {"queue": settings.ALERTS_QUEUE, "expires": 60},
        },
        "alerts-digest-hourly": {
            "task": "apps.alerts.tasks.digests_send_task",
            "schedule": crontab(minute=0),
            "args": ("hourly",),
            "options": {"queue": settings.ALERTS_QUEUE},
        },
        "alerts-digest-daily": {
            "task": "apps.alerts.tasks.digests_send_task",
            "schedule": crontab(minute=0, hour=settings.ALERTS_DAILY_DIGEST_HOUR),
            "args": ("daily",),
            "options": {"queue": settings.ALERTS_QUEUE},
        },
    }
