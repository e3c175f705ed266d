"""Contacts and companies through the services: validation, duplicates, company names, owners."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from apps.core.bulk import bulk_undo
from apps.crm import selectors, services
from apps.crm.models import Contact


def test_contact_create__valid__normalised_tags_and_company_name(in_acme):
    company = services.company_create(name="Initrode")

    contact = services.contact_create(
        name="  Jane Doe ", email="jane@initrode.test", company=company, tags=["VIP", " vip", "Lead  2026"]
    )

    assert contact.name == "Jane Doe"
    assert contact.tags == ["lead 2026", "vip"]
    assert contact.company_name == "Initrode"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "required"),
        ("email", "not-an-email", "valid email"),
        ("phone", "call me", "Digits"),
        ("tags", ["x" * 51], "longer than 50"),
        ("custom_fields", {"bad key!": 1}, "not a valid field name"),
        ("company", 999_999, "No company"),
    ],
)
def test_contact_create__bad_field__validation_error_on_that_field(in_acme, field, value, message):
    kwargs = {"name": "Someone", field: value}

    with pytest.raises(ValidationError) as exc:
        services.contact_create(**kwargs)

    assert message in " ".join(exc.value.message_dict[field])


def test_contact_create__email_of_another_contact__refused_case_insensitively(in_acme):
    first = services.contact_create(name="Jane", email="jane@example.test")

    with pytest.raises(ValidationError) as exc:
        services.contact_create(name="Jane again", email="JANE@example.test")

    assert f"#{first.pk}" in exc.value.message_dict["email"][0]


def test_contact_create__owner_not_a_member__refused(in_acme, user_factory):
    stranger = user_factory("stranger@example.test")

    with pytest.raises(ValidationError) as exc:
        services.contact_create(name="Jane", owner=stranger.email)

    assert "not a member" in exc.value.message_dict["owner"][0]


def test_contact_create__owner_member_or_partner__id_and_email_kept(in_acme, owner, partner):
    mine = services.contact_create(name="Jane", owner=owner.pk)
    theirs = services.contact_create(name="Joe", owner=partner.email)

    assert (mine.owner_id, mine.owner_email) == (owner.pk, owner.email)
    assert (theirs.owner_id, theirs.owner_email) == (partner.pk, partner.email)


def test_contact_update__unknown_field__refused(in_acme):
    contact = services.contact_create(name="Jane")

    with pytest.raises(ValidationError) as exc:
        services.contact_update(contact=contact, nickname="JJ")

    assert "nickname" in exc.value.message_dict


def test_company_update__rename__copied_to_its_contacts(in_acme):
    company = services.company_create(name="Old Name")
    services.contact_create(name="Jane", company=company)

    services.company_update(company=company, name="New Name")

    assert list(Contact.objects.values_list("company_name", flat=True)) == ["New Name"]
    assert [c.name for c in selectors.contact_list(filters={"q": "new name"})] == ["Jane"]


def test_contact_delete__then_undo__back_in_the_list(in_acme):
    contact = services.contact_create(name="Jane")

    result = services.contact_delete(contact=contact)
    assert selectors.contact_list().count() == 0
    bulk_undo(token=result.undo_token)

    assert [c.pk for c in selectors.contact_list()] == [contact.pk]
    assert Contact.objects.get(pk=contact.pk).deleted_at is None


def test_contact_get__deleted__404(in_acme):
    from django.http import Http404

    contact = services.contact_create(name="Jane")
    services.contact_delete(contact=contact)

    with pytest.raises(Http404):
        selectors.contact_get(contact_id=contact.pk)


def test_features_ensure__missing__created_at_ga_and_audited(platform):
    from apps.audit.models import AuditEvent
    from apps.entitlements.models import Feature

    Feature.objects.filter(key__in=["crm", "catalog"]).delete()

    assert sorted(services.features_ensure()) == ["catalog", "crm"]
    assert set(Feature.objects.filter(key__in=["crm", "catalog"]).values_list("stage", flat=True)) == {"ga"}
    assert AuditEvent.objects.filter(action="feature.create").count() == 2
    assert services.features_ensure() == []
