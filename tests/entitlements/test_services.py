"""Writes: features, grants, overrides — validated, audited, published to the snapshot."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from apps.accounts.models import Tier
from apps.audit.models import AuditEvent
from apps.entitlements import services, snapshot
from apps.entitlements.context import entitlements_for
from apps.entitlements.models import Feature, Grant, TenantOverride


def _actions() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


# --------------------------------------------------------------------------- features


def test_feature_create__valid__stored_and_audited(platform, user_factory):
    admin = user_factory("ops@bizosaas.test", tier=Tier.PLATFORM_ADMIN)

    feature = services.feature_create(
        key="CRM.Kanban ", name="Kanban", stage="beta", rollout_percentage=10, actor=admin
    )

    assert (feature.key, feature.stage, feature.rollout_percentage) == ("crm.kanban", "beta", 10)
    event = AuditEvent.objects.get(action="feature.create", target_repr="crm.kanban")
    assert (event.actor_email, event.after["stage"]) == ("ops@bizosaas.test", "beta")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"key": ""}, "key"),
        ({"key": "Has Spaces"}, "key"),
        ({"key": "crm..kanban"}, "key"),
        ({"key": "crm.kanban", "stage": "retired"}, "stage"),
        ({"key": "crm.kanban", "stage": "gamma"}, "stage"),
        ({"key": "crm.kanban", "rollout_percentage": 101}, "rollout_percentage"),
        ({"key": "crm.kanban", "prerequisites": ["nope"]}, "prerequisites"),
    ],
)
def test_feature_create__bad_input__validation_error_on_the_field_and_nothing_stored(platform, kwargs, field):
    features_before, audited_before = Feature.objects.count(), AuditEvent.objects.count()

    with pytest.raises(ValidationError) as exc:
        services.feature_create(**kwargs)

    assert field in exc.value.message_dict
    assert Feature.objects.count() == features_before
    assert AuditEvent.objects.count() == audited_before


def test_feature_create__duplicate_key__refused(feature):
    feature("crm.kanban")

    with pytest.raises(ValidationError, match="already exists"):
        services.feature_create(key="crm.kanban")


def test_feature_promote__alpha_to_beta_to_ga__each_step_audited_then_refused(feature):
    f = feature("crm.kanban")

    services.feature_promote(feature=f, reason="ready")
    assert f.stage == "beta"
    services.feature_promote(feature=f)
    assert f.stage == "ga"
    with pytest.raises(ValidationError, match="no next stage"):
        services.feature_promote(feature=f)

    promotes = AuditEvent.objects.filter(action="feature.promote").order_by("id")
    assert [(e.before["stage"], e.after["stage"]) for e in promotes] == [("alpha", "beta"), ("beta", "ga")]
    assert promotes[0].reason == "ready"


def test_feature_kill_and_unkill__toggle_switch__audited_and_double_toggle_refused(feature):
    f = feature("crm.kanban", stage="ga")

    services.feature_kill(feature=f, reason="incident 42")
    with pytest.raises(ValidationError, match="already killed"):
        services.feature_kill(feature=f)
    services.feature_unkill(feature=f)
    with pytest.raises(ValidationError, match="not killed"):
        services.feature_unkill(feature=f)

    f.refresh_from_db()
    assert f.killed is False
    assert _actions()[-2:] == ["feature.kill", "feature.unkill"]
    assert AuditEvent.objects.get(action="feature.kill").reason == "incident 42"


def test_feature_retire__any_stage__retired_and_not_twice(feature):
    f = feature("crm.kanban", stage="beta")

    services.feature_retire(feature=f)

    assert Feature.objects.get(key="crm.kanban").stage == "retired"
    with pytest.raises(ValidationError):
        services.feature_retire(feature=f)
    with pytest.raises(ValidationError):
        services.feature_promote(feature=f)


def test_feature_update__prerequisite_cycle__refused(feature):
    a = feature("a", stage="ga")
    b = feature("b", stage="ga", prerequisites=["a"])

    with pytest.raises(ValidationError, match="cycle"):
        services.feature_update(feature=a, prerequisites=["b"])
    with pytest.raises(ValidationError, match="its own prerequisite"):
        services.feature_update(feature=b, prerequisites=["b"])

    assert list(a.prerequisites.all()) == []


def test_feature_update__rollout__audited_with_before_and_after(feature):
    f = feature("crm.kanban", stage="beta", rollout_percentage=20)

    services.feature_update(feature=f, rollout_percentage=40, reason="widen")

    event = AuditEvent.objects.get(action="feature.update")
    assert (event.before["rollout_percentage"], event.after["rollout_percentage"], event.reason) == (20, 40, "widen")


# --------------------------------------------------------------------------- grants


def test_grant_add__each_target_kind__stored_and_audited(feature, acme, partner, user_factory):
    f = feature("crm.kanban", stage="beta")
    ann = user_factory("ann@acme.test")

    grants = [
        services.grant_add(feature=f, user=ann),
        services.grant_add(feature=f, tenant=acme),
        services.grant_add(feature=f, partner=partner),
        services.grant_add(feature=f, tier="enterprise"),
    ]

    assert [g.target_label for g in grants] == [
        "user ann@acme.test",
        "tenant acme",
        "partner partner@example.test",
        "tier enterprise",
    ]
    assert _actions().count("grant.add") == 4
    assert AuditEvent.objects.filter(action="grant.add", tenant_slug="acme").count() == 1


@pytest.mark.parametrize(
    ("target", "field"),
    [
        ({}, "target"),
        ({"tier": "platinum"}, "tier"),
        ({"tier": "pro", "tenant": "acme"}, "target"),
        ({"partner": "member"}, "partner"),
    ],
)
def test_grant_add__bad_target__validation_error(feature, acme, user_factory, target, field):
    f = feature("crm.kanban", stage="beta")
    member = user_factory("member@acme.test")
    resolved = {k: acme if v == "acme" else member if v == "member" else v for k, v in target.items()}

    with pytest.raises(ValidationError) as exc:
        services.grant_add(feature=f, **resolved)

    assert field in exc.value.message_dict
    assert not Grant.objects.exists()


def test_grant_add__past_expiry__refused(feature, acme):
    f = feature("crm.kanban", stage="beta")

    with pytest.raises(ValidationError, match="future"):
        services.grant_add(feature=f, tenant=acme, expires_at=timezone.now() - dt.timedelta(minutes=1))


def test_grant_add__date_expiry__valid_through_that_whole_day(feature, acme):
    f = feature("crm.kanban", stage="beta")
    day = timezone.now().date() + dt.timedelta(days=3)

    grant = services.grant_add(feature=f, tenant=acme, expires_at=day)

    assert grant.expires_at == dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)


def test_grant_add__live_duplicate_refused__expired_one_renewed(feature, acme):
    f = feature("crm.kanban", stage="beta")
    grant = services.grant_add(feature=f, tenant=acme)
    with pytest.raises(ValidationError, match="already granted"):
        services.grant_add(feature=f, tenant=acme)
    Grant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() - dt.timedelta(days=1))

    renewed = services.grant_add(feature=f, tenant=acme, reason="second round")

    assert renewed.pk == grant.pk
    assert renewed.expires_at is None
    assert Grant.objects.count() == 1


def test_grant_remove__grant__gone_and_audited(feature, acme):
    f = feature("crm.kanban", stage="beta")
    grant = services.grant_add(feature=f, tenant=acme)

    services.grant_remove(grant=grant, reason="beta over")

    assert not Grant.objects.exists()
    event = AuditEvent.objects.get(action="grant.remove")
    assert (event.before["target"], event.reason, event.tenant_slug) == ("tenant acme", "beta over", "acme")


@pytest.mark.parametrize("tier", [Tier.SUPPORT, Tier.PLATFORM_ADMIN])
def test_grant_add__super_admin_only_feature_below_tier_4__permission_denied(platform, acme, user_factory, tier):
    quanttrade = services.quanttrade_feature_ensure()
    actor = user_factory(tier=tier)

    with pytest.raises(PermissionDenied):
        services.grant_add(feature=quanttrade, tenant=acme, actor=actor)

    assert not Grant.objects.filter(feature=quanttrade).exists()


def test_grant_add__super_admin_only_feature_by_super_admin__granted_and_only_they_remove_it(
    platform, acme, super_admin, user_factory
):
    quanttrade = services.quanttrade_feature_ensure()
    platform_admin = user_factory(tier=Tier.PLATFORM_ADMIN)

    grant = services.grant_add(feature=quanttrade, tenant=acme, actor=super_admin)

    assert grant.granted_by == super_admin
    with pytest.raises(PermissionDenied):
        services.grant_remove(grant=grant, actor=platform_admin)
    services.grant_remove(grant=grant, actor=super_admin)
    assert not Grant.objects.filter(feature=quanttrade).exists()


def test_quanttrade__data_migration__beta_and_super_admin_only(db):
    # Made by migration entitlements.0002 (re-made by quanttrade_feature_ensure after a flush).
    feature = services.quanttrade_feature_ensure()

    assert (feature.stage, feature.super_admin_only) == ("beta", True)


# --------------------------------------------------------------------------- overrides


def test_override_set__on_off_remove__audited_each_time(feature, acme):
    f = feature("crm.kanban", stage="ga")

    services.override_set(feature=f, tenant=acme, enabled=False, reason="opted out")
    assert TenantOverride.objects.get().enabled is False
    services.override_set(feature=f, tenant=acme, enabled=True)
    assert TenantOverride.objects.get().enabled is True
    services.override_set(feature=f, tenant=acme, enabled=None)
    assert not TenantOverride.objects.exists()

    events = AuditEvent.objects.filter(action="override.set").order_by("id")
    assert [(e.before, e.after) for e in events] == [
        (None, {"enabled": False}),
        ({"enabled": False}, {"enabled": True}),
        ({"enabled": True}, None),
    ]
    assert {e.tenant_slug for e in events} == {"acme"}


def test_override_set__on_for_alpha__refused(feature, acme):
    f = feature("crm.kanban", stage="alpha")

    with pytest.raises(ValidationError, match="alpha"):
        services.override_set(feature=f, tenant=acme, enabled=True)


def test_override_set__platform_tenant__refused(feature, platform):
    f = feature("crm.kanban", stage="ga")

    with pytest.raises(ValidationError):
        services.override_set(feature=f, tenant=platform, enabled=False)


# --------------------------------------------------------------------------- publishing


def test_write__same_process__visible_at_the_next_check_without_waiting(feature, acme, committed):
    f = feature("crm.kanban", stage="beta")
    assert entitlements_for(tenant=acme).is_on("crm.kanban") is False

    committed(services.grant_add, feature=f, tenant=acme)

    assert entitlements_for(tenant=acme).is_on("crm.kanban") is True


def test_write__commit__bumps_the_shared_version(feature):
    before = snapshot.read_version()

    feature("crm.kanban")

    after = snapshot.read_version()
    assert after is not None
    assert after != before


def test_write__rolled_back__not_kept_by_the_snapshot(feature, acme):
    from django.db import transaction

    f = feature("crm.kanban", stage="beta")
    seen_inside = []

    def write_then_fail():
        with transaction.atomic():
            services.grant_add(feature=f, tenant=acme)
            seen_inside.append(entitlements_for(tenant=acme).is_on("crm.kanban"))  # sees its own write
            raise RuntimeError("roll back")

    with pytest.raises(RuntimeError):
        write_then_fail()

    assert seen_inside == [True]
    assert entitlements_for(tenant=acme).is_on("crm.kanban") is False
