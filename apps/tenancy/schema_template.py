"""Fast tenant schemas: clone a migrated template schema instead of replaying migrations.

The template schema (`settings.TENANT_TEMPLATE_SCHEMA`) is migrated like any tenant. A new
tenant's schema is made by one call to the SQL function `bizosaas_clone_schema` (installed by
migration tenancy.0002), which copies table definitions, rows (django_migrations included, so
the new schema is at the same migration state), constraints and indexes under their original
names, inside the caller's transaction. Cost grows with the number of tables, not with the
length of the migration history or the size of the fleet. See docs/adr/0001-template-schemas.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from django.conf import settings
from django.db import connection
from django_tenants.utils import schema_exists

# Version 1 (migration tenancy.0002): reads the template's catalogue on every clone.
CLONE_FUNCTION_SQL_V1 = r"""
CREATE OR REPLACE FUNCTION public.bizosaas_clone_schema(src text, dst text) RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
    old_path text := current_setting('search_path');
    rec record;
    cols text;
    stmts text[];
    stmt text;
    tables integer := 0;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = src) THEN
        RAISE EXCEPTION 'template schema "%" does not exist', src;
    END IF;
    -- Refuse what this clone does not reproduce, rather than make a schema that differs.
    IF EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = src AND c.relkind IN ('v', 'm', 'f', 'p')) THEN
        RAISE EXCEPTION 'template schema "%" holds views or partitioned tables; clone would be incomplete', src;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
               JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = src AND NOT t.tgisinternal) THEN
        RAISE EXCEPTION 'template schema "%" holds triggers; clone would be incomplete', src;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_attrdef d JOIN pg_class c ON c.oid = d.adrelid
               JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = src AND pg_get_expr(d.adbin, d.adrelid) LIKE '%nextval(%') THEN
        RAISE EXCEPTION 'template schema "%" uses serial defaults; clone would share sequences', src;
    END IF;

    EXECUTE format('CREATE SCHEMA %I', dst);

    FOR rec IN SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = src AND c.relkind = 'r' ORDER BY c.relname LOOP
        EXECUTE format(
            'CREATE TABLE %I.%I (LIKE %I.%I INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING GENERATED '
            'INCLUDING STORAGE INCLUDING COMMENTS INCLUDING COMPRESSION)',
            dst, rec.relname, src, rec.relname);
        SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols
          FROM pg_attribute
         WHERE attrelid = rec.oid AND attnum > 0 AND NOT attisdropped AND attgenerated = '';
        EXECUTE format('INSERT INTO %I.%I (%s) OVERRIDING SYSTEM VALUE SELECT %s FROM %I.%I',
                       dst, rec.relname, cols, cols, src, rec.relname);
        tables := tables + 1;
    END LOOP;

    -- Identity sequences continue after the copied rows.
    FOR rec IN SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
               JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = dst AND c.relkind = 'r' AND a.attidentity <> '' LOOP
        EXECUTE format(
            'SELECT setval(pg_get_serial_sequence(%L, %L), COALESCE((SELECT max(%I) FROM %I.%I), 0) + 1, false)',
            quote_ident(dst) || '.' || quote_ident(rec.relname), rec.attname, rec.attname, dst, rec.relname);
    END LOOP;

    -- Render constraints and indexes with the template as search path, so references to its
    -- own tables come out unqualified (public ones stay qualified), then run them in dst.
    PERFORM set_config('search_path', quote_ident(src), true);
    SELECT coalesce(array_agg(s ORDER BY ord, name), '{}') INTO stmts FROM (
        SELECT CASE con.contype WHEN 'p' THEN 0 WHEN 'u' THEN 1 WHEN 'x' THEN 1 ELSE 2 END AS ord,
               con.conname AS name,
               format('ALTER TABLE %I.%I ADD CONSTRAINT %I %s', dst, c.relname, con.conname,
                      pg_get_constraintdef(con.oid)) AS s
          FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = src AND con.contype IN ('p', 'u', 'x', 'c')
        UNION ALL
        SELECT 3, ic.relname,
               replace(pg_get_indexdef(i.indexrelid), ' ON ' || quote_ident(src) || '.',
                       ' ON ' || quote_ident(dst) || '.')
          FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
          JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = src
           AND NOT EXISTS (SELECT 1 FROM pg_constraint con
                            WHERE con.conindid = i.indexrelid AND con.contype IN ('p', 'u', 'x'))
        UNION ALL
        SELECT 4, con.conname,
               format('ALTER TABLE %I.%I ADD CONSTRAINT %I %s', dst, c.relname, con.conname,
                      pg_get_constraintdef(con.oid))
          FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = src AND con.contype = 'f'
    ) q;
    PERFORM set_config('search_path', quote_ident(dst) || ', public', true);
    FOREACH stmt IN ARRAY stmts LOOP
        EXECUTE stmt;
    END LOOP;
    PERFORM set_config('search_path', old_path, true);
    RETURN tables;
END
$fn$;
"""


# Version 2 (migration tenancy.0003): the statements that rebuild the template are computed once
# (`bizosaas_clone_plan`) and kept in `tenancy_cloneplan` with a fingerprint of the template's
# migration state; a clone replays them with the new schema's name, so it reads no catalogue
# table by namespace and its cost does not grow with the number of schemas in the database.
CLONE_PLAN_SQL = r"""
CREATE TABLE IF NOT EXISTS public.tenancy_cloneplan (
    source_schema text PRIMARY KEY,
    fingerprint text NOT NULL,
    statements text[] NOT NULL,
    built_at timestamptz NOT NULL DEFAULT now()
);

CREATE OR REPLACE FUNCTION public.bizosaas_template_fingerprint(src text) RETURNS text
LANGUAGE plpgsql AS $fn$
DECLARE
    fp text;
BEGIN
    EXECUTE format('SELECT count(*)::text || '':'' || coalesce(max(id), 0)::text FROM %I.django_migrations', src)
       INTO fp;
    RETURN fp;
END
$fn$;

CREATE OR REPLACE FUNCTION public.bizosaas_clone_plan(src text) RETURNS text[]
LANGUAGE plpgsql AS $fn$
DECLARE
    dst CONSTANT text := '__bizosaas_dst__';
    old_path text := current_setting('search_path');
    src_ns oid;
    tbl oid[];
    rec record;
    cols text;
    plan text[] := '{}';
    tail text[];
BEGIN
    SELECT oid INTO src_ns FROM pg_namespace WHERE nspname = src;
    IF src_ns IS NULL THEN
        RAISE EXCEPTION 'template schema "%" does not exist', src;
    END IF;
    -- Refuse what this clone does not reproduce, rather than make a schema that differs.
    IF EXISTS (SELECT 1 FROM pg_class WHERE relnamespace = src_ns AND relkind IN ('v', 'm', 'f', 'p')) THEN
        RAISE EXCEPTION 'template schema "%" holds views or partitioned tables; clone would be incomplete', src;
    END IF;
    SELECT array_agg(oid ORDER BY relname) INTO tbl FROM pg_class WHERE relnamespace = src_ns AND relkind = 'r';
    IF EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = ANY(tbl) AND NOT tgisinternal) THEN
        RAISE EXCEPTION 'template schema "%" holds triggers; clone would be incomplete', src;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_attrdef WHERE adrelid = ANY(tbl)
               AND pg_get_expr(adbin, adrelid) LIKE '%nextval(%') THEN
        RAISE EXCEPTION 'template schema "%" uses serial defaults; clone would share sequences', src;
    END IF;

    plan := plan || format('CREATE SCHEMA %I', dst);
    FOR rec IN SELECT oid, relname FROM pg_class WHERE oid = ANY(tbl) ORDER BY relname LOOP
        plan := plan || format(
            'CREATE TABLE %I.%I (LIKE %I.%I INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING GENERATED '
            'INCLUDING STORAGE INCLUDING COMMENTS INCLUDING COMPRESSION)',
            dst, rec.relname, src, rec.relname);
        SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols
          FROM pg_attribute
         WHERE attrelid = rec.oid AND attnum > 0 AND NOT attisdropped AND attgenerated = '';
        plan := plan || format('INSERT INTO %I.%I (%s) OVERRIDING SYSTEM VALUE SELECT %s FROM %I.%I',
                               dst, rec.relname, cols, cols, src, rec.relname);
    END LOOP;
    -- Identity sequences continue after the copied rows.
    FOR rec IN SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
               WHERE a.attrelid = ANY(tbl) AND a.attidentity <> '' LOOP
        plan := plan || format(
            'SELECT setval(pg_get_serial_sequence(%L, %L), COALESCE((SELECT max(%I) FROM %I.%I), 0) + 1, false)',
            dst || '.' || quote_ident(rec.relname), rec.attname, rec.attname, dst, rec.relname);
    END LOOP;

    -- Constraints and indexes, rendered with the template as search path so references to its
    -- own tables come out unqualified (they are run with the new schema first on the path).
    PERFORM set_config('search_path', quote_ident(src), true);
    SELECT coalesce(array_agg(s ORDER BY ord, name), '{}') INTO tail FROM (
        SELECT CASE con.contype WHEN 'p' THEN 0 WHEN 'u' THEN 1 WHEN 'x' THEN 1 ELSE 2 END AS ord,
               con.conname AS name,
               format('ALTER TABLE %I.%I ADD CONSTRAINT %I %s', dst, c.relname, con.conname,
                      pg_get_constraintdef(con.oid)) AS s
          FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
         WHERE con.conrelid = ANY(tbl) AND con.contype IN ('p', 'u', 'x', 'c')
        UNION ALL
        SELECT 3, ic.relname,
               replace(pg_get_indexdef(i.indexrelid), ' ON ' || quote_ident(src) || '.', ' ON ' || dst || '.')
          FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
         WHERE i.indrelid = ANY(tbl)
           AND NOT EXISTS (SELECT 1 FROM pg_constraint con
                            WHERE con.conrelid = i.indrelid AND con.conindid = i.indexrelid
                              AND con.contype IN ('p', 'u', 'x'))
        UNION ALL
        SELECT 4, con.conname,
               format('ALTER TABLE %I.%I ADD CONSTRAINT %I %s', dst, c.relname, con.conname,
                      pg_get_constraintdef(con.oid))
          FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
         WHERE con.conrelid = ANY(tbl) AND con.contype = 'f'
    ) q;
    PERFORM set_config('search_path', old_path, true);
    RETURN plan || tail;
END
$fn$;

CREATE OR REPLACE FUNCTION public.bizosaas_clone_schema(src text, dst text) RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
    old_path text := current_setting('search_path');
    fp text;
    stmts text[];
    stmt text;
    n integer := 0;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = src) THEN
        RAISE EXCEPTION 'template schema "%" does not exist', src;
    END IF;
    fp := public.bizosaas_template_fingerprint(src);
    SELECT statements INTO stmts FROM public.tenancy_cloneplan WHERE source_schema = src AND fingerprint = fp;
    IF stmts IS NULL THEN
        stmts := public.bizosaas_clone_plan(src);
        INSERT INTO public.tenancy_cloneplan (source_schema, fingerprint, statements, built_at)
             VALUES (src, fp, stmts, now())
        ON CONFLICT (source_schema) DO UPDATE
              SET fingerprint = EXCLUDED.fingerprint, statements = EXCLUDED.statements, built_at = now();
    END IF;
    PERFORM set_config('search_path', quote_ident(dst) || ', public', true);
    FOREACH stmt IN ARRAY stmts LOOP
        EXECUTE replace(stmt, '__bizosaas_dst__', quote_ident(dst));
        n := n + 1;
    END LOOP;
    PERFORM set_config('search_path', old_path, true);
    RETURN n;
END
$fn$;
"""


def template_schema() -> str:
    return settings.TENANT_TEMPLATE_SCHEMA


@lru_cache(maxsize=2)
def expected_leaf_migrations(*, tenant_apps_only: bool = False) -> frozenset[tuple[str, str]]:
    """The leaf migration of every app: a schema that has all of them applied is up to date.
    For tenant schemas only the apps in TENANT_APPS count: a public-only migration changes
    nothing in a tenant schema, so it must not send the whole fleet through `migrate`."""
    from django.apps import apps as django_apps
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    leaves = loader.graph.leaf_nodes()
    if tenant_apps_only:
        labels = {cfg.label for cfg in django_apps.get_app_configs() if cfg.name in settings.TENANT_APPS}
        leaves = [leaf for leaf in leaves if leaf[0] in labels]
    return frozenset(leaves)


def applied_migrations(schemas: Iterable[str]) -> dict[str, set[tuple[str, str]]]:
    """Applied migrations per schema, read in one round trip for the whole fleet."""
    schemas = list(schemas)
    result: dict[str, set[tuple[str, str]]] = {s: set() for s in schemas}
    if not schemas:
        return result
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relname = 'django_migrations' AND n.nspname = ANY(%s)",
            [schemas],
        )
        present = [row[0] for row in cursor.fetchall()]
        if not present:
            return result
        parts = [f"SELECT %s, app, name FROM {connection.ops.quote_name(s)}.django_migrations" for s in present]
        # Chunk the UNION so a fleet of thousands stays within sane statement sizes.
        for i in range(0, len(parts), 500):
            chunk = parts[i : i + 500]
            cursor.execute(" UNION ALL ".join(chunk), present[i : i + 500])
            for schema, app, name in cursor.fetchall():
                result[schema].add((app, name))
    return result


def pending_schemas(schemas: Iterable[str]) -> list[str]:
    """Tenant (or template) schemas missing a migration of a tenant app."""
    expected = expected_leaf_migrations(tenant_apps_only=True)
    applied = applied_migrations(schemas)
    return [s for s, done in applied.items() if not expected <= done]


def migrate_schema(schema_name: str, verbosity: int = 0) -> None:
    """Run the tenant migrations in one schema (creating it if needed)."""
    from django.core.management import call_command

    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {connection.ops.quote_name(schema_name)}")
    call_command("migrate_schemas", schema_name=schema_name, tenant=True, interactive=False, verbosity=verbosity)
    connection.set_schema_to_public()


def ensure_template(verbosity: int = 0) -> bool:
    """Make sure the template schema exists and is fully migrated. Returns True if it changed."""
    name = template_schema()
    connection.set_schema_to_public()
    if schema_exists(name) and not pending_schemas([name]):
        return False
    migrate_schema(name, verbosity=verbosity)
    return True


def clone_template(schema_name: str) -> None:
    """Create `schema_name` as a copy of the template, inside the current transaction."""
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute("SELECT public.bizosaas_clone_schema(%s, %s)", [template_schema(), schema_name])
