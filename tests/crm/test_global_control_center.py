"""CRM Global Control Center (M5): every tenant's contacts and deals in the admin, for super
admins, in one statement per 100 tenant schemas — never one query per tenant."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from apps.accounts.models import Tier
from apps.audit.models import AuditEvent
from apps.crm import global_search, services

URL = "/admin/crm/globalcontrolcenter/"


@pytest.fixture
def fleet(tenant_factory, acme, globex, user_factory):
    """acme, globex and initech with a few contacts and deals each."""
    initech = tenant_factory("initech", "Initech")
    made = {}
    for tenant, names in ((acme, ["Anna Acme", "Zed Acme"]), (globex, ["Bob Globex"]), (initech, ["Anna Initech"])):
        with tenant_context(tenant):
            made[tenant.slug] = [
                services.contact_create(name=n, email=f"{n.split()[0].lower()}@{tenant.slug}.test") for n in names
            ]
            services.deal_create(title=f"Deal of {tenant.name}", value="100")
    member = user_factory("member@acme.test", tenant=acme)
    with tenant_context(acme):
        services.contact_update(contact=made["acme"][0], owner=member.pk)
    return {"acme": acme, "globex": globex, "initech": initech, "made": made, "member": member}


def test_global_search__no_query__every_tenant_sorted_by_name_with_tenant(fleet):
    page = global_search.global_search(kind="contacts")

    assert [(r.title, r.tenant.slug) for r in page.rows] == [
        ("Anna Acme", "acme"),
        ("Anna Initech", "initech"),
        ("Bob Globex", "globex"),
        ("Zed Acme", "acme"),
    ]
    assert (page.tenants_searched, page.statements, page.has_next) == (3, 1, False)


def test_global_search__query__matches_in_every_schema(fleet):
    page = global_search.global_search(kind="contacts", q="anna")

    assert [(r.title, r.tenant.slug) for r in page.rows] == [("Anna Acme", "acme"), ("Anna Initech", "initech")]
    assert [r.title for r in global_search.global_search(kind="contacts", q="initech.test").rows] == ["Anna Initech"]


def test_global_search__deals__title_stage_value(fleet):
    page = global_search.global_search(kind="deals", q="deal")

    assert next((r.title, r.subtitle, str(r.value)) for r in page.rows) == ("Deal of Acme", "New", "100.00")
    assert len(page.rows) == 3


def test_global_search__pages__next_page_continues_the_order(fleet):
    first = global_search.global_search(kind="contacts", per_page=3)
    second = global_search.global_search(kind="contacts", per_page=3, page=2)

    assert first.has_next
    assert not second.has_next
    assert [r.title for r in first.rows + second.rows] == ["Anna Acme", "Anna Initech", "Bob Globex", "Zed Acme"]


def test_global_search__many_tenants__one_statement_per_chunk_not_per_tenant(fleet, monkeypatch):
    monkeypatch.setattr(global_search, "CHUNK_SCHEMAS", 2)

    with CaptureQueriesContext(connection) as ctx:
        page = global_search.global_search(kind="contacts", q="a")

    unions = [q for q in ctx.captured_queries if "UNION ALL" in q["sql"] or "crm_contact x" in q["sql"]]
    assert len(unions) == 2  # 3 tenants in chunks of 2
    queries = [q for q in ctx.captured_queries if not q["sql"].startswith("SET search_path")]
    assert len(queries) == 4  # + the tenant rows and the schema check
    assert page.statements == 2


def test_global_search__deleted_and_one_tenant_filter(fleet):
    with tenant_context(fleet["acme"]):
        services.contact_delete(contact=fleet["made"]["acme"][1])

    page = global_search.global_search(kind="contacts", tenant_slug="acme")

    assert [r.title for r in page.rows] == ["Anna Acme"]


def test_global_row__links__tenant_dashboard_and_view_as_owner(fleet):
    row = global_search.global_search(kind="contacts", q="anna acme").rows[0]

    assert row.open_url == f"http://acme.localhost/app/crm/contacts/{row.id}/"
    assert row.view_as_url == f"http://acme.localhost/app/support/view-as/{fleet['member'].pk}/"


# --------------------------------------------------------------------------- the admin page


@pytest.fixture
def admin_client(platform, user_factory, login_verified):
    def make(tier: int) -> Client:
        client = Client(HTTP_HOST="localhost")
        login_verified(client, user_factory(tier=tier))
        return client

    return make


def test_admin_control_center__super_admin__rows_with_tenant_and_links(fleet, admin_client):
    response = admin_client(Tier.SUPER_ADMIN).get(URL, {"q": "anna"})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-tenant="acme"' in html
    assert 'data-tenant="initech"' in html
    assert "Bob Globex" not in html
    assert "/support/view-as/" in html
    event = AuditEvent.objects.get(action="crm.global_search")
    assert event.after["q"] == "anna"
    assert event.after["rows"] == 2


def test_admin_control_center__deals_tab__lists_deals(fleet, admin_client):
    response = admin_client(Tier.SUPER_ADMIN).get(URL, {"kind": "deals"})

    assert "Deal of Globex" in response.content.decode()


@pytest.mark.parametrize("tier", [Tier.SUPPORT, Tier.PLATFORM_ADMIN])
def test_admin_control_center__below_super_admin__refused(fleet, admin_client, tier):
    response = admin_client(tier).get(URL)

    assert response.status_code == 403
    assert "Anna" not in response.content.decode()


def test_admin_index__super_admin__links_the_control_center(fleet, admin_client):
    assert URL in admin_client(Tier.SUPER_ADMIN).get("/admin/").content.decode()
