from django.apps import AppConfig


class VaultConfig(AppConfig):
    name = "apps.vault"
    label = "vault"
    verbose_name = "Vault"

    def ready(self):
        from apps.vault import checks  # noqa: F401  (registers the key ring checks)
