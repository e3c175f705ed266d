"""The in-process snapshot of every feature, grant and override, and how it stays fresh.

* ``load()`` reads all rows in 3 queries and folds them into engine.FeatureState objects.
* ``refresh_if_stale()`` is called once per request by the middleware (and once per task by the
  Celery guard). It compares the snapshot's version with the version in Redis at most once every
  ``UEE_REFRESH_INTERVAL`` seconds (default 0.25 s) and reloads only when they differ, so the
  steady state costs no SQL and one Redis GET per interval per process.
* Every write (apps.entitlements.services) calls ``changed()``: this process reloads at its next
  check, and once the transaction commits the version in Redis is bumped, so every other process
  sees the change within one interval.

Each snapshot also memoises answers per context (Snapshot.memo_for): they change only with the
snapshot or when a grant expires, so later requests of the same user on the same tenant are dict
lookups, and answers that cannot depend on the context are pre-filled.

A snapshot loaded inside a transaction that holds uncommitted entitlement writes of this process
is *provisional*: it is reloaded at the next check, so a rolled-back write never lingers.
If Redis cannot be read, the current snapshot is kept (and reloaded at least every
``MAX_AGE`` seconds), so the request path never fails because of the cache.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.conf import settings
from django.contrib.postgres.aggregates import ArrayAgg
from django.core.cache import cache
from django.core.signals import setting_changed
from django.db import connection, transaction
from django.db.models import Q

from apps.entitlements.engine import NEVER, FeatureState

log = logging.getLogger(__name__)

VERSION_KEY = "uee:version"
DEFAULT_INTERVAL = 0.25  # seconds between two Redis version checks in one process
MAX_AGE = 60.0  # reload at least this often even if no version change was seen (lost bump)


class Snapshot:
    """Every feature (engine.FeatureState by key), the version it was loaded at, and a memo of
    decisions per context: the answers only change with the snapshot or when a grant expires,
    so requests of the same user on the same tenant reuse them until the next grant expiry."""

    __slots__ = (
        "_constants",
        "_expiries",
        "features",
        "granted_users",
        "loaded_at",
        "loaded_wall",
        "memo",
        "memo_until",
        "provisional",
        "version",
    )

    MEMO_MAX_CONTEXTS = 10_000

    def __init__(self, features: dict[str, FeatureState], version: Any = None, provisional: bool = False):
        self.features = features
        self.version = version
        self.provisional = provisional
        self.loaded_at = time.monotonic()
        self.loaded_wall = time.time()
        self._expiries = sorted(
            {
                e
                for f in features.values()
                for d in (f.users, f.tenants, f.partners, f.plans)
                for e in d.values()
                if e != NEVER
            }
        )
        # A user's id matters only through user grants: users without any share their
        # tenant's answers (see memo_key).
        self.granted_users = frozenset(uid for f in features.values() for uid in f.users)
        # Answers that do not depend on the context beyond the alpha guard: [non-staff, staff].
        self._constants = tuple(
            {k: on for k, f in features.items() if (on := f.constant(alpha)) is not None} for alpha in (False, True)
        )
        self.memo: dict[tuple, dict[str, bool]] = {}
        self.memo_until = self._next_expiry(self.loaded_wall)

    def memo_key(self, ctx) -> tuple:
        user_id = ctx.user_id if ctx.user_id in self.granted_users else None
        return (user_id, ctx.tenant_id, ctx.partner_id, ctx.plan_id, ctx.alpha)

    def _next_expiry(self, now: float) -> float:
        return next((e for e in self._expiries if e > now), NEVER)

    def memo_for(self, key: tuple, now: float) -> dict[str, bool] | None:
        """The shared answers of one context (a memo_key), or None when they cannot be shared
        (a `now` before this snapshot was loaded)."""
        if now < self.loaded_wall:
            return None
        if now >= self.memo_until:  # a grant expired since: every answer may have changed
            self.memo = {}
            self.memo_until = self._next_expiry(now)
        memo = self.memo.get(key)
        if memo is None:
            if len(self.memo) >= self.MEMO_MAX_CONTEXTS:
                self.memo = {}
            memo = self.memo[key] = self._constants[bool(key[4])].copy()
        return memo

    def __repr__(self) -> str:
        return f"<Snapshot v={self.version} features={len(self.features)}{' provisional' if self.provisional else ''}>"


def load(version: Any = None) -> Snapshot:
    """Every feature, grant and override, in 3 queries."""
    from apps.entitlements.models import Feature, Grant, TenantOverride

    by_id: dict[int, FeatureState] = {}
    features: dict[str, FeatureState] = {}
    rows = (
        Feature.objects.order_by()
        .annotate(prereq_keys=ArrayAgg("prerequisites__key", filter=Q(prerequisites__isnull=False)))
        .values_list("id", "key", "name", "stage", "killed", "rollout_percentage", "prereq_keys")
    )
    for fid, key, name, stage, killed, rollout, prereqs in rows:
        state = FeatureState(
            id=fid,
            key=key,
            name=name,
            stage=stage,
            killed=killed,
            rollout=rollout,
            prerequisites=tuple(sorted(p for p in prereqs or () if p)),
        )
        by_id[fid] = features[key] = state
    grants = Grant.objects.order_by().values_list(
        "feature_id", "target_type", "user_id", "tenant_id", "partner_id", "plan_id", "expires_at"
    )
    for fid, target_type, user_id, tenant_id, partner_id, plan_id, expires_at in grants:
        state = by_id.get(fid)
        if state is None:
            continue
        expiry = expires_at.timestamp() if expires_at is not None else NEVER
        if target_type == "user":
            bucket, target = state.users, user_id
        elif target_type == "tenant":
            bucket, target = state.tenants, tenant_id
        elif target_type == "partner":
            bucket, target = state.partners, partner_id
        else:
            bucket, target = state.plans, plan_id
        bucket[target] = max(expiry, bucket.get(target, 0.0))
    for fid, tenant_id, enabled in TenantOverride.objects.order_by().values_list("feature_id", "tenant_id", "enabled"):
        state = by_id.get(fid)
        if state is not None:
            state.overrides[tenant_id] = bool(enabled)
    provisional = connection.in_atomic_block and _state.uncommitted > 0
    return Snapshot(features, version=version, provisional=provisional)


# --------------------------------------------------------------------------- version in Redis


def read_version() -> Any:
    return cache.get(VERSION_KEY)


def bump_version() -> int:
    """A new version number (nanoseconds since the epoch: never repeats, even after the cache
    is flushed, so no process mistakes an old number for the current one)."""
    version = time.time_ns()
    cache.set(VERSION_KEY, version, timeout=None)
    return version


# --------------------------------------------------------------------------- process state


class _State:
    def __init__(self):
        self.snap: Snapshot | None = None
        self.last_check = 0.0
        self.dirty = True
        self.uncommitted = 0
        self.interval: float | None = None


_state = _State()
_lock = threading.Lock()


def _interval() -> float:
    value = _state.interval
    if value is None:
        value = _state.interval = float(getattr(settings, "UEE_REFRESH_INTERVAL", DEFAULT_INTERVAL))
    return value


def _on_setting_changed(setting, **kwargs):
    if setting == "UEE_REFRESH_INTERVAL":
        _state.interval = None


setting_changed.connect(_on_setting_changed, dispatch_uid="uee_refresh_interval")


def current() -> Snapshot:
    """The snapshot as it is now, loaded if there is none yet (no version check)."""
    return _state.snap or refresh_if_stale()


def refresh_if_stale() -> Snapshot:
    """The snapshot to use for this request; asks Redis at most once per interval."""
    st = _state
    snap = st.snap
    now = time.monotonic()
    if snap is not None and not st.dirty and not snap.provisional and now - st.last_check < _interval():
        return snap
    st.last_check = now
    try:
        version = read_version()
    except Exception:  # Redis down: keep serving what we have (a request must not fail here)
        log.warning("entitlements: cannot read the snapshot version from the cache", exc_info=True)
        if snap is not None and now - snap.loaded_at < MAX_AGE:
            return snap
        version = None
    if snap is None or st.dirty or snap.provisional or version != snap.version or now - snap.loaded_at >= MAX_AGE:
        # One loader per process; other threads keep the current snapshot meanwhile.
        if not _lock.acquire(blocking=snap is None):
            return snap
        try:
            st.dirty = False
            st.snap = snap = load(version)
        except Exception:
            st.dirty = True
            if st.snap is None:
                raise
            log.exception("entitlements: reloading the snapshot failed; keeping the previous one")
            snap = st.snap
        finally:
            _lock.release()
    return snap


def changed() -> None:
    """Called by every write: reload here at the next check; bump the shared version on commit."""
    _state.dirty = True
    _state.uncommitted += 1
    transaction.on_commit(_committed)


def _committed() -> None:
    _state.uncommitted = 0
    _state.dirty = True
    try:
        bump_version()
    except Exception:
        log.exception("entitlements: cannot bump the snapshot version; other processes reload within MAX_AGE")


def reset() -> None:
    """Forget the snapshot (tests, and after fork if a process wants a clean start)."""
    _state.snap = None
    _state.dirty = True
    _state.uncommitted = 0
    _state.last_check = 0.0
    _state.interval = None
