"""The optional CRM CSV import of the data-sync step: done when the CRM module has its import
service, skipped with a clear note when it does not."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

import apps.crm.services as crm_services
from apps.crm.models import Contact
from apps.onboarding.models import Onboarding
from tests.onboarding.conftest import SIGNUP, latest, post_webhook

CSV = b"name,email,phone\nAda Lovelace,ada@clients.test,+1 555 0101\nAlan Turing,alan@clients.test,\nNo Email,,\n"


def sign_up_and_pay(web, fake, run_commits, csv_bytes: bytes | None):
    data = dict(SIGNUP)
    if csv_bytes is not None:
        data["contacts_csv"] = SimpleUploadedFile("contacts.csv", csv_bytes, content_type="text/csv")
    with run_commits():
        response = web.post("/signup/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    onboarding = latest()
    fake.complete(onboarding.stripe_session_id)
    with run_commits():
        post_webhook(web, fake, fake.event_for(onboarding.stripe_session_id))
    onboarding.refresh_from_db()
    return onboarding


def test_signup_form__crm_has_import_service__offers_the_contacts_file(web, stripe_on):
    assert 'name="contacts_csv"' in web.get("/signup/").content.decode()


def test_data_sync__contacts_csv_uploaded__imported_into_the_tenants_crm(web, stripe_on, posthog_on, run_commits):
    onboarding = sign_up_and_pay(web, stripe_on, run_commits, CSV)

    assert onboarding.state == Onboarding.State.COMPLETED
    with schema_context(onboarding.tenant.schema_name):
        assert set(Contact.objects.values_list("name", flat=True)) == {"Ada Lovelace", "Alan Turing", "No Email"}
    (note,) = onboarding.sync_notes
    assert note.startswith("CRM import done: 3 of 3 contacts imported.")
    assert onboarding.crm_csv == ""  # imported: not kept
    assert posthog_on.named("sync_completed")[0]["properties"]["crm_import"] == note


def test_data_sync__invalid_rows__valid_ones_imported_and_problems_noted(web, stripe_on, run_commits):
    onboarding = sign_up_and_pay(web, stripe_on, run_commits, b"name,email\nGood One,good@x.test\n,bad-email\n")

    assert onboarding.state == Onboarding.State.COMPLETED
    with schema_context(onboarding.tenant.schema_name):
        assert list(Contact.objects.values_list("name", flat=True)) == ["Good One"]
    assert "1 of 2 contacts imported" in onboarding.sync_notes[0]
    assert "problem(s): row 3" in onboarding.sync_notes[0]


def test_data_sync__no_file__noted_as_skipped(web, stripe_on, run_commits):
    onboarding = sign_up_and_pay(web, stripe_on, run_commits, None)

    assert onboarding.sync_notes == ["CRM import skipped: no contacts file was uploaded."]


def test_data_sync__crm_without_import_service__skipped_with_a_note(web, stripe_on, run_commits, monkeypatch):
    monkeypatch.delattr(crm_services, "contacts_import")

    assert 'name="contacts_csv"' not in web.get("/signup/").content.decode()
    onboarding = sign_up_and_pay(web, stripe_on, run_commits, None)

    assert onboarding.state == Onboarding.State.COMPLETED
    assert onboarding.sync_notes == ["CRM import skipped: the CRM module has no CSV import service."]


def test_signup__contacts_file_not_utf8__clear_field_error(web, stripe_on):
    data = {**SIGNUP, "contacts_csv": SimpleUploadedFile("c.csv", "näme\n".encode("utf-16"), content_type="text/csv")}

    response = web.post("/signup/", data)

    assert response.status_code == 400
    assert "Save the file as UTF-8 CSV" in response.content.decode()
