"""The catalogue in the dashboard (/app/catalog/): the products list with its toolbar (price
adjustment with a preview, visibility, delete with undo), product pages, CSV import/export.
Thin: parse, call apps.catalog.selectors / services, render. The list, toolbar and import
machinery is the CRM's (apps.crm.views), so every list behaves the same; the `catalog` feature
gates every page (404 when off)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from apps.audit.services import client_ip
from apps.catalog import selectors, services
from apps.catalog.models import Product
from apps.crm.forms import ProductForm, add_service_errors
from apps.crm.views import (
    bulk_job_get,
    bulk_post,
    bulk_undo_post,
    delete_and_redirect,
    export_csv,
    import_page,
    module_view,
    page,
    render_list,
    save_new,
)

catalog_view = module_view("catalog", "catalog")

PRICE_PREVIEW = (selectors.price_adjust_preview, "catalog/partials/price_preview.html")


@require_GET
@catalog_view
def index(request):
    return redirect("catalog:products")


@require_GET
@catalog_view
def products(request):
    return render_list(
        request,
        kind="products",
        page_fn=selectors.product_list_page,
        page_template="catalog/pages/products.html",
        results_template="catalog/partials/products_results.html",
        bulk_url=reverse("catalog:bulk"),
        undo_url=reverse("catalog:bulk-undo"),
        tab="products",
        full_context=lambda: {"categories": selectors.product_categories(), "visibilities": Product.Visibility.choices},
    )


@catalog_view
def product_new(request):
    form = ProductForm(request.POST or None)
    created = save_new(
        request,
        form,
        create=services.product_create,
        message=_("Product created."),
        detail_route="catalog:product-detail",
    )
    if created is not None:
        return created
    context = {
        "form": form,
        "title": _("New product"),
        "action": reverse("catalog:product-new"),
        "back": reverse("catalog:products"),
    }
    return page(request, "crm/pages/form.html", context, status=400 if form.errors else 200, tab="products")


@catalog_view
def product_detail(request, pk: int):
    product = selectors.product_get(product_id=pk)
    initial = {
        "name": product.name,
        "sku": product.sku,
        "price": product.price,
        "currency": product.currency,
        "visibility": product.visibility,
        "stock": product.stock,
        "category": product.category,
        "description": product.description,
    }
    form = ProductForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.product_update(product=product, actor=request.user, **form.changes())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Product saved."))
            return redirect("catalog:product-detail", product.pk)
    context = {"product": product, "form": form}
    return page(
        request, "catalog/pages/product_detail.html", context, status=400 if form.errors else 200, tab="products"
    )


@require_POST
@catalog_view
def product_delete(request, pk: int):
    product = selectors.product_get(product_id=pk)
    result = services.product_delete(product=product, actor=request.user, ip=client_ip(request))
    return delete_and_redirect(request, result, kind="products", list_name="catalog:products")


@catalog_view
def products_import(request):
    return import_page(
        request,
        importer=services.products_import,
        template="crm/pages/import.html",
        context={
            "title": _("Import products"),
            "columns": list(services.PRODUCT_IMPORT_COLUMNS),
            "required": ["name", "sku", "price"],
            "action": reverse("catalog:products-import"),
        },
        list_url=reverse("catalog:products"),
        tab="products",
    )


@require_GET
@catalog_view
def products_export(request):
    return export_csv(
        request,
        name="products",
        header=selectors.PRODUCT_EXPORT_HEADER,
        rows=selectors.products_export_rows,
        clean=selectors.product_filters_clean,
    )


@require_POST
@catalog_view
def bulk_action(request):
    return bulk_post(
        request,
        kind="products",
        list_url=reverse("catalog:products"),
        undo_url=reverse("catalog:bulk-undo"),
        job_url=lambda job_id: reverse("catalog:bulk-job", args=[job_id]),
        previews={"adjust_price": PRICE_PREVIEW},
    )


@require_POST
@catalog_view
def bulk_undo(request):
    return bulk_undo_post(request, kind="products", list_url=reverse("catalog:products"))


@require_GET
@catalog_view
def bulk_job(request, job_id: str):
    return bulk_job_get(
        request,
        kind="products",
        job_id=job_id,
        undo_url=reverse("catalog:bulk-undo"),
        job_url=reverse("catalog:bulk-job", args=[job_id]),
    )
