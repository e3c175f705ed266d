"""The BulkActionToolbar from the dashboard side: the registry's actions on every list, rows or
"all N matching this filter" across pages, a confirmation before deletes (then Undo), a preview
before price changes, and a progress bar for selections that run as a job."""

from __future__ import annotations

import json
import re

from django_tenants.utils import tenant_context

from apps.catalog import services as catalog_services
from apps.catalog.models import Product
from apps.core import bulk
from apps.crm.models import Contact
from tests.crm.factories import contacts_sql
from tests.crm_ui.conftest import ACME, GLOBEX, HX


def _options(html: str) -> list[str]:
    select = re.search(r'<select name="action"[^>]*>(.*?)</select>', html, re.S).group(1)
    return re.findall(r'<option value="([a-z_]+)"', select)


def test_toolbar__each_list__offers_the_registrys_actions_for_its_kind(as_member, acme):
    contacts = as_member.get("/app/crm/contacts/", **ACME).content.decode()
    deals = as_member.get("/app/crm/deals/", **ACME).content.decode()
    tasks = as_member.get("/app/crm/tasks/", **ACME).content.decode()
    products = as_member.get("/app/catalog/products/", **ACME).content.decode()

    assert _options(contacts) == ["delete", "add_tags", "remove_tags", "set_industry"]
    assert _options(deals) == ["delete", "add_tags", "remove_tags"]
    assert _options(tasks) == ["delete", "add_tags", "remove_tags", "set_status"]
    assert _options(products) == ["delete", "adjust_price", "set_visibility"]
    assert 'data-params="price"' in products
    assert 'data-bulk-param="price"' in products


def test_toolbar__add_tags_to_picked_rows__tagged_result_and_list_reload_event(as_member, acme, make_contacts):
    a, _b, c = make_contacts(acme, 3)

    response = as_member.post(
        "/app/crm/bulk/contacts/", {"action": "add_tags", "ids": f"{a.pk},{c.pk}", "tags": "VIP, lead"}, **ACME, **HX
    )

    assert response.status_code == 200
    assert 'data-testid="bulk-result"' in response.content.decode()
    assert "Tags added: 2 of 2 contacts changed." in response.content.decode()
    assert "bulkDone" in json.loads(response["HX-Trigger"])
    with tenant_context(acme):
        assert dict(Contact.objects.values_list("name", "tags")) == {
            "Person 000": ["lead", "vip"],
            "Person 001": [],
            "Person 002": ["lead", "vip"],
        }


def test_toolbar__all_matching_the_filter__every_matching_row_across_pages(as_member, acme, make_contacts):
    make_contacts(acme, 30, industry="Retail")  # two pages of 25
    make_contacts(acme, 3, prefix="Miner", industry="Mining")
    listing = as_member.get("/app/crm/contacts/?industry=retail&sort=-name", **ACME, **HX).content.decode()
    filters = re.search(r'data-filters="([^"]*)"', listing).group(1).replace("&amp;", "&")

    response = as_member.post(
        "/app/crm/bulk/contacts/",
        {"action": "set_industry", "select_all": "on", "filters": filters, "industry": "Shops"},
        **ACME,
        **HX,
    )

    assert 'data-total="30"' in listing
    assert "Industry set: 30 of 30 contacts changed." in response.content.decode()
    with tenant_context(acme):
        assert Contact.objects.filter(industry="Shops").count() == 30
        assert Contact.objects.filter(industry="Mining").count() == 3


def test_toolbar__delete__confirmation_first_then_deleted_with_undo_then_restored(as_member, acme, make_contacts):
    a, b = make_contacts(acme, 2)
    data = {"action": "delete", "ids": f"{a.pk},{b.pk}"}

    asked = as_member.post("/app/crm/bulk/contacts/", data, **ACME, **HX)
    with tenant_context(acme):
        alive_after_asking = Contact.objects.alive().count()
    done = as_member.post("/app/crm/bulk/contacts/", {**data, "confirm": "1"}, **ACME, **HX)
    token = re.search(r'name="token" value="([^"]+)"', done.content.decode()).group(1)
    with tenant_context(acme):
        alive_after_delete = Contact.objects.alive().count()
    undone = as_member.post("/app/crm/bulk/contacts/undo/", {"token": token}, **ACME, **HX)

    assert 'data-testid="bulk-confirm"' in asked.content.decode()
    assert "Delete 2 contacts?" in asked.content.decode()
    assert 'name="confirm" value="1"' in asked.content.decode()
    assert alive_after_asking == 2
    assert "Deleted 2 contacts." in done.content.decode()
    assert alive_after_delete == 0
    assert "Restored 2 contacts." in undone.content.decode()
    with tenant_context(acme):
        assert Contact.objects.alive().count() == 2


def test_toolbar__undo_token_of_another_list__refused(as_member, acme, make_contacts):
    (a,) = make_contacts(acme, 1)
    with tenant_context(acme):
        token = bulk.bulk_run(kind="contacts", action="delete", ids=[a.pk]).undo_token

    response = as_member.post("/app/crm/bulk/deals/undo/", {"token": token}, **ACME, **HX)

    assert response.status_code == 400
    with tenant_context(acme):
        assert Contact.objects.alive().count() == 0


def test_toolbar__missing_tags__400_message_in_the_panel(as_member, acme, make_contacts):
    (a,) = make_contacts(acme, 1)

    response = as_member.post("/app/crm/bulk/contacts/", {"action": "add_tags", "ids": str(a.pk)}, **ACME, **HX)

    assert response.status_code == 400
    assert 'data-testid="bulk-error"' in response.content.decode()
    assert "Give at least one tag." in response.content.decode()


def test_toolbar__nothing_selected__400(as_member, acme):
    response = as_member.post("/app/crm/bulk/contacts/", {"action": "delete"}, **ACME, **HX)

    assert response.status_code == 400
    assert "Select at least one row." in response.content.decode()


def test_toolbar__price_adjustment__preview_first_then_applied(as_member, acme, in_tenant):
    def build():
        return [
            catalog_services.product_create(name="Cup", sku="CUP", price="10.00"),
            catalog_services.product_create(name="Pot", sku="POT", price="1.00"),
        ]

    _cup, _pot = in_tenant(acme, build)
    data = {
        "action": "adjust_price",
        "select_all": "on",
        "filters": "",
        "mode": "amount",
        "direction": "down",
        "value": "2",
        "rounding": "none",
    }

    preview = as_member.post("/app/catalog/products/bulk/", data, **ACME, **HX).content.decode()
    with tenant_context(acme):
        unchanged = sorted(str(p) for p in Product.objects.values_list("price", flat=True))
    applied = as_member.post("/app/catalog/products/bulk/", {**data, "confirm": "1"}, **ACME, **HX)

    assert 'data-testid="price-preview"' in preview
    assert "Lower prices by 2" in preview
    assert re.findall(r'<td class="num price-preview__after">([^<]+ USD)</td>', preview) == ["8.00 USD", "0.00 USD"]
    assert 'data-testid="to-zero"' in preview  # never below zero
    assert unchanged == ["1.00", "10.00"]
    assert "Prices adjusted: 2 of 2 products changed." in applied.content.decode()
    with tenant_context(acme):
        assert dict(Product.objects.values_list("sku", "price")) == {"CUP": 8, "POT": 0}


def test_toolbar__visibility__hidden_products(as_member, acme, in_tenant):
    cup = in_tenant(acme, lambda: catalog_services.product_create(name="Cup", sku="CUP", price="10"))

    response = as_member.post(
        "/app/catalog/products/bulk/",
        {"action": "set_visibility", "ids": str(cup.pk), "visibility": "hidden"},
        **ACME,
        **HX,
    )

    assert "Visibility set: 1 of 1 product changed." in response.content.decode()
    with tenant_context(acme):
        assert Product.objects.get(pk=cup.pk).visibility == "hidden"


def test_toolbar__over_5000_rows__job_with_a_progress_bar_that_polls_until_done(as_member, acme):
    with tenant_context(acme):
        contacts_sql(bulk.ASYNC_THRESHOLD + 1)

    queued = as_member.post(
        "/app/crm/bulk/contacts/",
        {"action": "add_tags", "select_all": "on", "filters": "industry=retail", "tags": "big"},
        **ACME,
        **HX,
    )
    html = queued.content.decode()
    job_url = re.search(r'hx-get="(/app/crm/bulk/contacts/jobs/[0-9a-f]{32}/)"', html).group(1)
    job_id = job_url.rstrip("/").rsplit("/", 1)[1]
    polling = as_member.get(job_url, **ACME, **HX)
    with tenant_context(acme):  # what the worker does (tested with a real worker in tests/crm)
        bulk.bulk_run_chunked(
            job_id=job_id,
            spec_args={
                "kind": "contacts",
                "action": "add_tags",
                "ids": None,
                "filters": {"industry": "retail"},
                "params": {"tags": ["big"]},
                "actor_id": None,
                "batch": "0" * 32,
            },
        )
    finished = as_member.get(job_url, **ACME, **HX)

    assert queued.status_code == 202
    assert 'data-testid="bulk-progress"' in html
    assert 'hx-trigger="load delay:1s"' in html
    assert '<progress class="progress" max="100" value="0"' in html
    assert 'data-testid="bulk-progress"' in polling.content.decode()
    assert "Tags added: 5001 of 5001 contacts changed." in finished.content.decode()
    assert 'data-testid="bulk-result"' in finished.content.decode()
    assert "bulkDone" in json.loads(finished["HX-Trigger"])


def test_toolbar__job_of_another_tenant__404_on_this_tenants_host(client, acme, globex, user_factory):
    with tenant_context(globex):
        contacts_sql(bulk.ASYNC_THRESHOLD + 1)
    client.force_login(user_factory("owner@globex.test", tenant=globex, role="owner"))
    queued = client.post(
        "/app/crm/bulk/contacts/", {"action": "delete", "select_all": "on", "confirm": "1"}, **GLOBEX, **HX
    )
    job_url = re.search(r'hx-get="(/app/crm/bulk/contacts/jobs/[0-9a-f]{32}/)"', queued.content.decode()).group(1)
    client.force_login(user_factory("owner@acme.test", tenant=acme, role="owner"))

    assert queued.status_code == 202
    assert client.get(job_url, **ACME, **HX).status_code == 404


def test_single_delete__from_the_detail_page__list_offers_undo(as_member, acme, make_contacts):
    (a,) = make_contacts(acme, 1)

    response = as_member.post(f"/app/crm/contacts/{a.pk}/delete/", **ACME)
    listing = as_member.get("/app/crm/contacts/", **ACME).content.decode()
    again = as_member.get("/app/crm/contacts/", **ACME).content.decode()

    assert response["Location"] == "/app/crm/contacts/"
    assert 'data-testid="undo-notice"' in listing
    assert "Deleted 1 contact." in listing
    assert 'data-testid="undo-notice"' not in again  # offered once
