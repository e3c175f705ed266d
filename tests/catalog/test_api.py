"""The products API: CRUD, bulk price change with preview, import/export over HTTP."""

from __future__ import annotations

import io

from django_tenants.utils import tenant_context

from apps.catalog.models import Product
from apps.catalog.services import product_create

BASE = "/api/v1/tenants/acme/products/"


def test_products_api__create_list_patch_delete(as_key, partner, acme):
    client = as_key(partner)

    created = client.post(BASE, {"name": "Lamp", "sku": "L-1", "price": "9.99", "stock": 3}, format="json")
    assert created.status_code == 201
    product = created.json()
    assert (product["price"], product["currency"], product["visibility"]) == ("9.99", "USD", "visible")

    assert client.get(BASE + "?q=lam").json()["count"] == 1
    patched = client.patch(f"{BASE}{product['id']}/", {"visibility": "hidden"}, format="json")
    assert patched.json()["visibility"] == "hidden"
    assert client.post(BASE, {"name": "Dup", "sku": "l-1", "price": "1"}, format="json").status_code == 400
    assert client.delete(f"{BASE}{product['id']}/").status_code == 200
    assert client.get(f"{BASE}{product['id']}/").status_code == 404


def test_products_api__preview_then_bulk_price_change(as_key, partner, acme):
    with tenant_context(acme):
        ids = [product_create(name=f"P{i}", sku=f"S{i}", price="10.00").pk for i in range(3)]
    client = as_key(partner)
    rule = {"mode": "percent", "direction": "down", "value": "25", "rounding": "0.99"}

    preview = client.post(BASE + "price-preview/", {"ids": ids[:2], **rule}, format="json")
    applied = client.post(BASE + "bulk/", {"action": "adjust_price", "ids": ids[:2], **rule}, format="json")

    assert preview.status_code == 200
    assert [r["after"] for r in preview.json()["rows"]] == ["7.99", "7.99"]
    assert preview.json()["totals"] == [{"currency": "USD", "count": 2, "before": "20.00", "after": "15.98"}]
    assert applied.status_code == 200
    assert applied.json()["changed"] == 2
    with tenant_context(acme):
        assert sorted(str(p) for p in Product.objects.values_list("price", flat=True)) == ["10.00", "7.99", "7.99"]


def test_products_api__import_then_export(as_key, partner, acme):
    client = as_key(partner)
    data = b"name,sku,price\nLamp,L-1,9.99\nChair,C-1,49.00\n"

    imported = client.post(BASE + "import/", {"file": io.BytesIO(data)}, format="multipart")
    exported = client.get(BASE + "export/?q=lamp")

    assert imported.status_code == 201
    assert imported.json()["imported"] == 2
    lines = b"".join(exported.streaming_content).decode().lstrip("\ufeff").splitlines()
    assert len(lines) == 2
    assert ",L-1,9.99," in lines[1]


def test_products_import_api__dry_run__200_nothing_imported(as_key, partner, acme):
    response = as_key(partner).post(
        BASE + "import/",
        {"file": io.BytesIO(b"name,sku,price\nLamp,L-1,9.99\n"), "dry_run": "true"},
        format="multipart",
    )

    assert response.status_code == 200
    assert (response.json()["valid_rows"], response.json()["imported"]) == (1, 0)


def test_products_import_api__no_file__400(as_key, partner, acme):
    response = as_key(partner).post(BASE + "import/", {}, format="multipart")

    assert response.status_code == 400
    assert "file" in response.json()["fields"]
