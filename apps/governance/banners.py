"""Which system banners a request shows, without a query per request.

Each process keeps a snapshot of every banner that has not ended yet, tagged with a version
number. The current version lives in Redis; a request reads it (together with the user's
dismissals, in the same round trip) at most once, and only reloads the snapshot from the
database when the number moved. Every write to a banner bumps the number (signals.py), right
away and again after the transaction commits, so no process keeps serving an old snapshot.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.utils import timezone

VERSION_KEY = "governance:banners:version"
DISMISSED_KEY = "governance:banners:dismissed:{user_id}"
DISMISSED_TTL = 60 * 60 * 24
SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class BannerView:
    id: int
    message: str
    severity: str
    audience: str
    tiers: frozenset[int]
    tenant_ids: frozenset[int]
    partner_ids: frozenset[int]
    starts_at: datetime
    ends_at: datetime | None
    dismissible: bool

    def is_live(self, now: datetime) -> bool:
        return self.starts_at <= now and (self.ends_at is None or now < self.ends_at)

    def reaches(self, *, user, tenant) -> bool:
        """Whether this banner is meant for this user on this host."""
        if user is None or not user.is_authenticated:
            return False
        if self.audience == "everyone":
            return True
        if self.audience == "tiers":
            return int(user.tier) in self.tiers
        if self.audience == "tenants":
            return tenant is not None and not tenant.is_public and tenant.pk in self.tenant_ids
        if self.audience == "partners":
            if not user.is_partner:
                return False
            return not self.partner_ids or user.pk in self.partner_ids
        return False


class _Snapshot:
    def __init__(self):
        self.version = None
        self.banners: tuple[BannerView, ...] = ()
        self.lock = threading.Lock()


_snapshot = _Snapshot()


def version_bump() -> None:
    """Tell every process that its snapshot is stale."""
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # no number yet (or Redis lost it): start from one no snapshot has seen
        cache.set(VERSION_KEY, time.time_ns(), timeout=None)


def _load() -> tuple[BannerView, ...]:
    from django.db.models import Q

    from apps.governance.models import SystemBanner

    now = timezone.now()
    rows = list(SystemBanner.objects.filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now)).order_by("starts_at", "id"))
    ids = [b.pk for b in rows]
    tenants: dict[int, set[int]] = {}
    partners: dict[int, set[int]] = {}
    if ids:
        for banner_id, tenant_id in SystemBanner.tenants.through.objects.filter(systembanner_id__in=ids).values_list(
            "systembanner_id", "tenant_id"
        ):
            tenants.setdefault(banner_id, set()).add(tenant_id)
        for banner_id, user_id in SystemBanner.partners.through.objects.filter(systembanner_id__in=ids).values_list(
            "systembanner_id", "user_id"
        ):
            partners.setdefault(banner_id, set()).add(user_id)
    return tuple(
        BannerView(
            id=b.pk,
            message=b.message,
            severity=b.severity,
            audience=b.audience,
            tiers=frozenset(int(t) for t in (b.tiers or [])),
            tenant_ids=frozenset(tenants.get(b.pk, ())),
            partner_ids=frozenset(partners.get(b.pk, ())),
            starts_at=b.starts_at,
            ends_at=b.ends_at,
            dismissible=b.dismissible,
        )
        for b in rows
    )


def _snapshot_for(version) -> tuple[BannerView, ...]:
    if version is not None and _snapshot.version == version:
        return _snapshot.banners
    with _snapshot.lock:
        if version is None:
            version = time.time_ns()
            if not cache.add(VERSION_KEY, version, timeout=None):
                version = cache.get(VERSION_KEY, version)
        if _snapshot.version != version:
            _snapshot.banners = _load()
            _snapshot.version = version
        return _snapshot.banners


def _dismissed_ids(user, cached) -> frozenset[int]:
    if cached is not None:
        return frozenset(cached)
    from apps.governance.models import BannerDismissal

    ids = list(BannerDismissal.objects.filter(user=user).values_list("banner_id", flat=True))
    cache.set(DISMISSED_KEY.format(user_id=user.pk), ids, timeout=DISMISSED_TTL)
    return frozenset(ids)


def banners_for(*, user, tenant) -> list[BannerView]:
    """The live banners for this user on this host, most severe first, without the ones the
    user dismissed. One Redis round trip; SQL only when the snapshot is stale."""
    if user is None or not user.is_authenticated:
        return []
    dismissed_key = DISMISSED_KEY.format(user_id=user.pk)
    found = cache.get_many([VERSION_KEY, dismissed_key])
    now = timezone.now()
    shown = [b for b in _snapshot_for(found.get(VERSION_KEY)) if b.is_live(now) and b.reaches(user=user, tenant=tenant)]
    if any(b.dismissible for b in shown):
        dismissed = _dismissed_ids(user, found.get(dismissed_key))
        shown = [b for b in shown if not (b.dismissible and b.id in dismissed)]
    shown.sort(key=lambda b: (SEVERITY_ORDER.get(b.severity, 9), -b.starts_at.timestamp(), -b.id))
    return shown


def banners_for_request(request) -> list[BannerView]:
    """Memoised on the request: the version is checked at most once per request."""
    cached = getattr(request, "_governance_banners", None)
    if cached is None:
        cached = banners_for(user=getattr(request, "user", None), tenant=getattr(request, "tenant", None))
        request._governance_banners = cached
    return cached


def dismissals_forget(*, user_id: int) -> None:
    cache.delete(DISMISSED_KEY.format(user_id=user_id))
