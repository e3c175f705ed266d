"""The CRM and catalogue lists: a full page on a normal GET, only the results partial on an
HTMX request (the Wagtail index pattern); search, filters, sort and pagination through the
URL, the same grammar the API and the bulk selections use."""

from __future__ import annotations

import re

from django_tenants.utils import tenant_context

from apps.catalog import services as catalog_services
from apps.crm import selectors, services
from tests.crm_ui.conftest import ACME, HX


def _names(html: str) -> list[str]:
    return re.findall(r'data-testid="contact-link">([^<]+)<', html)


def test_contacts_list__normal_get__full_page_with_shell_filters_toolbar_and_rows(as_member, acme, make_contacts):
    make_contacts(acme, 3)

    response = as_member.get("/app/crm/contacts/", **ACME)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith("<!doctype html>")
    assert 'id="list-filters"' in html
    assert 'data-bulk data-kind="contacts"' in html
    assert 'id="list-results"' in html
    assert _names(html) == ["Person 000", "Person 001", "Person 002"]
    assert '<a class="nav__item" href="/app/crm/" data-nav="crm" aria-current="page">' in html


def test_contacts_list__htmx_request__only_the_results_partial(as_member, acme, make_contacts):
    make_contacts(acme, 3)

    response = as_member.get("/app/crm/contacts/?q=person+001", **ACME, **HX)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="list-results"')
    assert "<html" not in html
    assert 'id="list-filters"' not in html
    assert "nav__item" not in html
    assert _names(html) == ["Person 001"]
    assert 'data-total="1"' in html
    assert 'data-filters="q=person+001"' in html


def test_contacts_list__tag_industry_and_owner_filters__only_matching_rows(as_member, acme, member, in_tenant):
    def build():
        services.contact_create(name="Ann", tags=["vip"], industry="Retail", owner=member)
        services.contact_create(name="Bob", tags=["vip"], industry="Mining")
        services.contact_create(name="Cid", industry="Retail", owner=member)

    in_tenant(acme, build)

    by_tag = as_member.get("/app/crm/contacts/?tag=vip", **ACME, **HX).content.decode()
    by_industry = as_member.get("/app/crm/contacts/?industry=retail", **ACME, **HX).content.decode()
    by_owner = as_member.get(f"/app/crm/contacts/?owner={member.pk}&tag=vip", **ACME, **HX).content.decode()
    unowned = as_member.get("/app/crm/contacts/?owner=none", **ACME, **HX).content.decode()

    assert _names(by_tag) == ["Ann", "Bob"]
    assert _names(by_industry) == ["Ann", "Cid"]
    assert _names(by_owner) == ["Ann"]
    assert _names(unowned) == ["Bob"]


def test_contacts_list__second_page__next_rows_and_links_keep_the_filter(as_member, acme, make_contacts):
    make_contacts(acme, 30, tags=["lead"])
    make_contacts(acme, 2, prefix="Other")

    html = as_member.get("/app/crm/contacts/?tag=lead&page=2", **ACME, **HX).content.decode()

    assert _names(html) == [f"Person {i:03d}" for i in range(25, 30)]
    assert "26–30 of 30" in html
    assert 'href="/app/crm/contacts/?tag=lead&amp;page=1"' in html
    assert 'data-testid="page-next"' not in html


def test_contacts_list__sort_descending__reverse_order_and_header_marked(as_member, acme, make_contacts):
    make_contacts(acme, 3)

    html = as_member.get("/app/crm/contacts/?sort=-name", **ACME, **HX).content.decode()

    assert _names(html) == ["Person 002", "Person 001", "Person 000"]
    assert 'aria-sort="descending"' in html
    assert 'href="/app/crm/contacts/?sort=name"' in html  # the header toggles back


def test_contacts_list__unknown_owner_value__400_with_the_reason_and_no_rows(as_member, acme, make_contacts):
    make_contacts(acme, 2)

    response = as_member.get("/app/crm/contacts/?owner=someone", **ACME, **HX)

    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="filter-errors"' in html
    assert "A user id, an email" in html
    assert _names(html) == []


def test_companies_list__search__matching_companies(as_member, acme, in_tenant):
    in_tenant(acme, lambda: [services.company_create(name=n) for n in ("Acme Tools", "Globe Corp", "Acme Foods")])

    html = as_member.get("/app/crm/companies/?q=acme", **ACME, **HX).content.decode()

    assert re.findall(r'<a href="/app/crm/companies/\d+/">([^<]+)<', html) == ["Acme Foods", "Acme Tools"]


def test_deals_list__stage_filter__only_deals_in_that_stage(as_member, acme, in_tenant):
    def build():
        new, qualified = selectors.pipeline_stages()[:2]
        services.deal_create(title="Alpha", stage=new)
        services.deal_create(title="Beta", stage=qualified)
        return qualified

    qualified = in_tenant(acme, build)

    full = as_member.get("/app/crm/deals/", **ACME).content.decode()
    html = as_member.get(f"/app/crm/deals/?stage={qualified.pk}", **ACME, **HX).content.decode()

    assert re.findall(r'data-testid="deal-title">([^<]+)<', html) == ["Beta"]
    assert f'<option value="{qualified.pk}">Qualified</option>' in full


def test_tasks_list__status_filter__only_open_ones(as_member, acme, in_tenant):
    def build():
        services.task_create(title="Call Ann", status="todo")
        services.task_create(title="Send quote", status="done")

    in_tenant(acme, build)

    html = as_member.get("/app/crm/tasks/?status=todo", **ACME, **HX).content.decode()

    assert re.findall(r'data-testid="task-title">([^<]+)<', html) == ["Call Ann"]


def test_products_list__normal_get_vs_htmx__page_then_rows_only(as_member, acme, in_tenant):
    in_tenant(acme, lambda: catalog_services.product_create(name="Mug", sku="MUG-1", price="9.50", category="Kitchen"))

    page = as_member.get("/app/catalog/products/", **ACME)
    rows = as_member.get("/app/catalog/products/?category=kitchen", **ACME, **HX)

    assert page.status_code == rows.status_code == 200
    assert page.content.decode().startswith("<!doctype html>")
    assert 'data-bulk data-kind="products"' in page.content.decode()
    assert rows.content.decode().lstrip().startswith('<div id="list-results"')
    assert "MUG-1" in rows.content.decode()


def test_pipeline__normal_get__every_stage_in_order_with_its_cards(as_member, acme, in_tenant):
    def build():
        stage = selectors.pipeline_stages()[1]
        services.deal_create(title="Second", stage=stage)
        services.deal_create(title="First", stage=selectors.pipeline_stages()[0], value="100")

    in_tenant(acme, build)

    html = as_member.get("/app/crm/pipeline/", **ACME).content.decode()
    partial = as_member.get("/app/crm/pipeline/?q=first", **ACME, **HX).content.decode()

    columns = re.findall(r"data-stage-column=\"\d+\" data-testid=\"stage-([a-z-]+)\"", html)
    assert columns == ["new", "qualified", "proposal", "negotiation", "won", "lost"]
    assert html.index('data-title="First"') < html.index('data-title="Second"')
    assert "vendor/sortablejs/Sortable.min.js" in html
    assert partial.lstrip().startswith('<div id="board"')
    assert 'data-title="First"' in partial
    assert 'data-title="Second"' not in partial


def test_contact_detail__timeline_and_related__shown(as_member, acme, in_tenant):
    def build():
        contact = services.contact_create(name="Ann Lee", email="ann@example.test", tags=["vip"])
        services.deal_create(title="Ann's deal", contact=contact)
        services.activity_create(body="Met at the fair", contact=contact)
        return contact

    contact = in_tenant(acme, build)

    html = as_member.get(f"/app/crm/contacts/{contact.pk}/", **ACME).content.decode()

    assert 'data-testid="contact-name">Ann Lee<' in html
    assert "Met at the fair" in html
    assert "Ann&#x27;s deal" in html


def test_contact_note__htmx_post__timeline_returned_with_the_note(as_member, acme, in_tenant):
    contact = in_tenant(acme, lambda: services.contact_create(name="Ann"))

    response = as_member.post(
        f"/app/crm/contacts/{contact.pk}/notes/", {"kind": "call", "body": "Called, will buy"}, **ACME, **HX
    )
    empty = as_member.post(f"/app/crm/contacts/{contact.pk}/notes/", {"kind": "note", "body": ""}, **ACME, **HX)

    assert response.status_code == 200
    assert 'id="timeline"' in response.content.decode()
    assert "Called, will buy" in response.content.decode()
    assert empty.status_code == 400
    assert "This field is required." in empty.content.decode()
    with tenant_context(acme):
        assert [a.body for a in selectors.timeline(contact=contact)] == ["Called, will buy"]


def test_nav__features_on__crm_and_catalogue_entries_are_links(as_member, acme):
    html = as_member.get("/app/", **ACME).content.decode()

    assert '<a class="nav__item" href="/app/crm/" data-nav="crm">' in html
    assert '<a class="nav__item" href="/app/catalog/" data-nav="catalog">' in html
    assert as_member.get("/app/crm/", **ACME)["Location"] == "/app/crm/contacts/"


def test_contacts_list__spanish_user__labels_and_counts_translated(client, acme, user_factory, make_contacts):
    from pathlib import Path

    from django.core.management import call_command
    from django.utils.translation.reloader import translation_file_changed

    call_command("compile_locale", verbosity=0)
    translation_file_changed(sender=None, file_path=Path("django.mo"))
    make_contacts(acme, 2)
    client.force_login(user_factory("ana@acme.test", tenant=acme, role="member", language="es"))

    html = client.get("/app/crm/contacts/", **ACME).content.decode()

    assert "<h1>Contactos</h1>" in html
    assert "2 contactos" in html
    assert "Nuevo contacto" in html
    assert "Exportar CSV" in html
    assert 'data-t-selected="Seleccionadas: {n}"' in html


def test_contacts_list__htmx_history_restore__full_page_not_the_partial(as_member, acme, make_contacts):
    make_contacts(acme, 1)

    response = as_member.get("/app/crm/contacts/?q=person", HTTP_HX_HISTORY_RESTORE_REQUEST="true", **ACME, **HX)

    assert response.content.decode().startswith("<!doctype html>")


def test_contact_new__valid_then_same_email_again__created_then_400_with_the_reason_in_place(as_member, acme):
    data = {"name": "Ann Lee", "email": "ann@example.test", "tags": "VIP, lead", "company": "", "owner": ""}

    created = as_member.post("/app/crm/contacts/new/", data, **ACME)
    again = as_member.post("/app/crm/contacts/new/", {**data, "name": "Ann again"}, **ACME)

    with tenant_context(acme):
        (contact,) = selectors.contact_list()
    assert created["Location"] == f"/app/crm/contacts/{contact.pk}/"
    assert contact.tags == ["lead", "vip"]
    assert again.status_code == 400
    assert "field--invalid" in again.content.decode()
    assert f"A contact with this email already exists: Ann Lee (#{contact.pk})." in again.content.decode()


def test_product_new__negative_price__400_and_nothing_created(as_member, acme):
    response = as_member.post(
        "/app/catalog/products/new/",
        {"name": "Mug", "sku": "MUG-1", "price": "-1", "currency": "usd", "visibility": "visible", "stock": "0"},
        **ACME,
    )

    assert response.status_code == 400
    with tenant_context(acme):
        from apps.catalog.models import Product

        assert not Product.objects.exists()
