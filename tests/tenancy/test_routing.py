from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.tenancy.instrumentation import count_search_path_sets
from apps.tenancy.services import tenant_set_status


def test_host_routing__tenant_host__serves_tenant_urls(client, acme, user_factory):
    member = user_factory(tenant=acme, role="member")
    client.force_login(member)
    response = client.get("/app/", HTTP_HOST="acme.localhost")
    assert response.status_code == 200
    assert response.wsgi_request.tenant.slug == "acme"


def test_host_routing__platform_host__serves_platform_urls(client, platform):
    response = client.get("/api/schema/", HTTP_HOST="localhost")
    assert response.status_code == 200
    assert client.get("/app/", HTTP_HOST="localhost").status_code == 404


def test_host_routing__unknown_host__clear_404_page(client, platform):
    response = client.get("/app/", HTTP_HOST="nobody.localhost")
    assert response.status_code == 404
    assert b"nobody.localhost" in response.content


def test_host_routing__tenant_root__serves_the_public_site_not_the_dashboard(client, acme):
    # Until the first site sync there is nothing to show: a clear 404, not the dashboard.
    response = client.get("/", HTTP_HOST="acme.localhost")
    assert response.status_code == 404
    assert response["X-Site-Status"] == "not-published"


def test_mfa_gate__unverified_partner_on_public_site__not_redirected(client, acme, partner):
    client.force_login(partner)
    assert client.get("/", HTTP_HOST="acme.localhost").status_code == 404  # the site, not the MFA step
    response = client.get("/app/", HTTP_HOST="acme.localhost")
    assert response.status_code == 302
    assert "/accounts/" in response["Location"]


def test_request_path__dashboard_page__tenant_and_user_in_two_queries_one_search_path(client, acme, user_factory):
    member = user_factory(tenant=acme, role="owner")
    client.force_login(member)
    client.get("/app/", HTTP_HOST="acme.localhost")  # warm-up: template and URL caches
    connection.set_schema_to_public()
    with count_search_path_sets(connection) as sets, CaptureQueriesContext(connection) as queries:
        response = client.get("/app/", HTTP_HOST="acme.localhost")
    assert response.status_code == 200
    sql = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith("SET search_path")]
    # The tenant (by host) and the user (by session) are the first two queries; the rest is the page.
    assert "public.tenancy_domain" in sql[0], sql
    assert sql[1].startswith('SELECT "accounts_user"'), sql
    assert f'"accounts_user"."id" = {member.pk}' in sql[1], sql
    assert not any("tenancy_domain" in s for s in sql[1:]), "the tenant is looked up once"
    assert sets == [[acme.schema_name, "public"]], sets


def test_suspended_tenant__dashboard__423_page_and_data_untouched(client, acme, user_factory):
    member = user_factory(tenant=acme, role="owner")
    tenant_set_status(tenant=acme, status="suspended", reason="Unpaid invoice")
    client.force_login(member)
    response = client.get("/app/", HTTP_HOST="acme.localhost")
    assert response.status_code == 423
    assert b"suspended" in response.content.lower()
    assert b"Unpaid invoice" in response.content
    tenant_set_status(tenant=acme, status="active")
    assert client.get("/app/", HTTP_HOST="acme.localhost").status_code == 200
