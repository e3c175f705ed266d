"""The onboarding steps that run in workers. Thin: take the record's id, call the service.

Transient failures (database hiccups, mail server down, …) are retried with back-off; the
service records every failed attempt on the record. A permanent failure (e.g. the slug is taken)
stops here and waits for a person: fix the record in the admin and "retry failed step".
Every task is panic-aware (GuardedTask); the sync step is queued inside the tenant, so a panic
on that tenant holds it.
"""

from __future__ import annotations

from celery import shared_task

from apps.onboarding import services

MAX_RETRIES = 3


def _countdown(retries: int) -> int:
    return min(10 * 2**retries, 300)


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=MAX_RETRIES)
def provision_task(self, onboarding_id: int, trigger: str = "worker") -> None:
    try:
        services.provision(
            onboarding_id=onboarding_id, trigger=trigger, retries_left=self.max_retries - self.request.retries
        )
    except services.StepFailed as exc:
        if exc.will_retry:
            raise self.retry(countdown=_countdown(self.request.retries)) from exc


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=MAX_RETRIES)
def data_sync_task(self, onboarding_id: int, trigger: str = "worker") -> None:
    try:
        services.data_sync(
            onboarding_id=onboarding_id, trigger=trigger, retries_left=self.max_retries - self.request.retries
        )
    except services.StepFailed as exc:
        if exc.will_retry:
            raise self.retry(countdown=_countdown(self.request.retries)) from exc
