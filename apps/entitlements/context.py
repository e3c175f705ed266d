"""Who is asking (engine.Context) and the request-scoped ``Entitlements`` every edge reads.

The middleware builds one ``Entitlements`` per request (``request.entitlements``); the view
decorator, the DRF permission, the template tags, the navigation and the Celery guard all ask
it. Building it costs no query: the user is already loaded by the auth middleware, the tenant
by the tenancy middleware, and the partner and plan are the tenant's foreign-key ids.
"""

from __future__ import annotations

import time
from contextvars import ContextVar

from django.conf import settings
from django.core.signals import setting_changed

from apps.entitlements import snapshot
from apps.entitlements.engine import Context, Decision, decide, explain

SUPER_ADMIN_TIER = 4  # apps.accounts.models.Tier.SUPER_ADMIN, without importing models here

_alpha_emails: frozenset[str] | None = None


def alpha_emails() -> frozenset[str]:
    global _alpha_emails
    if _alpha_emails is None:
        _alpha_emails = frozenset(e.strip().lower() for e in getattr(settings, "UEE_ALPHA_EMAILS", ()) if e.strip())
    return _alpha_emails


def _on_setting_changed(setting, **kwargs):
    global _alpha_emails
    if setting == "UEE_ALPHA_EMAILS":
        _alpha_emails = None


setting_changed.connect(_on_setting_changed, dispatch_uid="uee_alpha_emails")


def is_internal_staff(user) -> bool:
    """The alpha guard: super admins, and the emails listed in UEE_ALPHA_EMAILS."""
    if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", True):
        return False
    return getattr(user, "tier", 0) >= SUPER_ADMIN_TIER or (user.email or "").lower() in alpha_emails()


def context_for(*, user=None, tenant=None) -> Context:
    """The engine's context for a user (may be None or anonymous) on a tenant (None, or the
    platform's public tenant, means no tenant)."""
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    if tenant is not None and getattr(tenant, "schema_name", None) == "public":
        tenant = None
    plan_label = ""
    if tenant is not None and tenant.plan_id is not None:
        # Only when already loaded (select_related or a prior access): never a query here.
        plan = tenant._state.fields_cache.get("plan")
        plan_label = plan.code if plan is not None else ""
    return Context(
        user_id=user.pk if authenticated else None,
        tenant_id=tenant.pk if tenant is not None else None,
        partner_id=tenant.partner_id if tenant is not None else None,
        plan_id=tenant.plan_id if tenant is not None else None,
        alpha=is_internal_staff(user) if authenticated else False,
        user_label=user.email if authenticated else "",
        tenant_label=tenant.slug if tenant is not None else "",
        plan_label=plan_label,
    )


class Entitlements:
    """The answers for one context against one snapshot (fixed for the request, so a page never
    sees a feature flip half-way). Answers are memoised per key."""

    __slots__ = ("_cache", "_features", "context", "now", "snapshot")

    def __init__(self, context: Context, snap: snapshot.Snapshot, now: float | None = None):
        self.context = context
        self.snapshot = snap
        self._features = snap.features
        self.now = now = time.time() if now is None else now
        memo = snap.memo_for(snap.memo_key(context), now)
        self._cache: dict[str, bool] = {} if memo is None else memo

    def is_on(self, key: str) -> bool:
        cache = self._cache
        on = cache.get(key)
        if on is None:  # first ask for this context in this snapshot (no try/except: a miss stays cheap)
            features = self._features
            on = cache[key] = decide(features.get(key), self.context, features, self.now, cache)[0]
        return on

    __contains__ = is_on

    def explain(self, key: str) -> Decision:
        features = self.snapshot.features
        return explain(features.get(key), key, self.context, features, self.now)

    def decisions(self) -> list[Decision]:
        """Every known feature, explained (sorted by key)."""
        return [self.explain(key) for key in sorted(self.snapshot.features)]

    def all(self) -> dict[str, bool]:
        """Every known feature → ON/OFF, in one tight loop."""
        features, ctx, now, cache = self.snapshot.features, self.context, self.now, self._cache
        result = {}
        for key, feature in features.items():
            on = cache.get(key)
            if on is None:
                on = cache[key] = decide(feature, ctx, features, now, cache)[0]
            result[key] = on
        return result

    def enabled(self) -> list[str]:
        return sorted(key for key, on in self.all().items() if on)

    def __repr__(self) -> str:
        return f"<Entitlements {self.context.describe()}>"


def entitlements_for(*, user=None, tenant=None, refresh: bool = True) -> Entitlements:
    """Entitlements outside a request (API on behalf of a tenant, tasks, CLI, admin preview)."""
    snap = snapshot.refresh_if_stale() if refresh else snapshot.current()
    return Entitlements(context_for(user=user, tenant=tenant), snap)


# The request's entitlements, for code that has no request at hand (the dashboard's module
# list). Set and reset by the middleware around each request.
_current: ContextVar[Entitlements | None] = ContextVar("uee_current_entitlements", default=None)


def current_entitlements() -> Entitlements | None:
    return _current.get()
