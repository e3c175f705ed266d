"""Users and memberships in the admin: who may create or promote whom."""

from __future__ import annotations

from apps.accounts.models import Membership, Tier, User

CHANGELIST = "/admin/accounts/user/"
ADD = "/admin/accounts/user/add/"
STRONG = "violet-harbour-lantern-77"


def _add_form(**overrides) -> dict:
    data = {
        "email": "new@bizosaas.test",
        "full_name": "New Person",
        "tier": Tier.NONE,
        "password1": STRONG,
        "password2": STRONG,
    }
    data.update(overrides)
    return data


def _change_form(user: User, **overrides) -> dict:
    data = {
        "email": user.email,
        "full_name": user.full_name,
        "tier": user.tier,
        "is_active": "on",
        "theme": user.theme,
        "language": user.language,
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def test_user_list__staff__shows_tier_badges(support_client, user_factory):
    user_factory(email="agency@example.test", tier=Tier.PARTNER)

    html = support_client.get(CHANGELIST).content.decode()

    assert "agency@example.test" in html
    assert "Partner" in html
    assert "Support agent" in html


def test_user_add__platform_admin_creates_support_agent__created_with_password(platform, platform_admin_client):
    response = platform_admin_client.post(ADD, _add_form(tier=Tier.SUPPORT))

    user = User.objects.get(email="new@bizosaas.test")
    assert response.status_code == 302
    assert user.tier == Tier.SUPPORT
    assert not user.is_superuser
    assert user.check_password(STRONG)


def test_user_add__platform_admin_asks_for_super_admin__refused_and_not_created(platform, platform_admin_client):
    response = platform_admin_client.post(ADD, _add_form(tier=Tier.SUPER_ADMIN))

    assert response.status_code == 200
    assert "tier" in response.context["adminform"].form.errors
    assert not User.objects.filter(email="new@bizosaas.test").exists()


def test_user_add__platform_admin_form__offers_no_tier_above_support(platform, platform_admin_client):
    form = platform_admin_client.get(ADD).context["adminform"].form

    assert [value for value, _ in form.fields["tier"].choices] == [Tier.NONE, Tier.PARTNER, Tier.SUPPORT]


def test_user_add__super_admin_creates_super_admin__created_and_superuser_synced(platform, super_admin_client):
    response = super_admin_client.post(ADD, _add_form(tier=Tier.SUPER_ADMIN))

    user = User.objects.get(email="new@bizosaas.test")
    assert response.status_code == 302
    assert user.tier == Tier.SUPER_ADMIN
    assert user.is_superuser


def test_user_add__weak_password__service_error_shown_and_not_created(platform, platform_admin_client):
    response = platform_admin_client.post(ADD, _add_form(password1="short", password2="short"))

    assert response.context["adminform"].form.errors["password1"]
    assert not User.objects.filter(email="new@bizosaas.test").exists()


def test_user_add__email_taken__service_error_on_email(platform, platform_admin_client, user_factory):
    user_factory(email="new@bizosaas.test")

    response = platform_admin_client.post(ADD, _add_form(email="NEW@bizosaas.test"))

    assert "already exists" in response.context["adminform"].form.errors["email"][0]
    assert User.objects.filter(email__iexact="new@bizosaas.test").count() == 1


def test_user_add__support_agent__forbidden(platform, support_client):
    response = support_client.post(ADD, _add_form())

    assert response.status_code == 403
    assert not User.objects.filter(email="new@bizosaas.test").exists()


def test_user_change__platform_admin_raises_partner_to_platform_admin__refused(platform_admin_client, user_factory):
    target = user_factory(tier=Tier.PARTNER)

    response = platform_admin_client.post(
        f"{CHANGELIST}{target.pk}/change/", _change_form(target, tier=Tier.PLATFORM_ADMIN)
    )

    target.refresh_from_db()
    assert response.status_code == 200
    assert "tier" in response.context["adminform"].form.errors
    assert target.tier == Tier.PARTNER


def test_user_change__platform_admin_edits_super_admin__forbidden(platform_admin_client, user_factory):
    target = user_factory(tier=Tier.SUPER_ADMIN, full_name="Root")

    response = platform_admin_client.post(
        f"{CHANGELIST}{target.pk}/change/", _change_form(target, full_name="Demoted", tier=Tier.NONE)
    )

    target.refresh_from_db()
    assert response.status_code == 403
    assert (target.full_name, target.tier) == ("Root", Tier.SUPER_ADMIN)


def test_user_change__platform_admin_promotes_tenant_user_to_support__tier_changed(platform_admin_client, user_factory):
    target = user_factory(tier=Tier.NONE)

    response = platform_admin_client.post(f"{CHANGELIST}{target.pk}/change/", _change_form(target, tier=Tier.SUPPORT))

    target.refresh_from_db()
    assert response.status_code == 302
    assert target.tier == Tier.SUPPORT


def test_user_change__super_admin_promotes_to_super_admin__superuser_flag_follows(super_admin_client, user_factory):
    target = user_factory(tier=Tier.SUPPORT)

    super_admin_client.post(f"{CHANGELIST}{target.pk}/change/", _change_form(target, tier=Tier.SUPER_ADMIN))

    target.refresh_from_db()
    assert target.tier == Tier.SUPER_ADMIN
    assert target.is_superuser


def test_user_change__support_agent_posts__forbidden(support_client, user_factory):
    target = user_factory(tier=Tier.NONE, full_name="Kept")

    response = support_client.post(f"{CHANGELIST}{target.pk}/change/", _change_form(target, full_name="Changed"))

    target.refresh_from_db()
    assert response.status_code == 403
    assert target.full_name == "Kept"


def test_user_password_page__platform_admin_on_super_admin__forbidden(platform_admin_client, user_factory):
    target = user_factory(tier=Tier.SUPER_ADMIN)

    response = platform_admin_client.post(
        f"{CHANGELIST}{target.pk}/password/", {"password1": STRONG, "password2": STRONG, "usable_password": "true"}
    )

    target.refresh_from_db()
    assert response.status_code == 403
    assert not target.check_password(STRONG)


def test_user_change__membership_added_inline__member_of_tenant(acme, platform_admin_client, user_factory):
    target = user_factory(tier=Tier.NONE)

    response = platform_admin_client.post(
        f"{CHANGELIST}{target.pk}/change/",
        _change_form(
            target,
            **{
                "memberships-TOTAL_FORMS": "1",
                "memberships-0-tenant": acme.pk,
                "memberships-0-role": "admin",
                "memberships-0-user": target.pk,
            },
        ),
    )

    assert response.status_code == 302
    assert Membership.objects.get(user=target, tenant=acme).role == "admin"


def test_user_change__page_lists_memberships(acme, support_client, user_factory):
    target = user_factory(tier=Tier.NONE, tenant=acme, role="owner")

    html = support_client.get(f"{CHANGELIST}{target.pk}/change/").content.decode()

    assert "Acme" in html
    assert "Owner" in html
