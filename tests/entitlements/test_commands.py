"""`manage.py flags …`: success paths and bad input (CommandError)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from apps.accounts.models import Tier
from apps.audit.models import AuditEvent
from apps.entitlements.models import Feature, Grant


def flags(*args) -> str:
    out = StringIO()
    call_command("flags", *args, stdout=out)
    return out.getvalue()


def test_flags_create__stage_beta__created_and_audited(platform):
    output = flags("create", "crm.kanban", "--stage", "beta", "--rollout", "20")

    feature = Feature.objects.get(key="crm.kanban")
    assert (feature.stage, feature.rollout_percentage) == ("beta", 20)
    assert "Created crm.kanban at beta" in output
    assert AuditEvent.objects.filter(action="feature.create", target_repr="crm.kanban", actor__isnull=True).exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create", "Bad Key"], "not a valid key"),
        (["create", "crm.kanban", "--requires", "nope"], "Unknown feature"),
        (["create", "crm.kanban", "--rollout", "150"], "0 to 100"),
    ],
)
def test_flags_create__bad_input__command_error(platform, args, message):
    with pytest.raises(CommandError, match=message):
        flags(*args)

    assert not Feature.objects.filter(key="crm.kanban").exists()


def test_flags_create__unknown_stage__argparse_error(platform):
    with pytest.raises(CommandError, match="invalid choice"):
        flags("create", "crm.kanban", "--stage", "gamma")


def test_flags_list__features__one_line_each(platform):
    flags("create", "crm.kanban", "--stage", "beta")
    flags("create", "inbox.ai", "--stage", "alpha", "--requires", "crm.kanban")

    output = flags("list")

    lines = {line.split()[0]: line for line in output.splitlines()[1:]}
    assert "beta" in lines["crm.kanban"]
    assert "alpha" in lines["inbox.ai"]
    assert lines["inbox.ai"].rstrip().endswith("crm.kanban")
    assert "quanttrade" in lines


def test_flags_promote__twice__beta_then_ga_then_error(platform):
    flags("create", "crm.kanban")

    assert "now beta" in flags("promote", "crm.kanban")
    assert "now ga" in flags("promote", "crm.kanban")
    with pytest.raises(CommandError, match="no next stage"):
        flags("promote", "crm.kanban")


def test_flags_kill_unkill__feature__switch_toggled_and_errors_on_repeat(platform):
    flags("create", "crm.kanban", "--stage", "ga")

    assert "killed" in flags("kill", "crm.kanban", "--reason", "incident")
    assert Feature.objects.get(key="crm.kanban").killed is True
    with pytest.raises(CommandError, match="already killed"):
        flags("kill", "crm.kanban")
    flags("unkill", "crm.kanban")
    assert Feature.objects.get(key="crm.kanban").killed is False
    assert AuditEvent.objects.get(action="feature.kill").reason == "incident"


@pytest.mark.parametrize("verb", ["promote", "kill", "unkill", "explain"])
def test_flags__unknown_feature__command_error(platform, user_factory, verb):
    user_factory("ann@acme.test")
    extra = ["--user", "ann@acme.test"] if verb == "explain" else []

    with pytest.raises(CommandError, match="No feature “nope”"):
        flags(verb, "nope", *extra)


def test_flags_grant__each_target__granted(platform, acme, partner, user_factory):
    user_factory("ann@acme.test")
    flags("create", "crm.kanban", "--stage", "beta")

    out = [
        flags("grant", "crm.kanban", "--tenant", "acme", "--expires", "2099-12-31"),
        flags("grant", "crm.kanban", "--user", "ANN@acme.test"),
        flags("grant", "crm.kanban", "--partner", "partner@example.test"),
        flags("grant", "crm.kanban", "--tier", "enterprise"),
    ]

    assert "Granted crm.kanban to tenant acme until 2100-01-01 00:00 UTC" in out[0]
    assert sorted(Grant.objects.values_list("target_type", flat=True)) == ["partner", "tenant", "tier", "user"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tenant", "nowhere"], "no tenant “nowhere”"),
        (["--user", "ghost@example.test"], "no user with the email"),
        (["--partner", "ann@acme.test"], "is not a partner"),
        (["--tier", "platinum"], "Unknown plan tier"),
        (["--tenant", "acme", "--expires", "31/12/2099"], "is not a date"),
        (["--tenant", "acme", "--expires", "2001-01-01"], "in the future"),
    ],
)
def test_flags_grant__bad_input__command_error_and_nothing_granted(platform, acme, user_factory, args, message):
    user_factory("ann@acme.test")
    flags("create", "crm.kanban", "--stage", "beta")

    with pytest.raises(CommandError, match=message):
        flags("grant", "crm.kanban", *args)

    assert not Grant.objects.exists()


def test_flags_grant__two_targets__argparse_refuses(platform, acme):
    flags("create", "crm.kanban", "--stage", "beta")

    with pytest.raises(CommandError, match="not allowed with argument"):
        flags("grant", "crm.kanban", "--tenant", "acme", "--tier", "pro")


def test_flags_revoke__existing_grant__removed(platform, acme):
    flags("create", "crm.kanban", "--stage", "beta")
    flags("grant", "crm.kanban", "--tier", "pro")

    assert "Removed the grant of crm.kanban to tier pro" in flags("revoke", "crm.kanban", "--tier", "pro")
    assert not Grant.objects.exists()
    with pytest.raises(CommandError, match="no such grant"):
        flags("revoke", "crm.kanban", "--tier", "pro")


def test_flags_explain__granted_tenant__on_with_rule(platform, acme, user_factory):
    user_factory("ann@acme.test", tenant=acme)
    flags("create", "crm.kanban", "--stage", "beta")
    flags("grant", "crm.kanban", "--tenant", "acme")

    output = flags("explain", "crm.kanban", "--user", "ann@acme.test", "--tenant", "acme")

    lines = output.splitlines()
    assert lines[0] == "ON"
    assert lines[1].startswith("rule: grant_tenant — a beta grant to the tenant")
    assert "user ann@acme.test, tenant acme" in lines[2]


def test_flags_explain__alpha_for_a_tenant_user_then_super_admin__off_then_on(platform, acme, user_factory):
    user_factory("ann@acme.test", tenant=acme)
    user_factory("root@bizosaas.test", tier=Tier.SUPER_ADMIN)
    flags("create", "crm.kanban", "--stage", "alpha")

    member = flags("explain", "crm.kanban", "--user", "ann@acme.test", "--tenant", "acme").splitlines()
    staff = flags("explain", "crm.kanban", "--user", "root@bizosaas.test").splitlines()

    assert (member[0], member[1].split()[1]) == ("OFF", "alpha_only")
    assert (staff[0], staff[1].split()[1]) == ("ON", "alpha_guard")


def test_flags_explain__missing_user_option__command_error(platform):
    flags("create", "crm.kanban")

    with pytest.raises(CommandError, match="--user"):
        flags("explain", "crm.kanban")
