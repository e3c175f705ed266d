"""The admin: features with stage badges, promote / kill behind a confirmation and audited,
grants inline, the "who sees this?" preview, the stale report, the QuantTrade whitelist."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from apps.accounts.models import Tier
from apps.audit.models import AuditEvent
from apps.entitlements import services
from apps.entitlements.models import Feature, Grant, QuantTradeWhitelistEntry

CHANGELIST = "/admin/entitlements/feature/"
WHITELIST = "/admin/entitlements/quanttradewhitelistentry/"
STAGE_BADGE_RE = re.compile(r'field-stage_badge.*?<span class="([^"]*)"[^>]*>\s*(\w+)\s*</span>', re.S)


@pytest.fixture
def staff_client(platform, user_factory, login_verified):
    def make(tier: int, email: str | None = None):
        user = user_factory(email=email, tier=tier)
        client = Client(HTTP_HOST="localhost")
        login_verified(client, user)
        return client, user

    return make


def _url(feature, action: str = "change") -> str:
    return f"{CHANGELIST}{feature.pk}/{action}/"


# --------------------------------------------------------------------------- list


def test_feature_list__support_agent__every_feature_with_its_stage_badge(feature, staff_client):
    feature("crm.kanban", stage="alpha")
    feature("inbox.ai", stage="beta")
    feature("site.sync", stage="ga")
    client, _ = staff_client(Tier.SUPPORT)

    html = client.get(CHANGELIST).content.decode()

    badges = {label: css for css, label in STAGE_BADGE_RE.findall(html)}
    assert "bg-red-100" in badges["Alpha"]
    assert "bg-orange-100" in badges["Beta"]
    assert "bg-green-100" in badges["GA"]


def test_feature_add__platform_admin__created_through_the_service_and_audited(platform, staff_client):
    client, admin = staff_client(Tier.PLATFORM_ADMIN)

    response = client.post(
        f"{CHANGELIST}add/",
        {"key": "crm.kanban", "name": "Kanban", "description": "", "stage": "beta", "rollout_percentage": "10"},
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    assert Feature.objects.get(key="crm.kanban").stage == "beta"
    assert AuditEvent.objects.get(action="feature.create", target_repr="crm.kanban").actor_email == admin.email


def test_feature_add__bad_key__form_error_and_nothing_created(platform, staff_client):
    client, _ = staff_client(Tier.PLATFORM_ADMIN)
    before = Feature.objects.count()

    response = client.post(
        f"{CHANGELIST}add/", {"key": "Bad Key", "name": "x", "stage": "alpha", "rollout_percentage": "0"}
    )

    assert response.status_code == 200
    assert "not a valid key" in response.content.decode()
    assert Feature.objects.count() == before


# --------------------------------------------------------------------------- promote / kill


def test_feature_promote__get__confirmation_page_and_nothing_changes(feature, staff_client):
    f = feature("crm.kanban", stage="alpha")
    client, _ = staff_client(Tier.PLATFORM_ADMIN)

    response = client.get(_url(f, "promote"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Promote crm.kanban to Beta?" in html
    assert 'name="confirm"' in html
    assert Feature.objects.get(pk=f.pk).stage == "alpha"
    assert not AuditEvent.objects.filter(action="feature.promote").exists()


def test_feature_promote__confirmed__beta_and_audited_with_actor_and_reason(feature, staff_client):
    f = feature("crm.kanban", stage="alpha")
    client, admin = staff_client(Tier.PLATFORM_ADMIN)

    response = client.post(_url(f, "promote"), {"confirm": "yes", "reason": "QA passed"})

    assert response.status_code == 302
    assert Feature.objects.get(pk=f.pk).stage == "beta"
    event = AuditEvent.objects.get(action="feature.promote")
    assert (event.actor_email, event.reason, event.before["stage"], event.after["stage"]) == (
        admin.email,
        "QA passed",
        "alpha",
        "beta",
    )


def test_feature_kill__confirmed_without_reason__asked_again_and_unchanged(feature, staff_client):
    f = feature("crm.kanban", stage="ga")
    client, _ = staff_client(Tier.PLATFORM_ADMIN)

    response = client.post(_url(f, "kill"), {"confirm": "yes", "reason": ""})

    assert response.status_code == 400
    assert Feature.objects.get(pk=f.pk).killed is False


def test_feature_kill__confirmed_with_reason__off_for_everyone_and_audited(feature, acme, staff_client, super_admin):
    from apps.entitlements.context import entitlements_for

    f = feature("crm.kanban", stage="ga")
    client, admin = staff_client(Tier.PLATFORM_ADMIN)
    confirm = client.get(_url(f, "kill")).content.decode()
    assert "Kill crm.kanban?" in confirm

    response = client.post(_url(f, "kill"), {"confirm": "yes", "reason": "incident 42"})

    assert response.status_code == 302
    assert Feature.objects.get(pk=f.pk).killed is True
    assert entitlements_for(user=super_admin, tenant=acme).is_on("crm.kanban") is False
    event = AuditEvent.objects.get(action="feature.kill")
    assert (event.actor_email, event.reason) == (admin.email, "incident 42")
    assert client.get(_url(f, "kill")).status_code == 403  # already killed: only unkill is offered
    assert client.post(_url(f, "unkill"), {"confirm": "yes"}).status_code == 302
    assert Feature.objects.get(pk=f.pk).killed is False


@pytest.mark.parametrize("verb", ["promote", "kill", "retire"])
def test_feature_verbs__support_agent__forbidden_and_unchanged(feature, staff_client, verb):
    f = feature("crm.kanban", stage="beta")
    client, _ = staff_client(Tier.SUPPORT)

    response = client.post(_url(f, verb), {"confirm": "yes", "reason": "because"})

    assert response.status_code == 403
    f.refresh_from_db()
    assert (f.stage, f.killed) == ("beta", False)


def test_feature_change_page__state_panel_and_offered_actions(feature, staff_client):
    f = feature("crm.kanban", stage="beta", rollout_percentage=15)
    client, _ = staff_client(Tier.PLATFORM_ADMIN)

    html = client.get(_url(f)).content.decode()

    assert 'data-stage="beta"' in html
    assert "rollout 15% of tenants" in html
    assert _url(f, "promote") in html
    assert _url(f, "kill") in html
    assert _url(f, "unkill") not in html


# --------------------------------------------------------------------------- grants inline


def _change_form(feature, **extra) -> dict:
    data = {
        "name": feature.name,
        "description": feature.description,
        "owner": "",
        "rollout_percentage": str(feature.rollout_percentage),
        "grants-TOTAL_FORMS": "0",
        "grants-INITIAL_FORMS": "0",
        "grants-MIN_NUM_FORMS": "0",
        "grants-MAX_NUM_FORMS": "1000",
    }
    data.update(extra)
    return data


def test_grants_inline__add_tenant_grant__granted_through_the_service(feature, acme, staff_client):
    f = feature("crm.kanban", stage="beta")
    client, admin = staff_client(Tier.PLATFORM_ADMIN)

    response = client.post(
        _url(f),
        _change_form(
            f,
            **{
                "grants-TOTAL_FORMS": "1",
                "grants-0-target_type": "tenant",
                "grants-0-tenant": str(acme.pk),
                "grants-0-reason": "pilot",
            },
        ),
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    grant = Grant.objects.get(feature=f)
    assert (grant.tenant, grant.reason, grant.granted_by) == (acme, "pilot", admin)
    assert AuditEvent.objects.get(action="grant.add").tenant_slug == "acme"


def test_grants_inline__target_type_without_its_target__form_error(feature, acme, staff_client):
    f = feature("crm.kanban", stage="beta")
    client, _ = staff_client(Tier.PLATFORM_ADMIN)

    response = client.post(
        _url(f),
        _change_form(f, **{"grants-TOTAL_FORMS": "1", "grants-0-target_type": "user", "grants-0-tenant": str(acme.pk)}),
    )

    assert response.status_code == 200
    assert not Grant.objects.exists()


def test_grants_inline__delete__removed_through_the_service(feature, acme, staff_client, committed):
    f = feature("crm.kanban", stage="beta")
    grant = committed(services.grant_add, feature=f, tenant=acme)
    client, _ = staff_client(Tier.PLATFORM_ADMIN)

    response = client.post(
        _url(f),
        _change_form(
            f,
            **{
                "grants-TOTAL_FORMS": "1",
                "grants-INITIAL_FORMS": "1",
                "grants-0-id": str(grant.pk),
                "grants-0-feature": str(f.pk),
                "grants-0-DELETE": "on",
            },
        ),
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    assert not Grant.objects.exists()
    assert AuditEvent.objects.filter(action="grant.remove").count() == 1


def test_feature_change__rollout__saved_through_the_service_and_audited(feature, staff_client):
    f = feature("crm.kanban", stage="beta", rollout_percentage=20)
    client, _ = staff_client(Tier.PLATFORM_ADMIN)

    response = client.post(_url(f), _change_form(f, rollout_percentage="40"))

    assert response.status_code == 302
    assert Feature.objects.get(pk=f.pk).rollout_percentage == 40
    event = AuditEvent.objects.get(action="feature.update")
    assert (event.before["rollout_percentage"], event.after["rollout_percentage"]) == (20, 40)


# --------------------------------------------------------------------------- who sees this?


def test_preview__user_and_tenant__explains_the_decision(feature, acme, globex, user_factory, staff_client, committed):
    f = feature("crm.kanban", stage="beta")
    committed(services.grant_add, feature=f, tenant=acme)
    user_factory("ann@acme.test", tenant=acme)
    client, _ = staff_client(Tier.SUPPORT)

    granted = client.get(_url(f, "preview"), {"user": "ann@acme.test", "tenant": "acme"}).content.decode()
    refused = client.get(_url(f, "preview"), {"tenant": "globex"}).content.decode()

    assert 'data-state="ON" data-rule="grant_tenant"' in granted
    assert "a beta grant to the tenant" in granted
    assert "user ann@acme.test, tenant acme" in granted
    assert "Tenants that see it (tenant-wide, without user grants): 1 of 2" in granted
    assert 'data-state="OFF" data-rule="beta_not_granted"' in refused


def test_preview__unknown_user__form_error_no_decision(feature, staff_client):
    f = feature("crm.kanban", stage="beta")
    client, _ = staff_client(Tier.SUPPORT)

    html = client.get(_url(f, "preview"), {"user": "ghost@example.test"}).content.decode()

    assert "No user with the email ghost@example.test" in html
    assert 'data-testid="decision"' not in html


# --------------------------------------------------------------------------- stale report


def test_stale_report__old_ga_and_expired_grants__listed_fresh_ones_not(feature, acme, globex, staff_client, committed):
    old = feature("site.sync", stage="ga")
    Feature.objects.filter(pk=old.pk).update(stage_changed_at=timezone.now() - dt.timedelta(days=31))
    feature("inbox.ai", stage="ga")
    beta = feature("crm.kanban", stage="beta")
    expired = committed(services.grant_add, feature=beta, tenant=acme, expires_at=timezone.now() + dt.timedelta(days=1))
    Grant.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - dt.timedelta(hours=1))
    live = committed(services.grant_add, feature=beta, tenant=globex)
    client, _ = staff_client(Tier.SUPPORT)

    html = client.get(f"{CHANGELIST}stale/").content.decode()

    assert 'data-feature="site.sync"' in html
    assert 'data-feature="inbox.ai"' not in html
    assert f'data-grant="{expired.pk}"' in html
    assert f'data-grant="{live.pk}"' not in html


# --------------------------------------------------------------------------- QuantTrade whitelist


@pytest.mark.parametrize("tier", [Tier.SUPPORT, Tier.PLATFORM_ADMIN])
def test_quanttrade_whitelist__below_super_admin__forbidden(platform, acme, staff_client, tier):
    client, _ = staff_client(tier)

    assert client.get(WHITELIST).status_code == 403
    assert client.post(f"{WHITELIST}add/", {"target_type": "tenant", "tenant": str(acme.pk)}).status_code == 403
    assert not Grant.objects.exists()


def test_quanttrade_whitelist__super_admin_adds_and_removes__audited_grants_of_quanttrade(platform, acme, staff_client):
    client, root = staff_client(Tier.SUPER_ADMIN)

    page = client.get(WHITELIST)
    added = client.post(f"{WHITELIST}add/", {"target_type": "tenant", "tenant": str(acme.pk), "reason": "early access"})

    assert page.status_code == 200
    assert "Platform settings → QuantTrade beta whitelist" in page.content.decode()
    assert added.status_code == 302, added.content.decode()[:3000]
    entry = QuantTradeWhitelistEntry.objects.get()
    assert (entry.feature.key, entry.tenant, entry.granted_by) == ("quanttrade", acme, root)
    assert "acme" in client.get(WHITELIST).content.decode()

    removed = client.post(f"{WHITELIST}{entry.pk}/delete/", {"post": "yes"})

    assert removed.status_code == 302
    assert not Grant.objects.exists()
    grant_events = AuditEvent.objects.filter(action__startswith="grant.").order_by("id")
    assert [(e.action, e.actor_email) for e in grant_events] == [
        ("grant.add", root.email),
        ("grant.remove", root.email),
    ]


def test_quanttrade_whitelist__target_missing__form_error_nothing_added(platform, staff_client):
    client, _ = staff_client(Tier.SUPER_ADMIN)

    response = client.post(f"{WHITELIST}add/", {"target_type": "tenant"})

    assert response.status_code == 200
    assert not Grant.objects.exists()


def test_grant_list__platform_admin__quanttrade_entries_not_listed(platform, acme, staff_client, super_admin):
    quanttrade = services.quanttrade_feature_ensure()
    services.grant_add(feature=quanttrade, tenant=acme, actor=super_admin)
    client, _ = staff_client(Tier.PLATFORM_ADMIN)

    html = client.get("/admin/entitlements/grant/").content.decode()

    assert "tenant acme" not in html


# --------------------------------------------------------------------------- tenant overrides


def test_override_add__platform_admin__set_through_the_service_and_audited(feature, acme, staff_client):
    f = feature("inbox.ai", stage="ga")
    client, admin = staff_client(Tier.PLATFORM_ADMIN)

    response = client.post(
        "/admin/entitlements/tenantoverride/add/",
        {"feature": str(f.pk), "tenant": str(acme.pk), "enabled": "", "reason": "opted out"},
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    event = AuditEvent.objects.get(action="override.set")
    assert (event.actor_email, event.tenant_slug, event.after, event.reason) == (
        admin.email,
        "acme",
        {"enabled": False},
        "opted out",
    )


def test_override_add__on_for_an_alpha_feature__form_error_nothing_set(feature, acme, staff_client):
    from apps.entitlements.models import TenantOverride

    f = feature("secret.project", stage="alpha")
    client, _ = staff_client(Tier.PLATFORM_ADMIN)

    response = client.post(
        "/admin/entitlements/tenantoverride/add/", {"feature": str(f.pk), "tenant": str(acme.pk), "enabled": "on"}
    )

    assert response.status_code == 200
    assert "Promote it to beta first" in response.content.decode()
    assert not TenantOverride.objects.exists()
