"""Search documents become plain tsvector columns written by the services (apps.core.bulk
.search_refresh) instead of stored generated columns: PostgreSQL recomputes a stored generated
column on every UPDATE — also one that only changes tags, prices or visibility — and that was
half the cost of a bulk action over 100,000 rows. Rows without a document (NULL) are still
found (search_filter falls back to computing it; the *_search_pending partial indexes find
them). Existing rows are filled here."""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("catalog", "0003_stored_search_documents")]

    operations = [
        migrations.RemoveIndex(model_name="product", name="catalog_product_search"),
        migrations.RemoveField(model_name="product", name="search"),
        migrations.AddField(
            model_name="product",
            name="search",
            field=django.contrib.postgres.search.SearchVectorField(blank=True, editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name="product",
            index=django.contrib.postgres.indexes.GinIndex(fields=["search"], name="catalog_product_search"),
        ),
        migrations.AddIndex(
            model_name="product",
            index=models.Index(condition=models.Q(("search__isnull", True)), fields=["id"], name="catalog_product_search_pending"),
        ),
        migrations.RunSQL(
            "UPDATE catalog_product SET search = to_tsvector('simple'::regconfig, regexp_replace(COALESCE(name, '') || ' ' || COALESCE(sku, '') || ' ' || COALESCE(category, ''), '[[:punct:][:space:]]+', ' ', 'g'))",
            migrations.RunSQL.noop,
        ),
    ]
