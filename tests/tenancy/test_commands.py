"""`manage.py create_tenant`: a thin command over tenant_create, clear errors, nothing half-made."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_tenants.utils import schema_exists

from apps.tenancy.models import Domain, Tenant


def run(*args: str) -> str:
    out = StringIO()
    call_command("create_tenant", *args, stdout=out)
    return out.getvalue()


def test_create_tenant__valid__provisioned_and_url_and_time_printed(platform):
    output = run("--name", "Acme", "--slug", "acme", "--tier", "pro")

    tenant = Tenant.objects.get(slug="acme")
    assert (tenant.name, tenant.plan.code, tenant.partner) == ("Acme", "pro", None)
    assert schema_exists(tenant.schema_name)
    assert "http://acme.localhost/app/" in output
    assert "Took " in output


def test_create_tenant__partner_and_domain__managed_with_custom_primary_domain(platform, partner):
    output = run(
        "--name", "Acme", "--slug", "acme", "--tier", "starter",
        "--partner", "Partner@Example.test", "--domain", "acme.example.com",
    )  # fmt: skip

    tenant = Tenant.objects.get(slug="acme")
    assert tenant.partner == partner
    assert Domain.objects.get(tenant=tenant, is_primary=True).domain == "acme.example.com"
    assert Domain.objects.filter(tenant=tenant, domain="acme.localhost").exists()
    assert "partner@example.test" in output


def test_create_tenant__ours_not_django_tenants__takes_the_spec_options(platform):
    from django.core.management import get_commands

    assert get_commands()["create_tenant"] == "apps.tenancy"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tier", "platinum"], "Unknown plan “platinum”"),
        (["--slug", "Not A Slug"], "slug:"),
        (["--slug", "admin"], "reserved"),
        (["--slug", "x" * 41], "slug:"),
        (["--name", "x" * 121], "name:"),
        (["--name", "   "], "name:"),
        (["--partner", "nobody@example.test"], "no user with the email nobody@example.test"),
        (["--domain", "not a host"], "domain:"),
    ],
)
def test_create_tenant__bad_input__command_error_and_nothing_created(platform, args, message):
    base = {"--name": "Hooli", "--slug": "hooli", "--tier": "pro"}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    argv = [part for pair in base.items() for part in pair]

    with pytest.raises(CommandError, match=message):
        run(*argv)

    assert not Tenant.objects.exclude(schema_name="public").exists()
    assert not schema_exists("t_hooli")


def test_create_tenant__partner_is_not_a_partner__command_error(platform, user_factory):
    user_factory("owner@example.test")

    with pytest.raises(CommandError, match="not a partner"):
        run("--name", "Hooli", "--slug", "hooli", "--partner", "owner@example.test")

    assert not Tenant.objects.filter(slug="hooli").exists()


def test_create_tenant__duplicate_slug__command_error_first_tenant_untouched(platform):
    run("--name", "Acme", "--slug", "acme", "--tier", "pro")

    with pytest.raises(CommandError, match="already exists"):
        run("--name", "Other Acme", "--slug", "acme", "--tier", "free")

    assert list(Tenant.objects.filter(slug="acme").values_list("name", flat=True)) == ["Acme"]


def test_create_tenant__missing_required_option__command_error(platform):
    with pytest.raises(CommandError, match="--slug"):
        call_command("create_tenant", "--name", "Acme")
