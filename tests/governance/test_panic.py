"""The emergency stop without a worker process: services and their audit trail, the Redis
mirror, the command, the API, the dashboard's 423, the admin buttons, the task guard."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django_tenants.utils import tenant_context

from apps.accounts.models import Tier
from apps.audit.models import AuditEvent
from apps.dashboard.models import TenantSetting
from apps.dashboard.tasks import tenant_setting_set_task
from apps.governance.models import PanicState, SkippedTask
from apps.governance.panic import panic_for_schema, panic_for_tenant
from apps.governance.services import panic_engage, panic_release, skipped_tasks_rerun
from apps.governance.tasks import DRILL_SETTING, panic_drill
from tests.governance.conftest import tenant_host

# --------------------------------------------------------------------------- services and mirror


def test_panic_engage__tenant__held_in_the_mirror_and_audited(acme, globex, ops):
    state, engaged = panic_engage(tenant=acme, actor=ops, reason="runaway campaign")

    assert engaged is True
    assert panic_for_tenant(acme).reason == "runaway campaign"
    assert panic_for_tenant(globex) is None
    event = AuditEvent.objects.get(action="panic.engage")
    assert (event.actor, event.tenant_slug, event.reason) == (ops, "acme", "runaway campaign")
    assert state.by_email == "ops@bizosaas.test"


def test_panic_engage__twice__one_state_one_audit_record(acme, ops):
    first, _ = panic_engage(tenant=acme, actor=ops)
    second, engaged = panic_engage(tenant=acme, actor=ops)

    assert engaged is False
    assert first.pk == second.pk
    assert PanicState.objects.filter(active=True).count() == 1
    assert AuditEvent.objects.filter(action="panic.engage").count() == 1


def test_panic_release__tenant__lifted_history_kept_and_audited(acme, ops):
    panic_engage(tenant=acme, actor=ops)

    released = panic_release(tenant=acme, actor=ops, reason="fixed")

    assert panic_for_tenant(acme) is None
    assert released.active is False
    assert released.released_by == ops
    assert PanicState.objects.count() == 1
    event = AuditEvent.objects.get(action="panic.release")
    assert (event.actor, event.tenant_slug, event.reason) == (ops, "acme", "fixed")


def test_panic_release__not_panicked__none_and_no_audit(acme, ops):
    assert panic_release(tenant=acme, actor=ops) is None
    assert not AuditEvent.objects.filter(action="panic.release").exists()


def test_panic_global__every_schema_held_public_too(acme, globex, root):
    panic_engage(tenant=None, actor=root, reason="incident 42")

    assert panic_for_tenant(acme).is_global
    assert panic_for_tenant(globex).is_global
    assert panic_for_schema("public").reason == "incident 42"
    assert AuditEvent.objects.get(action="panic.engage").target_type == "governance.panicstate"


def test_panic_mirror__redis_lost_it__rebuilt_from_the_table_not_lifted(acme, ops):
    panic_engage(tenant=acme, actor=ops)

    cache.clear()

    assert panic_for_tenant(acme) is not None


def test_panic_engage__platform_itself__refused(platform):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        panic_engage(tenant=platform, actor=None)


# --------------------------------------------------------------------------- the task guard (in process)


def test_guarded_task__tenant_panicked__not_run_but_recorded_with_its_arguments(acme, ops):
    panic_engage(tenant=acme, actor=ops, reason="drill")

    with tenant_context(acme):
        result = tenant_setting_set_task.apply(args=["industry", {"name": "Retail"}])
        assert not TenantSetting.objects.filter(key="industry").exists()

    assert result.state == "IGNORED"
    skipped = SkippedTask.objects.get()
    assert skipped.task_name == "apps.dashboard.tasks.tenant_setting_set_task"
    assert (skipped.args, skipped.kwargs) == (["industry", {"name": "Retail"}], {})
    assert (skipped.schema_name, skipped.tenant, skipped.kind) == (acme.schema_name, acme, "skipped")
    assert "drill" in skipped.reason


def test_guarded_task__other_tenant_panicked__runs(acme, globex, ops):
    panic_engage(tenant=globex, actor=ops)

    with tenant_context(acme):
        tenant_setting_set_task.apply(args=["industry", {"name": "Retail"}])
        assert TenantSetting.objects.get(key="industry").value == {"name": "Retail"}
    assert not SkippedTask.objects.exists()


def test_guarded_task__called_as_a_plain_function__not_guarded(acme, ops):
    # Code that calls the function directly is not a queued task; the guard is for the queue.
    panic_engage(tenant=acme, actor=ops)

    with tenant_context(acme):
        tenant_setting_set_task("industry", {"name": "Retail"})
        assert TenantSetting.objects.filter(key="industry").exists()


def test_rerun__tenant_still_panicked__refused_and_rows_kept(acme, ops):
    from django.core.exceptions import ValidationError

    panic_engage(tenant=acme, actor=ops)
    with tenant_context(acme):
        panic_drill.apply(kwargs={"steps": 1, "step_seconds": 0})

    with pytest.raises(ValidationError):
        skipped_tasks_rerun(actor=ops, tenant=acme)
    assert SkippedTask.objects.get().rerun_at is None


def test_raise_if_cancelled__outside_a_task__raises_only_when_panicked(acme, ops):
    from apps.governance.tasks_base import TaskCancelled, raise_if_cancelled

    with tenant_context(acme):
        raise_if_cancelled()  # nothing to stop
        panic_engage(tenant=acme, actor=ops)
        with pytest.raises(TaskCancelled):
            raise_if_cancelled()
        assert not TenantSetting.objects.filter(key=DRILL_SETTING).exists()


# --------------------------------------------------------------------------- command


def test_panic_command__tenant_then_release__state_and_audit_follow(acme, capsys):
    call_command("panic", "--tenant", "acme", "--reason", "drill")
    assert panic_for_tenant(acme).reason == "drill"

    call_command("panic", "--status")
    assert "STOPPED tenant acme" in capsys.readouterr().out

    call_command("panic", "--release", "--tenant", "acme")
    assert panic_for_tenant(acme) is None
    panic_events = AuditEvent.objects.filter(action__startswith="panic.").order_by("id")
    assert list(panic_events.values_list("action", "tenant_slug")) == [
        ("panic.engage", "acme"),
        ("panic.release", "acme"),
    ]


def test_panic_command__all__global_switch_and_release_keeps_tenant_stops(acme, globex):
    call_command("panic", "--tenant", "acme")
    call_command("panic", "--all", "--reason", "incident")
    assert panic_for_tenant(globex).is_global

    call_command("panic", "--release", "--all")

    assert panic_for_tenant(globex) is None
    assert panic_for_tenant(acme) is not None  # stopped on its own, still stopped


def test_panic_command__actor_email__recorded_in_the_audit_log(acme, ops):
    call_command("panic", "--tenant", "acme", "--actor", ops.email)

    assert AuditEvent.objects.get(action="panic.engage").actor == ops


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "Name a scope"),
        (["--tenant", "nope"], "No tenant with the slug"),
        (["--tenant", "acme", "--all"], "not allowed with"),
        (["--tenant", "acme", "--actor", "ghost@example.test"], "No user with the email"),
    ],
)
def test_panic_command__bad_input__clear_error_nothing_changed(acme, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("panic", *args)
    assert not PanicState.objects.exists()


def test_panic_command__rerun_while_still_panicked__refused(acme):
    call_command("panic", "--tenant", "acme")

    with pytest.raises(CommandError, match="still panicked"):
        call_command("panic", "--rerun", "--tenant", "acme")


# --------------------------------------------------------------------------- API


@pytest.fixture
def api_as(platform, user_factory):
    from rest_framework.test import APIClient

    from apps.accounts.services import api_key_create

    def make(user):
        client = APIClient(HTTP_HOST="localhost")
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_create(user=user, name='t')[1]}")
        return client

    return make


def test_panic_api__platform_admin__engage_then_release_with_delete(api_as, acme, ops):
    client = api_as(ops)

    engaged = client.post("/api/v1/tenants/acme/panic/", {"reason": "spam burst"}, format="json")
    again = client.post("/api/v1/tenants/acme/panic/", {}, format="json")
    released = client.delete("/api/v1/tenants/acme/panic/")

    assert engaged.status_code == 200
    assert engaged.json()["panicked"] is True
    assert engaged.json()["changed"] is True
    assert engaged.json()["reason"] == "spam burst"
    assert again.json()["changed"] is False
    assert released.status_code == 200
    assert released.json()["panicked"] is False
    assert released.json()["changed"] is True
    assert list(
        AuditEvent.objects.filter(action__startswith="panic.").order_by("id").values_list("action", flat=True)
    ) == [
        "panic.engage",
        "panic.release",
    ]


@pytest.mark.parametrize("who", ["partner", "support"])
def test_panic_api__partner_or_support_agent__403_nothing_changes(api_as, acme, partner, agent, who):
    client = api_as(partner if who == "partner" else agent)

    engage = client.post("/api/v1/tenants/acme/panic/", {}, format="json")
    release = client.delete("/api/v1/tenants/acme/panic/")

    assert engage.status_code == 403
    assert release.status_code == 403
    assert engage.json()["error"] == "permission_denied"
    assert not PanicState.objects.exists()


def test_panic_api__partner_on_another_partners_tenant__404(api_as, partner, initech):
    response = api_as(partner).post("/api/v1/tenants/initech/panic/", {}, format="json")

    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_panic_api__unknown_tenant__404(api_as, ops, platform):
    assert api_as(ops).post("/api/v1/tenants/nope/panic/", {}, format="json").status_code == 404


def test_panic_api__partner_reads_its_tenants_state(api_as, acme, partner, ops):
    panic_engage(tenant=acme, actor=ops, reason="drill")

    body = api_as(partner).get("/api/v1/tenants/acme/panic/").json()

    assert (body["panicked"], body["held"], body["reason"]) == (True, True, "drill")


def test_panic_api__unknown_field__400(api_as, acme, ops):
    response = api_as(ops).post("/api/v1/tenants/acme/panic/", {"relase": True}, format="json")

    assert response.status_code == 400
    assert not PanicState.objects.exists()


def test_panic_api__openapi_schema__documents_post_and_delete(platform):
    from django.test import Client

    schema = Client(HTTP_HOST="localhost").get("/api/schema/?format=json").json()

    operations = schema["paths"]["/api/v1/tenants/{slug}/panic/"]
    assert {"get", "post", "delete"} <= set(operations)
    assert "Release" in operations["delete"]["summary"]


def test_tenant_scoped_api__tenant_panicked__423_until_released(api_as, acme, globex, partner, ops):
    client = api_as(partner)
    panic_engage(tenant=acme, actor=ops)

    locked = client.get("/api/v1/tenants/acme/members/")
    other = client.get("/api/v1/tenants/globex/members/")
    panic_release(tenant=acme, actor=ops)
    after = client.get("/api/v1/tenants/acme/members/")

    assert locked.status_code == 423
    assert locked.json()["error"] == "locked"
    assert "emergency stop" in locked.json()["message"]
    assert other.status_code == 200
    assert after.status_code == 200


def test_tenant_scoped_api__global_panic__423_for_every_tenant(api_as, acme, globex, partner, root):
    client = api_as(partner)
    panic_engage(tenant=None, actor=root)

    assert client.get("/api/v1/tenants/acme/members/").status_code == 423
    assert client.get("/api/v1/tenants/globex/members/").status_code == 423
    # the stop itself stays reachable, so it can be read (and released by an admin)
    assert client.get("/api/v1/tenants/acme/panic/").json()["global_panic"] is True


# --------------------------------------------------------------------------- dashboard writes


def test_dashboard__panicked_tenant__writes_423_reads_and_sign_out_still_work(signed_in, acme, member, ops):
    client = signed_in(member, tenant_host(acme))
    panic_engage(tenant=acme, actor=ops)

    write = client.post("/app/settings/profile/", {"full_name": "Changed"})
    read = client.get("/app/")
    sign_out = client.post("/accounts/logout/")

    assert write.status_code == 423
    assert 'data-testid="tenant-panicked"' in write.content.decode()
    member.refresh_from_db()
    assert member.full_name == "Mia Member"
    assert read.status_code == 200
    assert sign_out.status_code == 302


def test_dashboard__global_panic_then_release__writes_work_again(signed_in, acme, member, root):
    client = signed_in(member, tenant_host(acme))
    panic_engage(tenant=None, actor=root)
    assert client.post("/app/settings/profile/", {"full_name": "Changed"}).status_code == 423

    panic_release(tenant=None, actor=root)
    response = client.post("/app/settings/profile/", {"full_name": "Changed"})

    assert response.status_code == 302
    member.refresh_from_db()
    assert member.full_name == "Changed"


def test_dashboard__other_tenant_panicked__writes_work(signed_in, acme, globex, member, ops):
    panic_engage(tenant=globex, actor=ops)

    response = signed_in(member, tenant_host(acme)).post("/app/settings/profile/", {"full_name": "Changed"})

    assert response.status_code == 302


# --------------------------------------------------------------------------- admin


def test_admin_tenant__platform_admin__emergency_stop_button_then_release(signed_in, acme, ops):
    client = signed_in(ops)
    change = f"/admin/tenancy/tenant/{acme.pk}/change/"
    assert f"/admin/tenancy/tenant/{acme.pk}/panic/" in client.get(change).content.decode()

    confirm = client.get(f"/admin/tenancy/tenant/{acme.pk}/panic/")
    stop = client.post(f"/admin/tenancy/tenant/{acme.pk}/panic/", {"reason": "abuse report"})

    assert confirm.status_code == 200
    assert stop.status_code == 302
    assert panic_for_tenant(acme).reason == "abuse report"
    html = client.get(change).content.decode()
    assert f"/admin/tenancy/tenant/{acme.pk}/release-panic/" in html
    assert f"/admin/tenancy/tenant/{acme.pk}/panic/" not in html

    client.post(f"/admin/tenancy/tenant/{acme.pk}/release-panic/", {"reason": ""})
    assert panic_for_tenant(acme) is None
    assert AuditEvent.objects.filter(action__in=["panic.engage", "panic.release"], actor=ops).count() == 2


def test_admin_tenant__support_agent__no_button_and_post_forbidden(signed_in, acme, agent):
    client = signed_in(agent)

    html = client.get(f"/admin/tenancy/tenant/{acme.pk}/change/").content.decode()
    response = client.post(f"/admin/tenancy/tenant/{acme.pk}/panic/", {"reason": "x"})

    assert f"/admin/tenancy/tenant/{acme.pk}/panic/" not in html
    assert response.status_code == 403
    assert panic_for_tenant(acme) is None


@pytest.mark.parametrize(("tier", "allowed"), [(Tier.PLATFORM_ADMIN, False), (Tier.SUPER_ADMIN, True)])
def test_admin_global_stop__only_super_admins(signed_in, user_factory, acme, tier, allowed):
    client = signed_in(user_factory(tier=tier))

    response = client.post("/admin/governance/panicstate/panic-all/", {"reason": "incident"})

    assert (response.status_code == 302) is allowed
    assert (panic_for_tenant(acme) is not None) is allowed


def test_admin_skipped_tasks__platform_admin__rerun_action_requeues_after_release(
    signed_in, acme, ops, django_capture_on_commit_callbacks
):
    panic_engage(tenant=acme, actor=ops)
    with tenant_context(acme):
        panic_drill.apply(kwargs={"steps": 1, "step_seconds": 0})
    skipped = SkippedTask.objects.get()
    panic_release(tenant=acme, actor=ops)
    client = signed_in(ops)

    from unittest import mock

    with (
        mock.patch("config.celery.app.send_task") as send_task,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(
            "/admin/governance/skippedtask/", {"action": "rerun_selected", "_selected_action": [skipped.pk]}
        )

    assert response.status_code == 302
    skipped.refresh_from_db()
    assert skipped.rerun_at is not None
    send_task.assert_called_once()
    name = send_task.call_args.args[0]
    assert name == "apps.governance.tasks.panic_drill"
    assert send_task.call_args.kwargs["headers"] == {"_schema_name": acme.schema_name}
    assert send_task.call_args.kwargs["kwargs"] == {"steps": 1, "step_seconds": 0}
    assert AuditEvent.objects.filter(action="panic.rerun", tenant_slug="acme").exists()


def test_admin_governance_pages__super_admin__lists_render_with_the_fleet_switch(signed_in, acme, root, ops):
    panic_engage(tenant=acme, actor=ops, reason="abuse")
    with tenant_context(acme):
        panic_drill.apply(kwargs={"steps": 1, "step_seconds": 0})
    client = signed_in(root)

    states = client.get("/admin/governance/panicstate/")
    skipped = client.get("/admin/governance/skippedtask/")
    detail = client.get(f"/admin/governance/skippedtask/{SkippedTask.objects.get().pk}/change/")

    assert states.status_code == skipped.status_code == detail.status_code == 200
    assert "/admin/governance/panicstate/panic-all/" in states.content.decode()
    assert "abuse" in states.content.decode()
    assert "apps.governance.tasks.panic_drill" in skipped.content.decode()
