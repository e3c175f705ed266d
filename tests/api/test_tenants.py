"""The tenants endpoints: visibility per actor, provisioning, status changes, bad input."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_exists

from apps.accounts.models import Tier
from apps.tenancy.models import Tenant


def _slugs(response) -> list[str]:
    return [t["slug"] for t in response.json()["results"]]


# --------------------------------------------------------------------------- visibility


def test_tenant_list__partner__only_its_own_tenants(as_key, partner, acme, globex, initech):
    response = as_key(partner).get("/api/v1/tenants/")

    assert response.status_code == 200
    assert response.json()["count"] == 2
    assert _slugs(response) == ["acme", "globex"]


@pytest.mark.parametrize("tier", [Tier.SUPPORT, Tier.PLATFORM_ADMIN, Tier.SUPER_ADMIN])
def test_tenant_list__platform_staff__every_tenant_but_not_the_platform(
    as_key, user_factory, acme, globex, initech, tier
):
    response = as_key(user_factory(tier=tier)).get("/api/v1/tenants/")

    assert response.status_code == 200
    assert _slugs(response) == ["acme", "globex", "initech"]


def test_tenant_list__limit__paginated_with_next_link(as_key, partner, acme, globex):
    response = as_key(partner).get("/api/v1/tenants/?limit=1")

    body = response.json()
    assert body["count"] == 2
    assert _slugs(response) == ["acme"]
    assert "offset=1" in body["next"]


def test_tenant_list__status_filter__only_that_status(as_key, partner, acme, globex):
    client = as_key(partner)
    client.patch("/api/v1/tenants/globex/", {"status": "suspended"}, format="json")

    assert _slugs(client.get("/api/v1/tenants/?status=suspended")) == ["globex"]
    assert _slugs(client.get("/api/v1/tenants/?status=active")) == ["acme"]


@pytest.mark.parametrize("query", ["status=frozen", "limit=0", "limit=abc", "colour=red"])
def test_tenant_list__bad_query__400_json(as_key, partner, query):
    response = as_key(partner).get(f"/api/v1/tenants/?{query}")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid"
    assert response.json()["fields"]


@pytest.mark.parametrize("slug", ["acme", "globex"])
def test_tenant_detail__partner_own_tenant__200(as_key, partner, acme, globex, slug):
    response = as_key(partner).get(f"/api/v1/tenants/{slug}/")

    assert response.status_code == 200
    assert response.json()["slug"] == slug
    assert response.json()["url"] == f"http://{slug}.localhost/app/"


@pytest.mark.parametrize("path", ["", "members/"])
def test_tenant_detail__partner_not_managing__404_not_403(as_key, partner, initech, path):
    # A 404 (not 403) does not even reveal that the tenant exists.
    response = as_key(partner).get(f"/api/v1/tenants/initech/{path}")

    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_tenant_detail__partner_tier_member_of_acme__404_for_globex(as_key, acme, globex, user_factory):
    # Given an agency user (tier 1) who is a member of acme but manages neither tenant
    other = user_factory("other-partner@example.test", tier=Tier.PARTNER, tenant=acme, role="owner")
    client = as_key(other)
    # Then globex is invisible through the API
    assert client.get("/api/v1/tenants/globex/").status_code == 404
    assert client.get("/api/v1/tenants/globex/members/").status_code == 404
    assert client.patch("/api/v1/tenants/globex/", {"name": "Mine"}, format="json").status_code == 404
    assert "globex" not in _slugs(client.get("/api/v1/tenants/"))
    globex.refresh_from_db()
    assert globex.name == "Globex"


def test_tenant_detail__acme_tenant_user__refused_for_globex(api, acme, globex, user_factory):
    # A tier-0 member of acme is refused by the API before any tenant is looked up.
    member = user_factory("member@acme.test", tenant=acme)
    api.force_login(member)

    assert api.get("/api/v1/tenants/globex/").status_code == 403
    assert api.get("/api/v1/tenants/acme/").status_code == 403


def test_tenant_members__partner__users_and_roles(as_key, partner, acme, user_factory):
    user_factory("owner@acme.test", tenant=acme, role="owner")
    user_factory("viewer@acme.test", tenant=acme, role="viewer")

    response = as_key(partner).get("/api/v1/tenants/acme/members/")

    assert response.status_code == 200
    assert [(m["email"], m["role"]) for m in response.json()] == [
        ("owner@acme.test", "owner"),
        ("viewer@acme.test", "viewer"),
    ]


def test_tenant_members__suspended_tenant__423_json_until_reactivated(as_key, partner, acme):
    client = as_key(partner)
    client.patch("/api/v1/tenants/acme/", {"status": "suspended", "reason": "unpaid"}, format="json")

    response = client.get("/api/v1/tenants/acme/members/")
    assert response.status_code == 423
    assert response.json()["error"] == "locked"
    assert "suspended" in response.json()["message"]

    client.patch("/api/v1/tenants/acme/", {"status": "active"}, format="json")
    assert client.get("/api/v1/tenants/acme/members/").status_code == 200


# --------------------------------------------------------------------------- provisioning


def test_tenant_create__partner__provisioned_for_itself(as_key, partner, platform):
    response = as_key(partner).post(
        "/api/v1/tenants/", {"name": "Hooli", "slug": "hooli", "tier": "starter", "industry": "Tech"}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["partner"] == "partner@example.test"
    assert response.json()["tier"] == "starter"
    tenant = Tenant.objects.get(slug="hooli")
    assert tenant.partner == partner
    assert schema_exists(tenant.schema_name)


def test_tenant_create__partner_names_another_partner__403_nothing_created(as_key, partner, user_factory, platform):
    user_factory("rival@example.test", tier=Tier.PARTNER)

    response = as_key(partner).post(
        "/api/v1/tenants/", {"name": "Hooli", "slug": "hooli", "partner": "rival@example.test"}, format="json"
    )

    assert response.status_code == 403
    assert not Tenant.objects.filter(slug="hooli").exists()


def test_tenant_create__support_agent__403_nothing_created(as_key, support_agent, platform):
    response = as_key(support_agent).post("/api/v1/tenants/", {"name": "Hooli", "slug": "hooli"}, format="json")

    assert response.status_code == 403
    assert "Support agents" in response.json()["message"]
    assert not Tenant.objects.filter(slug="hooli").exists()


def test_tenant_create__platform_admin_names_partner__managed_by_that_partner(as_key, platform_admin, partner):
    response = as_key(platform_admin).post(
        "/api/v1/tenants/", {"name": "Hooli", "slug": "hooli", "partner": "PARTNER@example.test"}, format="json"
    )

    assert response.status_code == 201
    assert Tenant.objects.get(slug="hooli").partner == partner


def test_tenant_create__platform_admin_without_partner__unmanaged(as_key, platform_admin, platform):
    response = as_key(platform_admin).post("/api/v1/tenants/", {"name": "Hooli", "slug": "hooli"}, format="json")

    assert response.status_code == 201
    assert response.json()["partner"] is None


@pytest.mark.parametrize(
    ("partner_email", "fragment"),
    [("nobody@example.test", "No user"), ("owner@acme.test", "not a partner")],
)
def test_tenant_create__platform_admin_names_non_partner__400_on_partner_field(
    as_key, platform_admin, acme, user_factory, partner_email, fragment
):
    user_factory("owner@acme.test", tenant=acme, role="owner")

    response = as_key(platform_admin).post(
        "/api/v1/tenants/", {"name": "Hooli", "slug": "hooli", "partner": partner_email}, format="json"
    )

    assert response.status_code == 400
    assert fragment in response.json()["fields"]["partner"][0]
    assert not Tenant.objects.filter(slug="hooli").exists()


BAD_CREATE_BODIES = {
    "malformed json": ('{"name": "Hooli", "slug": ', None),
    "json array": ('[{"name": "Hooli", "slug": "hooli"}]', "non_field_errors"),
    "json string": ('"hooli"', "non_field_errors"),
    "name wrong type": ('{"name": ["Hooli"], "slug": "hooli"}', "name"),
    "slug wrong type": ('{"name": "Hooli", "slug": {"x": 1}}', "slug"),
    "name missing": ('{"slug": "hooli"}', "name"),
    "name blank": ('{"name": "   ", "slug": "hooli"}', "name"),
    "name too long": ('{"name": "' + "x" * 121 + '", "slug": "hooli"}', "name"),
    "slug too long": ('{"name": "Hooli", "slug": "' + "h" * 41 + '"}', "slug"),
    "bad slug": ('{"name": "Hooli", "slug": "hoo li!"}', "slug"),
    "slug starts with digit": ('{"name": "Hooli", "slug": "1hooli"}', "slug"),
    "reserved slug": ('{"name": "Hooli", "slug": "admin"}', "slug"),
    "duplicate slug": ('{"name": "Hooli", "slug": "acme"}', "slug"),
    "unknown tier": ('{"name": "Hooli", "slug": "hooli", "tier": "platinum"}', "tier"),
    "tier wrong type": ('{"name": "Hooli", "slug": "hooli", "tier": 3}', "tier"),
    "bad domain": ('{"name": "Hooli", "slug": "hooli", "domain": "not a domain"}', "domain"),
    "bad partner email": ('{"name": "Hooli", "slug": "hooli", "partner": "nope"}', "partner"),
    "unknown field": ('{"name": "Hooli", "slug": "hooli", "plan": "pro"}', "plan"),
}


@pytest.mark.parametrize("case", BAD_CREATE_BODIES)
def test_tenant_create__bad_input__400_json_and_nothing_created(as_key, partner, acme, case):
    body, field = BAD_CREATE_BODIES[case]
    before = Tenant.objects.count()

    response = as_key(partner).post("/api/v1/tenants/", body, content_type="application/json")

    assert response.status_code == 400, response.content
    data = response.json()
    assert set(data) == {"error", "message", "fields"}
    assert data["message"]
    if field is None:
        assert data["error"] == "parse_error"
    else:
        assert data["error"] == "invalid"
        assert field in data["fields"]
    assert Tenant.objects.count() == before


# --------------------------------------------------------------------------- changes


def test_tenant_update__partner_suspends_and_activates__status_and_reason_saved(as_key, partner, acme):
    client = as_key(partner)

    response = client.patch("/api/v1/tenants/acme/", {"status": "suspended", "reason": "unpaid"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "suspended"
    acme.refresh_from_db()
    assert (acme.status, acme.status_reason) == ("suspended", "unpaid")

    response = client.patch("/api/v1/tenants/acme/", {"status": "active"}, format="json")
    assert response.json()["status"] == "active"


def test_tenant_update__rename_and_change_plan__saved(as_key, partner, acme):
    response = as_key(partner).patch("/api/v1/tenants/acme/", {"name": "Acme Ltd", "tier": "enterprise"}, format="json")

    assert response.status_code == 200
    acme.refresh_from_db()
    assert (acme.name, acme.plan.code) == ("Acme Ltd", "enterprise")


def test_tenant_update__partner_archives__403_status_unchanged(as_key, partner, acme):
    response = as_key(partner).patch("/api/v1/tenants/acme/", {"status": "archived"}, format="json")

    assert response.status_code == 403
    assert "platform admins" in response.json()["message"]
    acme.refresh_from_db()
    assert acme.status == "active"


@pytest.mark.parametrize("tier", [Tier.PLATFORM_ADMIN, Tier.SUPER_ADMIN])
def test_tenant_update__platform_admin_archives__archived(as_key, user_factory, acme, tier):
    response = as_key(user_factory(tier=tier)).patch("/api/v1/tenants/acme/", {"status": "archived"}, format="json")

    assert response.status_code == 200
    acme.refresh_from_db()
    assert acme.status == "archived"


def test_tenant_update__partner_on_archived_tenant__403(as_key, partner, platform_admin, acme):
    as_key(platform_admin).patch("/api/v1/tenants/acme/", {"status": "archived"}, format="json")

    response = as_key(partner).patch("/api/v1/tenants/acme/", {"status": "active"}, format="json")

    assert response.status_code == 403
    acme.refresh_from_db()
    assert acme.status == "archived"


def test_tenant_read__support_agent__reads_everything_changes_nothing(as_key, support_agent, acme, initech):
    client = as_key(support_agent)

    assert client.get("/api/v1/tenants/initech/").status_code == 200
    assert client.get("/api/v1/tenants/acme/members/").status_code == 200
    response = client.patch("/api/v1/tenants/acme/", {"status": "suspended"}, format="json")
    assert response.status_code == 403
    assert "read-only" in response.json()["message"]
    acme.refresh_from_db()
    assert acme.status == "active"


BAD_PATCH_BODIES = {
    "empty body": ("{}", "non_field_errors"),
    "only a reason": ('{"reason": "because"}', "non_field_errors"),
    "malformed json": ('{"status": ', None),
    "unknown status": ('{"status": "deleted"}', "status"),
    "status wrong type": ('{"status": ["active"]}', "status"),
    "blank name": ('{"name": ""}', "name"),
    "name too long": ('{"name": "' + "x" * 121 + '"}', "name"),
    "unknown tier": ('{"tier": "platinum"}', "tier"),
    "slug is not editable": ('{"slug": "acme2"}', "slug"),
    "json array": ("[]", "non_field_errors"),
}


@pytest.mark.parametrize("case", BAD_PATCH_BODIES)
def test_tenant_update__bad_input__400_json_and_unchanged(as_key, partner, acme, case):
    body, field = BAD_PATCH_BODIES[case]

    response = as_key(partner).patch("/api/v1/tenants/acme/", body, content_type="application/json")

    assert response.status_code == 400, response.content
    data = response.json()
    assert set(data) == {"error", "message", "fields"}
    if field is not None:
        assert field in data["fields"]
    acme.refresh_from_db()
    assert (acme.slug, acme.name, acme.status, acme.plan.code) == ("acme", "Acme", "active", "pro")


def test_tenant_list__huge_limit__page_size_capped_at_200():
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from apps.tenancy.api.views import TenantListCreateView

    request = Request(APIRequestFactory().get("/api/v1/tenants/", {"limit": "100000"}))

    assert TenantListCreateView.pagination_class().get_limit(request) == 200


def test_tenant_create__form_encoded_body__accepted(as_key, partner, platform):
    response = as_key(partner).post("/api/v1/tenants/", {"name": "Hooli", "slug": "hooli"})

    assert response.status_code == 201


@pytest.mark.parametrize(
    ("method", "body", "content_type", "status", "code"),
    [
        ("post", "name=Hooli", "text/plain", 415, "unsupported_media_type"),
        ("put", '{"name": "Acme"}', "application/json", 405, "method_not_allowed"),
        ("delete", "", "application/json", 405, "method_not_allowed"),
    ],
)
def test_tenant_endpoints__unsupported_request__json_error(
    as_key, partner, acme, method, body, content_type, status, code
):
    url = "/api/v1/tenants/" if method == "post" else "/api/v1/tenants/acme/"

    response = getattr(as_key(partner), method)(url, body, content_type=content_type)

    assert response.status_code == status
    assert response.json()["error"] == code
    acme.refresh_from_db()
    assert Tenant.objects.filter(slug="acme").exists()
