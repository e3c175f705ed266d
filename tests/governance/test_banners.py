"""System banners: who sees them where, the no-query snapshot, dismissal, the admin."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.core.cache import cache
from django.test import RequestFactory
from django.utils import timezone

from apps.accounts.models import Tier
from apps.audit.models import AuditEvent
from apps.governance import banners as banner_cache
from apps.governance.models import BannerDismissal, SystemBanner
from apps.governance.services import banner_delete, banner_save
from tests.governance.conftest import PLATFORM_HOST, tenant_host


def make_banner(actor=None, *, tenants=(), partners=(), **fields) -> SystemBanner:
    fields.setdefault("message", "Scheduled maintenance tonight")
    return banner_save(banner=SystemBanner(**fields), actor=actor, tenants=list(tenants), partners=list(partners))


def shown(user, tenant) -> list[str]:
    return [b.message for b in banner_cache.banners_for(user=user, tenant=tenant)]


# --------------------------------------------------------------------------- audiences


@pytest.fixture
def people(acme, globex, initech, partner, user_factory):
    other_partner = user_factory(email="other-partner@example.test", tier=Tier.PARTNER)
    initech.partner = other_partner
    initech.save(update_fields=["partner"])
    return {
        "acme_member": (user_factory(email="a@acme.test", tenant=acme), acme),
        "globex_member": (user_factory(email="g@globex.test", tenant=globex), globex),
        "partner_on_acme": (partner, acme),
        "other_partner_on_initech": (other_partner, initech),
        "support_in_admin": (user_factory(email="s@bizosaas.test", tier=Tier.SUPPORT), None),
        "super_admin_in_admin": (user_factory(email="r@bizosaas.test", tier=Tier.SUPER_ADMIN), None),
    }


@pytest.mark.parametrize(
    ("audience", "expected"),
    [
        (
            "everyone",
            {
                "acme_member",
                "globex_member",
                "partner_on_acme",
                "other_partner_on_initech",
                "support_in_admin",
                "super_admin_in_admin",
            },
        ),
        ("tiers", {"acme_member", "globex_member", "support_in_admin"}),
        ("tenants", {"acme_member", "partner_on_acme"}),
        ("partners", {"partner_on_acme"}),
        ("all_partners", {"partner_on_acme", "other_partner_on_initech"}),
    ],
)
def test_banner_audience__each_kind__reaches_exactly_its_people(people, acme, partner, audience, expected):
    # Given one banner for this audience (tiers: tenant users and support agents)
    fields = {"audience": "partners" if audience == "all_partners" else audience}
    if audience == "tiers":
        fields["tiers"] = [Tier.NONE, Tier.SUPPORT]
    make_banner(
        **fields,
        tenants=[acme] if audience == "tenants" else [],
        partners=[partner] if audience == "partners" else [],
    )

    # When every person looks at the page they use
    reached = {name for name, (user, tenant) in people.items() if shown(user, tenant)}

    # Then exactly the audience sees it
    assert reached == expected


def test_banner_window__scheduled_and_ended__not_shown_live_one_is(people):
    now = timezone.now()
    make_banner(message="later", starts_at=now + timedelta(hours=1))
    make_banner(message="over", starts_at=now - timedelta(hours=2), ends_at=now - timedelta(hours=1))
    make_banner(message="now", starts_at=now - timedelta(minutes=1), ends_at=now + timedelta(hours=1))

    assert shown(*people["acme_member"]) == ["now"]


def test_banner_order__mixed_severities__critical_first(people):
    make_banner(message="fyi", severity="info")
    make_banner(message="fire", severity="critical")
    make_banner(message="careful", severity="warning")

    assert shown(*people["acme_member"]) == ["fire", "careful", "fyi"]


def test_banner_save__bad_audience_input__refused_with_field_errors(acme):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as tiers:
        make_banner(audience="tiers", tiers=[])
    with pytest.raises(ValidationError) as tenants:
        make_banner(audience="tenants")
    now = timezone.now()
    with pytest.raises(ValidationError) as window:
        make_banner(starts_at=now, ends_at=now - timedelta(minutes=5))

    assert "tiers" in tiers.value.message_dict
    assert "tenants" in tenants.value.message_dict
    assert "ends_at" in window.value.message_dict
    assert not SystemBanner.objects.exists()


# --------------------------------------------------------------------------- cache


def test_banner_snapshot__warm__no_query_per_request(people, django_assert_num_queries):
    user, tenant = people["acme_member"]
    make_banner(message="dismissible", dismissible=True)
    make_banner(message="sticky", dismissible=False)
    shown(user, tenant)  # first look loads the snapshot and the user's dismissals

    with django_assert_num_queries(0):
        assert sorted(shown(user, tenant)) == ["dismissible", "sticky"]


def test_banner_snapshot__any_write__next_request_sees_it(people, acme):
    user, tenant = people["acme_member"]
    banner = make_banner(message="first")
    assert shown(user, tenant) == ["first"]

    banner.message = "edited"
    banner_save(banner=banner, actor=None)
    assert shown(user, tenant) == ["edited"]

    banner.audience = "tenants"
    banner_save(banner=banner, actor=None, tenants=[people["globex_member"][1]])
    assert shown(user, tenant) == []

    banner.tenants.add(acme)  # even a write that bypasses the service
    assert shown(user, tenant) == ["edited"]

    banner_delete(banner=banner, actor=None)
    assert shown(user, tenant) == []


def test_banner_snapshot__redis_lost_the_version__reloads_from_the_database(people):
    user, tenant = people["acme_member"]
    make_banner(message="kept")
    shown(user, tenant)
    SystemBanner.objects.update(message="changed behind the cache's back")
    cache.clear()

    assert shown(user, tenant) == ["changed behind the cache's back"]


def test_banner_version__one_request__read_from_redis_once(people):
    user, tenant = people["acme_member"]
    make_banner()
    request = RequestFactory().get("/app/")
    request.user, request.tenant = user, tenant

    with mock.patch.object(cache, "get_many", wraps=cache.get_many) as get_many:
        for _ in range(3):
            banner_cache.banners_for_request(request)

    assert get_many.call_count == 1


# --------------------------------------------------------------------------- pages and dismissal


def test_dashboard__banner_for_tenant__shown_at_the_top_with_severity(signed_in, acme, member):
    make_banner(message="Inbox sync is delayed", severity="warning", tenants=[acme], audience="tenants")

    html = signed_in(member, tenant_host(acme)).get("/app/").content.decode()

    assert 'data-testid="system-banner"' in html
    assert 'data-severity="warning"' in html
    assert "Inbox sync is delayed" in html
    assert html.index("Inbox sync is delayed") < html.index('id="main"')


def test_dismiss__htmx_post__gone_for_that_user_everywhere_and_kept_for_others(
    signed_in, acme, member, user_factory, agent
):
    banner = make_banner(message="Read the new terms", dismissible=True)
    colleague = user_factory(email="c@acme.test", tenant=acme)
    client = signed_in(member, tenant_host(acme))
    assert "Read the new terms" in client.get("/app/").content.decode()

    # When the member dismisses it with HTMX
    response = client.post(f"/accounts/banners/{banner.pk}/dismiss/", HTTP_HX_REQUEST="true")

    # Then the swap target is emptied, the choice is stored, and a new session agrees
    assert response.status_code == 200
    assert response.content == b""
    assert BannerDismissal.objects.filter(user=member, banner=banner).exists()
    assert "Read the new terms" not in client.get("/app/").content.decode()
    assert "Read the new terms" not in signed_in(member, tenant_host(acme)).get("/app/").content.decode()
    assert "Read the new terms" in signed_in(colleague, tenant_host(acme)).get("/app/").content.decode()


def test_dismiss__not_dismissible__404_and_still_shown(signed_in, acme, member):
    banner = make_banner(message="Outage: payments", severity="critical", dismissible=False)
    client = signed_in(member, tenant_host(acme))

    response = client.post(f"/accounts/banners/{banner.pk}/dismiss/", HTTP_HX_REQUEST="true")

    assert response.status_code == 404
    assert "Outage: payments" in client.get("/app/").content.decode()


def test_dismiss__plain_form_post__redirects_back(signed_in, acme, member):
    banner = make_banner()

    response = signed_in(member, tenant_host(acme)).post(f"/accounts/banners/{banner.pk}/dismiss/", {"next": "/app/"})

    assert response.status_code == 302
    assert response["Location"] == "/app/"


def test_admin__banner_for_staff_tiers__shown_in_the_admin_not_to_tenant_users(signed_in, agent, acme, member):
    make_banner(message="Deploy freeze until Monday", audience="tiers", tiers=[Tier.SUPPORT, Tier.PLATFORM_ADMIN])

    admin_html = signed_in(agent).get("/admin/tenancy/tenant/").content.decode()
    dashboard_html = signed_in(member, tenant_host(acme)).get("/app/").content.decode()

    assert "Deploy freeze until Monday" in admin_html
    assert 'data-testid="system-banner"' in admin_html
    assert "Deploy freeze until Monday" not in dashboard_html


def test_banner_admin__support_agent__reads_but_cannot_write(signed_in, agent):
    banner = make_banner(message="Read me")
    client = signed_in(agent)

    listing = client.get("/admin/governance/systembanner/")
    add = client.post("/admin/governance/systembanner/add/", {"message": "Nope", "severity": "info"})
    delete = client.post(f"/admin/governance/systembanner/{banner.pk}/delete/", {"post": "yes"})

    assert listing.status_code == 200
    assert "Read me" in listing.content.decode()
    assert add.status_code == 403
    assert delete.status_code == 403
    assert SystemBanner.objects.count() == 1


def test_banner_admin__platform_admin__creates_with_audience_and_it_is_audited(signed_in, ops, acme, globex):
    client = signed_in(ops)
    now = timezone.now()

    response = client.post(
        "/admin/governance/systembanner/add/",
        {
            "message": "Acme and Globex: new invoices module",
            "severity": "info",
            "audience": "tenants",
            "tenants": [acme.pk, globex.pk],
            "starts_at_0": now.strftime("%Y-%m-%d"),
            "starts_at_1": now.strftime("%H:%M:%S"),
            "dismissible": "on",
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    banner = SystemBanner.objects.get()
    assert set(banner.tenants.values_list("slug", flat=True)) == {"acme", "globex"}
    assert banner.created_by == ops
    event = AuditEvent.objects.get(action="banner.create")
    assert event.actor == ops
    assert event.after["tenants"] == ["acme", "globex"]


def test_banner_admin__tenants_audience_without_tenants__form_error_nothing_saved(signed_in, ops):
    now = timezone.now()

    response = signed_in(ops).post(
        "/admin/governance/systembanner/add/",
        {
            "message": "For whom?",
            "severity": "info",
            "audience": "tenants",
            "starts_at_0": now.strftime("%Y-%m-%d"),
            "starts_at_1": now.strftime("%H:%M:%S"),
        },
    )

    assert response.status_code == 200
    assert "Pick at least one tenant" in response.content.decode()
    assert not SystemBanner.objects.exists()


def test_platform_host__dismiss_url__served_there_too(signed_in, agent, platform):
    banner = make_banner(message="Admin note")

    response = signed_in(agent, PLATFORM_HOST).post(f"/accounts/banners/{banner.pk}/dismiss/", HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert "Admin note" not in signed_in(agent).get("/admin/tenancy/tenant/").content.decode()
