"""Reads of the CRM, in the current tenant's schema (the caller has entered it: the tenancy
middleware on tenant hosts, ``tenant_context`` in the API, the task's schema in workers).

One filter grammar for every list, the API's query parameters and bulk selections (a filter dict
is what "all N matching" sends to apps.core.bulk):

    contacts   q, tag, industry, owner, company, source, sort
    companies  q, tag, industry, owner, sort
    deals      q, tag, owner, stage, kind, contact, company, sort
    tasks      q, tag, status, assignee, contact, deal, due, sort

``q`` is a search (every word a prefix, over name/email/phone/company for contacts, name/domain/
industry for companies, the title for deals and tasks); ``tag`` may repeat (rows with all of
them); ``owner``/``assignee`` is a user id, an email or "none"; ``stage`` an id or a name;
``due`` one of overdue, today, week, none; ``sort`` a field, "-" for descending.

Every ``*_filters_clean`` raises ValidationError({name: [message]}) for a bad filter; every
``*_get`` raises Http404 for an id that is not an alive row of this tenant.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from apps.core.bulk import (
    ListPage,
    clean_filters,
    list_page,
    one_choice,
    one_int,
    one_text,
    ordering,
    owner_q,
    owner_value,
    search_filter,
    search_query,
    sort_value,
    tag_list,
)
from apps.crm.models import Activity, Company, Contact, ConversionEvent, Deal, PipelineStage, Task

CONTACT_SORTS = ("name", "email", "company_name", "industry", "created_at", "updated_at")
COMPANY_SORTS = ("name", "industry", "created_at", "updated_at")
DEAL_SORTS = ("position", "title", "value", "expected_close_date", "created_at", "updated_at")
TASK_SORTS = ("due_date", "title", "status", "created_at", "updated_at")
DUE_CHOICES = ("overdue", "today", "week", "none")


def _stage_value(values: list) -> int | str:
    value = str(values[-1]).strip()
    if value.isdigit():
        return int(value)
    if not value or len(value) > 60:
        raise ValidationError("A stage id or name.")
    return value


def _tags_q(tags: list[str]) -> Q:
    return Q(tags__contains=tags)


# =========================================================================== contacts

CONTACT_FILTERS = {
    "q": one_text(200),
    "tag": tag_list,
    "industry": one_text(80),
    "owner": owner_value,
    "company": one_int,
    "source": one_text(40),
    "sort": sort_value(CONTACT_SORTS),
}


def contact_filters_clean(raw: Mapping | None) -> dict:
    return clean_filters(raw, fields=CONTACT_FILTERS)


def contacts_filtered(filters: dict) -> QuerySet[Contact]:
    """Alive contacts matching cleaned filters, unordered (the bulk selection of "contacts")."""
    qs = Contact.objects.alive()
    qs = search_filter(qs, filters.get("q"))
    if "tag" in filters:
        qs = qs.filter(_tags_q(filters["tag"]))
    if "industry" in filters:
        qs = qs.filter(industry__iexact=filters["industry"])
    if "owner" in filters:
        qs = qs.filter(owner_q(filters["owner"]))
    if "company" in filters:
        qs = qs.filter(company_id=filters["company"])
    if "source" in filters:
        qs = qs.filter(source__iexact=filters["source"])
    return qs


def contact_list(*, filters: Mapping | None = None) -> QuerySet[Contact]:
    """The contacts list: filtered and sorted (default by name). ``filters`` may be raw (a
    QueryDict or dict): it is cleaned here."""
    clean = contact_filters_clean(filters)
    return contacts_filtered(clean).order_by(*ordering(clean.get("sort"), "name"))


def contact_list_page(*, filters: Mapping | None = None, page: int = 1, per_page: int = 50) -> ListPage:
    return list_page(contact_list(filters=filters), page=page, per_page=per_page)


def contact_get(*, contact_id: int) -> Contact:
    contact = Contact.objects.alive().select_related("company").filter(pk=contact_id).first()
    if contact is None:
        raise Http404("No such contact.")
    return contact


# =========================================================================== companies

COMPANY_FILTERS = {
    "q": one_text(200),
    "tag": tag_list,
    "industry": one_text(80),
    "owner": owner_value,
    "sort": sort_value(COMPANY_SORTS),
}


def company_filters_clean(raw: Mapping | None) -> dict:
    return clean_filters(raw, fields=COMPANY_FILTERS)


def companies_filtered(filters: dict) -> QuerySet[Company]:
    qs = Company.objects.alive()
    qs = search_filter(qs, filters.get("q"))
    if "tag" in filters:
        qs = qs.filter(_tags_q(filters["tag"]))
    if "industry" in filters:
        qs = qs.filter(industry__iexact=filters["industry"])
    if "owner" in filters:
        qs = qs.filter(owner_q(filters["owner"]))
    return qs


def company_list(*, filters: Mapping | None = None) -> QuerySet[Company]:
    clean = company_filters_clean(filters)
    return companies_filtered(clean).order_by(*ordering(clean.get("sort"), "name"))


def company_list_page(*, filters: Mapping | None = None, page: int = 1, per_page: int = 50) -> ListPage:
    return list_page(company_list(filters=filters), page=page, per_page=per_page)


def company_get(*, company_id: int) -> Company:
    company = Company.objects.alive().filter(pk=company_id).first()
    if company is None:
        raise Http404("No such company.")
    return company


def company_choices(*, q: str = "", limit: int = 50) -> list[tuple[int, str]]:
    """(id, name) of alive companies for a select or an autocomplete."""
    qs = search_filter(Company.objects.alive(), q).order_by("name", "id")
    return list(qs.values_list("id", "name")[:limit])


# =========================================================================== deals and the pipeline

DEAL_FILTERS = {
    "q": one_text(200),
    "tag": tag_list,
    "owner": owner_value,
    "stage": _stage_value,
    "kind": one_choice(Deal.Kind.values),
    "contact": one_int,
    "company": one_int,
    "sort": sort_value(DEAL_SORTS),
}


def deal_filters_clean(raw: Mapping | None) -> dict:
    return clean_filters(raw, fields=DEAL_FILTERS)


def deals_filtered(filters: dict) -> QuerySet[Deal]:
    qs = Deal.objects.alive()
    qs = search_filter(qs, filters.get("q"))
    if "tag" in filters:
        qs = qs.filter(_tags_q(filters["tag"]))
    if "owner" in filters:
        qs = qs.filter(owner_q(filters["owner"]))
    if "stage" in filters:
        stage = filters["stage"]
        qs = qs.filter(stage_id=stage) if isinstance(stage, int) else qs.filter(stage__name__iexact=stage)
    if "kind" in filters:
        qs = qs.filter(kind=filters["kind"])
    if "contact" in filters:
        qs = qs.filter(contact_id=filters["contact"])
    if "company" in filters:
        qs = qs.filter(company_id=filters["company"])
    return qs


def deal_list(*, filters: Mapping | None = None) -> QuerySet[Deal]:
    clean = deal_filters_clean(filters)
    sort = clean.get("sort")
    order = ["stage__position", "position", "id"] if sort in (None, "position") else ordering(sort, "position")
    return deals_filtered(clean).select_related("stage").order_by(*order)


def deal_list_page(*, filters: Mapping | None = None, page: int = 1, per_page: int = 50) -> ListPage:
    return list_page(deal_list(filters=filters), page=page, per_page=per_page)


def deal_get(*, deal_id: int) -> Deal:
    deal = Deal.objects.alive().select_related("stage", "contact", "company").filter(pk=deal_id).first()
    if deal is None:
        raise Http404("No such deal.")
    return deal


def pipeline_stages() -> list[PipelineStage]:
    """The board's columns, left to right."""
    return list(PipelineStage.objects.order_by("position", "id"))


def stage_get(*, stage_id: int) -> PipelineStage:
    stage = PipelineStage.objects.filter(pk=stage_id).first()
    if stage is None:
        raise Http404("No such stage.")
    return stage


@dataclass(frozen=True)
class BoardColumn:
    """One Kanban column: its stage, its cards in order (at most ``per_stage``), how many cards
    match in all, and their total value."""

    stage: PipelineStage
    deals: list[Deal]
    count: int
    total_value: Decimal


def pipeline_board(*, filters: Mapping | None = None, per_stage: int = 100) -> list[BoardColumn]:
    """The Kanban board: every stage with its deals ordered by position (the same filters as the
    deals list, e.g. ``{"owner": 12}`` or ``{"kind": "lead"}``). Three queries whatever the
    number of stages: stages, per-stage totals, and the cards (window-limited per stage)."""
    from django.db.models import F, Window
    from django.db.models.functions import RowNumber

    clean = deal_filters_clean(filters)
    clean.pop("sort", None)
    stages = pipeline_stages()
    base = deals_filtered(clean)
    totals = {
        row["stage_id"]: row
        for row in base.order_by()
        .values("stage_id")
        .annotate(n=Count("id"), total=Coalesce(Sum("value"), Value(Decimal(0))))
    }
    ranked = base.annotate(
        _rank=Window(RowNumber(), partition_by=[F("stage_id")], order_by=[F("position").asc(), F("id").asc()])
    )
    cards = list(
        ranked.filter(_rank__lte=per_stage).select_related("contact", "company").order_by("stage_id", "position", "id")
    )
    by_stage: dict[int, list[Deal]] = {}
    for deal in cards:
        by_stage.setdefault(deal.stage_id, []).append(deal)
    return [
        BoardColumn(
            stage=s,
            deals=by_stage.get(s.pk, []),
            count=totals.get(s.pk, {}).get("n", 0),
            total_value=totals.get(s.pk, {}).get("total", Decimal(0)),
        )
        for s in stages
    ]


def conversions(*, since: dt.datetime | None = None, limit: int = 100) -> list[ConversionEvent]:
    """Conversion events (deals won), newest first — for revenue attribution."""
    qs = ConversionEvent.objects.order_by("-occurred_at", "-id")
    if since is not None:
        qs = qs.filter(occurred_at__gte=since)
    return list(qs[:limit])


# =========================================================================== tasks

TASK_FILTERS = {
    "q": one_text(200),
    "tag": tag_list,
    "status": one_choice(Task.Status.values),
    "assignee": owner_value,
    "contact": one_int,
    "deal": one_int,
    "due": one_choice(DUE_CHOICES),
    "sort": sort_value(TASK_SORTS),
}


def task_filters_clean(raw: Mapping | None) -> dict:
    return clean_filters(raw, fields=TASK_FILTERS)


def tasks_filtered(filters: dict) -> QuerySet[Task]:
    qs = Task.objects.alive()
    qs = search_filter(qs, filters.get("q"))
    if "tag" in filters:
        qs = qs.filter(_tags_q(filters["tag"]))
    if "status" in filters:
        qs = qs.filter(status=filters["status"])
    if "assignee" in filters:
        qs = qs.filter(owner_q(filters["assignee"], id_field="assignee_id", email_field="assignee_email"))
    if "contact" in filters:
        qs = qs.filter(contact_id=filters["contact"])
    if "deal" in filters:
        qs = qs.filter(deal_id=filters["deal"])
    due = filters.get("due")
    if due:
        today = timezone.localdate()
        if due == "none":
            qs = qs.filter(due_date__isnull=True)
        elif due == "overdue":
            qs = qs.filter(due_date__lt=today).exclude(status=Task.Status.DONE)
        elif due == "today":
            qs = qs.filter(due_date=today)
        else:
            qs = qs.filter(due_date__gte=today, due_date__lte=today + dt.timedelta(days=7))
    return qs


def task_list(*, filters: Mapping | None = None) -> QuerySet[Task]:
    clean = task_filters_clean(filters)
    sort = clean.get("sort") or "due_date"
    order = ordering(sort, "due_date")
    if sort.lstrip("-") == "due_date":  # tasks without a due date last
        from django.db.models import F

        field = F("due_date").desc(nulls_last=True) if sort.startswith("-") else F("due_date").asc(nulls_last=True)
        order = [field, order[1]]
    return tasks_filtered(clean).select_related("contact", "deal").order_by(*order)


def task_list_page(*, filters: Mapping | None = None, page: int = 1, per_page: int = 50) -> ListPage:
    return list_page(task_list(filters=filters), page=page, per_page=per_page)


def task_get(*, task_id: int) -> Task:
    task = Task.objects.alive().select_related("contact", "deal").filter(pk=task_id).first()
    if task is None:
        raise Http404("No such task.")
    return task


# =========================================================================== timeline


def timeline(
    *, contact: Contact | None = None, deal: Deal | None = None, limit: int = 50, before_id: int | None = None
) -> list[Activity]:
    """Newest first. A contact's timeline also holds the activities of its deals. Page on with
    ``before_id`` = the id of the last activity shown (keyset: stable while new ones arrive)."""
    if (contact is None) == (deal is None):
        raise ValueError("timeline() needs exactly one of contact or deal.")
    qs = Activity.objects.all()
    qs = qs.filter(Q(contact=contact) | Q(deal__contact=contact)) if contact is not None else qs.filter(deal=deal)
    if before_id is not None:
        anchor = Activity.objects.filter(pk=before_id).values("occurred_at").first()
        if anchor is not None:
            qs = qs.filter(
                Q(occurred_at__lt=anchor["occurred_at"]) | Q(occurred_at=anchor["occurred_at"], id__lt=before_id)
            )
    return list(qs.order_by("-occurred_at", "-id")[: max(1, min(limit, 200))])


# =========================================================================== owners


def crm_owner_choices(*, tenant) -> list[tuple[int, str]]:
    """(user id, email) of the people who may own or be assigned CRM records: the tenant's
    members and its managing partner."""
    from apps.accounts.models import Membership, User

    rows = list(
        Membership.objects.filter(tenant=tenant, user__is_active=True)
        .order_by("user__email")
        .values_list("user_id", "user__email")
    )
    if tenant.partner_id and all(uid != tenant.partner_id for uid, _ in rows):
        partner = User.objects.filter(pk=tenant.partner_id, is_active=True).values_list("id", "email").first()
        if partner:
            rows.append(partner)
    return rows


# =========================================================================== command palette

# URL names the dashboard defines for each kind's detail page; until a name exists, the
# documented path below is used, so palette results are links either way.
DETAIL_URLS = {
    "contact": ("crm:contact-detail", "/app/crm/contacts/{id}/"),
    "company": ("crm:company-detail", "/app/crm/companies/{id}/"),
    "deal": ("crm:deal-detail", "/app/crm/deals/{id}/"),
    "task": ("crm:task-detail", "/app/crm/tasks/{id}/"),
    "product": ("catalog:product-detail", "/app/catalog/products/{id}/"),
}
PALETTE_KINDS = ("contact", "company", "deal", "task", "product")


def object_url(kind: str, pk: int) -> str:
    """The dashboard URL of one record (``kind`` is singular: contact, company, deal, task, product)."""
    name, fallback = DETAIL_URLS[kind]
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return fallback.format(id=pk)


@dataclass(frozen=True)
class PaletteResult:
    kind: str  # contact, company, deal, task, product
    id: int
    title: str
    subtitle: str
    url: str

    def as_dict(self) -> dict:
        return {"kind": self.kind, "id": self.id, "title": self.title, "subtitle": self.subtitle, "url": self.url}


def palette_search(*, q: str, limit: int = 5, kinds: Iterable[str] | None = None) -> list[PaletteResult]:
    """Ctrl+K: up to ``limit`` matches per kind (every word a prefix), grouped by kind in the
    order of PALETTE_KINDS, in ONE query (a UNION ALL of index-backed branches). ``kinds``
    narrows it (e.g. leave out "product" when the catalogue is off for the tenant)."""
    query = search_query(q)
    if query is None:
        return []
    wanted = [k for k in PALETTE_KINDS if kinds is None or k in set(kinds)]
    limit = max(1, min(int(limit), 20))
    branches = [_palette_branch(kind, q).order_by("p_title", "id")[:limit] for kind in wanted]
    if not branches:
        return []
    union = branches[0].union(*branches[1:], all=True) if len(branches) > 1 else branches[0]
    rows = list(union)
    rank = {k: i for i, k in enumerate(PALETTE_KINDS)}
    rows.sort(key=lambda r: (rank[r["p_kind"]], r["p_title"].lower(), r["id"]))
    return [
        PaletteResult(
            kind=r["p_kind"],
            id=r["id"],
            title=r["p_title"],
            subtitle=r["p_subtitle"] or "",
            url=object_url(r["p_kind"], r["id"]),
        )
        for r in rows
    ]


def _palette_branch(kind: str, q: str) -> QuerySet:
    """One kind's matching rows as (p_kind, id, p_title, p_subtitle)."""
    from django.db.models import CharField, F
    from django.db.models.functions import Cast, Concat, NullIf

    from apps.catalog.models import Product

    model = {"contact": Contact, "company": Company, "deal": Deal, "task": Task, "product": Product}[kind]
    base = search_filter(model.objects.alive(), q)
    if kind == "contact":
        qs = base.annotate(p_title=F("name"), p_subtitle=Coalesce(NullIf(F("email"), Value("")), F("company_name")))
    elif kind == "company":
        qs = base.annotate(p_title=F("name"), p_subtitle=F("domain"))
    elif kind == "deal":
        qs = base.annotate(p_title=F("title"), p_subtitle=Concat(Cast("value", CharField()), Value(" "), F("currency")))
    elif kind == "task":
        qs = base.annotate(p_title=F("title"), p_subtitle=F("status"))
    else:
        qs = base.annotate(p_title=F("name"), p_subtitle=F("sku"))
    return qs.annotate(p_kind=Value(kind, output_field=CharField())).values("p_kind", "id", "p_title", "p_subtitle")


# =========================================================================== export and summary

CONTACT_EXPORT_HEADER = [
    "id",
    "name",
    "email",
    "phone",
    "company",
    "industry",
    "tags",
    "source",
    "owner",
    "custom_fields",
    "created_at",
]


def contacts_export_rows(*, filters: Mapping | None = None) -> Iterator[list]:
    """The rows of a contacts CSV (the columns the import reads back), streamed from the
    database in chunks: memory stays flat for any number of contacts."""
    import json

    qs = contact_list(filters=filters).values_list(
        "id",
        "name",
        "email",
        "phone",
        "company_name",
        "industry",
        "tags",
        "source",
        "owner_email",
        "custom_fields",
        "created_at",
    )
    for pk, name, email, phone, company, industry, tags, source, owner, custom, created in qs.iterator(chunk_size=2000):
        yield [
            pk,
            name,
            email,
            phone,
            company,
            industry,
            ";".join(tags or []),
            source,
            owner,
            json.dumps(custom, ensure_ascii=False, sort_keys=True) if custom else "",
            created.isoformat(),
        ]


def crm_summary() -> dict:
    """Figures for the overview widget: alive contacts, open deals and their value, open tasks
    and how many are overdue."""
    today = timezone.localdate()
    open_deals = (
        Deal.objects.alive()
        .filter(stage__kind=PipelineStage.Kind.OPEN)
        .aggregate(n=Count("id"), total=Coalesce(Sum("value"), Value(Decimal(0))))
    )
    tasks = (
        Task.objects.alive()
        .exclude(status=Task.Status.DONE)
        .aggregate(n=Count("id"), overdue=Count("id", filter=Q(due_date__lt=today)))
    )
    return {
        "contacts": Contact.objects.alive().count(),
        "open_deals": open_deals["n"],
        "open_deal_value": open_deals["total"],
        "open_tasks": tasks["n"],
        "overdue_tasks": tasks["overdue"],
    }
