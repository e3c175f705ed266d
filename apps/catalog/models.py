"""Tenant-schema models of the e-commerce catalogue (M10). Writes go through
apps.catalog.services, reads through apps.catalog.selectors."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from apps.core.bulk import SoftDeleteModel, SoftDeleteQuerySet, gin_index, search_field


class Product(SoftDeleteModel):
    class Visibility(models.TextChoices):
        VISIBLE = "visible", "Visible"
        HIDDEN = "hidden", "Hidden"

    name = models.CharField(max_length=200)
    # Unique among all rows, deleted ones included, so an undone delete can never clash.
    sku = models.CharField("SKU", max_length=64, unique=True)
    description = models.TextField(blank=True)
    price = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    currency = models.CharField(max_length=3, default="USD")
    visibility = models.CharField(max_length=8, choices=Visibility.choices, default=Visibility.VISIBLE)
    stock = models.IntegerField(default=0)
    category = models.CharField(max_length=80, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    SEARCH_FIELDS = ("name", "sku", "category")
    search = search_field()

    objects = SoftDeleteQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(
                fields=["name", "id"], condition=Q(deleted_at__isnull=True), name="catalog_product_name_alive"
            ),
            gin_index("search", "catalog_product_search"),
            models.Index(fields=["id"], condition=Q(search__isnull=True), name="catalog_product_search_pending"),
            models.Index(
                fields=["deleted_batch"], condition=Q(deleted_batch__isnull=False), name="catalog_product_batch"
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="catalog_product_price_ge_0"),
            models.CheckConstraint(condition=Q(stock__gte=0), name="catalog_product_stock_ge_0"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"
