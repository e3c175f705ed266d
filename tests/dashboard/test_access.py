"""Who gets into a tenant's dashboard."""

from __future__ import annotations

from apps.accounts.models import Tier
from tests.dashboard.conftest import TENANT_HOST


def test_overview__anonymous__redirected_to_sign_in(client, acme):
    response = client.get("/app/", **TENANT_HOST)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/app/"


def test_overview__acme_member__sees_acme_overview_with_facts(client, acme, member):
    client.force_login(member)

    response = client.get("/app/", **TENANT_HOST)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="tenant-name">Acme<' in html
    assert 'data-testid="tenant-plan">Pro<' in html
    assert 'data-testid="tenant-partner">partner@example.test<' not in html  # the partner's name, not email
    assert f'data-testid="tenant-partner">{acme.partner.full_name}<' in html
    assert "Welcome, Mia" in html
    assert '<span class="badge__dot"></span>Active</span>' in html


def test_overview__acme_member_on_globex__403_without_globex_data(client, acme, globex, member):
    client.force_login(member)

    response = client.get("/app/", HTTP_HOST="globex.localhost")

    assert response.status_code == 403
    assert b'data-testid="no-access"' in response.content
    assert b"Globex" not in response.content


def test_overview__managing_partner_verified__gets_in(client, acme, partner, login_verified):
    login_verified(client, partner)

    response = client.get("/app/", **TENANT_HOST)

    assert response.status_code == 200
    assert "Partner" in response.content.decode()  # their access is shown as partner


def test_overview__partner_of_other_tenant__403(client, acme, user_factory, login_verified):
    other_partner = user_factory(email="other-partner@example.test", tier=Tier.PARTNER)
    login_verified(client, other_partner)

    assert client.get("/app/", **TENANT_HOST).status_code == 403


def test_overview__support_agent_verified__gets_in(client, acme, user_factory, login_verified):
    agent = user_factory(email="agent@bizosaas.test", tier=Tier.SUPPORT)
    login_verified(client, agent)

    response = client.get("/app/", **TENANT_HOST)

    assert response.status_code == 200
    assert "BizOSaaS support" in response.content.decode()


def test_overview__support_agent_not_verified__held_at_second_factor(client, acme, user_factory):
    agent = user_factory(email="agent@bizosaas.test", tier=Tier.SUPPORT)
    client.force_login(agent)

    response = client.get("/app/", **TENANT_HOST)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/mfa/setup/")
