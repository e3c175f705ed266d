from django.contrib.admin.apps import AdminConfig


class PlatformAdminConfig(AdminConfig):
    """django.contrib.admin with our tier- and MFA-aware site as the default site."""

    default_site = "apps.core.admin_site.PlatformAdminSite"
