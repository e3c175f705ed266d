from __future__ import annotations

import os

from django.db.models import F
from django.utils import timezone

from apps.workers.models import WorkerHeartbeat


def heartbeat_record(*, hostname: str, queues: str = "") -> WorkerHeartbeat:
    """Idempotent per beat: upsert the worker's row, bump its counter."""
    now = timezone.now()
    beat, created = WorkerHeartbeat.objects.get_or_create(
        hostname=hostname, defaults={"last_seen": now, "beats": 1, "pid": os.getpid(), "queues": queues}
    )
    if not created:
        WorkerHeartbeat.objects.filter(pk=beat.pk).update(
            last_seen=now, beats=F("beats") + 1, pid=os.getpid(), queues=queues
        )
        beat.refresh_from_db()
    return beat
