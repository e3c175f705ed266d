"""Alert tasks: thin, take ids, idempotent (a delivery already sent is never claimed again)."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def deliveries_send_task(delivery_ids: list[int]) -> dict:
    from apps.alerts.services import deliveries_send

    report = deliveries_send(ids=delivery_ids)
    return {"sent": report.sent, "retrying": report.retrying, "failed": report.failed}


@shared_task(acks_late=True, ignore_result=True)
def deliveries_retry_task() -> dict:
    from apps.alerts.services import deliveries_retry_due

    report = deliveries_retry_due()
    return {"sent": report.sent, "retrying": report.retrying, "failed": report.failed}


@shared_task(acks_late=True, ignore_result=True)
def digests_send_task(frequency: str) -> dict:
    from apps.alerts.services import digests_send

    report = digests_send(frequency=frequency)
    return {"sent": report.sent, "messages": report.messages, "retrying": report.retrying, "failed": report.failed}
