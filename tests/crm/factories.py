"""Small builders for CRM rows (through the services, as the application makes them)."""

from __future__ import annotations

from django.db import connection

from apps.core.bulk import search_refresh
from apps.crm import services
from apps.crm.models import Contact


def contacts(n: int, *, prefix: str = "Person", **kw) -> list:
    return [
        services.contact_create(name=f"{prefix} {i:03d}", email=f"{prefix.lower()}{i}@example.test", **kw)
        for i in range(n)
    ]


def contacts_sql(n: int, *, tags: str = "[]") -> None:
    """n contacts in one INSERT … SELECT (for large selections)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO crm_contact (name, email, phone, company_name, industry, tags, custom_fields, source,
                                     owner_email, created_at, updated_at)
            SELECT 'Bulk ' || g, 'bulk' || g || '@example.test', '', '', 'retail', %s::jsonb, '{}'::jsonb, 'import',
                   '', now(), now()
            FROM generate_series(1, %s) g
            """,
            [tags, n],
        )
    search_refresh(Contact.objects.filter(search__isnull=True))
