from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "apps.catalog"
    label = "catalog"
    verbose_name = "Catalogue"

    def ready(self):
        from apps.catalog.models import Product
        from apps.catalog.selectors import product_filters_clean, products_filtered
        from apps.catalog.services import bulk_apply_price, bulk_clean_price
        from apps.core.bulk import (
            BulkAction,
            ListKind,
            action_set_field,
            action_soft_delete,
            bulk_register,
            clean_choice_param,
        )

        bulk_register(
            ListKind(
                key="products",
                model=Product,
                audit_prefix="catalog",
                clean_filters=product_filters_clean,
                queryset=products_filtered,
                actions={
                    "delete": BulkAction("delete", "Delete", action_soft_delete, destructive=True, undoable=True),
                    "adjust_price": BulkAction("adjust_price", "Adjust prices", bulk_apply_price, bulk_clean_price),
                    "set_visibility": BulkAction(
                        "set_visibility",
                        "Set visibility",
                        action_set_field("visibility"),
                        clean_choice_param("visibility", Product.Visibility.values),
                    ),
                },
                feature="catalog",
            )
        )
