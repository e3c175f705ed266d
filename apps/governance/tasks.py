from __future__ import annotations

import time

from celery import shared_task

from apps.dashboard.services import tenant_setting_set
from apps.governance.tasks_base import raise_if_cancelled

DRILL_SETTING = "panic_drill"


@shared_task(bind=True, acks_late=True, ignore_result=True)
def panic_drill(self, steps: int = 10, step_seconds: float = 0.2) -> int:
    """The panic drill (M21): a long task in the current tenant that records its progress after
    each step and checks the cancellation flag between steps, so operators can rehearse the kill
    switch and watch it stop real work. Idempotent: a re-run starts over."""
    steps = max(1, min(int(steps), 10_000))
    for step in range(1, steps + 1):
        raise_if_cancelled(self)
        time.sleep(max(0.0, float(step_seconds)))
        tenant_setting_set(key=DRILL_SETTING, value={"step": step, "of": steps, "done": step == steps})
    return steps
