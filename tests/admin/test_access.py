"""Who gets into the admin portal, and what the index shows them."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.models import Tier
from apps.tenancy.services import tenant_set_status
from tests.admin.conftest import PLATFORM_HOST


def _fleet_count(html: str, attr: str, value) -> int:
    match = re.search(rf'<li {attr}="{value}">.*?bz-card__count">(\d+)<', html, re.S)
    assert match, f"no fleet row {attr}={value}"
    return int(match.group(1))


def test_admin_index__anonymous__sent_to_the_platform_sign_in_page(platform):
    client = Client(HTTP_HOST=PLATFORM_HOST)

    response = client.get("/admin/", follow=True)

    assert response.redirect_chain[-1][0] == "/accounts/login/?next=%2Fadmin%2F"
    assert response.status_code == 200


def test_admin_login_url__anonymous__never_shows_the_admin_login_form(platform):
    client = Client(HTTP_HOST=PLATFORM_HOST)

    response = client.get("/admin/login/?next=/admin/tenancy/tenant/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2Ftenancy%2Ftenant%2F"


@pytest.mark.parametrize("tier", [Tier.NONE, Tier.PARTNER])
@pytest.mark.parametrize("path", ["/admin/", "/admin/tenancy/tenant/", "/admin/accounts/user/"])
def test_admin__tenant_user_or_partner_with_verified_session__refused(staff_client, tier, path):
    client, _ = staff_client(tier)

    response = client.get(path, follow=True)

    assert response.status_code == 403
    assert b"bz-fleet" not in response.content


def test_admin__support_agent_without_otp_step__sent_to_otp_verification(staff_client):
    client, user = staff_client(Tier.SUPPORT, verified=False)
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)

    response = client.get("/admin/tenancy/tenant/")

    location = urlsplit(response["Location"])
    assert response.status_code == 302
    assert location.path == "/accounts/verify/"
    assert parse_qs(location.query)["next"] == ["/admin/tenancy/tenant/"]


def test_admin_login_url__unverified_platform_admin__sent_to_otp_verification(staff_client):
    client, user = staff_client(Tier.PLATFORM_ADMIN, verified=False)
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)

    response = client.get("/admin/login/?next=/admin/", follow=True)

    assert urlsplit(response.redirect_chain[0][0]).path == "/accounts/verify/"
    assert b"bz-fleet" not in response.content


@pytest.mark.parametrize("tier", [Tier.SUPPORT, Tier.PLATFORM_ADMIN, Tier.SUPER_ADMIN])
def test_admin_index__verified_staff__sees_the_portal(staff_client, tier):
    client, _ = staff_client(tier)

    response = client.get("/admin/")

    assert response.status_code == 200
    assert b"bz-fleet" in response.content
    assert b"/static/admin-theme.css" in response.content


def test_admin_index__fleet_summary__counts_tenants_per_status_and_users_per_tier(
    tenant_factory, staff_client, user_factory
):
    tenant_factory("acme")
    tenant_factory("globex")
    tenant_set_status(tenant=tenant_factory("initech"), status="suspended", reason="unpaid")
    user_factory(tier=Tier.PARTNER)
    user_factory(tier=Tier.PARTNER)
    client, _ = staff_client(Tier.SUPPORT)

    html = client.get("/admin/").content.decode()

    assert _fleet_count(html, "data-status", "active") == 2
    assert _fleet_count(html, "data-status", "suspended") == 1
    assert _fleet_count(html, "data-status", "archived") == 0
    assert _fleet_count(html, "data-tier", Tier.PARTNER) == 2
    assert _fleet_count(html, "data-tier", Tier.SUPPORT) == 1


def test_admin_index__django_groups__not_offered(staff_client):
    client, _ = staff_client(Tier.SUPER_ADMIN)

    response = client.get("/admin/auth/group/")

    assert response.status_code == 404
