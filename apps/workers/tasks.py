from __future__ import annotations

from celery import shared_task

from apps.workers.services import heartbeat_record


@shared_task(bind=True, acks_late=True, ignore_result=True)
def fleet_heartbeat(self) -> str:
    """Record that a worker is alive and consuming the ops queue (System Health reads it)."""
    hostname = self.request.hostname or "unknown"
    queue = (self.request.delivery_info or {}).get("routing_key", "")
    heartbeat_record(hostname=hostname, queues=queue)
    return hostname
