"""`manage.py create_user --email E --password P [--tier 0-4] [--tenant SLUG --role ROLE]`."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from apps.accounts.management.errors import command_error
from apps.accounts.models import Membership, Tier
from apps.accounts.services import membership_set, user_create
from apps.tenancy.models import Tenant

TIERS = ", ".join(f"{t.value} {t.label.lower()}" for t in Tier)


class Command(BaseCommand):
    help = "Create a user (platform tier and, optionally, a role in one tenant)."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--tier", type=int, default=Tier.NONE, help=f"Platform tier: {TIERS}. Default 0.")
        parser.add_argument("--full-name", default="")
        parser.add_argument("--tenant", help="Slug of a tenant to add the user to.")
        parser.add_argument("--role", help=f"Role in --tenant: {', '.join(Membership.Role.values)} (default member).")

    def handle(self, *args, **options):
        tier, slug, role = options["tier"], options["tenant"], options["role"]
        if role and not slug:
            raise CommandError("--role needs --tenant SLUG.")
        if tier not in Tier.values:
            raise CommandError(f"Unknown tier {tier}. Choose one of: {TIERS}.")
        tenant = None
        if slug:
            tenant = Tenant.objects.exclude(schema_name="public").filter(slug=slug.strip().lower()).first()
            if tenant is None:
                raise CommandError(f"No tenant with the slug “{slug}”.")
            role = (role or Membership.Role.MEMBER).strip().lower()
            if role not in Membership.Role.values:
                raise CommandError(f"Unknown role “{role}”. Choose one of: {', '.join(Membership.Role.values)}.")
        try:
            with transaction.atomic():
                user = user_create(
                    email=options["email"], password=options["password"], tier=tier, full_name=options["full_name"]
                )
                if tenant is not None:
                    membership_set(user=user, tenant=tenant, role=role)
        except ValidationError as exc:
            raise command_error(exc) from exc
        where = f", {role} of {tenant.slug}" if tenant else ""
        self.stdout.write(self.style.SUCCESS(f"Created {user.email} ({Tier(user.tier).label.lower()}{where})."))
        if user.requires_mfa:
            self.stdout.write("MFA is required for this tier: the first sign-in asks to enrol an authenticator app.")
