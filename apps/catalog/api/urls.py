"""Catalogue routes, included under /api/v1/tenants/<slug>/ by apps.api.urls."""

from django.urls import path

from apps.catalog.api import views

urlpatterns = [
    path("products/", views.ProductListCreateView.as_view(), name="catalog-product-list"),
    path("products/bulk/", views.ProductBulkView.as_view(), name="catalog-product-bulk"),
    path("products/bulk/undo/", views.ProductBulkUndoView.as_view(), name="catalog-product-bulk-undo"),
    path("products/bulk/jobs/<str:job_id>/", views.ProductBulkJobView.as_view(), name="catalog-product-bulk-job"),
    path("products/price-preview/", views.PricePreviewView.as_view(), name="catalog-product-price-preview"),
    path("products/import/", views.ProductImportView.as_view(), name="catalog-product-import"),
    path("products/export/", views.ProductExportView.as_view(), name="catalog-product-export"),
    path("products/<int:pk>/", views.ProductDetailView.as_view(), name="catalog-product-detail"),
]
