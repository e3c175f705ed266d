"""CSV import and export pages, and merging two contacts, from the dashboard."""

from __future__ import annotations

import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context

from apps.catalog.models import Product
from apps.crm import services
from apps.crm.models import Contact, Deal
from tests.crm_ui.conftest import ACME

CSV_WITH_ERRORS = (
    "name,email,tags\n"
    "Ann Lee,ann@example.test,vip\n"
    ",nobody@example.test,\n"  # row 3: no name
    "Bob Ray,not-an-email,\n"  # row 4: bad email
    "Cid Moe,ann@example.test,\n"  # row 5: duplicate of row 2
    "Dee Fox,dee@example.test,lead\n"
)


def _upload(text: str, name: str = "contacts.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def test_import__invalid_rows__report_lists_row_numbers_and_reasons_and_nothing_imported(as_member, acme):
    response = as_member.post("/app/crm/contacts/import/", {"file": _upload(CSV_WITH_ERRORS)}, **ACME)

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="import-report"' in html
    assert "Nothing was imported, because some rows are invalid." in html
    assert re.findall(r'<tr data-row="(\d+)">', html) == ["3", "4", "5"]
    assert "This field is required." in html
    assert "Enter a valid email address." in html
    assert "duplicate of row 2" in html
    assert re.search(r'data-testid="valid-rows">2<', html)
    assert re.search(r'data-testid="invalid-rows">3<', html)
    assert 'data-testid="import-valid"' in html
    assert "Import the 2 valid rows" in html
    with tenant_context(acme):
        assert Contact.objects.count() == 0


def test_import__then_import_the_valid_rows__only_those_imported_without_uploading_again(as_member, acme):
    first = as_member.post("/app/crm/contacts/import/", {"file": _upload(CSV_WITH_ERRORS)}, **ACME).content.decode()
    token = re.search(r'name="token" value="([^"]+)"', first).group(1)

    response = as_member.post("/app/crm/contacts/import/", {"token": token, "import_valid_rows": "1"}, **ACME)
    replay = as_member.post("/app/crm/contacts/import/", {"token": token, "import_valid_rows": "1"}, **ACME)

    assert "2 rows imported." in response.content.decode()
    assert "The uploaded file has expired" in replay.content.decode()  # the file is used once
    with tenant_context(acme):
        assert sorted(Contact.objects.values_list("name", "tags")) == [("Ann Lee", ["vip"]), ("Dee Fox", ["lead"])]


def test_import__unreadable_file__400_with_the_reason_on_the_file_field(as_member, acme):
    response = as_member.post("/app/crm/contacts/import/", {"file": _upload("email\nx@example.test\n")}, **ACME)

    assert response.status_code == 400
    assert "Missing column(s): name." in response.content.decode()


def test_import__products_valid_file__all_imported(as_member, acme):
    text = "name,sku,price,currency\nMug,MUG-1,9.50,usd\nPlate,PLT-1,4,EUR\n"

    response = as_member.post("/app/catalog/products/import/", {"file": _upload(text, "p.csv")}, **ACME)

    assert "2 rows imported." in response.content.decode()
    with tenant_context(acme):
        assert dict(Product.objects.values_list("sku", "currency")) == {"MUG-1": "USD", "PLT-1": "EUR"}


def test_import__dry_run__checked_and_offered_but_nothing_imported(as_member, acme):
    text = "name,email\nAnn,ann@example.test\n"

    html = as_member.post("/app/crm/contacts/import/", {"file": _upload(text), "dry_run": "1"}, **ACME).content.decode()

    assert "Checked only: nothing was imported." in html
    assert 'data-testid="import-all"' in html
    with tenant_context(acme):
        assert Contact.objects.count() == 0


def test_export__contacts_with_the_lists_filter__csv_of_those_rows(as_member, acme, in_tenant):
    def build():
        services.contact_create(name="Ann", email="ann@example.test", tags=["vip"])
        services.contact_create(name="Bob", email="bob@example.test")

    in_tenant(acme, build)

    response = as_member.get("/app/crm/contacts/export/?tag=vip", **ACME)
    body = b"".join(response.streaming_content).decode("utf-8-sig")

    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="contacts-acme-' in response["Content-Disposition"]
    assert body.splitlines()[0].startswith("id,name,email")
    assert [line.split(",")[1] for line in body.splitlines()[1:]] == ["Ann"]


def test_export__bad_filter__400_not_a_broken_download(as_member, acme):
    response = as_member.get("/app/catalog/products/export/?stock=maybe", **ACME)

    assert response.status_code == 400


def test_merge__pick_a_duplicate__candidates_then_preview_of_the_result(as_member, acme, in_tenant):
    def build():
        keep = services.contact_create(name="Ann Lee", email="ann@example.test", tags=["vip"])
        dupe = services.contact_create(name="Ann Lee (old)", phone="555-0100", tags=["lead"])
        services.deal_create(title="Dupe's deal", contact=dupe)
        return keep, dupe

    keep, dupe = in_tenant(acme, build)

    pick = as_member.get(f"/app/crm/contacts/{keep.pk}/merge/", **ACME).content.decode()
    preview = as_member.get(f"/app/crm/contacts/{keep.pk}/merge/?other={dupe.pk}", **ACME).content.decode()

    assert f'href="/app/crm/contacts/{keep.pk}/merge/?other={dupe.pk}" data-testid="merge-pick"' in pick
    assert f'?other={keep.pk}"' not in pick  # never itself
    assert 'data-testid="merge-preview"' in preview
    assert "Moves 1 deals, 0 tasks" in preview
    assert re.findall(r'<span class="tag">([^<]+)</span>', preview.split('data-testid="merged-tags"')[1])[:2] == [
        "lead",
        "vip",
    ]
    assert "555-0100" in preview


def test_merge__confirm__duplicate_removed_and_its_deal_moved(as_member, acme, in_tenant):
    def build():
        keep = services.contact_create(name="Ann Lee", email="ann@example.test")
        dupe = services.contact_create(name="Ann L.", tags=["lead"])
        deal = services.deal_create(title="Dupe's deal", contact=dupe)
        return keep, dupe, deal

    keep, dupe, deal = in_tenant(acme, build)

    response = as_member.post(f"/app/crm/contacts/{keep.pk}/merge/", {"other": str(dupe.pk)}, **ACME)

    assert response["Location"] == f"/app/crm/contacts/{keep.pk}/"
    with tenant_context(acme):
        assert list(Contact.objects.alive().values_list("name", "tags")) == [("Ann Lee", ["lead"])]
        assert Deal.objects.get(pk=deal.pk).contact_id == keep.pk
