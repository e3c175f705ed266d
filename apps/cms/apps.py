from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_features(sender, using="default", **kwargs):
    """After `migrate` of the public schema (where the entitlement tables live), make sure the
    `site` feature exists. Tenant-schema runs skip it: they have nothing to add."""
    from django.db import connections

    if getattr(connections[using], "schema_name", "public") != "public":
        return
    from apps.cms.services import features_ensure

    features_ensure()


class CmsConfig(AppConfig):
    name = "apps.cms"
    label = "cms"
    verbose_name = "Managed site"

    def ready(self):
        post_migrate.connect(_ensure_features, sender=self, dispatch_uid="cms_features_ensure")
