"""CRM Global Control Center (M5): contacts and deals of every tenant in one list, for super
admins in the admin. See docs/adr/0007-crm-global-control-center.md.

One page is read with ONE SQL statement per chunk of ``CHUNK_SCHEMAS`` tenant schemas — a
UNION ALL of per-schema branches, each of which uses that schema's own indexes (the name index
for listing, the GIN search index for ``q``) and stops at the rows the page can use — never one
query per tenant. 200 tenants are one statement; 1,000 tenants are ten. Results of the chunks
are merged in Python in the same order PostgreSQL sorted them (title, then tenant, then id).

Nothing is copied out of the tenant schemas, so there is no second copy to keep in step with
every write and bulk action, and the tenants' isolation stays a property of their schemas.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import connection

from apps.core.bulk import search_document_sql, search_tsquery

CHUNK_SCHEMAS = 100  # tenant schemas per statement (bounds statement size and locks held)
MAX_PAGE = 200
KINDS = ("contacts", "deals")


@dataclass(frozen=True)
class GlobalTenant:
    id: int
    slug: str
    name: str
    status: str
    schema_name: str


@dataclass(frozen=True)
class GlobalRow:
    kind: str  # "contact" or "deal"
    tenant: GlobalTenant
    id: int
    title: str  # contact name / deal title
    subtitle: str  # contact email / deal stage
    extra: str  # contact company / deal contact id
    owner_id: int | None
    owner_email: str
    value: Decimal | None
    currency: str
    created_at: datetime

    @property
    def open_url(self) -> str:
        """The record on the tenant's dashboard (support staff may enter any tenant)."""
        from apps.crm.selectors import DETAIL_URLS
        from apps.tenancy.selectors import tenant_dashboard_url

        return tenant_dashboard_url(self.tenant) + DETAIL_URLS[self.kind][1].removeprefix("/app/").format(id=self.id)

    @property
    def view_as_url(self) -> str | None:
        """“View as tenant”: start viewing the dashboard as the record's owner (ADR 0004)."""
        if not self.owner_id:
            return None
        return f"{_dashboard(self.tenant)}support/view-as/{self.owner_id}/"


def _dashboard(tenant: GlobalTenant) -> str:
    from apps.tenancy.selectors import tenant_dashboard_url

    return tenant_dashboard_url(tenant)


@dataclass(frozen=True)
class GlobalPage:
    kind: str
    q: str
    rows: list[GlobalRow]
    page: int
    per_page: int
    has_next: bool
    tenants_searched: int
    statements: int
    seconds: float


def global_tenants(*, tenant_slug: str | None = None) -> list[GlobalTenant]:
    """Tenants whose schema holds the CRM tables (one query for the rows, one for the schemas)."""
    from apps.tenancy.models import Tenant

    qs = Tenant.objects.exclude(schema_name="public").order_by("slug")
    if tenant_slug:
        qs = qs.filter(slug=tenant_slug)
    tenants = [GlobalTenant(*row) for row in qs.values_list("id", "slug", "name", "status", "schema_name")]
    if not tenants:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relname = 'crm_contact' AND c.relkind = 'r' AND n.nspname = ANY(%s)",
            [[t.schema_name for t in tenants]],
        )
        ready = {r[0] for r in cursor.fetchall()}
    return [t for t in tenants if t.schema_name in ready]


def _branch(kind: str, schema: str, *, searching: bool) -> str:
    from apps.crm.models import Contact, Deal

    s = connection.ops.quote_name(schema)
    where = "x.deleted_at IS NULL"
    if searching:  # as apps.core.bulk.search_filter: the GIN index, or the computed document if missing
        doc = search_document_sql(Contact if kind == "contacts" else Deal, "x")
        where += (
            " AND (x.search @@ to_tsquery('simple', %s) OR (x.search IS NULL AND "
            + doc
            + " @@ to_tsquery('simple', %s)))"
        )
    if kind == "contacts":
        return (
            f"(SELECT %s::int AS t, x.id, x.name AS title, x.email AS subtitle, x.company_name AS extra, "
            f"x.owner_id, x.owner_email, NULL::numeric AS value, ''::text AS currency, x.created_at "
            f"FROM {s}.crm_contact x WHERE {where} ORDER BY x.name, x.id LIMIT %s)"
        )
    return (
        f"(SELECT %s::int AS t, x.id, x.title AS title, st.name AS subtitle, "
        f"coalesce(x.contact_id::text, '') AS extra, x.owner_id, x.owner_email, x.value, x.currency, x.created_at "
        f"FROM {s}.crm_deal x JOIN {s}.crm_pipelinestage st ON st.id = x.stage_id "
        f"WHERE {where} ORDER BY x.title, x.id LIMIT %s)"
    )


def global_search(
    *, kind: str = "contacts", q: str = "", tenant_slug: str | None = None, page: int = 1, per_page: int = 50
) -> GlobalPage:
    """Page ``page`` of the contacts (or deals) of every tenant, sorted by name (title), then
    tenant, then id; ``q`` searches like the tenant lists (every word a prefix, over name, email,
    phone and company for contacts, the title for deals); ``tenant_slug`` narrows to one tenant.

    Cost: 2 small queries for the tenant list + one statement per CHUNK_SCHEMAS tenants, each
    branch reading at most ``page * per_page + 1`` rows from one index. Call it in the public
    schema (the admin is)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    started = time.perf_counter()
    per_page = max(1, min(int(per_page), MAX_PAGE))
    page = max(1, min(int(page), 10_000 // per_page or 1))
    raw_query = search_tsquery(q)
    tenants = global_tenants(tenant_slug=tenant_slug)
    want = page * per_page + 1
    rows: list[tuple] = []
    statements = 0
    for start in range(0, len(tenants), CHUNK_SCHEMAS):
        chunk = tenants[start : start + CHUNK_SCHEMAS]
        parts, params = [], []
        for i, tenant in enumerate(chunk):
            parts.append(_branch(kind, tenant.schema_name, searching=raw_query is not None))
            params.append(start + i)
            if raw_query is not None:
                params += [raw_query, raw_query]
            params.append(want)
        sql = f"SELECT * FROM ({' UNION ALL '.join(parts)}) u ORDER BY u.title, u.t, u.id LIMIT %s"
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, want])
            rows.extend(cursor.fetchall())
        statements += 1
    rows.sort(key=lambda r: (r[2], r[0], r[1]))  # tenants are in slug order, so t orders by slug
    offset = (page - 1) * per_page
    window = rows[offset : offset + per_page]
    return GlobalPage(
        kind=kind,
        q=q,
        rows=[
            GlobalRow(
                kind=kind.removesuffix("s"),
                tenant=tenants[t],
                id=pk,
                title=title,
                subtitle=subtitle or "",
                extra=extra or "",
                owner_id=owner_id,
                owner_email=owner_email or "",
                value=value,
                currency=currency or "",
                created_at=created,
            )
            for (t, pk, title, subtitle, extra, owner_id, owner_email, value, currency, created) in window
        ],
        page=page,
        per_page=per_page,
        has_next=len(rows) > offset + per_page,
        tenants_searched=len(tenants),
        statements=statements,
        seconds=time.perf_counter() - started,
    )
