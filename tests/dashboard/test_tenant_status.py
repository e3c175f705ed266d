"""Suspended, archived and unknown hosts, as a dashboard user meets them."""

from __future__ import annotations

from apps.tenancy.services import tenant_set_status
from tests.dashboard.conftest import TENANT_HOST


def test_dashboard__suspended_tenant__423_suspended_page_with_reason(client, acme, member):
    tenant_set_status(tenant=acme, status="suspended", reason="Payment overdue")
    client.force_login(member)

    response = client.get("/app/settings/", **TENANT_HOST)

    assert response.status_code == 423
    html = response.content.decode()
    assert 'data-testid="tenant-suspended"' in html
    assert "Acme is suspended" in html
    assert "Payment overdue" in html
    assert 'action="/accounts/logout/"' in html  # the way out still works
    assert 'name="language"' not in html  # no form whose POST the gate would refuse


def test_dashboard__archived_tenant__pages_readable_with_read_only_banner(client, acme, member):
    tenant_set_status(tenant=acme, status="archived")
    client.force_login(member)

    response = client.get("/app/", **TENANT_HOST)

    assert response.status_code == 200
    assert b'data-testid="read-only-banner"' in response.content
    assert b"Archived (read-only)" in response.content


def test_dashboard__archived_tenant__post_answers_423_and_nothing_saved(client, acme, member):
    tenant_set_status(tenant=acme, status="archived")
    client.force_login(member)

    response = client.post("/app/settings/profile/", {"full_name": "Changed"}, **TENANT_HOST)

    assert response.status_code == 423
    assert b'data-testid="tenant-archived"' in response.content
    member.refresh_from_db()
    assert member.full_name == "Mia Member"


def test_dashboard__active_tenant__no_read_only_banner(client, member):
    client.force_login(member)

    response = client.get("/app/", **TENANT_HOST)

    assert b'data-testid="read-only-banner"' not in response.content


def test_dashboard__unknown_host__404_page_names_the_host(client, platform):
    response = client.get("/app/", HTTP_HOST="nobody.localhost")

    assert response.status_code == 404
    html = response.content.decode()
    assert 'data-testid="unknown-host"' in html
    assert "<strong>nobody.localhost</strong>" in html
    assert "/static/css/app.css" in html  # the styled page, not a bare error
