"""Who may see and change the CRM and the catalogue in the dashboard: members write, viewers and
support agents read, other tenants' users are refused (403), and a killed feature answers 404
and leaves the menu."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from apps.accounts.models import Tier
from apps.crm import services
from apps.crm.models import Contact
from apps.entitlements import services as entitlement_services
from apps.entitlements.models import Feature
from tests.crm_ui.conftest import ACME, GLOBEX, HX


def test_crm__viewer__reads_the_list_without_checkboxes_toolbar_or_create_button(client, viewer, acme, make_contacts):
    make_contacts(acme, 2)
    client.force_login(viewer)

    response = client.get("/app/crm/contacts/", **ACME)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Person 000" in html
    assert "data-bulk-row" not in html
    assert "data-bulk " not in html
    assert 'data-testid="contact-new"' not in html
    assert 'data-testid="read-only-notice"' in html


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/app/crm/bulk/contacts/", {"action": "add_tags", "ids": "{pk}", "tags": "vip"}),
        ("/app/crm/contacts/{pk}/edit/", {"name": "Changed"}),
        ("/app/crm/contacts/{pk}/delete/", {}),
        ("/app/crm/contacts/new/", {"name": "New one"}),
    ],
)
def test_crm__viewer_writes__403_and_nothing_changed(client, viewer, acme, make_contacts, path, data):
    (contact,) = make_contacts(acme, 1)
    client.force_login(viewer)

    response = client.post(path.format(pk=contact.pk), {k: v.format(pk=contact.pk) for k, v in data.items()}, **ACME)

    assert response.status_code == 403
    with tenant_context(acme):
        assert list(Contact.objects.alive().values_list("name", "tags")) == [("Person 000", [])]


def test_crm__support_agent__reads_but_cannot_write(client, acme, user_factory, login_verified, make_contacts):
    (contact,) = make_contacts(acme, 1)
    agent = user_factory("agent@bizosaas.test", tier=Tier.SUPPORT)
    login_verified(client, agent)

    assert client.get("/app/crm/contacts/", **ACME).status_code == 200
    response = client.post(
        "/app/crm/bulk/contacts/", {"action": "add_tags", "ids": str(contact.pk), "tags": "x"}, **ACME, **HX
    )
    assert response.status_code == 403
    assert 'data-testid="read-only"' in response.content.decode()


def test_crm__user_of_another_tenant__403_on_its_host(client, member, globex, in_tenant):
    contact = in_tenant(globex, lambda: services.contact_create(name="Globex secret"))
    client.force_login(member)  # a member of acme only

    lists = client.get("/app/crm/contacts/", **GLOBEX)
    detail = client.get(f"/app/crm/contacts/{contact.pk}/", **GLOBEX)
    palette = client.get("/app/palette/?q=globex", **GLOBEX)

    assert (lists.status_code, detail.status_code, palette.status_code) == (403, 403, 403)
    assert b"Globex secret" not in lists.content + detail.content + palette.content


def test_contacts_list__two_tenants__only_this_tenants_rows(as_member, acme, globex, in_tenant):
    in_tenant(globex, lambda: services.contact_create(name="Globex secret"))
    in_tenant(acme, lambda: services.contact_create(name="Acme one"))

    html = as_member.get("/app/crm/contacts/", **ACME).content.decode()

    assert "Acme one" in html
    assert "Globex secret" not in html


def test_crm__anonymous__sent_to_sign_in(client, acme):
    response = client.get("/app/crm/contacts/", **ACME)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/app/crm/contacts/"


@pytest.mark.parametrize(
    ("key", "paths", "nav"),
    [
        ("crm", ["/app/crm/contacts/", "/app/crm/pipeline/", "/app/crm/tasks/"], 'data-nav="crm"'),
        ("catalog", ["/app/catalog/products/", "/app/catalog/products/import/"], 'data-nav="catalog"'),
    ],
)
def test_module__feature_killed__404_and_gone_from_the_menu(as_member, acme, key, paths, nav):
    entitlement_services.feature_kill(feature=Feature.objects.get(key=key), reason="incident")

    for path in paths:
        assert as_member.get(path, **ACME).status_code == 404, path
    assert nav not in as_member.get("/app/", **ACME).content.decode()


def test_palette__catalog_killed__no_products_in_results(as_member, acme, in_tenant):
    from apps.catalog import services as catalog_services

    in_tenant(acme, lambda: catalog_services.product_create(name="Lamp", sku="LAMP-1", price="10"))
    in_tenant(acme, lambda: services.contact_create(name="Lamp Lighter"))
    entitlement_services.feature_kill(feature=Feature.objects.get(key="catalog"), reason="incident")

    html = as_member.get("/app/palette/?q=lamp", **ACME).content.decode()

    assert "Lamp Lighter" in html
    assert "LAMP-1" not in html
