"""The `quanttrade` beta feature: its grants are the QuantTrade beta whitelist of the platform
settings (managed by super admins only)."""

from django.db import migrations


def create_quanttrade(apps, schema_editor):
    Feature = apps.get_model("entitlements", "Feature")
    Feature.objects.get_or_create(
        key="quanttrade",
        defaults={
            "name": "QuantTrade",
            "description": "QuantTrade beta: open to the tenants, partners and users on the whitelist.",
            "stage": "beta",
            "super_admin_only": True,
        },
    )


def remove_quanttrade(apps, schema_editor):
    apps.get_model("entitlements", "Feature").objects.filter(key="quanttrade").delete()


class Migration(migrations.Migration):
    dependencies = [("entitlements", "0001_initial")]

    operations = [migrations.RunPython(create_quanttrade, remove_quanttrade)]
