"""Reads of the entitlement engine: features and grants for staff, decisions for everyone."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from apps.entitlements.context import entitlements_for
from apps.entitlements.engine import Decision
from apps.entitlements.models import Feature, Grant, TenantOverride

STALE_GA_DAYS = 30


def features_visible_to(*, user) -> QuerySet[Feature]:
    """Platform staff (tier >= 2) read features; nobody else does."""
    if not (user is not None and user.is_authenticated and user.is_platform_staff):
        return Feature.objects.none()
    return Feature.objects.select_related("owner").prefetch_related("prerequisites")


def feature_get_visible(*, user, key: str) -> Feature | None:
    return features_visible_to(user=user).filter(key=key).first()


def grants_of(*, feature: Feature) -> QuerySet[Grant]:
    return feature.grants.select_related("feature", "user", "tenant", "partner", "plan", "granted_by").order_by(
        "target_type", "id"
    )


def overrides_of(*, feature: Feature) -> QuerySet[TenantOverride]:
    return feature.overrides.select_related("feature", "tenant", "set_by").order_by("tenant__slug")


def decision_for(*, key: str, user=None, tenant=None) -> Decision:
    """Whether `key` is ON for this user on this tenant, which rule decided, and why."""
    return entitlements_for(user=user, tenant=tenant).explain(key)


def tenant_entitlements(*, tenant, user=None, include_hidden: bool = True) -> list[dict]:
    """Every feature evaluated for a tenant (and optionally a user): key, name, stage, enabled,
    rule, reason. With include_hidden=False, alpha and retired features are listed only when
    ON, so a partner never learns of unreleased work through the API."""
    ents = entitlements_for(user=user, tenant=tenant)
    features = ents.snapshot.features
    rows = []
    for decision in ents.decisions():
        state = features[decision.key]
        if not include_hidden and not decision.on and state.stage not in (Feature.Stage.BETA, Feature.Stage.GA):
            continue
        rows.append({**decision.as_dict(), "name": state.name, "stage": state.stage})
    return rows


def stale_report(*, now: dt.datetime | None = None, days: int = STALE_GA_DAYS) -> dict:
    """GA for more than `days` (its guard can be removed from the code) and expired grants."""
    now = now or timezone.now()
    ga = (
        Feature.objects.filter(stage=Feature.Stage.GA, stage_changed_at__lt=now - dt.timedelta(days=days))
        .select_related("owner")
        .order_by("stage_changed_at")
    )
    expired = (
        Grant.objects.filter(expires_at__lte=now)
        .select_related("feature", "user", "tenant", "partner", "plan")
        .order_by("expires_at")
    )
    return {"days": days, "now": now, "ga_features": list(ga), "expired_grants": list(expired)}
