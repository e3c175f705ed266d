"""Lists: search, filters, sort, pages; the command palette; the timeline."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from apps.catalog.services import product_create
from apps.crm import selectors, services


@pytest.fixture
def people(in_acme, owner):
    acme_co = services.company_create(name="Acme Rockets")
    return {
        "jane": services.contact_create(
            name="Jane Doe",
            email="jane.doe@rockets.test",
            company=acme_co,
            tags=["vip"],
            industry="Aerospace",
            owner=owner.pk,
        ),
        "john": services.contact_create(
            name="John Smith-Jones",
            email="john@smith.test",
            tags=["vip", "lead"],
            industry="Retail",
            phone="+1 555-0100",
        ),
        "zoe": services.contact_create(name="Zoë Ångström", email="zoe@example.test", industry="retail"),
    }


def _names(**filters) -> list[str]:
    return [c.name for c in selectors.contact_list(filters=filters)]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("jan", ["Jane Doe"]),  # prefix of a name
        ("doe", ["Jane Doe"]),  # second word
        ("rockets", ["Jane Doe"]),  # the email's domain part and the company name
        ("jones", ["John Smith-Jones"]),  # hyphenated name
        ("0100", []),  # phones are not searched (name, email and company are)
        ("ÅNGS", ["Zoë Ångström"]),  # other scripts, any case
        ("jane doe", ["Jane Doe"]),  # every word must match
        ("jane smith", []),
        ("  ", ["Jane Doe", "John Smith-Jones", "Zoë Ångström"]),  # blank: no search
        ("john & | ! :*", ["John Smith-Jones"]),  # query syntax is not passed through
    ],
)
def test_contact_list__search__prefix_words_over_name_email_company(people, q, expected):
    assert _names(q=q) == expected


def test_contact_list__search__served_by_the_gin_index(people):
    from django.db import connection

    from apps.core.bulk import search_filter
    from apps.crm.models import Contact

    qs = search_filter(Contact.objects.all(), "jane")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = qs.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(r[0] for r in cursor.fetchall())

    assert "crm_contact_search" in plan


def test_search_document__rename_company_rename_and_import__found_by_new_words_only(in_acme):
    company = services.company_create(name="Initrode")
    jane = services.contact_create(name="Jane Roe", company=company)
    services.contact_update(contact=jane, name="Janet Roe")
    services.company_update(company=company, name="Globochem")
    services.contacts_import(file=b"name,email\nImported Person,imp@x.test\n")

    assert _names(q="janet") == ["Janet Roe"]
    assert _names(q="jane ") == ["Janet Roe"]  # a prefix of the new name
    assert _names(q="globochem") == ["Janet Roe"]
    assert _names(q="initrode") == []
    assert _names(q="imported") == ["Imported Person"]


def test_search_filter__row_written_around_the_services__still_found_then_repaired(in_acme):
    from apps.core.bulk import search_refresh
    from apps.crm.models import Contact

    Contact.objects.create(name="Raw Insert", email="raw@x.test")  # no search document yet

    assert _names(q="raw") == ["Raw Insert"]
    assert search_refresh(Contact.objects.filter(search__isnull=True)) == 1
    assert _names(q="raw") == ["Raw Insert"]


def test_bulk_add_tags__search_document_untouched(in_acme):
    from apps.core.bulk import bulk_run
    from apps.crm.models import Contact

    jane = services.contact_create(name="Jane Doe")
    before = Contact.objects.values_list("search", flat=True).get(pk=jane.pk)

    bulk_run(kind="contacts", action="add_tags", ids=[jane.pk], params={"tags": ["vip"]})

    assert Contact.objects.values_list("search", flat=True).get(pk=jane.pk) == before
    assert _names(q="jane", tag="vip") == ["Jane Doe"]


def test_contact_list__filters__tag_industry_owner_combined(people, owner):
    assert _names(tag="vip") == ["Jane Doe", "John Smith-Jones"]
    assert _names(tag=["vip", "lead"]) == ["John Smith-Jones"]
    assert _names(industry="RETAIL") == ["John Smith-Jones", "Zoë Ångström"]
    assert _names(owner=owner.pk) == ["Jane Doe"]
    assert _names(owner=owner.email.upper()) == ["Jane Doe"]
    assert _names(owner="none") == ["John Smith-Jones", "Zoë Ångström"]
    assert _names(tag="vip", industry="retail") == ["John Smith-Jones"]


def test_contact_list__sort__descending_and_stable(people):
    assert _names(sort="-name") == ["Zoë Ångström", "John Smith-Jones", "Jane Doe"]
    assert _names(sort="email") == ["Jane Doe", "John Smith-Jones", "Zoë Ångström"]


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"colour": "red"}, "colour"),
        ({"sort": "password"}, "sort"),
        ({"owner": "someone"}, "owner"),
        ({"company": "abc"}, "company"),
        ({"q": "x" * 201}, "q"),
    ],
)
def test_contact_list__bad_filter__validation_error_names_it(in_acme, filters, field):
    with pytest.raises(ValidationError) as exc:
        selectors.contact_list(filters=filters)

    assert field in exc.value.message_dict


def test_contact_list_page__pages_and_total(in_acme):
    for i in range(7):
        services.contact_create(name=f"P{i}")

    page = selectors.contact_list_page(page=2, per_page=3)

    assert [c.name for c in page.items] == ["P3", "P4", "P5"]
    assert (page.total, page.pages, page.has_next, page.has_previous, page.start_index) == (7, 3, True, True, 4)
    assert selectors.contact_list_page(page=99, per_page=3).page == 3  # clamped


def test_deal_list__stage_by_name_or_id(in_acme):
    from apps.crm.models import PipelineStage

    won = PipelineStage.objects.get(name="Won")
    services.deal_create(title="Open one")
    services.deal_create(title="Won one", stage=won)

    assert [d.title for d in selectors.deal_list(filters={"stage": "won"})] == ["Won one"]
    assert [d.title for d in selectors.deal_list(filters={"stage": str(won.pk)})] == ["Won one"]


def test_palette_search__every_kind__typed_results_with_urls_grouped(in_acme):
    contact = services.contact_create(name="Nova Contact", email="nova@x.test")
    company = services.company_create(name="Nova Corp")
    deal = services.deal_create(title="Nova deal", value="10")
    task = services.task_create(title="Nova task")
    product = product_create(name="Nova lamp", sku="NOVA-1", price="9.99")
    services.contact_create(name="Unrelated")

    results = selectors.palette_search(q="nov")

    assert [(r.kind, r.id) for r in results] == [
        ("contact", contact.pk),
        ("company", company.pk),
        ("deal", deal.pk),
        ("task", task.pk),
        ("product", product.pk),
    ]
    assert results[0].subtitle == "nova@x.test"
    assert results[0].url == f"/app/crm/contacts/{contact.pk}/"
    assert results[4].url == f"/app/catalog/products/{product.pk}/"
    assert [r.kind for r in selectors.palette_search(q="nov", kinds=["deal"])] == ["deal"]


def test_palette_search__limit_per_kind_and_deleted_left_out(in_acme):
    made = [services.contact_create(name=f"Ana {i}") for i in range(4)]
    services.contact_delete(contact=made[0])

    results = selectors.palette_search(q="ana", limit=2)

    assert [r.title for r in results] == ["Ana 1", "Ana 2"]
    assert selectors.palette_search(q="!!!") == []


def test_timeline__contact__own_and_its_deals_newest_first(in_acme):
    contact = services.contact_create(name="Jane")
    deal = services.deal_create(title="Deal", contact=contact)
    services.activity_create(contact=contact, body="First note")
    services.activity_create(deal=deal, body="Deal note")
    services.activity_create(contact=contact, body="Second note", kind="call")
    other = services.contact_create(name="Other")
    services.activity_create(contact=other, body="Not Jane's")

    items = selectors.timeline(contact=contact)

    assert [a.body for a in items] == ["Second note", "Deal note", "First note"]
    assert [a.body for a in selectors.timeline(contact=contact, before_id=items[0].pk, limit=1)] == ["Deal note"]


def test_activity_create__empty_body__refused(in_acme):
    contact = services.contact_create(name="Jane")

    with pytest.raises(ValidationError):
        services.activity_create(contact=contact, body="  ")
