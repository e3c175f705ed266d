"""Monitoring tasks: thin, idempotent. They run in the public schema (queued from beat or from a
public context), so a panic on one tenant never stops the monitoring of the others; only the
fleet-wide switch holds them."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings


@shared_task(acks_late=True, ignore_result=True)
def health_cycle_task() -> dict:
    """Every MONITOR_INTERVAL_SECONDS (beat): check every active tenant's domains. One cycle at a
    time: a cycle still running when the next is due (a slow fleet, a busy worker) makes the next
    one a no-op instead of doubling the load on every site."""
    from django.core.cache import cache

    from apps.monitoring.services import health_cycle_run

    lock = "monitoring:health-cycle:running"
    if not cache.add(lock, 1, timeout=settings.MONITOR_INTERVAL_SECONDS * 3):
        return {"skipped": "a cycle is already running"}
    try:
        report = health_cycle_run()
    finally:
        cache.delete(lock)
    return {
        "checked": report.checked,
        "states": report.states,
        "alerts": report.alerts,
        "heals": report.heals,
        "seconds": round(report.check_seconds + report.record_seconds, 2),
    }


@shared_task(acks_late=True, ignore_result=True)
def health_check_domains_task(domain_ids: list[int]) -> dict:
    """Check some domains now ("check now" in the admin)."""
    from apps.monitoring.services import health_cycle_run, health_targets

    report = health_cycle_run(targets=health_targets(domain_ids=domain_ids))
    return {"checked": report.checked, "states": report.states}


@shared_task(acks_late=True, ignore_result=True)
def heal_verify_task(action_id: int, attempt: int = 0) -> str:
    """Re-check a self-healed site; again later (MONITOR_HEAL_RECHECK_DELAYS) until it answers or
    the delays run out, then tell the partner and the owners how it ended."""
    from apps.monitoring.services import heal_verify

    outcome = heal_verify(action_id=action_id, attempt=attempt)
    if outcome == "retry":
        delays = settings.MONITOR_HEAL_RECHECK_DELAYS
        heal_verify_task.apply_async(
            args=[action_id, attempt + 1], countdown=delays[attempt + 1], queue=settings.MONITOR_QUEUE
        )
    return outcome


@shared_task(acks_late=True, ignore_result=True)
def history_prune_task() -> int:
    from apps.monitoring.services import history_prune

    return history_prune()
