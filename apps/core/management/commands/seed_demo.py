from django.conf import settings
from django.core.management.base import BaseCommand

from apps.core.demo import demo_seed


class Command(BaseCommand):
    help = "Create the demo users and tenants (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--quiet", action="store_true")

    def handle(self, *args, **options):
        logins = demo_seed()
        if options["quiet"]:
            return
        self.stdout.write(self.style.SUCCESS(f"Demo ready. Password for every demo user: {settings.DEMO_PASSWORD}"))
        for login in logins:
            extra = f"  TOTP secret {login.totp_secret}" if login.totp_secret else ""
            self.stdout.write(f"  {login.email:<26} {login.role:<34} {login.where}{extra}")
