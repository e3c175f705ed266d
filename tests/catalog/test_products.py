"""Products: validation, SKU uniqueness, lists, CSV import/export, delete and undo."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from apps.catalog import selectors, services
from apps.catalog.models import Product
from apps.core.bulk import bulk_undo, csv_stream


def test_product_create__sku_taken_in_other_case__refused(in_acme):
    first = services.product_create(name="Lamp", sku="LAMP-1", price="9.99")

    with pytest.raises(ValidationError) as exc:
        services.product_create(name="Lamp again", sku="lamp-1", price="1")

    assert f"#{first.pk}" in exc.value.message_dict["sku"][0]


def test_product_create__sku_of_deleted_product__refused_with_restore_hint(in_acme):
    lamp = services.product_create(name="Lamp", sku="LAMP-1", price="9.99")
    services.product_delete(product=lamp)

    with pytest.raises(ValidationError) as exc:
        services.product_create(name="Lamp", sku="LAMP-1", price="9.99")

    assert "restore it" in exc.value.message_dict["sku"][0]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("price", "-1"),
        ("price", "1.001"),
        ("price", "abc"),
        ("currency", "dollars"),
        ("stock", "-3"),
        ("visibility", "secret"),
        ("sku", "has space"),
        ("name", ""),
    ],
)
def test_product_create__bad_field__validation_error(in_acme, field, value):
    kwargs = {"name": "Lamp", "sku": "L1", "price": "1.00", field: value}

    with pytest.raises(ValidationError) as exc:
        services.product_create(**kwargs)

    assert field in exc.value.message_dict


def test_product_list__search_filters_sort(in_acme):
    services.product_create(name="Desk lamp", sku="DL-1", price="30", category="Lighting", stock=3)
    services.product_create(name="Floor lamp", sku="FL-1", price="80", category="Lighting")
    services.product_create(name="Chair", sku="CH-1", price="50", category="Seating", stock=1)

    def names(**f):
        return [p.name for p in selectors.product_list(filters=f)]

    assert names(q="lamp") == ["Desk lamp", "Floor lamp"]
    assert names(q="fl") == ["Floor lamp"]  # SKU prefix too
    assert names(category="lighting", stock="in") == ["Desk lamp"]
    assert names(price_min="40", sort="-price") == ["Floor lamp", "Chair"]
    assert selectors.product_categories() == ["Lighting", "Seating"]


def test_product_delete__undo__back(in_acme):
    lamp = services.product_create(name="Lamp", sku="L1", price="1")

    token = services.product_delete(product=lamp).undo_token
    assert not selectors.product_list().exists()
    bulk_undo(token=token)

    assert [p.pk for p in selectors.product_list()] == [lamp.pk]


def test_products_import__duplicates_and_bad_rows__reported_nothing_imported(in_acme):
    services.product_create(name="Existing", sku="EX-1", price="1")
    data = b"name,sku,price,stock\nGood,G-1,9.99,4\nTaken,ex-1,1.00,\nTwice,G-1,2.00,\nCheap,C-1,-1,\nNo price,N-1,,\n"

    report = services.products_import(file=data)

    assert report.imported == 0
    assert [(e.row, e.field) for e in report.errors] == [(3, "sku"), (4, "sku"), (5, "price"), (6, "price")]
    assert "product #" in report.errors[0].message
    assert Product.objects.count() == 1


def test_products_import__import_valid_rows__valid_in(in_acme):
    data = b"name,sku,price,visibility,category\nGood,G-1,9.99,hidden,Lamps\nBad,B 1,1,,\n"

    report = services.products_import(file=data, import_valid_rows=True)

    assert report.imported == 1
    good = Product.objects.get(sku="G-1")
    assert (str(good.price), good.visibility, good.category) == ("9.99", "hidden", "Lamps")


def test_products_export__roundtrip(in_acme):
    services.product_create(name="Lamp", sku="L-1", price="9.99", category="Lighting", stock=2)

    text = "".join(csv_stream(selectors.PRODUCT_EXPORT_HEADER, selectors.products_export_rows()))
    Product.objects.all().delete()
    report = services.products_import(file=text.encode())

    assert report.imported == 1
    assert Product.objects.get(sku="L-1").stock == 2
