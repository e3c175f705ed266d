"""Bulk price adjustment: percent or amount, up or down, rounding, never below zero; the preview
shows exactly what the apply writes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.audit.models import AuditEvent
from apps.catalog import selectors, services
from apps.catalog.models import Product
from apps.core.bulk import bulk_run


@pytest.fixture
def priced(in_acme):
    def make(*prices: str, currency: str = "USD") -> list[Product]:
        start = Product.objects.count()
        return [
            services.product_create(name=f"P{start + i:03d}", sku=f"SKU-{start + i}", price=p, currency=currency)
            for i, p in enumerate(prices)
        ]

    return make


def _after(params: dict, *prices: str) -> list[str]:
    preview = selectors.price_adjust_preview(params=params, filters={})
    return [str(r.after) for r in preview.rows]


@pytest.mark.parametrize(
    ("params", "before", "after"),
    [
        ({"mode": "percent", "direction": "up", "value": "10"}, ["10.00", "0.99", "19.99"], ["11.00", "1.09", "21.99"]),
        ({"mode": "percent", "direction": "down", "value": "15"}, ["10.00", "0.05"], ["8.50", "0.04"]),
        ({"mode": "percent", "direction": "down", "value": "100"}, ["10.00"], ["0.00"]),
        ({"mode": "amount", "direction": "up", "value": "2.50"}, ["10.00"], ["12.50"]),
        ({"mode": "amount", "direction": "down", "value": "5"}, ["10.00", "3.00"], ["5.00", "0.00"]),  # never below 0
        (
            {"mode": "percent", "direction": "up", "value": "3", "rounding": "whole"},
            ["12.00", "12.20"],
            ["12.00", "13.00"],
        ),
        (
            {"mode": "amount", "direction": "up", "value": "0.40", "rounding": "0.99"},
            ["12.00", "12.20"],
            ["11.99", "12.99"],
        ),
        ({"mode": "amount", "direction": "down", "value": "1", "rounding": "0.99"}, ["1.30"], ["0.00"]),  # not -0.01
        (
            {"mode": "amount", "direction": "up", "value": "0.10", "rounding": "0.95"},
            ["12.30", "12.50"],
            ["11.95", "12.95"],
        ),
    ],
)
def test_price_adjust__rule__preview_and_apply_agree(priced, params, before, after):
    products = priced(*before)

    preview = selectors.price_adjust_preview(params=params, filters={})
    result = bulk_run(kind="products", action="adjust_price", filters={}, params=params)

    assert [str(r.after) for r in preview.rows] == after
    applied = [str(Product.objects.get(pk=p.pk).price) for p in products]
    assert applied == after
    assert result.changed == sum(1 for b, a in zip(before, after, strict=True) if b != a)


def test_price_adjust_preview__totals_per_currency_and_nothing_written(priced):
    priced("10.00", "20.00")
    priced("5.00", currency="EUR")

    preview = selectors.price_adjust_preview(
        params={"mode": "percent", "direction": "up", "value": "10"}, filters={}, limit=1
    )

    assert len(preview.rows) == 1
    assert (preview.count, preview.changed, preview.to_zero) == (3, 3, 0)
    assert [(t.currency, t.count, str(t.before), str(t.after)) for t in preview.totals] == [
        ("EUR", 1, "5.00", "5.50"),
        ("USD", 2, "30.00", "33.00"),
    ]
    assert sorted(str(p) for p in Product.objects.values_list("price", flat=True)) == ["10.00", "20.00", "5.00"]


def test_price_adjust__selection_by_filter__one_update_and_audited(priced, owner):
    priced("10.00", "10.00")
    services.product_create(name="Lamp", sku="LAMP", price="10.00", category="Lighting")

    with CaptureQueriesContext(connection) as ctx:
        result = services.products_price_adjust(
            params={"mode": "amount", "direction": "up", "value": "1"}, filters={"category": "lighting"}, actor=owner
        )

    assert result.count == 1
    assert [q for q in ctx.captured_queries if q["sql"].startswith("UPDATE")].__len__() == 1
    assert Product.objects.get(sku="LAMP").price == Decimal("11.00")
    assert Product.objects.filter(price=Decimal("10.00")).count() == 2
    event = AuditEvent.objects.get(action="catalog.bulk_adjust_price")
    assert event.after["params"] == {"mode": "amount", "direction": "up", "value": "1", "rounding": "none"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"mode": "percent", "direction": "down", "value": "101"}, "value"),
        ({"mode": "percent", "direction": "up", "value": "0"}, "value"),
        ({"mode": "percent", "direction": "up", "value": "1.005"}, "value"),
        ({"mode": "percent", "direction": "up"}, "value"),
        ({"mode": "fraction", "direction": "up", "value": "1"}, "mode"),
        ({"mode": "amount", "direction": "sideways", "value": "1"}, "direction"),
        ({"mode": "amount", "direction": "up", "value": "1", "rounding": "0.49"}, "rounding"),
    ],
)
def test_price_adjust__bad_rule__validation_error(priced, params, field):
    priced("1.00")

    with pytest.raises(ValidationError) as exc:
        selectors.price_adjust_preview(params=params, filters={})

    assert field in exc.value.message_dict


def test_set_visibility__bulk__hidden_then_filterable(priced):
    a, b = priced("1.00", "2.00")

    bulk_run(kind="products", action="set_visibility", ids=[a.pk], params={"visibility": "hidden"})

    assert [p.pk for p in selectors.product_list(filters={"visibility": "hidden"})] == [a.pk]
    assert [p.pk for p in selectors.product_list(filters={"visibility": "visible"})] == [b.pk]
