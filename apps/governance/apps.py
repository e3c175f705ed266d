from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "apps.governance"
    label = "governance"
    verbose_name = "Governance"

    def ready(self):
        from apps.governance import signals, tasks_base  # noqa: F401  (connect receivers)
