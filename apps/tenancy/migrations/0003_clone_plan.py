from django.db import migrations

from apps.tenancy.schema_template import CLONE_FUNCTION_SQL_V1, CLONE_PLAN_SQL


class Migration(migrations.Migration):
    dependencies = [("tenancy", "0002_clone_function")]

    operations = [
        migrations.RunSQL(
            CLONE_PLAN_SQL,
            reverse_sql=(
                "DROP FUNCTION IF EXISTS public.bizosaas_clone_plan(text);"
                "DROP FUNCTION IF EXISTS public.bizosaas_template_fingerprint(text);"
                "DROP TABLE IF EXISTS public.tenancy_cloneplan;" + CLONE_FUNCTION_SQL_V1
            ),
        ),
    ]
