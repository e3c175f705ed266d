"""Tenants in the admin: the list, provisioning through the service, status changes."""

from __future__ import annotations

from django.contrib.admin.models import LogEntry
from django_tenants.utils import schema_exists

from apps.tenancy.models import Domain, Tenant
from apps.tenancy.services import tenant_set_status

CHANGELIST = "/admin/tenancy/tenant/"
ADD = "/admin/tenancy/tenant/add/"


def _add_form(**overrides) -> dict:
    data = {"name": "Newco", "slug": "newco", "plan": "starter", "partner": "", "industry": "Retail", "domain": ""}
    data.update(overrides)
    return data


# --------------------------------------------------------------------------- list


def test_tenant_list__staff__shows_badges_and_open_dashboard_links_but_not_the_platform(acme, globex, support_client):
    tenant_set_status(tenant=globex, status="suspended", reason="unpaid")

    response = support_client.get(CHANGELIST, SERVER_PORT="8000")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'href="http://acme.localhost:8000/app/"' in html
    assert 'href="http://globex.localhost:8000/app/"' in html
    assert "Suspended" in html
    assert "BizOSaaS platform" not in html


def test_tenant_list__status_filter__lists_only_that_status(acme, globex, support_client):
    tenant_set_status(tenant=globex, status="suspended", reason="unpaid")

    html = support_client.get(CHANGELIST, {"status__exact": "suspended"}).content.decode()

    assert "globex.localhost" in html
    assert "acme.localhost" not in html


def test_tenant_list__partner_filter_and_search__narrow_the_list(acme, initech, support_client, partner):
    by_partner = support_client.get(CHANGELIST, {"partner": str(partner.pk)}).content.decode()
    searched = support_client.get(CHANGELIST, {"q": "initech"}).content.decode()

    assert "acme.localhost" in by_partner
    assert "initech.localhost" not in by_partner
    assert "initech.localhost" in searched
    assert "acme.localhost" not in searched


# --------------------------------------------------------------------------- support agent is read-only


def test_tenant_change__support_agent_posts__forbidden_and_unchanged(acme, support_client):
    response = support_client.post(f"{CHANGELIST}{acme.pk}/change/", {"name": "Hacked", "plan": "free"})

    acme.refresh_from_db()
    assert response.status_code == 403
    assert acme.name == "Acme"


def test_tenant_change__support_agent_opens__sees_it_without_a_form_to_save(acme, support_client):
    response = support_client.get(f"{CHANGELIST}{acme.pk}/change/")

    assert response.status_code == 200
    assert b"Acme" in response.content
    assert b'name="name"' not in response.content
    assert b'name="_save"' not in response.content


def test_tenant_add__support_agent__forbidden(platform, support_client):
    assert support_client.get(ADD).status_code == 403
    assert support_client.post(ADD, _add_form()).status_code == 403
    assert not Tenant.objects.filter(slug="newco").exists()


def test_tenant_suspend__support_agent__forbidden(acme, support_client):
    response = support_client.post(f"{CHANGELIST}{acme.pk}/suspend/", {"reason": "because"})

    acme.refresh_from_db()
    assert response.status_code == 403
    assert acme.status == "active"


# --------------------------------------------------------------------------- provisioning


def test_tenant_add__platform_admin_valid_form__tenant_schema_and_domain_created(platform, platform_admin_client):
    response = platform_admin_client.post(ADD, _add_form())

    tenant = Tenant.objects.get(slug="newco")
    assert response.status_code == 302
    assert response["Location"] == f"{CHANGELIST}{tenant.pk}/change/"
    assert schema_exists(tenant.schema_name)
    assert tenant.plan.code == "starter"
    assert tenant.industry == "Retail"
    assert Domain.objects.get(tenant=tenant, is_primary=True).domain == "newco.localhost"
    assert LogEntry.objects.filter(object_id=str(tenant.pk)).exists()


def test_tenant_add__extra_domain_and_partner__domain_is_primary_and_partner_set(
    platform, platform_admin_client, partner
):
    platform_admin_client.post(ADD, _add_form(domain="shop.newco.example", partner=partner.pk))

    tenant = Tenant.objects.get(slug="newco")
    assert tenant.partner == partner
    assert Domain.objects.get(tenant=tenant, is_primary=True).domain == "shop.newco.example"
    assert Domain.objects.filter(tenant=tenant, domain="newco.localhost", is_primary=False).exists()


def test_tenant_add__bad_slug__service_error_on_slug_field_and_nothing_created(platform, platform_admin_client):
    response = platform_admin_client.post(ADD, _add_form(slug="Bad Slug!"))

    form = response.context["adminform"].form
    assert response.status_code == 200
    assert "lowercase letters, digits and hyphens" in form.errors["slug"][0]
    assert "lowercase letters, digits and hyphens" in response.content.decode()
    assert not Tenant.objects.filter(name="Newco").exists()
    assert not schema_exists("t_bad_slug")


def test_tenant_add__reserved_slug__refused_with_the_service_message(platform, platform_admin_client):
    response = platform_admin_client.post(ADD, _add_form(slug="admin"))

    assert response.context["adminform"].form.errors["slug"] == ["“admin” is reserved."]
    assert not schema_exists("t_admin")


def test_tenant_add__domain_taken__error_on_domain_field_and_no_schema_left(acme, platform_admin_client):
    response = platform_admin_client.post(ADD, _add_form(domain="acme.localhost"))

    assert "already in use" in response.context["adminform"].form.errors["domain"][0]
    assert not Tenant.objects.filter(slug="newco").exists()
    assert not schema_exists("t_newco")


def test_tenant_change__platform_admin__name_and_plan_updated(acme, platform_admin_client):
    response = platform_admin_client.post(
        f"{CHANGELIST}{acme.pk}/change/",
        {
            "name": "Acme Corp",
            "plan": acme.plan.pk,
            "industry": "Anvils",
            "domains-TOTAL_FORMS": "1",
            "domains-INITIAL_FORMS": "1",
            "domains-MIN_NUM_FORMS": "0",
            "domains-MAX_NUM_FORMS": "1000",
            "domains-0-id": Domain.objects.get(tenant=acme).pk,
            "domains-0-tenant": acme.pk,
            "domains-0-domain": "acme.localhost",
            "domains-0-is_primary": "on",
        },
    )

    acme.refresh_from_db()
    assert response.status_code == 302
    assert (acme.name, acme.industry) == ("Acme Corp", "Anvils")


def test_tenant_delete__super_admin__not_offered_archive_instead(acme, super_admin_client):
    response = super_admin_client.post(f"{CHANGELIST}{acme.pk}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert Tenant.objects.filter(pk=acme.pk).exists()


# --------------------------------------------------------------------------- status changes


def test_tenant_suspend_action__confirmed_with_reason__suspended_with_reason(acme, globex, platform_admin_client):
    selection = {"action": "suspend_selected", "_selected_action": [acme.pk, globex.pk], "select_across": "0"}

    # The first POST only asks for confirmation and a reason.
    ask = platform_admin_client.post(CHANGELIST, {**selection, "index": "0"})
    acme.refresh_from_db()
    assert ask.status_code == 200
    assert b'name="reason"' in ask.content
    assert acme.status == "active"

    done = platform_admin_client.post(CHANGELIST, {**selection, "confirm": "yes", "reason": "Invoice 42 unpaid"})

    assert done.status_code == 302
    for tenant in (acme, globex):
        tenant.refresh_from_db()
        assert tenant.status == "suspended"
        assert tenant.status_reason == "Invoice 42 unpaid"
        assert tenant.status_changed_at is not None


def test_tenant_suspend_action__no_reason__asked_again_and_unchanged(acme, platform_admin_client):
    response = platform_admin_client.post(
        CHANGELIST,
        {
            "action": "suspend_selected",
            "_selected_action": [acme.pk],
            "select_across": "0",
            "confirm": "yes",
            "reason": "",
        },
    )

    acme.refresh_from_db()
    assert response.status_code == 400
    assert acme.status == "active"


def test_tenant_activate_action__suspended_tenant__active_again(acme, platform_admin_client):
    tenant_set_status(tenant=acme, status="suspended", reason="unpaid")

    platform_admin_client.post(
        CHANGELIST,
        {
            "action": "activate_selected",
            "_selected_action": [acme.pk],
            "select_across": "0",
            "confirm": "yes",
            "reason": "",
        },
    )

    acme.refresh_from_db()
    assert acme.status == "active"


def test_tenant_archive_button__confirmed__archived_and_page_offers_activate(acme, platform_admin_client):
    change_url = f"{CHANGELIST}{acme.pk}/change/"
    before = platform_admin_client.get(change_url).content.decode()
    assert f"{CHANGELIST}{acme.pk}/archive/" in before
    assert f"{CHANGELIST}{acme.pk}/activate/" not in before

    ask = platform_admin_client.get(f"{CHANGELIST}{acme.pk}/archive/")
    assert ask.status_code == 200
    assert b'name="reason"' in ask.content

    done = platform_admin_client.post(f"{CHANGELIST}{acme.pk}/archive/", {"reason": "Business closed"})

    acme.refresh_from_db()
    assert done.status_code == 302
    assert done["Location"] == change_url
    assert (acme.status, acme.status_reason) == ("archived", "Business closed")
    after = platform_admin_client.get(change_url).content.decode()
    assert f"{CHANGELIST}{acme.pk}/activate/" in after
    assert f"{CHANGELIST}{acme.pk}/archive/" not in after


# --------------------------------------------------------------------------- domains


def test_domain_add__platform_admin__alias_routes_to_tenant(acme, platform_admin_client):
    response = platform_admin_client.post(
        "/admin/tenancy/domain/add/", {"domain": "Shop.Acme.Example", "tenant": acme.pk, "is_primary": ""}
    )

    assert response.status_code == 302
    alias = Domain.objects.get(domain="shop.acme.example")
    assert alias.tenant == acme
    assert not alias.is_primary


def test_domain_add__invalid_host_name__refused(acme, platform_admin_client):
    response = platform_admin_client.post(
        "/admin/tenancy/domain/add/", {"domain": "not a host", "tenant": acme.pk, "is_primary": ""}
    )

    assert "not a valid host name" in response.context["adminform"].form.errors["domain"][0]
    assert not Domain.objects.filter(tenant=acme).exclude(domain="acme.localhost").exists()


def test_domain_delete__primary_domain__refused(acme, super_admin_client):
    primary = Domain.objects.get(tenant=acme, is_primary=True)

    response = super_admin_client.post(f"/admin/tenancy/domain/{primary.pk}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert Domain.objects.filter(pk=primary.pk).exists()


def test_domain_change__platform_host_domain__read_only_even_for_super_admin(platform, super_admin_client):
    localhost = Domain.objects.get(domain="localhost")

    response = super_admin_client.post(
        f"/admin/tenancy/domain/{localhost.pk}/change/", {"domain": "evil.example", "tenant": platform.pk}
    )

    localhost.refresh_from_db()
    assert response.status_code == 403
    assert localhost.domain == "localhost"
