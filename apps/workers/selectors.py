from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from apps.workers.models import WorkerHeartbeat


def workers_alive(*, within_seconds: int | None = None) -> list[WorkerHeartbeat]:
    window = within_seconds or settings.CELERY_HEARTBEAT_SECONDS * 3
    return list(WorkerHeartbeat.objects.filter(last_seen__gte=timezone.now() - timedelta(seconds=window)))
