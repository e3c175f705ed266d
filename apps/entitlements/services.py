"""Writes of the entitlement engine. The admin, the API and the CLI all call these.

Every write is audited (apps.audit) in the same transaction and calls ``snapshot.changed()``,
which reloads this process's snapshot at its next check and bumps the shared version in Redis
on commit, so every process sees the change within a second.

Who may call what is decided by the caller (admin tiers, API permissions, server CLI), with one
exception enforced here because it holds on every surface: the grants of a ``super_admin_only``
feature (the QuantTrade beta whitelist) are managed by super admins only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import RegexValidator
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.entitlements import snapshot
from apps.entitlements.models import FEATURE_KEY_RE, Feature, Grant, TenantOverride

NEXT_STAGE = {Feature.Stage.ALPHA: Feature.Stage.BETA, Feature.Stage.BETA: Feature.Stage.GA}
QUANTTRADE_KEY = "quanttrade"
SUPER_ADMIN_TIER = 4
_key_validator = RegexValidator(FEATURE_KEY_RE)
_UNSET = object()


def _feature_state(feature: Feature) -> dict:
    return {
        "key": feature.key,
        "stage": feature.stage,
        "killed": feature.killed,
        "rollout_percentage": feature.rollout_percentage,
    }


def _grant_state(grant: Grant) -> dict:
    return {
        "feature": grant.feature.key,
        "target": grant.target_label,
        "expires_at": grant.expires_at.isoformat() if grant.expires_at else None,
    }


def _audit(*, action: str, actor, target, before=None, after=None, reason: str = "", ip=None, tenant_slug: str = ""):
    audit_record(
        action=action,
        actor=actor,
        target=target,
        before=before,
        after=after,
        reason=reason,
        ip=ip,
        tenant_slug=tenant_slug,
    )


def _check_rollout(value) -> int:
    try:
        value = int(value)
    except (TypeError, ValueError):
        raise ValidationError({"rollout_percentage": "A whole number from 0 to 100."}) from None
    if not 0 <= value <= 100:
        raise ValidationError({"rollout_percentage": "A whole number from 0 to 100."})
    return value


def _resolve_prerequisites(feature: Feature | None, prerequisites: Iterable) -> list[Feature]:
    """Feature objects or keys → features; refuses unknown keys, itself and cycles."""
    wanted = list(prerequisites or ())
    keys = [p.key if isinstance(p, Feature) else str(p).strip() for p in wanted]
    found = {f.key: f for f in Feature.objects.filter(key__in=keys)}
    missing = sorted(set(keys) - set(found))
    if missing:
        raise ValidationError({"prerequisites": f"Unknown feature(s): {', '.join(missing)}."})
    result = [found[k] for k in dict.fromkeys(keys)]
    if feature is not None and feature.pk is not None:
        if any(f.pk == feature.pk for f in result):
            raise ValidationError({"prerequisites": "A feature cannot be its own prerequisite."})
        edges: dict[int, set[int]] = {}
        through = Feature.prerequisites.through
        for src, dst in through.objects.values_list("from_feature_id", "to_feature_id"):
            edges.setdefault(src, set()).add(dst)
        for prereq in result:  # would feature become reachable from itself?
            stack, seen = [prereq.pk], set()
            while stack:
                node = stack.pop()
                if node == feature.pk:
                    raise ValidationError(
                        {"prerequisites": f"{prereq.key} already depends on {feature.key}: that would be a cycle."}
                    )
                if node not in seen:
                    seen.add(node)
                    stack.extend(edges.get(node, ()))
    return result


# --------------------------------------------------------------------------- features


def feature_create(
    *,
    key: str,
    name: str = "",
    description: str = "",
    stage: str = Feature.Stage.ALPHA,
    owner=None,
    rollout_percentage: int = 0,
    prerequisites: Iterable = (),
    super_admin_only: bool = False,
    actor=None,
    reason: str = "",
    ip: str | None = None,
) -> Feature:
    key = (key or "").strip().lower()
    errors: dict[str, str] = {}
    if not key:
        errors["key"] = "A key is required, e.g. crm.kanban."
    elif len(key) > 80:
        errors["key"] = "At most 80 characters."
    else:
        try:
            _key_validator(key)
        except ValidationError:
            errors["key"] = f"“{key}” is not a valid key: lowercase words separated by dots, e.g. crm.kanban."
        else:
            if Feature.objects.filter(key=key).exists():
                errors["key"] = f"A feature with the key “{key}” already exists."
    if stage not in (Feature.Stage.ALPHA, Feature.Stage.BETA, Feature.Stage.GA):
        errors["stage"] = f"Unknown stage “{stage}”. Choose one of: alpha, beta, ga."
    if errors:
        raise ValidationError(errors)
    rollout = _check_rollout(rollout_percentage)
    prereqs = _resolve_prerequisites(None, prerequisites)
    with transaction.atomic():
        try:
            feature = Feature.objects.create(
                key=key,
                name=(name or "").strip()[:120] or key,
                description=description or "",
                stage=stage,
                owner=owner,
                rollout_percentage=rollout,
                super_admin_only=super_admin_only,
            )
        except IntegrityError as exc:
            raise ValidationError({"key": f"A feature with the key “{key}” already exists."}) from exc
        if prereqs:
            feature.prerequisites.set(prereqs)
        _audit(
            action="feature.create", actor=actor, target=feature, after=_feature_state(feature), reason=reason, ip=ip
        )
        snapshot.changed()
    return feature


def feature_update(
    *,
    feature: Feature,
    name: str | None = None,
    description: str | None = None,
    owner=_UNSET,
    rollout_percentage: int | None = None,
    prerequisites: Iterable | None = None,
    super_admin_only: bool | None = None,
    actor=None,
    reason: str = "",
    ip: str | None = None,
) -> Feature:
    """Name, description, owner, rollout percentage, prerequisites. Stage and kill switch have
    their own verbs (promote, retire, kill, unkill)."""
    before = {**_feature_state(feature), "prerequisites": sorted(feature.prerequisites.values_list("key", flat=True))}
    fields: list[str] = []
    if name is not None:
        if not name.strip():
            raise ValidationError({"name": "A name is required."})
        feature.name = name.strip()[:120]
        fields.append("name")
    if description is not None:
        feature.description = description
        fields.append("description")
    if owner is not _UNSET:
        feature.owner = owner
        fields.append("owner")
    if rollout_percentage is not None:
        feature.rollout_percentage = _check_rollout(rollout_percentage)
        fields.append("rollout_percentage")
    if super_admin_only is not None:
        feature.super_admin_only = bool(super_admin_only)
        fields.append("super_admin_only")
    prereqs = _resolve_prerequisites(feature, prerequisites) if prerequisites is not None else None
    with transaction.atomic():
        if fields:
            feature.save(update_fields=[*fields, "updated_at"])
        if prereqs is not None:
            feature.prerequisites.set(prereqs)
        after = {
            **_feature_state(feature),
            "prerequisites": sorted(feature.prerequisites.values_list("key", flat=True)),
        }
        if after != before or fields:
            _audit(
                action="feature.update", actor=actor, target=feature, before=before, after=after, reason=reason, ip=ip
            )
            snapshot.changed()
    return feature


def _set_stage(feature: Feature, stage: str, *, action: str, actor, reason: str, ip) -> Feature:
    before = _feature_state(feature)
    with transaction.atomic():
        feature.stage = stage
        feature.stage_changed_at = timezone.now()
        feature.save(update_fields=["stage", "stage_changed_at", "updated_at"])
        _audit(
            action=action,
            actor=actor,
            target=feature,
            before=before,
            after=_feature_state(feature),
            reason=reason,
            ip=ip,
        )
        snapshot.changed()
    return feature


def feature_promote(*, feature: Feature, actor=None, reason: str = "", ip: str | None = None) -> Feature:
    """Alpha → Beta → GA, one step at a time."""
    target = NEXT_STAGE.get(feature.stage)
    if target is None:
        state = "generally available" if feature.stage == Feature.Stage.GA else "retired"
        raise ValidationError({"stage": f"{feature.key} is {state}: there is no next stage."})
    return _set_stage(feature, target, action="feature.promote", actor=actor, reason=reason, ip=ip)


def feature_retire(*, feature: Feature, actor=None, reason: str = "", ip: str | None = None) -> Feature:
    """OFF for good (the guard can be removed from the code); the row and its history stay."""
    if feature.stage == Feature.Stage.RETIRED:
        raise ValidationError({"stage": f"{feature.key} is already retired."})
    return _set_stage(feature, Feature.Stage.RETIRED, action="feature.retire", actor=actor, reason=reason, ip=ip)


def feature_kill(*, feature: Feature, actor=None, reason: str = "", ip: str | None = None) -> Feature:
    """The global kill switch: OFF for everyone, staff included, until unkilled."""
    if feature.killed:
        raise ValidationError({"killed": f"{feature.key} is already killed."})
    before = _feature_state(feature)
    with transaction.atomic():
        feature.killed = True
        feature.kill_reason = (reason or "")[:255]
        feature.save(update_fields=["killed", "kill_reason", "updated_at"])
        _audit(
            action="feature.kill",
            actor=actor,
            target=feature,
            before=before,
            after=_feature_state(feature),
            reason=reason,
            ip=ip,
        )
        snapshot.changed()
    return feature


def feature_unkill(*, feature: Feature, actor=None, reason: str = "", ip: str | None = None) -> Feature:
    if not feature.killed:
        raise ValidationError({"killed": f"{feature.key} is not killed."})
    before = _feature_state(feature)
    with transaction.atomic():
        feature.killed = False
        feature.kill_reason = ""
        feature.save(update_fields=["killed", "kill_reason", "updated_at"])
        _audit(
            action="feature.unkill",
            actor=actor,
            target=feature,
            before=before,
            after=_feature_state(feature),
            reason=reason,
            ip=ip,
        )
        snapshot.changed()
    return feature


def quanttrade_feature_ensure() -> Feature:
    """The `quanttrade` beta feature whose grants are the QuantTrade beta whitelist (made by the
    data migration; re-made here if a database flush removed it)."""
    feature, _ = Feature.objects.get_or_create(
        key=QUANTTRADE_KEY,
        defaults={
            "name": "QuantTrade",
            "description": "QuantTrade beta: open to the tenants, partners and users on the whitelist.",
            "stage": Feature.Stage.BETA,
            "super_admin_only": True,
        },
    )
    return feature


# --------------------------------------------------------------------------- grants


def expiry_from_date(day: dt.date) -> dt.datetime:
    """`--expires 2026-12-31` keeps the grant for all of that day (UTC): it expires at midnight."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)


def _check_may_manage_grants(feature: Feature, actor) -> None:
    if feature.super_admin_only and actor is not None and getattr(actor, "tier", 0) < SUPER_ADMIN_TIER:
        raise PermissionDenied(f"Only super admins manage the grants of {feature.key}.")


def grant_add(
    *,
    feature: Feature,
    user=None,
    tenant=None,
    partner=None,
    tier=None,
    expires_at: dt.datetime | dt.date | None = None,
    reason: str = "",
    actor=None,
    ip: str | None = None,
) -> Grant:
    """Grant a beta feature to exactly one of: a user, a tenant, a partner (all the tenants it
    manages) or a plan tier (a Plan or its code). An expired grant for the same target is
    renewed; a live one is refused."""
    from apps.tenancy.models import Plan

    _check_may_manage_grants(feature, actor)
    targets = {k: v for k, v in {"user": user, "tenant": tenant, "partner": partner, "tier": tier}.items() if v}
    if len(targets) != 1:
        raise ValidationError({"target": "Name exactly one of: user, tenant, partner, tier."})
    ((target_type, target),) = targets.items()
    if feature.stage == Feature.Stage.RETIRED:
        raise ValidationError({"feature": f"{feature.key} is retired: grants would have no effect."})
    fields = {"user": None, "tenant": None, "partner": None, "plan": None}
    if target_type == "tier":
        if not isinstance(target, Plan):
            code = str(target).strip().lower()
            target = Plan.objects.filter(code=code).first()
            if target is None:
                raise ValidationError(
                    {"tier": f"Unknown plan tier “{code}”. Choose one of: {', '.join(Plan.Code.values)}."}
                )
        fields["plan"] = target
    elif target_type == "partner":
        if not getattr(target, "is_partner", False):
            raise ValidationError({"partner": f"{target} is not a partner account."})
        fields["partner"] = target
    elif target_type == "tenant":
        if target.schema_name == "public":
            raise ValidationError({"tenant": "The platform itself cannot hold grants."})
        fields["tenant"] = target
    else:
        fields["user"] = target
    if isinstance(expires_at, dt.date) and not isinstance(expires_at, dt.datetime):
        expires_at = expiry_from_date(expires_at)
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "The expiry must be in the future."})
    with transaction.atomic():
        existing = Grant.objects.select_for_update().filter(feature=feature, target_type=target_type, **fields).first()
        if existing is not None:
            if existing.expires_at is None or existing.expires_at > timezone.now():
                raise ValidationError({"target": f"{feature.key} is already granted to {existing.target_label}."})
            existing.expires_at = expires_at
            existing.reason = (reason or "")[:255]
            existing.granted_by = actor if getattr(actor, "is_authenticated", False) else None
            existing.save(update_fields=["expires_at", "reason", "granted_by"])
            grant = existing
        else:
            grant = Grant.objects.create(
                feature=feature,
                target_type=target_type,
                expires_at=expires_at,
                reason=(reason or "")[:255],
                granted_by=actor if getattr(actor, "is_authenticated", False) else None,
                **fields,
            )
        _audit(
            action="grant.add",
            actor=actor,
            target=grant,
            after=_grant_state(grant),
            reason=reason,
            ip=ip,
            tenant_slug=grant.tenant.slug if grant.tenant_id else "",
        )
        snapshot.changed()
    return grant


def grant_remove(*, grant: Grant, actor=None, reason: str = "", ip: str | None = None) -> None:
    _check_may_manage_grants(grant.feature, actor)
    before = _grant_state(grant)
    tenant_slug = grant.tenant.slug if grant.tenant_id else ""
    with transaction.atomic():
        _audit(
            action="grant.remove",
            actor=actor,
            target=grant,
            before=before,
            reason=reason,
            ip=ip,
            tenant_slug=tenant_slug,
        )
        grant.delete()
        snapshot.changed()


# --------------------------------------------------------------------------- overrides


def override_set(
    *, feature: Feature, tenant, enabled: bool | None, actor=None, reason: str = "", ip: str | None = None
) -> TenantOverride | None:
    """Force the feature ON or OFF for one tenant; ``enabled=None`` removes the override.
    An ON override cannot open an alpha feature (alpha is for internal staff only)."""
    if tenant.schema_name == "public":
        raise ValidationError({"tenant": "The platform itself has no overrides."})
    if enabled and feature.stage == Feature.Stage.ALPHA:
        raise ValidationError(
            {"enabled": f"{feature.key} is in alpha: only internal staff see it. Promote it to beta first."}
        )
    with transaction.atomic():
        current = TenantOverride.objects.select_for_update().filter(feature=feature, tenant=tenant).first()
        before = {"enabled": current.enabled} if current else None
        if enabled is None:
            if current is None:
                return None
            current.delete()
            result = None
        else:
            result, _ = TenantOverride.objects.update_or_create(
                feature=feature,
                tenant=tenant,
                defaults={
                    "enabled": bool(enabled),
                    "reason": (reason or "")[:255],
                    "set_by": actor if getattr(actor, "is_authenticated", False) else None,
                },
            )
        audit_record(
            action="override.set",
            actor=actor,
            target_type="entitlements.tenantoverride",
            target_id=f"{feature.pk}:{tenant.pk}",
            target_repr=f"{feature.key} @ {tenant.slug}",
            tenant_slug=tenant.slug,
            before=before,
            after={"enabled": bool(enabled)} if enabled is not None else None,
            reason=reason,
            ip=ip,
        )
        snapshot.changed()
    return result
