"""Reads for health monitoring. Dashboard reads are scoped to one tenant (the request's); the
fleet-wide reads serve the admin and the cycle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Avg, Count, Q
from django.utils import timezone

from apps.monitoring.models import OK_OUTCOMES, DomainCheck, DomainHealth, HealingAction, MaintenanceWindow


def tenants_in_maintenance(*, at: datetime | None = None) -> set[int]:
    at = at or timezone.now()
    return set(MaintenanceWindow.objects.filter(starts_at__lte=at, ends_at__gt=at).values_list("tenant_id", flat=True))


def maintenance_active_for(*, tenant, at: datetime | None = None) -> MaintenanceWindow | None:
    at = at or timezone.now()
    return MaintenanceWindow.objects.filter(tenant=tenant, starts_at__lte=at, ends_at__gt=at).first()


def maintenance_windows_for(*, tenant, limit: int = 10) -> list[MaintenanceWindow]:
    """Current and upcoming windows first, then the latest past ones."""
    now = timezone.now()
    upcoming = list(MaintenanceWindow.objects.filter(tenant=tenant, ends_at__gt=now).order_by("starts_at")[:limit])
    past = list(MaintenanceWindow.objects.filter(tenant=tenant, ends_at__lte=now).order_by("-ends_at")[:3])
    return upcoming + past


def maintenance_window_get_for(*, tenant, window_id: int) -> MaintenanceWindow | None:
    return MaintenanceWindow.objects.filter(tenant=tenant, pk=window_id).first()


def uptime_for_domains(*, domain_ids: list[int], since: datetime) -> dict[int, dict]:
    """Per domain: checks, successful checks, uptime % and mean latency since `since`."""
    rows = (
        DomainCheck.objects.filter(domain_id__in=domain_ids, checked_at__gte=since)
        .values("domain_id")
        .annotate(total=Count("id"), ok=Count("id", filter=Q(outcome__in=OK_OUTCOMES)), latency=Avg("latency_ms"))
        .order_by()
    )
    out = {}
    for row in rows:
        out[row["domain_id"]] = {
            "total": row["total"],
            "ok": row["ok"],
            "uptime": 100.0 * row["ok"] / row["total"] if row["total"] else None,
            "latency": round(row["latency"]) if row["latency"] is not None else None,
        }
    return out


@dataclass
class DomainRow:
    domain: str
    is_primary: bool
    health: DomainHealth | None
    uptime_24h: float | None
    uptime_7d: float | None
    uptime_30d: float | None


def tenant_health_overview(*, tenant) -> list[DomainRow]:
    """Each of the tenant's domains with its latest state and uptime over 24 h, 7 and 30 days."""
    from apps.tenancy.models import Domain

    domains = list(Domain.objects.filter(tenant=tenant).order_by("-is_primary", "domain"))
    ids = [d.pk for d in domains]
    health = {h.domain_id: h for h in DomainHealth.objects.filter(domain_id__in=ids)}
    now = timezone.now()
    windows = {
        k: uptime_for_domains(domain_ids=ids, since=now - timedelta(days=days))
        for k, days in (("d1", 1), ("d7", 7), ("d30", 30))
    }
    return [
        DomainRow(
            domain=d.domain,
            is_primary=d.is_primary,
            health=health.get(d.pk),
            uptime_24h=windows["d1"].get(d.pk, {}).get("uptime"),
            uptime_7d=windows["d7"].get(d.pk, {}).get("uptime"),
            uptime_30d=windows["d30"].get(d.pk, {}).get("uptime"),
        )
        for d in domains
    ]


def latency_series(*, tenant, since: datetime, domain: str | None = None) -> list[tuple[datetime, int | None, bool]]:
    """(checked_at, latency ms, ok) of the tenant's primary domain (or the one named), oldest first."""
    from apps.tenancy.models import Domain

    qs = Domain.objects.filter(tenant=tenant)
    target = (qs.filter(domain=domain) if domain else qs.order_by("-is_primary", "domain")).first()
    if target is None:
        return []
    rows = (
        DomainCheck.objects.filter(domain=target, checked_at__gte=since)
        .order_by("checked_at")
        .values_list("checked_at", "latency_ms", "outcome")
    )
    return [(at, latency, outcome in OK_OUTCOMES) for at, latency, outcome in rows]


def healing_actions_for(*, tenant, limit: int = 10) -> list[HealingAction]:
    return list(HealingAction.objects.filter(tenant=tenant).select_related("domain")[:limit])


def fleet_state_counts() -> dict[str, int]:
    return dict(DomainHealth.objects.values_list("state").annotate(n=Count("id")).order_by())
