"""The catalogue in the dashboard, mounted at /app/catalog/ on tenant hosts (namespace
`catalog`; "catalog:product-detail" is what the command palette links to)."""

from django.urls import path

from apps.catalog import views

app_name = "catalog"

urlpatterns = [
    path("", views.index, name="index"),
    path("products/", views.products, name="products"),
    path("products/new/", views.product_new, name="product-new"),
    path("products/import/", views.products_import, name="products-import"),
    path("products/export/", views.products_export, name="products-export"),
    path("products/<int:pk>/", views.product_detail, name="product-detail"),
    path("products/<int:pk>/delete/", views.product_delete, name="product-delete"),
    path("products/bulk/", views.bulk_action, name="bulk"),
    path("products/bulk/undo/", views.bulk_undo, name="bulk-undo"),
    path("products/bulk/jobs/<str:job_id>/", views.bulk_job, name="bulk-job"),
]
