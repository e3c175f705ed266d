"""Bulk work on tenant lists: one registry, one selection grammar, set-based SQL, undo, jobs.

Every list of the dashboard and the API (contacts, companies, deals, tasks, products) is a
registered ``ListKind``: its model, how a filter dict is cleaned (``clean_filters``) and turned
into a queryset (``queryset``) — the very functions the list selectors use, so "all N matching
this filter" selects exactly what the list shows — and its ``BulkAction`` objects.

A bulk action is ONE set-based statement (``UPDATE … WHERE <selection>``) inside a transaction,
never a per-row save loop. A selection is explicit ids or a filter dict. Selections larger than
``ASYNC_THRESHOLD`` rows run in a Celery task (``bulk_job_run``, tenant-aware through
tenant-schemas-celery, panic-aware through GuardedTask) that walks primary-key ranges of
``CHUNK_SIZE`` ids, one statement and one transaction per range, and publishes progress
(done/total, state) in Redis under a job id (``bulk_job_progress``).

A bulk delete is a soft delete stamped with a batch id; the batch id is the undo token, and
``bulk_undo(token=…)`` restores exactly that batch with one statement. Every run is audited
(``<app>.bulk_<action>``, e.g. ``crm.bulk_delete``).

Also here, because lists and bulk actions share them: the soft-delete model base, the text
search document/query helpers (PostgreSQL full text search with prefix matching — the embedded
PostgreSQL ships no pg_trgm) and CSV import/export plumbing.

Glossary: *kind* = the list key ("contacts"); *selection* = ids or filter; *changed* = rows a
statement actually modified (rows that already had a tag are not rewritten).
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import re
import string
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from celery import shared_task
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchQuery, SearchVectorField
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models import F, Func, Max, Min, Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import Now
from django.http import Http404
from django.utils import timezone

log = logging.getLogger(__name__)

ASYNC_THRESHOLD = 5_000  # selections with more rows than this run in a Celery task
CHUNK_SIZE = 5_000  # primary-key range per statement in a task
MAX_IDS = 100_000  # explicit ids in one request
JOB_TTL = 60 * 60 * 24  # seconds a job's progress stays readable
TAG_MAX_LENGTH = 50
TAGS_PER_REQUEST = 50


# =========================================================================== soft delete


class SoftDeleteQuerySet(models.QuerySet):
    def alive(self):
        return self.filter(deleted_at__isnull=True)

    def deleted(self):
        return self.filter(deleted_at__isnull=False)


class SoftDeleteModel(models.Model):
    """Rows are never removed by the application: a delete stamps ``deleted_at`` (and who, and
    the bulk batch that did it, which is the undo token). Selectors read ``.alive()`` rows."""

    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)
    deleted_by_id = models.BigIntegerField(null=True, blank=True, editable=False, help_text="Public-schema user id.")
    deleted_batch = models.UUIDField(
        null=True, blank=True, editable=False, help_text="The delete (undo token) that removed this row."
    )

    objects = SoftDeleteQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


# =========================================================================== text search

# Characters that separate words, on both sides: the document (SQL regexp below) and the query
# (Python). Letters and digits of every script are kept; PostgreSQL lower-cases both sides.
_SEPARATORS_SQL = "[[:punct:][:space:]]+"
_QUERY_SPLIT = re.compile(r"[\s" + re.escape(string.punctuation) + r"\W]+", re.UNICODE)
SEARCH_MAX_TERMS = 8


class SearchDocument(Func):
    """``to_tsvector('simple', <fields joined, punctuation as spaces>)``. Punctuation is blanked
    first, so an email ``jane.doe@acme.com`` is found by ``doe`` or ``acme``."""

    template = "to_tsvector('simple'::regconfig, regexp_replace(%(expressions)s, '" + _SEPARATORS_SQL + "', ' ', 'g'))"
    arg_joiner = " || ' ' || "
    output_field = SearchVectorField()

    def __init__(self, *field_names: str):
        super().__init__(*[Func(F(name), template="COALESCE(%(expressions)s, '')") for name in field_names])


def search_field() -> SearchVectorField:
    """The ``search`` column of a list model (GIN-indexed): its SearchDocument over the model's
    ``SEARCH_FIELDS``, written by ``search_refresh`` when those fields change.

    Deliberately not a generated column: PostgreSQL recomputes stored generated columns on every
    UPDATE, even one that only touches tags or prices, and that recomputation was half the cost
    of a bulk action over 100,000 rows (1.5 s of 2.9 s measured; docs/benchmarks.md). Rows whose
    document is missing (written around the services) are still found: ``search_filter`` falls
    back to computing it for rows where it is NULL (a partial index finds those)."""
    return SearchVectorField(null=True, blank=True, editable=False)


# GIN indexes of the list models take new entries into a pending list first. The default list
# (4 MB) fills up a few times during a 100,000-row bulk UPDATE, and each time the statement stops
# to merge it into the index — about a third of the statement's time. With 64 MB the statement
# only appends, and the merge runs right after it in the background (``gin_pending_merge``, queued
# by bulk_run; autovacuum would do it too). Searches meanwhile also read the pending list:
# correct, somewhat slower for a few seconds (docs/benchmarks.md, "CRM and catalogue").
GIN_PENDING_LIST_KB = 65536
GIN_MERGE_AFTER = 10_000  # rows changed by one bulk action before a background merge is queued


def gin_index(field_name: str, name: str) -> GinIndex:
    return GinIndex(fields=[field_name], name=name, gin_pending_list_limit=GIN_PENDING_LIST_KB)


def gin_pending_merge(model) -> list[str]:
    """Merge the pending lists of the model's GIN indexes (in the current schema) into the
    indexes. Returns the index names."""
    names = [i.name for i in model._meta.indexes if isinstance(i, GinIndex)]
    schema = connection.ops.quote_name(connection.schema_name)
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute(
                "SELECT gin_clean_pending_list(%s::regclass)", [f"{schema}.{connection.ops.quote_name(name)}"]
            )
    return names


@shared_task(acks_late=True, ignore_result=True, name="apps.core.bulk.gin_pending_merge_task")
def gin_pending_merge_task(kind: str) -> list[str]:
    """Runs in the tenant's schema (tenant-schemas-celery): see GIN_PENDING_LIST_KB."""
    return gin_pending_merge(bulk_kind(kind).model)


def _queue_gin_merge(kind: str, changed: int) -> None:
    if changed >= GIN_MERGE_AFTER:
        schema = connection.schema_name
        transaction.on_commit(lambda: gin_pending_merge_task.apply_async(args=[kind], headers={"_schema_name": schema}))


def search_refresh(qs: models.QuerySet) -> int:
    """Recompute the search document of these rows: ONE set-based UPDATE. Services call it after
    writing a ``SEARCH_FIELDS`` column; it also repairs documents written around them."""
    return qs.update(search=SearchDocument(*qs.model.SEARCH_FIELDS))


def search_document_sql(model, alias: str = "") -> str:
    """The SQL text of the model's SearchDocument, for hand-written statements."""
    prefix = f"{alias}." if alias else ""
    joined = " || ' ' || ".join(f"COALESCE({prefix}{connection.ops.quote_name(f)}, '')" for f in model.SEARCH_FIELDS)
    return SearchDocument.template % {"expressions": joined}


def search_terms(q: str | None) -> list[str]:
    """The words of a search box entry (punctuation splits words, as in the documents)."""
    return [t for t in _QUERY_SPLIT.split(q or "") if t][:SEARCH_MAX_TERMS]


def search_tsquery(q: str | None) -> str | None:
    """A raw tsquery where every word is a prefix: "jan do" → ``jan:* & do:*``. None: no words."""
    terms = search_terms(q)
    if not terms:
        return None
    return " & ".join(f"{t}:*" for t in terms)


def search_query(q: str | None) -> SearchQuery | None:
    raw = search_tsquery(q)
    return SearchQuery(raw, search_type="raw", config="simple") if raw else None


def search_filter(qs: models.QuerySet, q: str | None) -> models.QuerySet:
    """Rows whose search document matches every word of ``q`` as a prefix (the GIN index on
    ``search``; rows still without a document are matched on the computed one); ``qs``
    unchanged when ``q`` has no words."""
    query = search_query(q)
    if query is None:
        return qs
    computed = SearchDocument(*qs.model.SEARCH_FIELDS)
    # "search IS NULL" first: PostgreSQL evaluates AND arms in order, so the document is only
    # computed for rows that have none (kwargs in one Q() would be sorted, _doc first).
    return qs.alias(_doc=computed).filter(Q(search=query) | (Q(search__isnull=True) & Q(_doc=query)))


# =========================================================================== tags


def tags_clean(value: Any, *, field_name: str = "tags") -> list[str]:
    """Tags are trimmed, lower-cased, de-duplicated and sorted; a string is split on commas."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = value.replace(";", ",").split(",")
    if not isinstance(value, list | tuple | set | frozenset):
        raise ValidationError({field_name: "A list of tags (strings)."})
    out: set[str] = set()
    for raw in value:
        if not isinstance(raw, str):
            raise ValidationError({field_name: "Every tag must be a string."})
        tag = " ".join(raw.split()).lower()
        if not tag:
            continue
        if len(tag) > TAG_MAX_LENGTH:
            raise ValidationError({field_name: f"“{tag[:20]}…” is longer than {TAG_MAX_LENGTH} characters."})
        out.add(tag)
    if len(out) > TAGS_PER_REQUEST:
        raise ValidationError({field_name: f"At most {TAGS_PER_REQUEST} tags."})
    return sorted(out)


# =========================================================================== filter grammar


def filter_values(raw: Mapping, key: str) -> list:
    """All values of ``key`` in a QueryDict (``?tag=a&tag=b``) or a plain dict (scalar or list)."""
    if hasattr(raw, "getlist"):
        return [v for v in raw.getlist(key) if v not in ("", None)]
    value = raw.get(key)
    if value in ("", None):
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def clean_filters(
    raw: Mapping | None,
    *,
    fields: Mapping[str, Callable[[list], Any]],
    ignore: Iterable[str] = ("limit", "offset", "page", "per_page", "format"),
) -> dict:
    """The filter grammar shared by lists, the API and bulk selections: a mapping of names to
    values, each cleaned by ``fields[name]`` (which gets the list of raw values and returns the
    clean value, or raises ValidationError with a message). Unknown names are refused."""
    raw = raw or {}
    if not isinstance(raw, Mapping):
        raise ValidationError({"filter": 'An object of filters, e.g. {"tag": "vip"}.'})
    ignore = set(ignore)
    errors: dict[str, list[str]] = {}
    clean: dict = {}
    for key in raw:
        if key in ignore:
            continue
        if key not in fields:
            errors[key] = [f"Unknown filter. Allowed: {', '.join(fields)}."]
            continue
        values = filter_values(raw, key)
        if not values:
            continue
        try:
            value = fields[key](values)
        except ValidationError as exc:
            errors[key] = exc.messages
            continue
        if value not in (None, "", []):
            clean[key] = value
    if errors:
        raise ValidationError(errors)
    return clean


def one_text(max_length: int = 200) -> Callable[[list], str]:
    def parse(values: list) -> str:
        value = values[-1]
        if not isinstance(value, str):
            raise ValidationError("A text value.")
        value = value.strip()
        if len(value) > max_length:
            raise ValidationError(f"At most {max_length} characters.")
        return value

    return parse


def one_choice(choices: Iterable[str]) -> Callable[[list], str]:
    allowed = list(choices)

    def parse(values: list) -> str:
        value = str(values[-1]).strip()
        if value not in allowed:
            raise ValidationError(f"“{value}” is not one of: {', '.join(allowed)}.")
        return value

    return parse


def one_int(values: list) -> int:
    value = values[-1]
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationError("A whole number (an id).") from None
    if number < 1:
        raise ValidationError("A positive id.")
    return number


def tag_list(values: list) -> list[str]:
    flat: list = []
    for v in values:
        flat.extend(v if isinstance(v, list | tuple) else [v])
    return tags_clean(flat, field_name="tag")


def owner_value(values: list) -> int | str:
    """An owner is a user id, an email, or "none" (unassigned)."""
    value = str(values[-1]).strip()
    if value.lower() == "none":
        return "none"
    if value.isdigit():
        return int(value)
    if "@" in value and len(value) <= 254:
        return value.lower()
    raise ValidationError("A user id, an email, or “none”.")


def sort_value(allowed: Sequence[str]) -> Callable[[list], str]:
    """``name`` or ``-name``; ``allowed`` lists the field names (without sign)."""

    def parse(values: list) -> str:
        value = str(values[-1]).strip()
        if value.lstrip("-") not in allowed:
            raise ValidationError(f"Sort by one of: {', '.join(allowed)} (prefix “-” for descending).")
        return value

    return parse


def owner_q(owner: int | str, *, id_field: str = "owner_id", email_field: str = "owner_email") -> Q:
    if owner == "none":
        return Q(**{f"{id_field}__isnull": True})
    if isinstance(owner, int):
        return Q(**{id_field: owner})
    return Q(**{f"{email_field}__iexact": owner})


def ordering(sort: str | None, default: str) -> list[str]:
    """ORDER BY for a sort key, with the primary key as the tie breaker (stable pages)."""
    sort = sort or default
    tie = "-id" if sort.startswith("-") else "id"
    return [sort, tie]


# =========================================================================== pages


@dataclass(frozen=True)
class ListPage:
    """One page of a list: the rows, the total matching the filter (for "all N matching"),
    and where the page is. ``page`` is 1-based."""

    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def start_index(self) -> int:
        return 0 if not self.items else (self.page - 1) * self.per_page + 1


def list_page(qs: models.QuerySet, *, page: int = 1, per_page: int = 50, max_per_page: int = 200) -> ListPage:
    """Offset pagination with the total (one COUNT, one page query). Out-of-range pages are
    clamped to the last page."""
    per_page = max(1, min(int(per_page or 50), max_per_page))
    total = qs.count()
    pages = max(1, -(-total // per_page))
    page = max(1, min(int(page or 1), pages))
    start = (page - 1) * per_page
    return ListPage(items=list(qs[start : start + per_page]), total=total, page=page, per_page=per_page)


# =========================================================================== registry


@dataclass(frozen=True)
class BulkContext:
    """What an action may need besides the selection: who, and the batch id of this run."""

    actor_id: int | None
    batch: uuid.UUID


@dataclass(frozen=True)
class BulkAction:
    """One bulk action of a list kind.

    ``clean(params) -> dict`` validates the action's parameters (ValidationError with field
    errors); ``apply(qs, params, ctx) -> int`` runs ONE statement over the selection queryset
    and returns the number of rows it changed. ``destructive`` asks the UI for a confirmation;
    ``undoable`` means the result carries an undo token."""

    name: str
    label: str
    apply: Callable[[models.QuerySet, dict, BulkContext], int]
    clean: Callable[[dict], dict] = lambda params: {}
    destructive: bool = False
    undoable: bool = False


@dataclass(frozen=True)
class ListKind:
    """A list that bulk actions work on. ``queryset(filters)`` returns the alive rows matching
    already-cleaned filters (unordered); ``clean_filters(raw)`` validates a raw filter dict."""

    key: str
    model: type[models.Model]
    audit_prefix: str
    clean_filters: Callable[[Mapping | None], dict]
    queryset: Callable[[dict], models.QuerySet]
    actions: dict[str, BulkAction] = field(default_factory=dict)
    feature: str = ""

    @property
    def target_type(self) -> str:
        return f"{self.model._meta.app_label}.{self.model._meta.model_name}"


_registry: dict[str, ListKind] = {}


def bulk_register(kind: ListKind) -> ListKind:
    """Called by each app's ``ready()``; registering a key again replaces it (reloads)."""
    _registry[kind.key] = kind
    return kind


def bulk_kind(key: str) -> ListKind:
    try:
        return _registry[key]
    except KeyError:
        raise ValidationError({"kind": f"Unknown list “{key}”. Known: {', '.join(sorted(_registry))}."}) from None


def bulk_kinds() -> list[str]:
    return sorted(_registry)


def bulk_actions_for(*, kind: str) -> list[BulkAction]:
    """The toolbar's actions for a list, in registration order."""
    return list(bulk_kind(kind).actions.values())


# --------------------------------------------------------------------------- generic actions


def _edit_marks(model) -> dict:
    """A bulk edit is an edit: it moves ``updated_at`` and, on versioned models (deals, tasks),
    the version, so an inline edit opened before it is refused instead of undoing it."""
    marks: dict = {"updated_at": Now()}
    if any(f.name == "version" for f in model._meta.concrete_fields):
        marks["version"] = F("version") + 1
    return marks


def action_soft_delete(qs: models.QuerySet, params: dict, ctx: BulkContext) -> int:
    return qs.update(deleted_at=Now(), deleted_by_id=ctx.actor_id, deleted_batch=ctx.batch)


def _json_list(values: list[str]) -> str:
    import json

    return json.dumps(values)


def action_add_tags(qs: models.QuerySet, params: dict, ctx: BulkContext) -> int:
    """Append the new tags to rows missing at least one of them. A row holding none of them
    (the usual case) gets a plain concatenation; one holding some gets the distinct union. Tag
    order is not meaningful (lists show them sorted); rows are never rewritten for nothing."""
    new = params["tags"]
    table = connection.ops.quote_name(qs.model._meta.db_table)
    expr = RawSQL(  # noqa: S611 - fixed SQL text, values bound as parameters
        f"CASE WHEN NOT {table}.tags ?| %s::text[] THEN {table}.tags || %s::jsonb "
        "ELSE (SELECT coalesce(jsonb_agg(DISTINCT t.v ORDER BY t.v), '[]'::jsonb) "
        f"FROM jsonb_array_elements_text({table}.tags || %s::jsonb) AS t(v)) END",
        [new, _json_list(new), _json_list(new)],
    )
    return qs.exclude(tags__contains=new).update(tags=expr, **_edit_marks(qs.model))


def action_remove_tags(qs: models.QuerySet, params: dict, ctx: BulkContext) -> int:
    """tags := tags minus the given ones, for rows that have any of them."""
    gone = params["tags"]
    table = connection.ops.quote_name(qs.model._meta.db_table)
    expr = RawSQL(  # noqa: S611 - fixed SQL text, values bound as parameters
        "(SELECT coalesce(jsonb_agg(t.v ORDER BY t.v), '[]'::jsonb) "
        f"FROM jsonb_array_elements_text({table}.tags) AS t(v) WHERE t.v <> ALL(%s::text[]))",
        [gone],
    )
    return qs.filter(tags__has_any_keys=gone).update(tags=expr, **_edit_marks(qs.model))


def clean_tags_param(params: dict) -> dict:
    tags = tags_clean(params.get("tags"))
    if not tags:
        raise ValidationError({"tags": "Give at least one tag."})
    return {"tags": tags}


def action_set_field(field_name: str) -> Callable[[models.QuerySet, dict, BulkContext], int]:
    def apply(qs: models.QuerySet, params: dict, ctx: BulkContext) -> int:
        value = params[field_name]
        return qs.exclude(**{field_name: value}).update(**{field_name: value}, **_edit_marks(qs.model))

    return apply


def clean_text_param(name: str, *, max_length: int, required: bool = False) -> Callable[[dict], dict]:
    def clean(params: dict) -> dict:
        value = params.get(name, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise ValidationError({name: "A text value."})
        value = " ".join(value.split())
        if len(value) > max_length:
            raise ValidationError({name: f"At most {max_length} characters."})
        if required and not value:
            raise ValidationError({name: "This field is required."})
        return {name: value}

    return clean


def clean_choice_param(name: str, choices: Iterable[str]) -> Callable[[dict], dict]:
    allowed = list(choices)

    def clean(params: dict) -> dict:
        value = params.get(name)
        if value not in allowed:
            raise ValidationError({name: f"One of: {', '.join(allowed)}."})
        return {name: value}

    return clean


def standard_actions(*, tags: bool = True, industry: bool = False) -> dict[str, BulkAction]:
    """delete (+ undo), add_tags / remove_tags, set_industry — the CRM lists' toolbar."""
    actions = {
        "delete": BulkAction("delete", "Delete", action_soft_delete, destructive=True, undoable=True),
    }
    if tags:
        actions["add_tags"] = BulkAction("add_tags", "Add tags", action_add_tags, clean_tags_param)
        actions["remove_tags"] = BulkAction("remove_tags", "Remove tags", action_remove_tags, clean_tags_param)
    if industry:
        actions["set_industry"] = BulkAction(
            "set_industry",
            "Set industry",
            action_set_field("industry"),
            clean_text_param("industry", max_length=80),
        )
    return actions


# =========================================================================== results and jobs


@dataclass(frozen=True)
class BulkResult:
    """What a bulk run returns. ``count``: rows selected; ``changed``: rows modified (None while
    a job is still running); ``undo_token``: for deletes; ``job_id``: when it runs in a task;
    ``state``: "done" or "queued"."""

    kind: str
    action: str
    count: int
    changed: int | None
    state: str = "done"
    undo_token: str | None = None
    job_id: str | None = None

    @property
    def is_async(self) -> bool:
        return self.job_id is not None

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class BulkJobProgress:
    """A job's progress as stored in Redis. ``state``: queued, running, done, failed, cancelled."""

    job_id: str
    kind: str
    action: str
    state: str
    done: int
    total: int
    changed: int = 0
    undo_token: str | None = None
    error: str = ""
    queued_at: str = ""
    finished_at: str = ""

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, int(self.done * 100 / self.total))

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed", "cancelled")

    def as_dict(self) -> dict:
        return {**asdict(self), "percent": self.percent, "finished": self.finished}


def _job_key(job_id: str, schema: str | None = None) -> str:
    # The schema is part of the key: a tenant can only ever read its own jobs.
    return f"bulk:job:{schema or connection.schema_name}:{job_id}"


def _job_write(job: str, schema: str | None = None, **values) -> dict:
    key = _job_key(job, schema)
    state = cache.get(key) or {}
    state.update(values)
    cache.set(key, state, timeout=JOB_TTL)
    return state


def bulk_job_progress(*, job_id: str) -> BulkJobProgress | None:
    """The progress of a job queued in the current tenant (None: unknown, expired, or another
    tenant's). One Redis GET."""
    if not isinstance(job_id, str) or not re.fullmatch(r"[0-9a-f]{32}", job_id):
        return None
    state = cache.get(_job_key(job_id))
    if not state:
        return None
    fields = BulkJobProgress.__dataclass_fields__
    return BulkJobProgress(**{k: v for k, v in state.items() if k in fields})


# =========================================================================== selection and run


def _clean_ids(ids: Iterable) -> list[int]:
    if isinstance(ids, str | bytes) or not isinstance(ids, Iterable):
        raise ValidationError({"ids": "A list of ids."})
    out: list[int] = []
    for value in ids:
        if isinstance(value, bool):
            raise ValidationError({"ids": "Ids are whole numbers."})
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ValidationError({"ids": "Ids are whole numbers."}) from None
        if number < 1 or str(value).strip() != str(number):
            raise ValidationError({"ids": "Ids are positive whole numbers."})
        out.append(number)
    if not out:
        raise ValidationError({"ids": "Select at least one row."})
    if len(out) > MAX_IDS:
        raise ValidationError({"ids": f"At most {MAX_IDS} ids; select by filter instead."})
    return sorted(set(out))


def bulk_selection(*, kind: str, ids: Iterable | None = None, filters: Mapping | None = None) -> models.QuerySet:
    """The alive rows of a selection: explicit ids, or every row matching the filter dict (the
    list's own grammar). Exactly one of the two. Explicit ids that are not alive rows of this
    tenant raise Http404 naming them, so nothing is done half-way on a stale selection."""
    spec = bulk_kind(kind)
    if (ids is None) == (filters is None):
        raise ValidationError({"non_field_errors": "Give either “ids” or “filter”, not both and not neither."})
    if ids is not None:
        wanted = _clean_ids(ids)
        qs = spec.model.objects.alive().filter(pk__in=wanted)
        found = set(qs.values_list("pk", flat=True))
        missing = [i for i in wanted if i not in found]
        if missing:
            shown = ", ".join(str(i) for i in missing[:20]) + ("…" if len(missing) > 20 else "")
            raise Http404(f"No {kind} with id {shown}.")
        return qs
    return spec.queryset(spec.clean_filters(filters))


def bulk_selection_count(*, kind: str, ids: Iterable | None = None, filters: Mapping | None = None) -> int:
    """How many rows a selection holds ("all 12,408 matching")."""
    return bulk_selection(kind=kind, ids=ids, filters=filters).count()


def _tenant_slug() -> str:
    tenant = getattr(connection, "tenant", None)
    return getattr(tenant, "slug", "") or ""


def _undo_token(kind: str, batch: uuid.UUID) -> str:
    return f"{kind}.{batch.hex}"


def _audit(
    *,
    spec: ListKind,
    action: BulkAction,
    actor,
    count: int,
    changed,
    selection: dict,
    params: dict,
    undo_token: str | None,
    job_id: str | None,
    ip: str | None,
    note: str = "",
) -> None:
    from apps.audit.services import audit_record

    audit_record(
        action=f"{spec.audit_prefix}.bulk_{action.name}",
        actor=actor,
        target_type=spec.target_type,
        target_id=job_id or (undo_token or ""),
        target_repr=f"{count} {spec.key}",
        tenant_slug=_tenant_slug(),
        after={
            "count": count,
            "changed": changed,
            "selection": selection,
            "params": params,
            "undo_token": undo_token,
            "job_id": job_id,
        },
        reason=note,
        ip=ip,
    )


def _selection_record(ids, filters) -> dict:
    if ids is not None:
        ids = list(ids)
        return {"ids": ids[:100], "ids_total": len(ids)}
    return {"filter": dict(filters or {})}


def bulk_run(
    *,
    kind: str,
    action: str,
    ids: Iterable | None = None,
    filters: Mapping | None = None,
    params: Mapping | None = None,
    actor=None,
    ip: str | None = None,
    async_threshold: int | None = ASYNC_THRESHOLD,
) -> BulkResult:
    """Run a bulk action on a selection of the current tenant's list ``kind``.

    Up to ``async_threshold`` rows: one statement in one transaction, audited in it; the result
    is final. More: a job is queued (after commit) and the result carries ``job_id`` and state
    "queued" (read progress with ``bulk_job_progress``); ``async_threshold=None`` always runs
    inline. Deletes return an ``undo_token`` either way. Raises ValidationError for a bad
    action, parameters or filter, Http404 for ids that are not this tenant's alive rows."""
    spec = bulk_kind(kind)
    if action not in spec.actions:
        raise ValidationError({"action": f"Unknown action “{action}” for {kind}. Allowed: {', '.join(spec.actions)}."})
    act = spec.actions[action]
    clean_params = act.clean(dict(params or {}))
    clean_filter = spec.clean_filters(filters) if filters is not None else None
    clean_ids = _clean_ids(ids) if ids is not None else None
    batch = uuid.uuid4()
    ctx = BulkContext(actor_id=getattr(actor, "pk", None), batch=batch)
    undo_token = _undo_token(kind, batch) if act.undoable else None
    selection = _selection_record(clean_ids, clean_filter)
    qs = bulk_selection(kind=kind, ids=clean_ids, filters=clean_filter)
    total = qs.count()

    if async_threshold is not None and total > async_threshold:
        job_id = uuid.uuid4().hex
        schema = connection.schema_name
        _job_write(
            job_id,
            schema,
            job_id=job_id,
            kind=kind,
            action=action,
            state="queued",
            done=0,
            total=total,
            changed=0,
            undo_token=undo_token,
            error="",
            queued_at=timezone.now().isoformat(),
            finished_at="",
        )
        spec_args = {
            "kind": kind,
            "action": action,
            "ids": clean_ids,
            "filters": clean_filter,
            "params": clean_params,
            "actor_id": ctx.actor_id,
            "batch": batch.hex,
            "ip": ip,
        }
        with transaction.atomic():
            _audit(
                spec=spec,
                action=act,
                actor=actor,
                count=total,
                changed=None,
                selection=selection,
                params=clean_params,
                undo_token=undo_token,
                job_id=job_id,
                ip=ip,
                note="queued",
            )
            transaction.on_commit(
                lambda: bulk_job_run.apply_async(args=[job_id, spec_args], headers={"_schema_name": schema})
            )
        return BulkResult(
            kind=kind, action=action, count=total, changed=None, state="queued", undo_token=undo_token, job_id=job_id
        )

    with transaction.atomic():
        changed = act.apply(qs, clean_params, ctx) if total else 0
        _queue_gin_merge(kind, changed)
        _audit(
            spec=spec,
            action=act,
            actor=actor,
            count=total,
            changed=changed,
            selection=selection,
            params=clean_params,
            undo_token=undo_token,
            job_id=None,
            ip=ip,
        )
    return BulkResult(kind=kind, action=action, count=total, changed=changed, undo_token=undo_token)


def bulk_undo(*, token: str, actor=None, ip: str | None = None) -> BulkResult:
    """Restore the rows a bulk delete removed (one statement). A token of another tenant, an
    unknown or malformed token restores nothing (ValidationError)."""
    match = re.fullmatch(r"([a-z_]+)\.([0-9a-f]{32})", token or "")
    if not match:
        raise ValidationError({"token": "Not an undo token."})
    spec = bulk_kind(match.group(1))
    batch = uuid.UUID(match.group(2))
    with transaction.atomic():
        restored = spec.model.objects.filter(deleted_batch=batch, deleted_at__isnull=False).update(
            deleted_at=None, deleted_by_id=None, deleted_batch=None
        )
        if not restored:
            raise ValidationError({"token": "Nothing to undo: unknown token, or already undone."})
        from apps.audit.services import audit_record

        audit_record(
            action=f"{spec.audit_prefix}.bulk_undo",
            actor=actor,
            target_type=spec.target_type,
            target_id=token,
            target_repr=f"{restored} {spec.key}",
            tenant_slug=_tenant_slug(),
            after={"restored": restored, "undo_token": token},
            ip=ip,
        )
    return BulkResult(kind=spec.key, action="undo", count=restored, changed=restored)


def bulk_run_chunked(*, job_id: str, spec_args: dict, on_chunk: Callable[[], None] | None = None) -> BulkJobProgress:
    """The body of a job, in the tenant's schema: primary-key ranges of CHUNK_SIZE, one
    statement and one transaction each, progress published after each. Idempotent: re-running
    a job after a crash redoes nothing already done (deleted rows are no longer alive, tagged
    rows are skipped)."""
    from apps.accounts.models import User

    spec = bulk_kind(spec_args["kind"])
    act = spec.actions[spec_args["action"]]
    batch = uuid.UUID(spec_args["batch"])
    ctx = BulkContext(actor_id=spec_args.get("actor_id"), batch=batch)
    ids, filters = spec_args.get("ids"), spec_args.get("filters")
    qs = spec.model.objects.alive().filter(pk__in=ids) if ids is not None else spec.queryset(filters or {})
    total = (cache.get(_job_key(job_id)) or {}).get("total") or qs.count()
    _job_write(job_id, state="running", total=total)
    bounds = qs.aggregate(lo=Min("pk"), hi=Max("pk"))
    done = changed = 0
    try:
        if bounds["lo"] is not None:
            start = bounds["lo"]
            while start <= bounds["hi"]:
                if on_chunk is not None:
                    on_chunk()
                chunk = qs.filter(pk__gte=start, pk__lt=start + CHUNK_SIZE)
                with transaction.atomic():
                    selected = chunk.count()
                    changed += act.apply(chunk, spec_args["params"], ctx) if selected else 0
                done += selected
                _job_write(job_id, done=min(done, total), changed=changed)
                start += CHUNK_SIZE
    except Exception as exc:
        from apps.governance.tasks_base import TaskCancelled

        state = "cancelled" if isinstance(exc, TaskCancelled) else "failed"
        _job_write(job_id, state=state, error=str(exc)[:500], finished_at=timezone.now().isoformat())
        raise
    if changed:
        gin_pending_merge(spec.model)  # the job is in the background already: merge now
    actor = User.objects.filter(pk=ctx.actor_id).first() if ctx.actor_id else None
    _audit(
        spec=spec,
        action=act,
        actor=actor,
        count=done,
        changed=changed,
        selection=_selection_record(ids, filters),
        params=spec_args["params"],
        undo_token=_undo_token(spec.key, batch) if act.undoable else None,
        job_id=job_id,
        ip=spec_args.get("ip"),
        note="finished",
    )
    state = _job_write(
        job_id,
        state="done",
        done=total if done >= total else done,
        changed=changed,
        finished_at=timezone.now().isoformat(),
    )
    fields = BulkJobProgress.__dataclass_fields__
    return BulkJobProgress(**{k: v for k, v in state.items() if k in fields})


@shared_task(bind=True, acks_late=True, ignore_result=True, name="apps.core.bulk.bulk_job_run")
def bulk_job_run(self, job_id: str, spec_args: dict) -> dict:
    """Runs in the schema of the tenant that queued it (tenant-schemas-celery header). Stops
    between chunks when the tenant is panicked (GuardedTask.raise_if_cancelled)."""
    progress = bulk_run_chunked(job_id=job_id, spec_args=spec_args, on_chunk=getattr(self, "raise_if_cancelled", None))
    return progress.as_dict()


# =========================================================================== CSV import / export

CSV_MAX_BYTES = 20 * 1024 * 1024
CSV_MAX_ROWS = 100_000
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class RowError:
    """One problem in an import. ``row`` is the line number a spreadsheet shows (the header is
    row 1, the first data row is row 2); 0 means the whole file."""

    row: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row else "file"
        return f"{where}: {self.field + ': ' if self.field else ''}{self.message}"


@dataclass
class ImportReport:
    """What an import did. Nothing is imported when any row is invalid, unless the caller asked
    for ``import_valid_rows``; ``dry_run`` validates only."""

    total_rows: int = 0
    valid_rows: int = 0
    imported: int = 0
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    dry_run: bool = False
    import_valid_rows: bool = False

    @property
    def invalid_rows(self) -> int:
        return len({e.row for e in self.errors if e.row})

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def blocked(self) -> bool:
        """True when invalid rows stopped the whole import."""
        return bool(self.errors) and not self.import_valid_rows and not self.dry_run

    def as_dict(self) -> dict:
        return {
            "total_rows": self.total_rows,
            "valid_rows": self.valid_rows,
            "invalid_rows": self.invalid_rows,
            "imported": self.imported,
            "dry_run": self.dry_run,
            "errors": [asdict(e) for e in self.errors],
            "ignored_columns": self.ignored_columns,
        }


def csv_read(
    file, *, required: Sequence[str], known: Sequence[str], prefixes: Sequence[str] = ()
) -> tuple[list[str], list[tuple[int, dict[str, str]]], list[str]]:
    """Read an uploaded CSV (bytes, str, or a file object; UTF-8 with or without BOM; comma or
    semicolon separated). Returns (normalised header, [(row number, {column: value})], ignored
    columns). Header names are case-insensitive; columns starting with one of ``prefixes`` (e.g.
    "custom:") are kept as they are. Raises ValidationError({"file": …}) for a file that cannot
    be read at all."""
    data = file.read(CSV_MAX_BYTES + 1) if hasattr(file, "read") else file
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not data:
        raise ValidationError({"file": "The file is empty."})
    if len(data) > CSV_MAX_BYTES:
        raise ValidationError({"file": f"The file is larger than {CSV_MAX_BYTES // (1024 * 1024)} MB."})
    try:
        text = codecs.decode(data, "utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError({"file": "The file is not UTF-8 text (save it as “CSV UTF-8”)."}) from None
    sample = text[:4096]
    delimiter = ";" if sample.split("\n", 1)[0].count(";") > sample.split("\n", 1)[0].count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        raw_header = next(reader)
    except (StopIteration, csv.Error):
        raise ValidationError({"file": "The file has no header row."}) from None
    header = []
    for raw in raw_header:
        name = " ".join(raw.split())
        prefix = next((p for p in prefixes if name.lower().startswith(p)), None)
        # Known columns are matched without regard to case; a prefixed column keeps its own.
        header.append(prefix + name[len(prefix) :] if prefix else name.lower())
    missing = [r for r in required if r not in header]
    if missing:
        raise ValidationError(
            {"file": f"Missing column(s): {', '.join(missing)}. The first row must name the columns."}
        )
    lowered = [h.lower() for h in header]
    dupes = sorted({h for h in lowered if h and lowered.count(h) > 1})
    if dupes:
        raise ValidationError({"file": f"Column(s) named twice: {', '.join(dupes)}."})
    ignored = [h for h in header if h and h not in known and not h.startswith(tuple(prefixes))]
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            if len(rows) >= CSV_MAX_ROWS:
                raise ValidationError({"file": f"More than {CSV_MAX_ROWS} rows; split the file."})
            row = {h: (values[i].strip() if i < len(values) else "") for i, h in enumerate(header) if h}
            if len(values) > len(header):
                row["__extra__"] = "1"
            rows.append((reader.line_num, row))
    except csv.Error as exc:
        raise ValidationError({"file": f"Line {reader.line_num}: {exc}."}) from None
    return header, rows, ignored


def csv_safe(value: Any) -> str:
    """A cell a spreadsheet will not run as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_stream(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """CSV text, one line at a time (for StreamingHttpResponse): nothing is held in memory."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(list(header))
    for row in rows:
        yield writer.writerow([csv_safe(v) for v in row])
