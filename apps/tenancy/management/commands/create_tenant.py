"""`manage.py create_tenant --name N --slug S --tier T [--partner EMAIL] [--domain HOST]`.

Replaces django-tenants' interactive command of the same name (apps.tenancy comes first in
INSTALLED_APPS): this one provisions through apps.tenancy.services.tenant_create, the same path
as the admin, the API and onboarding.
"""

from __future__ import annotations

import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_exists

from apps.accounts.management.errors import command_error
from apps.accounts.models import User
from apps.tenancy.models import Plan
from apps.tenancy.schema_template import template_schema
from apps.tenancy.selectors import tenant_dashboard_url
from apps.tenancy.services import plans_ensure, tenant_create


class Command(BaseCommand):
    help = "Provision a tenant: its schema (cloned from the template), domain and plan."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="The business name.")
        parser.add_argument("--slug", required=True, help="3–40 lowercase letters, digits, hyphens; the subdomain.")
        parser.add_argument("--tier", default=Plan.Code.FREE, help=f"Plan: {', '.join(Plan.Code.values)}.")
        parser.add_argument("--partner", help="Email of the partner that manages this tenant.")
        parser.add_argument("--domain", help="An extra (custom) domain; it becomes the primary one.")
        parser.add_argument("--industry", default="")

    def handle(self, *args, **options):
        started = time.perf_counter()
        if not schema_exists(template_schema()):
            raise CommandError("The tenant template schema is missing: run `manage.py migrate` first.")
        partner = None
        if options["partner"]:
            email = options["partner"].strip()
            partner = User.objects.filter(email__iexact=email).first()
            if partner is None:
                raise CommandError(f"partner: no user with the email {email}.")
        plans_ensure()
        try:
            tenant = tenant_create(
                name=options["name"],
                slug=options["slug"],
                plan=(options["tier"] or "").strip().lower(),
                partner=partner,
                domain=options["domain"] or None,
                industry=options["industry"],
            )
        except ValidationError as exc:
            raise command_error(exc) from exc
        elapsed = time.perf_counter() - started
        managed = f", managed by {partner.email}" if partner else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"Created tenant “{tenant.name}” ({tenant.slug}) on the {tenant.plan.code} plan{managed}."
            )
        )
        self.stdout.write(f"URL: {tenant_dashboard_url(tenant)}")
        if options["domain"]:
            self.stdout.write(f"Custom domain: {options['domain'].strip().lower()}")
        self.stdout.write(f"Took {elapsed:.2f}s")
