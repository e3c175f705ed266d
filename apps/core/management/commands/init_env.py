"""Write a development `.env` with fresh secrets if none exists. An existing `.env` is never
rewritten; only settings it lacks that the platform cannot start without (the vault key ring)
are appended to it."""

import re
import secrets
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from apps.vault.crypto import new_key_entry

VAULT_KEYS_LINE = re.compile(r"^\s*(export\s+)?VAULT_KEYS\s*=", re.M)


def vault_keys_line() -> str:
    return f"VAULT_KEYS={new_key_entry(f'dev{timezone.now():%Y%m%d}')}\n"


class Command(BaseCommand):
    help = "Create .env for local development with generated secrets (keeps an existing one)."

    def handle(self, *args, **options):
        path = Path(settings.BASE_DIR) / ".env"
        if path.exists():
            text = path.read_text()
            if VAULT_KEYS_LINE.search(text):
                if options["verbosity"] >= 2:
                    self.stdout.write(".env exists; left as it is.")
                return
            separator = "" if not text or text.endswith("\n") else "\n"
            with path.open("a") as env_file:
                env_file.write(f"{separator}# Vault key ring (generated; see .env.example).\n{vault_keys_line()}")
            self.stdout.write(self.style.SUCCESS(f"Added a development VAULT_KEYS to {path}"))
            return
        path.write_text(
            "# Local development settings (generated; not committed).\n"
            f"SECRET_KEY={secrets.token_urlsafe(50)}\n"
            "DEBUG=true\n"
            "# Vault key ring (see .env.example).\n"
            f"{vault_keys_line()}"
        )
        path.chmod(0o600)
        self.stdout.write(self.style.SUCCESS(f"Wrote {path}"))
