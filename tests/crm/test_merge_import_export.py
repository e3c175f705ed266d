"""Merging contacts; CSV import (row-by-row validation, all or nothing) and streamed export."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.exceptions import ValidationError

from apps.audit.models import AuditEvent
from apps.core.bulk import csv_stream
from apps.crm import selectors, services
from apps.crm.models import Activity, Company, Contact, Deal, Task

# --------------------------------------------------------------------------- merge


def test_contacts_merge__references_moved_tags_united_other_soft_deleted(in_acme, owner):
    primary = services.contact_create(
        name="Jane Doe", email="jane@x.test", tags=["vip"], custom_fields={"tier": "gold"}
    )
    other = services.contact_create(
        name="J. Doe", phone="555", tags=["lead", "vip"], custom_fields={"tier": "silver", "shoe": 38}
    )
    deal = services.deal_create(title="Deal", contact=other)
    task = services.task_create(title="Call", contact=other)
    services.activity_create(contact=other, body="Met at the fair")

    result = services.contacts_merge(primary=primary, other=other, actor=owner)

    assert (result.moved_deals, result.moved_tasks, result.moved_activities) == (1, 1, 1)
    primary = Contact.objects.get(pk=primary.pk)
    assert primary.tags == ["lead", "vip"]
    assert (primary.email, primary.phone) == ("jane@x.test", "555")
    assert primary.custom_fields == {"tier": "gold", "shoe": 38}
    assert Deal.objects.get(pk=deal.pk).contact_id == primary.pk
    assert Task.objects.get(pk=task.pk).contact_id == primary.pk
    merged = Contact.objects.get(pk=other.pk)
    assert merged.deleted_at is not None
    assert merged.merged_into_id == primary.pk
    assert merged.deleted_by_id == owner.pk
    bodies = [a.body for a in selectors.timeline(contact=primary)]
    assert "Met at the fair" in bodies
    assert any("Merged J. Doe" in b for b in bodies)
    assert AuditEvent.objects.get(action="crm.contact_merge").after["merged_id"] == other.pk


def test_contacts_merge__same_contact__refused(in_acme):
    jane = services.contact_create(name="Jane")

    with pytest.raises(ValidationError):
        services.contacts_merge(primary=jane, other=jane)


def test_contacts_merge__other_already_deleted__refused(in_acme):
    jane, joe = services.contact_create(name="Jane"), services.contact_create(name="Joe")
    services.contact_delete(contact=joe)

    with pytest.raises(ValidationError) as exc:
        services.contacts_merge(primary=jane, other=joe)

    assert "other" in exc.value.message_dict
    assert not Activity.objects.exists()


# --------------------------------------------------------------------------- import


def _csv(*rows: str) -> bytes:
    return ("\n".join(rows) + "\n").encode()


GOOD = _csv(
    "Name,Email,Company,Tags,Industry,custom:Shoe size",
    "Jane Doe,jane@x.test,Acme Rockets,vip;lead,Aerospace,38",
    "John Roe,john@x.test,acme rockets,,Retail,",
)


def test_contacts_import__valid_file__all_rows_companies_matched_by_name(in_acme, owner):
    existing = services.company_create(name="ACME Rockets")

    report = services.contacts_import(file=GOOD, actor=owner)

    assert (report.total_rows, report.valid_rows, report.imported, report.errors) == (2, 2, 2, [])
    jane = Contact.objects.get(email="jane@x.test")
    assert (jane.company_id, jane.company_name, jane.tags, jane.source) == (
        existing.pk,
        "ACME Rockets",
        ["lead", "vip"],
        "import",
    )
    assert jane.custom_fields == {"Shoe size": "38"}
    assert Company.objects.count() == 1
    assert AuditEvent.objects.get(action="crm.contacts_import").after["imported"] == 2


def test_contacts_import__one_invalid_row__nothing_imported_every_error_with_its_row(in_acme):
    services.contact_create(name="Existing", email="taken@x.test")
    data = _csv(
        "name,email,owner",
        "Good One,good@x.test,",
        ",nameless@x.test,",
        "Bad Mail,not-an-email,",
        "Dup,taken@x.test,",
        "Twice,good@x.test,",
        "Stranger,s@x.test,nobody@else.test",
    )

    report = services.contacts_import(file=data)

    assert report.imported == 0
    assert report.blocked
    assert [(e.row, e.field) for e in report.errors] == [
        (3, "name"),
        (4, "email"),
        (5, "email"),
        (6, "email"),
        (7, "owner"),
    ]
    assert "already has this email" in report.errors[2].message
    assert report.errors[3].message == "duplicate of row 2"
    assert Contact.objects.count() == 1


def test_contacts_import__import_valid_rows__only_valid_ones_in(in_acme):
    data = _csv("name,email", "Good,good@x.test", "Bad,bad", "Also good,")

    report = services.contacts_import(file=data, import_valid_rows=True)

    assert (report.imported, report.invalid_rows) == (2, 1)
    assert sorted(Contact.objects.values_list("name", flat=True)) == ["Also good", "Good"]


def test_contacts_import__dry_run__validates_only(in_acme):
    report = services.contacts_import(file=GOOD, dry_run=True)

    assert (report.valid_rows, report.imported) == (2, 0)
    assert not Contact.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"email\nx@y.test\n", "Missing column(s): name"),
        (b"name,name\nA,B\n", "named twice"),
        ("name\nJosé\n".encode("latin-1"), "not UTF-8"),
    ],
)
def test_contacts_import__unreadable_file__file_error(in_acme, data, message):
    with pytest.raises(ValidationError) as exc:
        services.contacts_import(file=data)

    assert message in exc.value.message_dict["file"][0]


def test_contacts_import__semicolons_and_bom__read(in_acme):
    data = "\ufeffname;email\nJane;jane@x.test\n".encode()

    assert services.contacts_import(file=data).imported == 1


# --------------------------------------------------------------------------- export


def test_contacts_export__filtered_rows_roundtrip_through_import(in_acme, acme):
    services.contact_create(name="Jane", email="jane@x.test", tags=["vip"], custom_fields={"a": 1})
    services.contact_create(name="Joe", email="joe@x.test")

    text = "".join(csv_stream(selectors.CONTACT_EXPORT_HEADER, selectors.contacts_export_rows(filters={"tag": "vip"})))

    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [r["name"] for r in rows] == ["Jane"]
    assert rows[0]["tags"] == "vip"
    assert json.loads(rows[0]["custom_fields"]) == {"a": 1}
    Contact.objects.all().delete()
    report = services.contacts_import(file=text.encode())
    assert (report.imported, report.ignored_columns) == (1, [])


def test_csv_stream__formula_cells__neutralised(in_acme):
    services.contact_create(name='=HYPERLINK("http://evil")')

    text = "".join(csv_stream(selectors.CONTACT_EXPORT_HEADER, selectors.contacts_export_rows()))

    assert "'=HYPERLINK" in text
