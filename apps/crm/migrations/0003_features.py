"""The entitlement features `crm` and `catalog`, at GA, in the public schema.

crm is a tenant app: django-tenants' router runs its migrations in tenant schemas only (never in
public), so this writes the public rows with schema-qualified SQL while the template schema (or
an existing tenant) is migrated. Idempotent (ON CONFLICT DO NOTHING), so running once per schema
is harmless; the public table exists by then because public is always migrated first.
apps.crm.services.features_ensure() does the same at run time (audited), e.g. after a reset."""

from django.db import migrations

INSERT = """
INSERT INTO public.entitlements_feature
    (key, name, description, stage, killed, kill_reason, rollout_percentage, super_admin_only,
     stage_changed_at, created_at, updated_at)
VALUES
    ('crm', 'CRM', 'Contacts, companies, the deal pipeline, tasks and bulk actions (M9).', 'ga', false, '', 0, false,
     now(), now(), now()),
    ('catalog', 'Catalogue', 'Products, bulk price changes and visibility (M10).', 'ga', false, '', 0, false,
     now(), now(), now())
ON CONFLICT (key) DO NOTHING
"""


class Migration(migrations.Migration):
    dependencies = [("crm", "0002_default_stages"), ("entitlements", "0001_initial")]

    operations = [migrations.RunSQL(INSERT, migrations.RunSQL.noop)]
