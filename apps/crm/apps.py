from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "apps.crm"
    label = "crm"
    verbose_name = "CRM"

    def ready(self):
        from apps.crm import bulk_actions

        bulk_actions.register()
