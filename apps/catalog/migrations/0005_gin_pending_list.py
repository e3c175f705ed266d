"""A 64 MB GIN pending list on the list models' tags and search indexes (apps.core.bulk
.GIN_PENDING_LIST_KB): a bulk UPDATE of 100,000 rows then appends instead of stopping to merge
the list several times; the merge runs right after, in the background. ALTER INDEX … SET
changes the option in place (no rebuild); the state gets the same indexes with the option."""

import django.contrib.postgres.indexes
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("catalog", "0004_search_documents_maintained")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL("""ALTER INDEX catalog_product_search SET (gin_pending_list_limit = 65536)""", """ALTER INDEX catalog_product_search RESET (gin_pending_list_limit)""")],
            state_operations=[
            migrations.RemoveIndex(model_name="product", name="catalog_product_search"),
            migrations.AddIndex(
                model_name="product",
                index=django.contrib.postgres.indexes.GinIndex(
                    fields=["search"], gin_pending_list_limit=65536, name="catalog_product_search"
                ),
            ),
            ],
        )
    ]
