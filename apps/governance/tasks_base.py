"""The Celery task base class every task of the project gets (config/celery.py): the kill
switch's worker side.

Before a task runs, `GuardedTask` asks the panic mirror (one Redis GET) whether the task's
schema — or the whole fleet — is panicked. If so the task does not run: it is recorded as a
SkippedTask (name, arguments, schema, queue, when it was queued, why) and ignored, so nothing is
lost and `manage.py panic --rerun` can queue it again after release. Long tasks call
`raise_if_cancelled()` between steps, which stops them the same way mid-run.
"""

from __future__ import annotations

from datetime import datetime

from celery import current_task
from celery.exceptions import Ignore
from celery.signals import before_task_publish
from django.db import connection
from django.utils import timezone
from tenant_schemas_celery.task import TenantTask

QUEUED_AT_HEADER = "bz_queued_at"

# Tasks a panic never holds: the worker heartbeat only records that a worker is alive, and
# operators need to see their workers during an emergency.
PANIC_EXEMPT_TASKS = frozenset({"apps.workers.tasks.fleet_heartbeat"})


class TaskCancelled(Ignore):
    """The task's tenant (or the fleet) was panicked; it stopped without finishing."""


@before_task_publish.connect(dispatch_uid="governance_stamp_queued_at")
def _stamp_queued_at(sender=None, headers=None, **kwargs):
    # Celery's message carries no enqueue time; a skipped task should say when it was queued.
    if headers is not None:
        headers.setdefault(QUEUED_AT_HEADER, timezone.now().isoformat())


def _request_value(request, name: str):
    headers = getattr(request, "headers", None) or {}
    if name in headers:
        return headers[name]
    return request.get(name) if hasattr(request, "get") else getattr(request, name, None)


def _task_schema(task) -> str:
    return _request_value(task.request, "_schema_name") or connection.schema_name or "public"


def _record(task, args, kwargs, *, schema: str, panic, kind: str) -> None:
    from apps.governance.services import skipped_task_record

    queued_at = _request_value(task.request, QUEUED_AT_HEADER)
    try:
        queued = datetime.fromisoformat(queued_at) if queued_at else None
    except (TypeError, ValueError):
        queued = None
    scope = "the whole fleet" if panic.is_global else f"tenant {panic.scope}"
    reason = f"Panic on {scope}" + (f": {panic.reason}" if panic.reason else "")
    skipped_task_record(
        task_id=task.request.id,
        task_name=task.name,
        args=list(args or ()),
        kwargs=dict(kwargs or {}),
        schema_name=schema,
        queue=(task.request.delivery_info or {}).get("routing_key") or "",
        queued_at=queued,
        kind=kind,
        reason=reason,
    )


class GuardedTask(TenantTask):
    abstract = True
    panic_exempt = False

    def __call__(self, *args, **kwargs):
        if not self.request.called_directly and not self._is_exempt():
            from apps.governance.models import SkippedTask
            from apps.governance.panic import panic_for_schema

            schema = _task_schema(self)
            panic = panic_for_schema(schema)
            if panic is not None:
                _record(self, args, kwargs, schema=schema, panic=panic, kind=SkippedTask.Kind.SKIPPED)
                raise Ignore()
        return super().__call__(*args, **kwargs)

    def _is_exempt(self) -> bool:
        return self.panic_exempt or self.name in PANIC_EXEMPT_TASKS

    def raise_if_cancelled(self) -> None:
        raise_if_cancelled(self)


def raise_if_cancelled(task=None) -> None:
    """Call between the steps of a long task: if its tenant (or the fleet) has been panicked
    since it started, record it for a re-run and stop here (the task must be idempotent, as
    every task of ours is, so a re-run may start over)."""
    from apps.governance.models import SkippedTask
    from apps.governance.panic import panic_for_schema

    if task is None and current_task:
        task = current_task._get_current_object()
    running = task is not None and bool(task.request.id) and not task.request.called_directly
    if running and getattr(task, "_is_exempt", lambda: False)():
        return
    schema = _task_schema(task) if running else connection.schema_name
    panic = panic_for_schema(schema)
    if panic is None:
        return
    if running:
        _record(
            task, task.request.args, task.request.kwargs, schema=schema, panic=panic, kind=SkippedTask.Kind.CANCELLED
        )
    raise TaskCancelled(f"Stopped: {schema} is panicked.")
