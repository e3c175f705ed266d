"""Who can call the partner API, and how: API keys, verified sessions, tiers."""

from __future__ import annotations

import pytest

from apps.accounts.models import ApiKey, Tier
from apps.accounts.services import api_key_create, api_key_revoke

ENDPOINTS = ["/api/v1/me/", "/api/v1/tenants/", "/api/v1/tenants/acme/", "/api/v1/tenants/acme/members/"]


def test_me__api_key__answers_the_key_owner(api, partner, key_for):
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key_for(partner)}")

    response = api.get("/api/v1/me/")

    assert response.status_code == 200
    assert response.json()["email"] == "partner@example.test"
    assert response.json()["tier_name"] == "Partner"


def test_me__lowercase_bearer_scheme__accepted(api, partner, key_for):
    api.credentials(HTTP_AUTHORIZATION=f"bearer {key_for(partner)}")

    assert api.get("/api/v1/me/").status_code == 200


def test_api__no_credentials__401_json_with_bearer_challenge(api):
    response = api.get("/api/v1/tenants/")

    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "header",
    ["Bearer bz_00000000_not-a-real-key", "Bearer nonsense", "Token abc", "Bearer", "Bearer a b"],
)
def test_api__bad_authorization_header__401_json(api, header):
    api.credentials(HTTP_AUTHORIZATION=header)

    response = api.get("/api/v1/me/")

    assert response.status_code == 401
    assert response.json()["error"] == "authentication_failed"
    assert response.json()["message"]


def test_api_key__revoked__401(api, partner):
    # Given a key that worked
    key, raw = api_key_create(user=partner)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/v1/me/").status_code == 200
    # When it is revoked
    api_key_revoke(key=key)
    # Then it no longer works
    response = api.get("/api/v1/me/")
    assert response.status_code == 401
    assert "revoked" in response.json()["message"]


def test_api_key__inactive_user__401(api, partner, key_for):
    raw = key_for(partner)
    partner.is_active = False
    partner.save(update_fields=["is_active"])
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert api.get("/api/v1/me/").status_code == 401


def test_api_key__stored__only_a_digest_never_the_key(partner):
    key, raw = api_key_create(user=partner)

    stored = ApiKey.objects.get(pk=key.pk)
    assert raw.startswith(f"bz_{stored.prefix}_")
    assert stored.digest != raw
    assert raw not in (stored.digest, stored.name, stored.prefix)
    assert len(stored.digest) == 64


@pytest.mark.parametrize("url", ENDPOINTS)
def test_api__tenant_user_tier_0__403_everywhere(api, acme, user_factory, url):
    # Given an owner of acme (tier 0) signed in to the dashboard
    owner = user_factory("owner@acme.test", tenant=acme, role="owner")
    api.force_login(owner)
    # When they call the partner API with that session
    response = api.get(url)
    # Then the partner API is closed to them
    assert response.status_code == 403
    assert response.json()["error"] == "permission_denied"


@pytest.mark.parametrize("tier", [Tier.PARTNER, Tier.SUPPORT, Tier.PLATFORM_ADMIN, Tier.SUPER_ADMIN])
def test_api__session_not_mfa_verified__403_until_verified(api, user_factory, login_verified, tier):
    user = user_factory(tier=tier)
    api.force_login(user)

    response = api.get("/api/v1/me/")
    assert response.status_code == 403
    assert "MFA" in response.json()["message"]

    login_verified(api, user)
    assert api.get("/api/v1/me/").status_code == 200


def test_api__verified_session__writes_work_like_with_a_key(api, partner, login_verified, platform):
    login_verified(api, partner)

    response = api.post("/api/v1/tenants/", {"name": "Hooli", "slug": "hooli"}, format="json")

    assert response.status_code == 201
    assert response.json()["partner"] == "partner@example.test"


def test_api__unknown_path__json_404(api, partner, key_for):
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key_for(partner)}")

    response = api.get("/api/v1/nothing-here/")

    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
