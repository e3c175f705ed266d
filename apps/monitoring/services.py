"""Writes for health monitoring: a check cycle over the fleet, the state machine's effects
(alerts), self-healing after a 404, maintenance windows and history pruning.

A cycle is three steps: read the targets (one query), check them all over HTTP (the async
checker, bounded concurrency), then record everything set-based — one bulk insert into the
history, one upsert of the latest state per domain — and only then act on the few domains whose
state changed: alerts through apps.alerts, site sync through apps.cms.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.alerts.models import EventType, Severity
from apps.alerts.services import alert_tenant_stakeholders
from apps.audit.services import audit_record
from apps.monitoring.checker import CheckerConfig, CheckResult, CheckTarget, run_checks
from apps.monitoring.models import DomainCheck, DomainHealth, HealingAction, HealthState, MaintenanceWindow, Outcome
from apps.monitoring.selectors import tenants_in_maintenance
from apps.monitoring.states import health_transition

log = logging.getLogger(__name__)

HEALTH_FIELDS = [
    "tenant",
    "state",
    "consecutive_failures",
    "last_outcome",
    "last_status_code",
    "last_latency_ms",
    "last_error",
    "last_url",
    "last_checked_at",
    "last_ok_at",
    "state_changed_at",
    "tls_expires_at",
    "down_alerted",
    "tls_alerted_for",
]


def monitor_url_for(domain: str) -> str:
    """The URL checked for a domain: MONITOR_URL_TEMPLATE; without a port, ":{port}" goes."""
    port = str(settings.MONITOR_PORT or "")
    template = settings.MONITOR_URL_TEMPLATE if port else settings.MONITOR_URL_TEMPLATE.replace(":{port}", "")
    return template.format(domain=domain, port=port)


def health_targets(*, tenant_ids: list[int] | None = None, domain_ids: list[int] | None = None) -> list[CheckTarget]:
    """Every domain of every active tenant (the platform's own host excluded)."""
    from apps.tenancy.models import Domain, Tenant

    qs = Domain.objects.filter(tenant__status=Tenant.Status.ACTIVE).exclude(tenant__schema_name="public")
    if tenant_ids is not None:
        qs = qs.filter(tenant_id__in=tenant_ids)
    if domain_ids is not None:
        qs = qs.filter(pk__in=domain_ids)
    return [CheckTarget(key=pk, domain=name, url=monitor_url_for(name)) for pk, name in qs.values_list("pk", "domain")]


@dataclass
class CycleReport:
    checked: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    states: dict[str, int] = field(default_factory=dict)
    alerts: int = 0
    heals: int = 0
    check_seconds: float = 0.0
    record_seconds: float = 0.0
    events: list[str] = field(default_factory=list)


def health_cycle_run(*, targets: list[CheckTarget] | None = None, config: CheckerConfig | None = None, heal=True):
    """One health cycle: check, record, alert, heal. Returns a CycleReport."""
    started = time.perf_counter()
    targets = health_targets() if targets is None else targets
    results = run_checks(targets, config or CheckerConfig.from_settings())
    checked = time.perf_counter()
    report = health_results_record(results=results, heal=heal)
    report.check_seconds = checked - started
    report.record_seconds = time.perf_counter() - checked
    return report


def health_results_record(*, results: list[CheckResult], now: datetime | None = None, heal: bool = True) -> CycleReport:
    """Apply check results: history rows, the state machine per domain, then its effects."""
    from apps.tenancy.models import Domain

    now = now or timezone.now()
    report = CycleReport(checked=len(results))
    if not results:
        return report
    ids = [r.key for r in results]
    tenant_of = dict(Domain.objects.filter(pk__in=ids).values_list("pk", "tenant_id"))
    current = {h.domain_id: h for h in DomainHealth.objects.filter(domain_id__in=ids)}
    in_maintenance = tenants_in_maintenance(at=now)
    threshold = settings.MONITOR_FAILURES_BEFORE_DOWN
    tls_warn = timedelta(days=settings.MONITOR_TLS_WARN_DAYS)

    checks: list[DomainCheck] = []
    rows: list[DomainHealth] = []
    effects: list[tuple[str, DomainHealth, CheckResult]] = []
    for r in results:
        tenant_id = tenant_of.get(r.key)
        if tenant_id is None:  # domain deleted while it was being checked
            continue
        report.outcomes[r.outcome] = report.outcomes.get(r.outcome, 0) + 1
        checks.append(
            DomainCheck(
                domain_id=r.key, checked_at=now, outcome=r.outcome, status_code=r.status_code, latency_ms=r.latency_ms
            )
        )
        h = current.get(r.key) or DomainHealth(domain_id=r.key, tenant_id=tenant_id)
        h.tenant_id = tenant_id
        before = h.state
        h.state, h.consecutive_failures = health_transition(
            state=before, failures=h.consecutive_failures, outcome=r.outcome, threshold=threshold
        )
        if h.state != before:
            h.state_changed_at = now
        h.last_outcome = r.outcome
        h.last_status_code = r.status_code
        h.last_latency_ms = r.latency_ms
        h.last_error = r.error[:200]
        h.last_url = (r.final_url or r.url)[:500]
        h.last_checked_at = now
        if r.ok:
            h.last_ok_at = now
        if r.tls_expires_at is not None:
            h.tls_expires_at = r.tls_expires_at
        quiet = tenant_id in in_maintenance
        if h.state == HealthState.DOWN and not h.down_alerted and not quiet:
            h.down_alerted = True
            effects.append(("down", h, r))
        elif h.state != HealthState.DOWN and h.down_alerted:
            h.down_alerted = False
            if not quiet:  # back inside a maintenance window: nothing to announce
                effects.append(("recovered", h, r))
        if (
            h.tls_expires_at is not None
            and h.tls_expires_at - now < tls_warn
            and h.tls_alerted_for != h.tls_expires_at
            and not quiet
        ):
            h.tls_alerted_for = h.tls_expires_at
            effects.append(("tls", h, r))
        if heal and r.outcome == Outcome.NOT_FOUND and not quiet:
            effects.append(("heal", h, r))
        report.states[h.state] = report.states.get(h.state, 0) + 1
        rows.append(h)

    with transaction.atomic():
        DomainCheck.objects.bulk_create(checks, batch_size=2000)
        DomainHealth.objects.bulk_create(
            rows, batch_size=1000, update_conflicts=True, unique_fields=["domain"], update_fields=HEALTH_FIELDS
        )
    if effects:
        _apply_effects(effects, now=now, report=report)
    return report


# --------------------------------------------------------------------------- effects


def _label(domain_name: str, tenant) -> str:
    return f"{tenant.name} ({domain_name})"


def _apply_effects(effects, *, now: datetime, report: CycleReport) -> None:
    from apps.tenancy.models import Domain

    domains = {
        d.pk: d for d in Domain.objects.filter(pk__in={h.domain_id for _, h, _ in effects}).select_related("tenant")
    }
    healed_tenants: set[int] = set()
    for kind, h, r in effects:
        domain = domains.get(h.domain_id)
        if domain is None:
            continue
        tenant = domain.tenant
        when = f"{now:%Y-%m-%d %H:%M} UTC"
        if kind == "down":
            failures = h.consecutive_failures
            alert_tenant_stakeholders(
                tenant=tenant,
                event_type=EventType.SITE_DOWN,
                severity=Severity.CRITICAL,
                title=f"{_label(domain.domain, tenant)} is down",
                body=(
                    f"What happened: {failures} health checks in a row of {r.url} failed "
                    f"(last at {when}: {Outcome(r.outcome).label}{f' — {r.error}' if r.error else ''}).\n"
                    "What we do: keep checking every few minutes; you get another alert when it answers again."
                ),
            )
            report.alerts += 1
            report.events.append(f"down {domain.domain}")
        elif kind == "recovered":
            alert_tenant_stakeholders(
                tenant=tenant,
                event_type=EventType.SITE_RECOVERED,
                severity=Severity.INFO,
                title=f"{_label(domain.domain, tenant)} is back up",
                body=f"At {when} {r.url} answered {r.status_code} in {r.latency_ms} ms again.",
            )
            report.alerts += 1
            report.events.append(f"recovered {domain.domain}")
        elif kind == "tls":
            days = (h.tls_expires_at - now).days
            alert_tenant_stakeholders(
                tenant=tenant,
                event_type=EventType.TLS_EXPIRING,
                severity=Severity.WARNING if days > 3 else Severity.CRITICAL,
                title=f"{_label(domain.domain, tenant)}: TLS certificate expires in {max(days, 0)} days",
                body=f"The certificate served at {r.url} is valid until {h.tls_expires_at:%Y-%m-%d %H:%M} UTC. Renew it before then.",
            )
            report.alerts += 1
            report.events.append(f"tls {domain.domain}")
        elif kind == "heal" and tenant.pk not in healed_tenants:
            healed_tenants.add(tenant.pk)
            started = heal_start(
                tenant=tenant,
                domain=domain,
                url=r.url,
                status_code=r.status_code,
                not_published=r.site_status == "not-published",
            )
            if started is not None:
                report.heals += 1
                report.events.append(f"heal {domain.domain}")


# --------------------------------------------------------------------------- self-healing


def _snapshot_missing(tenant) -> bool | None:
    """Whether the tenant has no published site snapshot (None: the CMS cannot say)."""
    try:
        from apps.cms.selectors import site_snapshot_current
    except ImportError:
        return None
    from django_tenants.utils import tenant_context

    try:
        with tenant_context(tenant):
            return site_snapshot_current() is None
    except Exception:  # a broken tenant schema must not stop the cycle for everyone else
        log.exception("could not read the site snapshot of %s", tenant.slug)
        return None


def heal_start(
    *, tenant, domain, url: str, status_code: int | None, not_published: bool = False
) -> HealingAction | None:
    """A tenant's site answered 404: queue its site sync on the worker (inside the tenant's
    schema) and a re-check; the re-check reports to the partner and the owners. At most one heal
    per tenant in flight, and none within MONITOR_HEAL_COOLDOWN_SECONDS of the last one."""
    from apps.governance.panic import panic_for_tenant

    cooldown = timezone.now() - timedelta(seconds=settings.MONITOR_HEAL_COOLDOWN_SECONDS)
    recent = HealingAction.objects.filter(tenant=tenant).filter(
        Q(status=HealingAction.Status.QUEUED) | Q(created_at__gte=cooldown)
    )
    if recent.exists():
        return None
    missing = not_published or _snapshot_missing(tenant)
    trigger = HealingAction.Trigger.NO_SNAPSHOT if missing else HealingAction.Trigger.NOT_FOUND
    detail = [f"{url} answered {status_code or 404} Not Found."]
    if missing:
        detail.append("The site had no published snapshot.")
    panic = panic_for_tenant(tenant)
    if panic is not None:
        detail.append("The tenant is under an emergency stop: its site sync is held until the stop is released.")
    with transaction.atomic():
        action = HealingAction.objects.create(
            tenant=tenant, domain=domain, url=url, trigger=trigger, detail=" ".join(detail)
        )
        audit_record(
            action="monitoring.self_heal",
            target=tenant,
            after={"url": url, "trigger": trigger, "healing_action": action.pk},
            reason="site answered 404",
        )
        transaction.on_commit(lambda: _queue_heal(tenant, action.pk, url))
    return action


def _queue_heal(tenant, action_id: int, url: str) -> None:
    from django_tenants.utils import schema_context, tenant_context

    from apps.monitoring.tasks import heal_verify_task

    try:
        from apps.cms.tasks import site_sync_task
    except ImportError:  # no CMS: nothing to re-sync, the re-check reports the failure
        log.error("apps.cms.tasks.site_sync_task is not available; cannot self-heal %s", tenant.slug)
    else:
        with tenant_context(tenant):
            site_sync_task.apply_async(kwargs={"reason": f"self-heal: {url} answered 404"})
    with schema_context("public"):
        heal_verify_task.apply_async(
            args=[action_id, 0], countdown=settings.MONITOR_HEAL_RECHECK_DELAYS[0], queue=settings.MONITOR_QUEUE
        )


def heal_verify(*, action_id: int, attempt: int = 0, config: CheckerConfig | None = None) -> str:
    """Re-check the URL of a heal. Returns "healed", "failed", "retry" (check again later) or
    "done" (already settled: a repeated task does nothing)."""
    action = HealingAction.objects.select_related("tenant", "domain").filter(pk=action_id).first()
    if action is None or action.status != HealingAction.Status.QUEUED:
        return "done"
    key = action.domain_id or 0
    result = run_checks([CheckTarget(key=key, domain="", url=action.url)], config or CheckerConfig.from_settings())[0]
    if action.domain_id:
        health_results_record(results=[result], heal=False)
    action.rechecks += 1
    action.recheck_status_code = result.status_code
    delays = settings.MONITOR_HEAL_RECHECK_DELAYS
    if not result.ok and attempt + 1 < len(delays):
        action.save(update_fields=["rechecks", "recheck_status_code"])
        return "retry"
    tenant = action.tenant
    waited = sum(delays[: attempt + 1])
    happened = f"What happened: {action.detail}"
    did = f"What we did: re-triggered site sync for {tenant.name} (republishing its current content) and checked again."
    with transaction.atomic():
        action.finished_at = timezone.now()
        if result.ok:
            action.status = HealingAction.Status.HEALED
            action.save(update_fields=["rechecks", "recheck_status_code", "status", "finished_at"])
            alert_tenant_stakeholders(
                tenant=tenant,
                event_type=EventType.SITE_HEALED,
                severity=Severity.WARNING,
                title=f"{tenant.name}: site was not found (404) — republished automatically",
                body=(
                    f"{happened}\n{did}\n"
                    f"Result: {action.url} answers {result.status_code} again ({result.latency_ms} ms). Nothing else to do."
                ),
            )
        else:
            action.status = HealingAction.Status.FAILED
            action.save(update_fields=["rechecks", "recheck_status_code", "status", "finished_at"])
            answer = f"{result.status_code}" if result.status_code else Outcome(result.outcome).label.lower()
            alert_tenant_stakeholders(
                tenant=tenant,
                event_type=EventType.SITE_HEAL_FAILED,
                severity=Severity.CRITICAL,
                title=f"{tenant.name}: site is not found (404) and the automatic repair did not fix it",
                body=(
                    f"{happened}\n{did}\n"
                    f"Result: after {action.rechecks} re-checks over {waited:g} s, {action.url} still answers {answer}. "
                    "Check the site's pages in the dashboard (Site) and publish them, or contact support."
                ),
            )
    return action.status


# --------------------------------------------------------------------------- maintenance, pruning


def maintenance_window_create(*, tenant, starts_at: datetime, ends_at: datetime, reason: str = "", actor=None):
    errors = {}
    if ends_at <= starts_at:
        errors["ends_at"] = "The end must be after the start."
    elif ends_at - starts_at > timedelta(days=7):
        errors["ends_at"] = "A maintenance window lasts at most 7 days."
    elif ends_at <= timezone.now():
        errors["ends_at"] = "This window is already over."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        window = MaintenanceWindow.objects.create(
            tenant=tenant, starts_at=starts_at, ends_at=ends_at, reason=reason.strip()[:200], created_by=actor
        )
        audit_record(
            action="monitoring.maintenance_create",
            actor=actor,
            target=tenant,
            after={"starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat(), "reason": window.reason},
        )
    return window


def maintenance_window_end(*, window: MaintenanceWindow, actor=None) -> MaintenanceWindow:
    """End a window now (or cancel one that has not started)."""
    now = timezone.now()
    with transaction.atomic():
        if window.starts_at >= now:
            window.delete()
        elif window.ends_at > now:
            window.ends_at = now
            window.save(update_fields=["ends_at"])
        audit_record(action="monitoring.maintenance_end", actor=actor, target=window.tenant)
    return window


def history_prune(*, now: datetime | None = None, batch: int = 50_000) -> int:
    """Delete checks older than MONITOR_HISTORY_DAYS, in batches (short locks). Returns rows deleted."""
    from django.db import connection

    cutoff = (now or timezone.now()) - timedelta(days=settings.MONITOR_HISTORY_DAYS)
    table = DomainCheck._meta.db_table
    total = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE checked_at < %s LIMIT %s)",
                [cutoff, batch],
            )
            deleted = cursor.rowcount
        total += deleted
        if deleted < batch:
            return total
