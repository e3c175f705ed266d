"""A 64 MB GIN pending list on the list models' tags and search indexes (apps.core.bulk
.GIN_PENDING_LIST_KB): a bulk UPDATE of 100,000 rows then appends instead of stopping to merge
the list several times; the merge runs right after, in the background. ALTER INDEX … SET
changes the option in place (no rebuild); the state gets the same indexes with the option."""

import django.contrib.postgres.indexes
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("crm", "0006_search_documents_maintained")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL("""ALTER INDEX crm_company_tags SET (gin_pending_list_limit = 65536);
ALTER INDEX crm_company_search SET (gin_pending_list_limit = 65536);
ALTER INDEX crm_contact_tags SET (gin_pending_list_limit = 65536);
ALTER INDEX crm_contact_search SET (gin_pending_list_limit = 65536);
ALTER INDEX crm_deal_tags SET (gin_pending_list_limit = 65536);
ALTER INDEX crm_deal_search SET (gin_pending_list_limit = 65536);
ALTER INDEX crm_task_search SET (gin_pending_list_limit = 65536);
ALTER INDEX crm_task_tags SET (gin_pending_list_limit = 65536)""", """ALTER INDEX crm_company_tags RESET (gin_pending_list_limit);
ALTER INDEX crm_company_search RESET (gin_pending_list_limit);
ALTER INDEX crm_contact_tags RESET (gin_pending_list_limit);
ALTER INDEX crm_contact_search RESET (gin_pending_list_limit);
ALTER INDEX crm_deal_tags RESET (gin_pending_list_limit);
ALTER INDEX crm_deal_search RESET (gin_pending_list_limit);
ALTER INDEX crm_task_search RESET (gin_pending_list_limit);
ALTER INDEX crm_task_tags RESET (gin_pending_list_limit)""")],
            state_operations=[
            migrations.RemoveIndex(model_name="company", name="crm_company_tags"),
            migrations.AddIndex(
                model_name="company",
                index=django.contrib.postgres.indexes.GinIndex(
                    fields=["tags"], gin_pending_list_limit=65536, name="crm_company_tags"
                ),
            ),
            migrations.RemoveIndex(model_name="company", name="crm_company_search"),
            migrations.AddIndex(
                model_name="company",
                index=django.contrib.postgres.indexes.GinIndex(
                    fields=["search"], gin_pending_list_limit=65536, name="crm_company_search"
                ),
            ),
            migrations.RemoveIndex(model_name="contact", name="crm_contact_tags"),
            migrations.AddIndex(
                model_name="contact",
                index=django.contrib.postgres.indexes.GinIndex(
                    fields=["tags"], gin_pending_list_limit=65536, name="crm_contact_tags"
                ),
            ),
            migrations.RemoveIndex(model_name="contact", name="crm_contact_search"),
            migrations.AddIndex(
                model_name="contact",
                index=django.contrib.postgres.indexes.GinIndex(
                    fields=["search"], gin_pending_list_limit=65536, name="crm_contact_search"
                ),
            ),
            migrations.RemoveIndex(model_name="deal", name="crm_deal_tags"),
            migrations.AddIndex(
                model_name="deal",
                index=django.contrib.postgres.indexes.GinIndex(
                    fields=["tags"], gin_pending_list_limit=65536, name="crm_deal_tags"
                ),
            ),
            migrations.RemoveIndex(model_name="deal", name="crm_deal_search"),
            migrations.AddIndex(
                model_name="deal",
                index=django.contrib.postgres.indexes.GinIndex(
                    fields=["search"], gin_pending_list_limit=65536, name="crm_deal_search"
                ),
            ),
            migrations.RemoveIndex(model_name="task", name="crm_task_search"),
            migrations.AddIndex(
                model_name="task",
                index=django.contrib.postgres.indexes.GinIndex(
                    fields=["search"], gin_pending_list_limit=65536, name="crm_task_search"
                ),
            ),
            migrations.RemoveIndex(model_name="task", name="crm_task_tags"),
            migrations.AddIndex(
                model_name="task",
                index=django.contrib.postgres.indexes.GinIndex(
                    fields=["tags"], gin_pending_list_limit=65536, name="crm_task_tags"
                ),
            ),
            ],
        )
    ]
