"""“View as tenant”: who may impersonate whom, the flow on the tenant host, the audit trail,
the bar with its stop button, and the admin buttons that start it."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.models import Tier
from apps.audit.models import AuditEvent
from apps.governance.impersonation import may_impersonate
from apps.tenancy.selectors import tenant_dashboard_url
from tests.governance.conftest import tenant_host


def view_as_path(user) -> str:
    return f"/app/support/view-as/{user.pk}/"


# --------------------------------------------------------------------------- the rule


def test_permission_check__configured__is_ours():
    assert settings.HIJACK_PERMISSION_CHECK == "apps.governance.impersonation.may_impersonate"


@pytest.mark.parametrize(
    ("target_tier", "allowed"),
    [
        (Tier.NONE, True),
        (Tier.PARTNER, False),
        (Tier.SUPPORT, False),
        (Tier.PLATFORM_ADMIN, False),
        (Tier.SUPER_ADMIN, False),
    ],
)
def test_may_impersonate__verified_super_admin__only_tenant_users(signed_in, root, user_factory, target_tier, allowed):
    target = user_factory(tier=target_tier)
    hijacker = _verified_user(signed_in, root)

    assert may_impersonate(hijacker=hijacker, hijacked=target) is allowed


def test_may_impersonate__superuser_flag_on_a_tenant_user__refused(signed_in, agent, user_factory):
    target = user_factory(tier=Tier.NONE, is_superuser=True)

    assert may_impersonate(hijacker=_verified_user(signed_in, agent), hijacked=target) is False


@pytest.mark.parametrize("hijacker_tier", [Tier.NONE, Tier.PARTNER])
def test_may_impersonate__below_support_tier__refused(signed_in, user_factory, member, hijacker_tier):
    hijacker = user_factory(tier=hijacker_tier)

    assert may_impersonate(hijacker=_verified_user(signed_in, hijacker), hijacked=member) is False


def test_may_impersonate__support_agent_without_verified_session__refused(agent, member):
    agent.is_verified = lambda: False

    assert may_impersonate(hijacker=agent, hijacked=member) is False


def _verified_user(signed_in, user):
    """The user as the request sees it after a TOTP-verified sign-in."""
    user.is_verified = lambda: True
    return user


# --------------------------------------------------------------------------- the flow on the tenant host


def test_view_as__verified_agent__becomes_the_member_with_a_bar_and_an_audit_record(signed_in, acme, member, agent):
    client = signed_in(agent, tenant_host(acme))

    confirm = client.get(view_as_path(member))
    start = client.post(view_as_path(member))
    dashboard = client.get("/app/")

    # Then the agent confirmed, landed on the dashboard as the member, with the bar on top
    assert confirm.status_code == 200
    assert 'data-testid="view-as-start"' in confirm.content.decode()
    assert start.status_code == 302
    assert start["Location"] == "/app/"
    html = dashboard.content.decode()
    assert dashboard.status_code == 200
    assert dashboard.wsgi_request.user == member
    assert 'data-testid="impersonation-banner"' in html
    assert "agent@bizosaas.test" in html
    assert "mia@acme.test" in html
    assert 'action="/accounts/view-as/stop/"' in html
    event = AuditEvent.objects.get(action="impersonation.start")
    assert (event.actor, event.target_id, event.tenant_slug) == (agent, str(member.pk), "acme")


def test_view_as_stop__from_the_bar__agent_again_still_verified_and_audited(signed_in, acme, member, agent):
    client = signed_in(agent, tenant_host(acme))
    client.post(view_as_path(member))

    stop = client.post("/accounts/view-as/stop/", {"next": "/app/"})
    after = client.get("/app/")

    assert stop.status_code == 302
    assert stop["Location"] == "/app/"
    # Back as the agent, whose MFA-verified state survived (no detour to the code step)
    assert after.status_code == 200
    assert after.wsgi_request.user == agent
    assert 'data-testid="impersonation-banner"' not in after.content.decode()
    event = AuditEvent.objects.get(action="impersonation.stop")
    assert (event.actor, event.target_id, event.tenant_slug) == (agent, str(member.pk), "acme")


@pytest.mark.parametrize("target_tier", [Tier.PLATFORM_ADMIN, Tier.SUPER_ADMIN])
def test_view_as__admin_or_super_admin_target__403_and_session_unchanged(
    signed_in, acme, agent, user_factory, target_tier
):
    target = user_factory(tier=target_tier, tenant=acme)
    client = signed_in(agent, tenant_host(acme))

    response = client.post(view_as_path(target))

    assert response.status_code == 403
    assert "can never be impersonated" in response.content.decode()
    assert client.get("/app/").wsgi_request.user == agent
    assert not AuditEvent.objects.filter(action="impersonation.start").exists()


def test_view_as__user_of_another_tenant__403(signed_in, acme, globex, agent, user_factory):
    outsider = user_factory(email="g@globex.test", tenant=globex)

    response = signed_in(agent, tenant_host(acme)).post(view_as_path(outsider))

    assert response.status_code == 403
    assert "not a member of Acme" in response.content.decode()


def test_view_as__session_not_mfa_verified__held_at_the_code_step(signed_in, acme, member, agent):
    TOTPDevice.objects.create(user=agent, name="phone", confirmed=True)
    client = signed_in(agent, tenant_host(acme), verified=False)

    response = client.post(view_as_path(member))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/verify/")
    assert client.get("/accounts/login/").wsgi_request.user == agent
    assert not AuditEvent.objects.filter(action="impersonation.start").exists()


def test_view_as__anonymous__sent_to_sign_in_on_that_host(acme, member):
    response = Client(HTTP_HOST=tenant_host(acme)).get(view_as_path(member))

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next=%2Fapp%2Fsupport%2Fview-as%2F{member.pk}%2F"


@pytest.mark.parametrize("tier", [Tier.NONE, Tier.PARTNER])
def test_view_as__not_support_staff__403(signed_in, acme, member, user_factory, tier):
    someone = user_factory(tier=tier, tenant=acme)

    response = signed_in(someone, tenant_host(acme)).post(view_as_path(member))

    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="impersonation.start").exists()


def test_view_as__on_the_platform_host__no_such_page(signed_in, agent, member):
    assert signed_in(agent).get(view_as_path(member)).status_code == 404


# --------------------------------------------------------------------------- admin buttons


def test_admin_user_list__view_as_column__only_for_tenant_users(signed_in, agent, member, ops):
    html = signed_in(agent).get("/admin/accounts/user/").content.decode()

    assert f'href="/admin/accounts/user/{member.pk}/view-as/"' in html
    assert f'href="/admin/accounts/user/{ops.pk}/view-as/"' not in html


def test_admin_user_view_as__one_membership__redirects_to_that_tenants_host(signed_in, agent, acme, member):
    response = signed_in(agent).get(f"/admin/accounts/user/{member.pk}/view-as/")

    assert response.status_code == 302
    assert response["Location"] == f"{tenant_dashboard_url(acme)}support/view-as/{member.pk}/"
    assert response["Location"].startswith("http://acme.localhost")


def test_admin_user_view_as__several_memberships__offers_each_tenant(signed_in, agent, acme, globex, member):
    from apps.accounts.services import membership_set

    membership_set(user=member, tenant=globex, role="viewer")

    response = signed_in(agent).get(f"/admin/accounts/user/{member.pk}/view-as/")

    html = response.content.decode()
    assert response.status_code == 200
    assert f"{tenant_dashboard_url(acme)}support/view-as/{member.pk}/" in html
    assert f"{tenant_dashboard_url(globex)}support/view-as/{member.pk}/" in html


def test_admin_user_view_as__platform_admin_target__refused(signed_in, agent, ops):
    response = signed_in(agent).get(f"/admin/accounts/user/{ops.pk}/view-as/")

    assert response.status_code == 403


def test_admin_membership_list__view_as_link__points_at_the_tenant_host(signed_in, agent, acme, member):
    html = signed_in(agent).get("/admin/accounts/membership/").content.decode()

    assert f'href="{tenant_dashboard_url(acme)}support/view-as/{member.pk}/"' in html


def test_admin_membership_view_as__button__redirects_to_the_tenant_host(signed_in, agent, acme, member):
    membership = member.memberships.get()

    response = signed_in(agent).get(f"/admin/accounts/membership/{membership.pk}/view-as/")

    assert response.status_code == 302
    assert response["Location"] == f"{tenant_dashboard_url(acme)}support/view-as/{member.pk}/"
