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
    dependencies = [("crm", "0005_stored_search_documents")]

    operations = [
        migrations.RemoveIndex(model_name="company", name="crm_company_search"),
        migrations.RemoveField(model_name="company", name="search"),
        migrations.AddField(
            model_name="company",
            name="search",
            field=django.contrib.postgres.search.SearchVectorField(blank=True, editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name="company",
            index=django.contrib.postgres.indexes.GinIndex(fields=["search"], name="crm_company_search"),
        ),
        migrations.AddIndex(
            model_name="company",
            index=models.Index(condition=models.Q(("search__isnull", True)), fields=["id"], name="crm_company_search_pending"),
        ),
        migrations.RunSQL(
            "UPDATE crm_company SET search = to_tsvector('simple'::regconfig, regexp_replace(COALESCE(name, '') || ' ' || COALESCE(domain, ''), '[[:punct:][:space:]]+', ' ', 'g'))",
            migrations.RunSQL.noop,
        ),
        migrations.RemoveIndex(model_name="contact", name="crm_contact_search"),
        migrations.RemoveField(model_name="contact", name="search"),
        migrations.AddField(
            model_name="contact",
            name="search",
            field=django.contrib.postgres.search.SearchVectorField(blank=True, editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=django.contrib.postgres.indexes.GinIndex(fields=["search"], name="crm_contact_search"),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(condition=models.Q(("search__isnull", True)), fields=["id"], name="crm_contact_search_pending"),
        ),
        migrations.RunSQL(
            "UPDATE crm_contact SET search = to_tsvector('simple'::regconfig, regexp_replace(COALESCE(name, '') || ' ' || COALESCE(email, '') || ' ' || COALESCE(company_name, ''), '[[:punct:][:space:]]+', ' ', 'g'))",
            migrations.RunSQL.noop,
        ),
        migrations.RemoveIndex(model_name="deal", name="crm_deal_search"),
        migrations.RemoveField(model_name="deal", name="search"),
        migrations.AddField(
            model_name="deal",
            name="search",
            field=django.contrib.postgres.search.SearchVectorField(blank=True, editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name="deal",
            index=django.contrib.postgres.indexes.GinIndex(fields=["search"], name="crm_deal_search"),
        ),
        migrations.AddIndex(
            model_name="deal",
            index=models.Index(condition=models.Q(("search__isnull", True)), fields=["id"], name="crm_deal_search_pending"),
        ),
        migrations.RunSQL(
            "UPDATE crm_deal SET search = to_tsvector('simple'::regconfig, regexp_replace(COALESCE(title, ''), '[[:punct:][:space:]]+', ' ', 'g'))",
            migrations.RunSQL.noop,
        ),
        migrations.RemoveIndex(model_name="task", name="crm_task_search"),
        migrations.RemoveField(model_name="task", name="search"),
        migrations.AddField(
            model_name="task",
            name="search",
            field=django.contrib.postgres.search.SearchVectorField(blank=True, editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name="task",
            index=django.contrib.postgres.indexes.GinIndex(fields=["search"], name="crm_task_search"),
        ),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(condition=models.Q(("search__isnull", True)), fields=["id"], name="crm_task_search_pending"),
        ),
        migrations.RunSQL(
            "UPDATE crm_task SET search = to_tsvector('simple'::regconfig, regexp_replace(COALESCE(title, ''), '[[:punct:][:space:]]+', ' ', 'g'))",
            migrations.RunSQL.noop,
        ),
    ]
