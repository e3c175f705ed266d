"""`manage.py create_api_key --email E [--name N]`: prints the key once."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from apps.accounts.management.errors import command_error
from apps.accounts.models import User
from apps.accounts.services import api_key_create


class Command(BaseCommand):
    help = "Create a partner API key for a user. The key is printed once and stored only as a hash."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--name", default="default", help="A label to tell keys apart (max 80 characters).")

    def handle(self, *args, **options):
        email = options["email"].strip()
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"No user with the email {email}.")
        try:
            key, raw = api_key_create(user=user, name=options["name"])
        except ValidationError as exc:
            raise command_error(exc) from exc
        self.stdout.write(self.style.SUCCESS(f"API key “{key.name}” for {user.email} (prefix {key.prefix}):"))
        self.stdout.write(raw)
        self.stdout.write("Store it now: it is not shown again. Use it as: Authorization: Bearer <key>")
