"""Writes of the catalogue, in the current tenant's schema: products, CSV import, and the bulk
actions' SQL (price adjustment, visibility) registered with apps.core.bulk."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models import BooleanField, DecimalField
from django.db.models.expressions import RawSQL
from django.db.models.functions import Now, Upper
from django.utils import timezone

from apps.catalog.models import Product
from apps.catalog.pricing import price_adjustment_clean
from apps.core.bulk import BulkContext, BulkResult, ImportReport, RowError, bulk_run, csv_read, search_refresh

SKU_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-/]{0,63}$")
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
PRICE_MAX = Decimal("9999999999.99")
STOCK_MAX = 2_000_000_000
PRODUCT_FIELDS = ("name", "sku", "description", "price", "currency", "visibility", "stock", "category")


def _product_values(data: Mapping, *, partial: bool, instance: Product | None = None, check_sku: bool = True) -> dict:
    errors: dict = {}
    out: dict = {}

    def text(name: str, max_length: int, required: bool = False) -> None:
        value = data.get(name)
        value = "" if value is None else value
        if not isinstance(value, str):
            errors[name] = "A text value."
            return
        value = value.strip()
        if required and not value:
            errors[name] = "This field is required."
        elif len(value) > max_length:
            errors[name] = f"At most {max_length} characters."
        out[name] = value

    if not partial or "name" in data:
        text("name", 200, required=True)
    if not partial or "description" in data:
        text("description", 20_000)
    if not partial or "category" in data:
        text("category", 80)
    if not partial or "sku" in data:
        sku = str(data.get("sku") or "").strip()
        if not SKU_RE.match(sku):
            errors["sku"] = "1–64 letters, digits and . _ - /, starting with a letter or digit."
        elif check_sku:
            clash = Product.objects.annotate(sku_u=Upper("sku")).filter(sku_u=sku.upper())
            if instance is not None:
                clash = clash.exclude(pk=instance.pk)
            other = clash.order_by("id").first()
            if other is not None:
                errors["sku"] = (
                    f"SKU already used by a deleted product (#{other.pk} “{other.name}”): restore it instead."
                    if other.is_deleted
                    else f"SKU already used by #{other.pk} “{other.name}”."
                )
        out["sku"] = sku
    if not partial or "price" in data:
        raw = data.get("price")
        try:
            price = Decimal(str(raw if raw not in (None, "") else "0"))
        except (InvalidOperation, ValueError):
            errors["price"] = "A price, e.g. 9.99."
        else:
            if not price.is_finite() or price < 0:
                errors["price"] = "A price of 0 or more."
            elif price != price.quantize(Decimal("0.01")):
                errors["price"] = "At most 2 decimal places."
            elif price > PRICE_MAX:
                errors["price"] = "Too large."
            out["price"] = price
    if not partial or "currency" in data:
        currency = str(data.get("currency") or ("USD" if not partial else "")).strip().upper()
        if not CURRENCY_RE.match(currency):
            errors["currency"] = "A 3-letter ISO currency code, e.g. USD."
        out["currency"] = currency
    if not partial or "visibility" in data:
        visibility = data.get("visibility") or Product.Visibility.VISIBLE
        if visibility not in Product.Visibility.values:
            errors["visibility"] = "One of: visible, hidden."
        out["visibility"] = visibility
    if not partial or "stock" in data:
        raw = data.get("stock")
        try:
            stock = int(str(raw if raw not in (None, "") else "0").strip())
        except ValueError:
            errors["stock"] = "A whole number of 0 or more."
        else:
            if isinstance(raw, bool) or stock < 0 or stock > STOCK_MAX:
                errors["stock"] = "A whole number of 0 or more."
            out["stock"] = stock
    if errors:
        raise ValidationError(errors)
    return out


def product_create(
    *,
    name: str,
    sku: str,
    price: Decimal | str | int = 0,
    currency: str = "USD",
    visibility: str = Product.Visibility.VISIBLE,
    stock: int = 0,
    category: str = "",
    description: str = "",
    actor=None,
) -> Product:
    """A new product. The SKU must not be used by any product, deleted ones included (compared
    without regard to case)."""
    values = _product_values(
        {
            "name": name,
            "sku": sku,
            "price": price,
            "currency": currency,
            "visibility": visibility,
            "stock": stock,
            "category": category,
            "description": description,
        },
        partial=False,
    )
    product = Product.objects.create(**values)
    search_refresh(Product.objects.filter(pk=product.pk))
    return product


def product_update(*, product: Product, actor=None, **changes) -> Product:
    unknown = sorted(set(changes) - set(PRODUCT_FIELDS))
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "Unknown field."))
    if product.is_deleted:
        raise ValidationError({"non_field_errors": "This product was deleted."})
    values = _product_values(changes, partial=True, instance=product)
    for key, value in values.items():
        setattr(product, key, value)
    product.save(update_fields=[*values, "updated_at"])
    if any(name in values for name in Product.SEARCH_FIELDS):
        search_refresh(Product.objects.filter(pk=product.pk))
    return product


def product_delete(*, product: Product, actor=None, ip: str | None = None) -> BulkResult:
    """Soft delete; the result's ``undo_token`` restores it (``bulk_undo``)."""
    return bulk_run(kind="products", action="delete", ids=[product.pk], actor=actor, ip=ip)


def products_price_adjust(
    *, params: Mapping, ids=None, filters: Mapping | None = None, actor=None, ip: str | None = None
) -> BulkResult:
    """Apply a price adjustment (see apps.catalog.pricing) to a selection; the bulk action
    "adjust_price" (one UPDATE; a Celery job over 5,000 rows), audited catalog.bulk_adjust_price."""
    return bulk_run(kind="products", action="adjust_price", ids=ids, filters=filters, params=params, actor=actor, ip=ip)


# --------------------------------------------------------------------------- bulk actions (registered in apps.py)


def bulk_clean_price(params: dict) -> dict:
    return price_adjustment_clean(params).as_dict()


def bulk_apply_price(qs: models.QuerySet, params: dict, ctx: BulkContext) -> int:
    """price := the adjusted price, for the rows whose price changes — one UPDATE."""
    expr, args = price_adjustment_clean(params).sql()
    changes = RawSQL(f"price <> {expr}", args, output_field=BooleanField())  # noqa: S611 - fixed SQL text, values bound as parameters
    return qs.filter(changes).update(
        price=RawSQL(expr, args, output_field=DecimalField(max_digits=12, decimal_places=2)),  # noqa: S611
        updated_at=Now(),
    )


# --------------------------------------------------------------------------- import

PRODUCT_IMPORT_COLUMNS = ("name", "sku", "price", "currency", "visibility", "stock", "category", "description")
PRODUCT_IMPORT_IGNORED = ("id", "created_at")


def products_import(
    *, file, actor=None, import_valid_rows: bool = False, dry_run: bool = False, ip: str | None = None
) -> ImportReport:
    """Import products from CSV (columns: name, sku, price (required), currency, visibility,
    stock, category, description). Every row is validated and reported with its row number; a
    SKU already in the catalogue (deleted products included) or twice in the file is a
    duplicate. Any invalid row and nothing is imported, unless ``import_valid_rows``; ``dry_run``
    only validates. One transaction, set-based INSERTs, audited (catalog.products_import)."""
    from apps.audit.services import audit_record

    _header, rows, ignored = csv_read(
        file, required=["name", "sku", "price"], known=PRODUCT_IMPORT_COLUMNS + PRODUCT_IMPORT_IGNORED
    )
    report = ImportReport(
        total_rows=len(rows), ignored_columns=ignored, dry_run=dry_run, import_valid_rows=import_valid_rows
    )
    skus = sorted({r.get("sku", "").strip().upper() for _, r in rows if r.get("sku", "").strip()})
    existing: dict[str, tuple[int, str, bool]] = {}
    for i in range(0, len(skus), 5000):
        for pk, name, sku_u, deleted_at in (
            Product.objects.annotate(sku_u=Upper("sku"))
            .filter(sku_u__in=skus[i : i + 5000])
            .values_list("id", "name", "sku_u", "deleted_at")
        ):
            existing[sku_u] = (pk, name, deleted_at is not None)
    seen: dict[str, int] = {}
    valid: list[dict] = []
    for rownum, row in rows:
        data = {k: row.get(k, "") for k in PRODUCT_IMPORT_COLUMNS}
        errors: dict = {}
        values = None
        try:
            values = _product_values(data, partial=False, check_sku=False)
        except ValidationError as exc:
            errors.update({key: messages[0] for key, messages in exc.message_dict.items()})
        if not data["price"].strip():
            errors["price"] = "This field is required."
        sku_u = data["sku"].strip().upper()
        if sku_u and "sku" not in errors:
            if sku_u in existing:
                pk, name, deleted = existing[sku_u]
                errors["sku"] = f"duplicate: {'deleted ' if deleted else ''}product #{pk} “{name}” has this SKU"
            elif sku_u in seen:
                errors["sku"] = f"duplicate of row {seen[sku_u]}"
            else:
                seen[sku_u] = rownum
        if "__extra__" in row:
            errors["row"] = "more values than there are columns"
        if errors:
            report.errors.extend(RowError(rownum, key, str(msg)) for key, msg in errors.items())
        else:
            valid.append(values)
    report.valid_rows = len(valid)
    if dry_run or not valid or (report.errors and not import_valid_rows):
        return report
    with transaction.atomic():
        now = timezone.now()
        made = Product.objects.bulk_create(
            [Product(**v, created_at=now, updated_at=now) for v in valid], batch_size=2000
        )
        ids = [p.pk for p in made]
        search_refresh(Product.objects.filter(pk__gte=min(ids), pk__lte=max(ids), search__isnull=True))
        report.imported = len(valid)
        tenant = getattr(connection, "tenant", None)
        audit_record(
            action="catalog.products_import",
            actor=actor,
            target_type="catalog.product",
            target_repr=f"{len(valid)} products",
            tenant_slug=getattr(tenant, "slug", "") or "",
            after={"imported": len(valid), "rows": report.total_rows, "invalid_rows": report.invalid_rows},
            ip=ip,
        )
    return report
