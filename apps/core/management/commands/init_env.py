"""Write a development `.env` with fresh secrets if none exists (never overwrites)."""

import secrets
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create .env for local development with generated secrets (keeps an existing one)."

    def handle(self, *args, **options):
        path = Path(settings.BASE_DIR) / ".env"
        if path.exists():
            self.stdout.write(".env exists; left as it is.")
            return
        path.write_text(
            "# Local development settings (generated; not committed).\n"
            f"SECRET_KEY={secrets.token_urlsafe(50)}\n"
            "DEBUG=true\n"
        )
        path.chmod(0o600)
        self.stdout.write(self.style.SUCCESS(f"Wrote {path}"))
