"""The entitlements API: a tenant's evaluated features (partners: their tenants only) and the
staff-only CRUD of features and grants (tier 2 reads, tier 3+ writes)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from apps.accounts.models import Tier
from apps.accounts.services import api_key_create
from apps.audit.models import AuditEvent
from apps.entitlements import services
from apps.entitlements.models import Feature, Grant, TenantOverride


@pytest.fixture
def api(platform):
    return APIClient(HTTP_HOST="localhost")


@pytest.fixture
def as_key(api):
    def do(user) -> APIClient:
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_create(user=user, name='t')[1]}")
        return api

    return do


@pytest.fixture
def staff(user_factory):
    def make(tier: int):
        return user_factory(tier=tier)

    return make


def _by_key(response) -> dict:
    return {f["key"]: f for f in response.json()["features"]}


# --------------------------------------------------------------------------- tenant entitlements


def test_tenant_entitlements__partner_own_tenant__evaluated_with_rules(feature, acme, partner, as_key, committed):
    kanban = feature("crm.kanban", stage="beta")
    committed(services.grant_add, feature=kanban, partner=partner)
    feature("inbox.ai", stage="ga")
    feature("finance.cfo", stage="beta")

    response = as_key(partner).get("/api/v1/tenants/acme/entitlements/")

    assert response.status_code == 200
    body = response.json()
    assert body["tenant"] == "acme"
    features = _by_key(response)
    assert features["crm.kanban"] | {"reason": ""} == {
        "key": "crm.kanban",
        "name": "crm.kanban",
        "stage": "beta",
        "enabled": True,
        "rule": "grant_partner",
        "reason": "",
    }
    assert (features["inbox.ai"]["enabled"], features["inbox.ai"]["rule"]) == (True, "ga")
    assert (features["finance.cfo"]["enabled"], features["finance.cfo"]["rule"]) == (False, "beta_not_granted")


def test_tenant_entitlements__partner__alpha_features_not_revealed(feature, acme, partner, as_key):
    feature("secret.project", stage="alpha")

    features = _by_key(as_key(partner).get("/api/v1/tenants/acme/entitlements/"))

    assert "secret.project" not in features


def test_tenant_entitlements__staff__every_feature_including_alpha(feature, acme, staff, as_key):
    feature("secret.project", stage="alpha")

    features = _by_key(as_key(staff(Tier.SUPPORT)).get("/api/v1/tenants/acme/entitlements/"))

    assert features["secret.project"]["rule"] == "alpha_only"


def test_tenant_entitlements__another_partners_tenant__404(feature, initech, partner, as_key):
    feature("inbox.ai", stage="ga")

    response = as_key(partner).get("/api/v1/tenants/initech/entitlements/")

    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_tenant_entitlements__partner_of_acme_asks_for_globex_of_other_partner__404(
    acme, tenant_factory, user_factory, as_key
):
    other = user_factory("other@agency.test", tier=Tier.PARTNER)
    tenant_factory("umbrella", partner=other)

    assert (
        as_key(user_factory("p2@agency.test", tier=Tier.PARTNER))
        .get("/api/v1/tenants/umbrella/entitlements/")
        .status_code
        == 404
    )
    assert as_key(other).get("/api/v1/tenants/umbrella/entitlements/").status_code == 200


def test_tenant_entitlements__tenant_user__403(acme, api, user_factory):
    api.force_login(user_factory("ann@acme.test", tenant=acme))

    assert api.get("/api/v1/tenants/acme/entitlements/").status_code == 403


# --------------------------------------------------------------------------- features CRUD: permissions


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/v1/features/", None),
        ("post", "/api/v1/features/", {"key": "x.y"}),
        ("get", "/api/v1/features/crm.kanban/", None),
        ("get", "/api/v1/features/crm.kanban/grants/", None),
    ],
)
def test_features_api__partner__403(feature, partner, as_key, method, path, body):
    feature("crm.kanban")

    response = getattr(as_key(partner), method)(path, body, format="json")

    assert response.status_code == 403
    assert response.json()["error"] == "permission_denied"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/v1/features/", {"key": "x.y"}),
        ("patch", "/api/v1/features/crm.kanban/", {"rollout_percentage": 50}),
        ("delete", "/api/v1/features/crm.kanban/", None),
        ("post", "/api/v1/features/crm.kanban/promote/", {}),
        ("post", "/api/v1/features/crm.kanban/kill/", {}),
        ("post", "/api/v1/features/crm.kanban/grants/", {"tier": "pro"}),
        ("post", "/api/v1/features/crm.kanban/overrides/", {"tenant": "acme", "enabled": False}),
    ],
)
def test_features_api__support_agent_writes__403_and_unchanged(feature, acme, staff, as_key, method, path, body):
    feature("crm.kanban", stage="beta")

    response = getattr(as_key(staff(Tier.SUPPORT)), method)(path, body, format="json")

    assert response.status_code == 403
    f = Feature.objects.get(key="crm.kanban")
    assert (f.stage, f.killed, f.rollout_percentage) == ("beta", False, 0)
    assert not Feature.objects.filter(key="x.y").exists()
    assert not Grant.objects.exists()
    assert not TenantOverride.objects.exists()


def test_features_api__support_agent_reads__list_and_detail(feature, staff, as_key):
    feature("crm.kanban", stage="beta", rollout_percentage=10)
    client = as_key(staff(Tier.SUPPORT))

    listed = client.get("/api/v1/features/").json()
    detail = client.get("/api/v1/features/crm.kanban/").json()

    assert "crm.kanban" in [f["key"] for f in listed]
    assert (detail["stage"], detail["rollout_percentage"], detail["killed"]) == ("beta", 10, False)


def test_features_api__unknown_key__404_json(platform, staff, as_key):
    response = as_key(staff(Tier.SUPPORT)).get("/api/v1/features/nope/")

    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


# --------------------------------------------------------------------------- features CRUD: writes


def test_features_api__platform_admin_lifecycle__create_promote_kill_unkill_retire_all_audited(platform, staff, as_key):
    admin = staff(Tier.PLATFORM_ADMIN)
    client = as_key(admin)

    created = client.post(
        "/api/v1/features/",
        {"key": "crm.kanban", "name": "Kanban", "stage": "alpha", "owner": admin.email},
        format="json",
    )
    assert created.status_code == 201
    assert created.json()["owner"] == admin.email
    assert (
        client.post("/api/v1/features/crm.kanban/promote/", {"reason": "ready"}, format="json").json()["stage"]
        == "beta"
    )
    assert (
        client.patch("/api/v1/features/crm.kanban/", {"rollout_percentage": 25}, format="json").json()[
            "rollout_percentage"
        ]
        == 25
    )
    assert (
        client.post("/api/v1/features/crm.kanban/kill/", {"reason": "incident"}, format="json").json()["killed"] is True
    )
    assert client.post("/api/v1/features/crm.kanban/unkill/", {}, format="json").json()["killed"] is False
    assert client.delete("/api/v1/features/crm.kanban/").json()["stage"] == "retired"

    actions = list(
        AuditEvent.objects.filter(target_repr="crm.kanban").order_by("id").values_list("action", "actor_email")
    )
    assert actions == [
        ("feature.create", admin.email),
        ("feature.promote", admin.email),
        ("feature.update", admin.email),
        ("feature.kill", admin.email),
        ("feature.unkill", admin.email),
        ("feature.retire", admin.email),
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"key": "Bad Key"}, "key"),
        ({"key": "crm.kanban", "stage": "retired"}, "stage"),
        ({"key": "crm.kanban", "rollout_percentage": 101}, "rollout_percentage"),
        ({"key": "crm.kanban", "colour": "red"}, "colour"),
        ({"key": "crm.kanban", "prerequisites": ["nope"]}, "prerequisites"),
        ({"key": "crm.kanban", "owner": "ghost@example.test"}, "owner"),
    ],
)
def test_features_api__create_bad_input__400_with_field(platform, staff, as_key, body, field):
    response = as_key(staff(Tier.PLATFORM_ADMIN)).post("/api/v1/features/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not Feature.objects.filter(key="crm.kanban").exists()


def test_features_api__promote_ga__400(feature, staff, as_key):
    feature("crm.kanban", stage="ga")

    response = as_key(staff(Tier.PLATFORM_ADMIN)).post("/api/v1/features/crm.kanban/promote/", {}, format="json")

    assert response.status_code == 400
    assert "no next stage" in response.json()["message"]


# --------------------------------------------------------------------------- grants and overrides


def test_grants_api__add_list_remove__each_target(feature, acme, partner, staff, as_key, user_factory):
    feature("crm.kanban", stage="beta")
    user_factory("ann@acme.test")
    client = as_key(staff(Tier.PLATFORM_ADMIN))
    bodies = [
        {"tenant": "acme", "expires_on": "2099-12-31"},
        {"user": "ann@acme.test", "reason": "pilot"},
        {"partner": partner.email},
        {"tier": "enterprise"},
    ]

    made = [client.post("/api/v1/features/crm.kanban/grants/", b, format="json") for b in bodies]
    listed = client.get("/api/v1/features/crm.kanban/grants/").json()

    assert [r.status_code for r in made] == [201, 201, 201, 201]
    assert sorted((g["target_type"], g["target"]) for g in listed) == [
        ("partner", partner.email),
        ("tenant", "acme"),
        ("tier", "enterprise"),
        ("user", "ann@acme.test"),
    ]
    assert made[0].json()["expires_at"].startswith("2100-01-01T00:00:00")
    grant_id = made[0].json()["id"]
    assert client.delete(f"/api/v1/features/crm.kanban/grants/{grant_id}/").status_code == 204
    assert client.get(f"/api/v1/features/crm.kanban/grants/{grant_id}/").status_code == 404
    assert AuditEvent.objects.filter(action="grant.add").count() == 4
    assert AuditEvent.objects.filter(action="grant.remove").count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "target"),
        ({"tenant": "acme", "tier": "pro"}, "target"),
        ({"tenant": "nowhere"}, "tenant"),
        ({"user": "ghost@example.test"}, "user"),
        ({"tier": "platinum"}, "tier"),
        ({"tenant": "acme", "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
    ],
)
def test_grants_api__bad_input__400_with_field(feature, acme, staff, as_key, body, field):
    feature("crm.kanban", stage="beta")

    response = as_key(staff(Tier.PLATFORM_ADMIN)).post("/api/v1/features/crm.kanban/grants/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not Grant.objects.exists()


def test_grants_api__quanttrade_by_platform_admin__403_but_super_admin__201(platform, acme, staff, as_key):
    services.quanttrade_feature_ensure()

    refused = as_key(staff(Tier.PLATFORM_ADMIN)).post(
        "/api/v1/features/quanttrade/grants/", {"tenant": "acme"}, format="json"
    )
    granted = as_key(staff(Tier.SUPER_ADMIN)).post(
        "/api/v1/features/quanttrade/grants/", {"tenant": "acme"}, format="json"
    )

    assert refused.status_code == 403
    assert granted.status_code == 201


def test_overrides_api__set_then_remove__tenant_answer_follows(feature, acme, staff, as_key):
    feature("inbox.ai", stage="ga")
    client = as_key(staff(Tier.PLATFORM_ADMIN))

    set_off = client.post("/api/v1/features/inbox.ai/overrides/", {"tenant": "acme", "enabled": False}, format="json")
    off = _by_key(client.get("/api/v1/tenants/acme/entitlements/"))["inbox.ai"]
    removed = client.post("/api/v1/features/inbox.ai/overrides/", {"tenant": "acme", "enabled": None}, format="json")
    on = _by_key(client.get("/api/v1/tenants/acme/entitlements/"))["inbox.ai"]

    assert set_off.status_code == 200
    assert (off["enabled"], off["rule"]) == (False, "override_off")
    assert removed.status_code == 204
    assert (on["enabled"], on["rule"]) == (True, "ga")
