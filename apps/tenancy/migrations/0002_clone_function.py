from django.db import migrations

from apps.tenancy.schema_template import CLONE_FUNCTION_SQL_V1


class Migration(migrations.Migration):
    dependencies = [("tenancy", "0001_initial")]

    operations = [
        migrations.RunSQL(
            CLONE_FUNCTION_SQL_V1,
            reverse_sql="DROP FUNCTION IF EXISTS public.bizosaas_clone_schema(text, text)",
        ),
    ]
