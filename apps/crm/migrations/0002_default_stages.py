"""The default pipeline: New, Qualified, Proposal, Negotiation, Won, Lost.

Runs in tenant schemas only (crm is a tenant app). It lands in the template schema, and
every new tenant gets the stages with the template clone (apps.tenancy.schema_template); tenants
that existed before this migration get them when the fleet is migrated."""

from django.db import migrations

DEFAULT_STAGES = [
    ("New", "open", 10),
    ("Qualified", "open", 25),
    ("Proposal", "open", 50),
    ("Negotiation", "open", 75),
    ("Won", "won", 100),
    ("Lost", "lost", 0),
]


def create_stages(apps, schema_editor):
    Stage = apps.get_model("crm", "PipelineStage")
    if Stage.objects.exists():
        return
    Stage.objects.bulk_create(
        [Stage(name=name, kind=kind, probability=p, position=i) for i, (name, kind, p) in enumerate(DEFAULT_STAGES)]
    )


def remove_stages(apps, schema_editor):
    apps.get_model("crm", "PipelineStage").objects.filter(name__in=[s[0] for s in DEFAULT_STAGES], deals__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("crm", "0001_initial")]

    operations = [migrations.RunPython(create_stages, remove_stages)]
