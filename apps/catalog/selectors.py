"""Reads of the catalogue, in the current tenant's schema.

Filter grammar (lists, API query parameters and bulk selections alike):

    q, category, visibility, currency, stock ("in" or "out"), price_min, price_max, sort

``q`` searches name, SKU and category (every word a prefix); ``sort`` one of PRODUCT_SORTS,
"-" for descending.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db.models import BooleanField, Count, DecimalField, Q, QuerySet, Sum
from django.db.models.expressions import RawSQL
from django.http import Http404

from apps.catalog.models import Product
from apps.catalog.pricing import PriceAdjustment, price_adjustment_clean
from apps.core.bulk import (
    ListPage,
    bulk_selection,
    clean_filters,
    list_page,
    one_choice,
    one_text,
    ordering,
    search_filter,
    sort_value,
)

PRODUCT_SORTS = ("name", "sku", "price", "stock", "category", "created_at", "updated_at")


def _price(values: list) -> Decimal:
    try:
        value = Decimal(str(values[-1]).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError("A price, e.g. 9.99.") from None
    if not value.is_finite() or value < 0:
        raise ValidationError("A price, e.g. 9.99.")
    return value


def _currency(values: list) -> str:
    value = str(values[-1]).strip().upper()
    if len(value) != 3 or not value.isalpha():
        raise ValidationError("A 3-letter currency code.")
    return value


PRODUCT_FILTERS = {
    "q": one_text(200),
    "category": one_text(80),
    "visibility": one_choice(Product.Visibility.values),
    "currency": _currency,
    "stock": one_choice(("in", "out")),
    "price_min": _price,
    "price_max": _price,
    "sort": sort_value(PRODUCT_SORTS),
}


def product_filters_clean(raw: Mapping | None) -> dict:
    return clean_filters(raw, fields=PRODUCT_FILTERS)


def products_filtered(filters: dict) -> QuerySet[Product]:
    """Alive products matching cleaned filters, unordered (the bulk selection of "products")."""
    qs = search_filter(Product.objects.alive(), filters.get("q"))
    if "category" in filters:
        qs = qs.filter(category__iexact=filters["category"])
    if "visibility" in filters:
        qs = qs.filter(visibility=filters["visibility"])
    if "currency" in filters:
        qs = qs.filter(currency=filters["currency"])
    if filters.get("stock") == "in":
        qs = qs.filter(stock__gt=0)
    elif filters.get("stock") == "out":
        qs = qs.filter(stock__lte=0)
    if "price_min" in filters:
        qs = qs.filter(price__gte=filters["price_min"])
    if "price_max" in filters:
        qs = qs.filter(price__lte=filters["price_max"])
    return qs


def product_list(*, filters: Mapping | None = None) -> QuerySet[Product]:
    clean = product_filters_clean(filters)
    return products_filtered(clean).order_by(*ordering(clean.get("sort"), "name"))


def product_list_page(*, filters: Mapping | None = None, page: int = 1, per_page: int = 50) -> ListPage:
    return list_page(product_list(filters=filters), page=page, per_page=per_page)


def product_get(*, product_id: int) -> Product:
    product = Product.objects.alive().filter(pk=product_id).first()
    if product is None:
        raise Http404("No such product.")
    return product


def product_categories() -> list[str]:
    """The categories in use (for a filter menu)."""
    return list(
        Product.objects.alive().exclude(category="").order_by("category").values_list("category", flat=True).distinct()
    )


# --------------------------------------------------------------------------- price preview


@dataclass(frozen=True)
class PricePreviewRow:
    id: int
    name: str
    sku: str
    currency: str
    before: Decimal
    after: Decimal


@dataclass(frozen=True)
class PriceTotals:
    currency: str
    count: int
    before: Decimal
    after: Decimal


@dataclass(frozen=True)
class PricePreview:
    """Before/after for the first rows (by name) and, per currency, the totals over the whole
    selection; ``changed``: rows whose price would change; ``to_zero``: rows that would end at 0."""

    adjustment: PriceAdjustment
    rows: list[PricePreviewRow]
    count: int
    changed: int
    to_zero: int
    totals: list[PriceTotals]

    def as_dict(self) -> dict:
        return {
            "adjustment": self.adjustment.as_dict(),
            "description": self.adjustment.describe(),
            "count": self.count,
            "changed": self.changed,
            "to_zero": self.to_zero,
            "rows": [
                {
                    "id": r.id,
                    "name": r.name,
                    "sku": r.sku,
                    "currency": r.currency,
                    "before": str(r.before),
                    "after": str(r.after),
                }
                for r in self.rows
            ],
            "totals": [
                {"currency": t.currency, "count": t.count, "before": str(t.before), "after": str(t.after)}
                for t in self.totals
            ],
        }


def price_adjust_preview(
    *, params: Mapping, ids: Iterable | None = None, filters: Mapping | None = None, limit: int = 20
) -> PricePreview:
    """What "adjust_price" would do to a selection (ids or filter, as for the bulk action),
    computed by PostgreSQL with the very expression the action applies. Nothing is written.
    Three queries: the selection check, the first ``limit`` rows, the totals."""
    adjustment = price_adjustment_clean(params)
    qs = bulk_selection(kind="products", ids=ids, filters=filters)
    expr, args = adjustment.sql()
    after = RawSQL(expr, args, output_field=DecimalField(max_digits=12, decimal_places=2))  # noqa: S611 - fixed SQL text, values bound as parameters
    rows = [
        PricePreviewRow(
            id=r["id"], name=r["name"], sku=r["sku"], currency=r["currency"], before=r["price"], after=r["after"]
        )
        for r in qs.annotate(after=after)
        .order_by("name", "id")
        .values("id", "name", "sku", "currency", "price", "after")[: max(0, min(limit, 200))]
    ]
    changed_q = RawSQL(f"price <> {expr}", args, output_field=BooleanField())  # noqa: S611 - fixed SQL text, values bound as parameters
    zero_q = RawSQL(f"price > 0 AND {expr} = 0", args, output_field=BooleanField())  # noqa: S611 - fixed SQL text, values bound as parameters
    per_currency = list(
        qs.order_by()
        .values("currency")
        .annotate(
            n=Count("id"),
            before=Sum("price"),
            after=Sum(RawSQL(expr, args, output_field=DecimalField(max_digits=14, decimal_places=2))),  # noqa: S611 - fixed SQL text, values bound as parameters
            changed=Count("id", filter=Q(changed_q)),
            to_zero=Count("id", filter=Q(zero_q)),
        )
        .order_by("currency")
    )
    return PricePreview(
        adjustment=adjustment,
        rows=rows,
        count=sum(r["n"] for r in per_currency),
        changed=sum(r["changed"] for r in per_currency),
        to_zero=sum(r["to_zero"] for r in per_currency),
        totals=[
            PriceTotals(
                currency=r["currency"], count=r["n"], before=r["before"] or Decimal(0), after=r["after"] or Decimal(0)
            )
            for r in per_currency
        ],
    )


# --------------------------------------------------------------------------- export

PRODUCT_EXPORT_HEADER = [
    "id",
    "name",
    "sku",
    "price",
    "currency",
    "visibility",
    "stock",
    "category",
    "description",
    "created_at",
]


def products_export_rows(*, filters: Mapping | None = None) -> Iterator[list]:
    """The rows of a products CSV (the columns the import reads), streamed in chunks."""
    qs = product_list(filters=filters).values_list(
        "id", "name", "sku", "price", "currency", "visibility", "stock", "category", "description", "created_at"
    )
    for row in qs.iterator(chunk_size=2000):
        *head, created = row
        yield [*head, created.isoformat()]
