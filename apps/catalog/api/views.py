"""Catalogue API under /api/v1/tenants/<slug>/products/: thin views over apps.catalog.selectors
and services (tenant resolution, gating and the schema switch: apps.crm.api.base)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from apps.api.serializers import ERROR_RESPONSES
from apps.catalog import selectors, services
from apps.catalog.api import serializers as s
from apps.crm.api.base import (
    IMPORT_RESPONSE,
    WRITE_RESPONSES,
    BulkResultSerializer,
    ImportInputSerializer,
    ImportView,
    TenantScopedView,
    bulk_views,
    filter_params,
    parse,
    stream_csv,
)

FILTERS = ("q", "category", "visibility", "currency", "stock", "price_min", "price_max", "sort")


class CatalogView(TenantScopedView):
    required_feature = "catalog"


class ProductListCreateView(CatalogView):
    @extend_schema(
        parameters=filter_params(*FILTERS),
        responses={200: s.ProductOutputSerializer(many=True), **ERROR_RESPONSES},
        summary="Products (search, filters, sort, pagination)",
        tags=["catalog"],
    )
    def get(self, request, slug):
        return self.paginate(selectors.product_list(filters=request.query_params), s.ProductOutputSerializer)

    @extend_schema(
        request=s.ProductInputSerializer,
        responses={201: s.ProductOutputSerializer, **WRITE_RESPONSES},
        summary="Create a product",
        tags=["catalog"],
    )
    def post(self, request, slug):
        product = services.product_create(**parse(s.ProductInputSerializer, request.data), actor=request.user)
        return Response(s.ProductOutputSerializer(product).data, status=status.HTTP_201_CREATED)


class ProductDetailView(CatalogView):
    @extend_schema(
        responses={200: s.ProductOutputSerializer, **ERROR_RESPONSES}, summary="One product", tags=["catalog"]
    )
    def get(self, request, slug, pk):
        return Response(s.ProductOutputSerializer(selectors.product_get(product_id=pk)).data)

    @extend_schema(
        request=s.ProductInputSerializer,
        responses={200: s.ProductOutputSerializer, **WRITE_RESPONSES},
        summary="Change a product (only the fields sent)",
        tags=["catalog"],
    )
    def patch(self, request, slug, pk):
        product = selectors.product_get(product_id=pk)
        data = parse(s.ProductInputSerializer, request.data, partial=True)
        return Response(
            s.ProductOutputSerializer(services.product_update(product=product, actor=request.user, **data)).data
        )

    @extend_schema(
        responses={200: BulkResultSerializer, **WRITE_RESPONSES},
        summary="Delete a product (undo with the token)",
        tags=["catalog"],
    )
    def delete(self, request, slug, pk):
        result = services.product_delete(product=selectors.product_get(product_id=pk), actor=request.user, ip=self.ip)
        return Response({"deleted": result.count, "undo_token": result.undo_token})


class PricePreviewView(CatalogView):
    @extend_schema(
        request=s.PricePreviewInputSerializer,
        responses={200: OpenApiTypes.OBJECT, **ERROR_RESPONSES},
        summary="Preview a bulk price adjustment (nothing is changed)",
        tags=["catalog"],
    )
    def post(self, request, slug):
        data = parse(s.PricePreviewInputSerializer, request.data)
        params = {k: str(data[k]) for k in ("mode", "direction", "value", "rounding") if k in data}
        preview = selectors.price_adjust_preview(
            params=params, ids=data.get("ids"), filters=data.get("filter"), limit=data.get("limit", 20)
        )
        return Response(preview.as_dict())


class ProductImportView(ImportView):
    required_feature = "catalog"
    importer = staticmethod(services.products_import)

    @extend_schema(
        request={"multipart/form-data": ImportInputSerializer},
        responses={201: IMPORT_RESPONSE, 200: IMPORT_RESPONSE, **WRITE_RESPONSES},
        summary="Import products from CSV",
        tags=["catalog"],
    )
    def post(self, request, slug):
        return super().post(request, slug)


class ProductExportView(CatalogView):
    @extend_schema(
        parameters=filter_params(*FILTERS)[:-2],
        responses={(200, "text/csv"): OpenApiTypes.STR, **ERROR_RESPONSES},
        summary="Export products as CSV",
        tags=["catalog"],
    )
    def get(self, request, slug):
        filters = selectors.product_filters_clean(request.query_params)
        return stream_csv(
            tenant=self.tenant,
            name="products",
            header=selectors.PRODUCT_EXPORT_HEADER,
            rows_factory=lambda: selectors.products_export_rows(filters=filters),
        )


ProductBulkView, ProductBulkUndoView, ProductBulkJobView = bulk_views("products", "catalog", feature="catalog")
