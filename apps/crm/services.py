"""Writes of the CRM, in the current tenant's schema. The dashboard, the API, the admin and the
CLI all call these; they validate (ValidationError with field keys), write, and record what
needs recording (timeline activities, conversion events, the audit log for bulk work, imports
and merges).

Deals and tasks are guarded by optimistic concurrency: an update names the ``version`` it was
based on, and a stale version raises ``StaleVersion`` instead of overwriting someone else's
change. Deletes are soft and go through apps.core.bulk, so a single delete can be undone like a
bulk one (the result carries the undo token).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import F, Max
from django.db.models.functions import Lower
from django.utils import timezone

from apps.core.bulk import (
    BulkResult,
    ImportReport,
    RowError,
    bulk_run,
    csv_read,
    search_filter,
    search_refresh,
    tags_clean,
)
from apps.crm.models import Activity, Company, Contact, ConversionEvent, Deal, PipelineStage, Task

PHONE_RE = re.compile(r"^[0-9+()./ \-x]*$")
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
CUSTOM_KEY_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_ .\-]{0,49}$")
CUSTOM_MAX_KEYS = 50
CUSTOM_MAX_VALUE = 1000
VALUE_MAX = Decimal("999999999999.99")
_UNSET: Any = object()


class StaleVersion(Exception):
    """An edit based on an old version was refused (someone changed or deleted the record since
    it was loaded). ``current`` is the record as it is now (None if it was deleted)."""

    def __init__(self, *, label: str, sent: int, current=None):
        self.sent = sent
        self.current = current
        self.current_version = getattr(current, "version", None)
        if current is None:
            self.message = f"This {label} was deleted by someone else; your changes were not saved."
        else:
            self.message = (
                f"This {label} was changed by someone else since you opened it (you edited version {sent}, "
                f"it is now at version {self.current_version}). Your changes were not saved: reload and try again."
            )
        super().__init__(self.message)


# =========================================================================== validation helpers


def _actor_fields(actor) -> tuple[int | None, str]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None, ""
    return actor.pk, actor.email


def _current_tenant():
    from apps.tenancy.models import Tenant

    tenant = getattr(connection, "tenant", None)
    if tenant is not None and getattr(tenant, "pk", None) is not None:
        return tenant
    return Tenant.objects.filter(schema_name=connection.schema_name).first()


def _user_ref(value, *, field_name: str) -> tuple[int | None, str]:
    """An owner / assignee: None, a User, a user id or an email, who must be a member of the
    current tenant or its managing partner. Returns (id, email)."""
    from apps.accounts.models import Membership, User

    if value in (None, "", "none"):
        return None, ""
    if isinstance(value, User):
        user = value
    else:
        text = str(value).strip()
        qs = User.objects.filter(is_active=True)
        user = qs.filter(pk=int(text)).first() if text.isdigit() else qs.filter(email__iexact=text).first()
        if user is None:
            raise ValidationError({field_name: f"No user “{text}”."})
    tenant = _current_tenant()
    allowed = tenant is not None and (
        tenant.partner_id == user.pk or Membership.objects.filter(tenant=tenant, user=user).exists()
    )
    if not allowed:
        raise ValidationError({field_name: f"{user.email} is not a member of this business."})
    return user.pk, user.email


def _text(errors: dict, name: str, value, *, max_length: int, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[name] = "A text value."
        return ""
    value = value.strip()
    if required and not value:
        errors[name] = "This field is required."
    elif len(value) > max_length:
        errors[name] = f"At most {max_length} characters (it has {len(value)})."
    return value


def _email(errors: dict, value, name: str = "email") -> str:
    value = _text(errors, name, value, max_length=254)
    if value and name not in errors:
        try:
            validate_email(value)
        except ValidationError:
            errors[name] = "Enter a valid email address."
    return value


def _phone(errors: dict, value) -> str:
    value = _text(errors, "phone", value, max_length=40)
    if value and "phone" not in errors and not PHONE_RE.match(value):
        errors["phone"] = "Digits, spaces and + ( ) . - only."
    return value


def _tags(errors: dict, value, name: str = "tags") -> list[str]:
    try:
        return tags_clean(value, field_name=name)
    except ValidationError as exc:
        errors[name] = exc.message_dict.get(name, exc.messages)[0]
        return []


def _custom_fields(errors: dict, value) -> dict:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        errors["custom_fields"] = "An object of field names to values."
        return {}
    if len(value) > CUSTOM_MAX_KEYS:
        errors["custom_fields"] = f"At most {CUSTOM_MAX_KEYS} custom fields."
        return {}
    for key, item in value.items():
        if not isinstance(key, str) or not CUSTOM_KEY_RE.match(key):
            errors["custom_fields"] = (
                f"“{key}” is not a valid field name (letters, digits, _ . - and spaces, at most 50)."
            )
            return {}
        if item is not None and not isinstance(item, str | int | float | bool):
            errors["custom_fields"] = f"“{key}”: values are text, numbers, true/false or null."
            return {}
        if isinstance(item, str) and len(item) > CUSTOM_MAX_VALUE:
            errors["custom_fields"] = f"“{key}”: at most {CUSTOM_MAX_VALUE} characters."
            return {}
    return dict(value)


def _money(errors: dict, value, name: str = "value") -> Decimal:
    try:
        amount = Decimal(str(value if value not in (None, "") else "0"))
    except (InvalidOperation, ValueError):
        errors[name] = "A number, e.g. 1500.00."
        return Decimal(0)
    if not amount.is_finite():
        errors[name] = "A number, e.g. 1500.00."
    elif amount < 0:
        errors[name] = "Cannot be negative."
    elif amount > VALUE_MAX:
        errors[name] = "Too large."
    elif amount != amount.quantize(Decimal("0.01")):
        errors[name] = "At most 2 decimal places."
    return amount


def _currency(errors: dict, value) -> str:
    value = (value or "").strip().upper() if isinstance(value, str) else ""
    if not CURRENCY_RE.match(value):
        errors["currency"] = "A 3-letter ISO currency code, e.g. USD."
    return value


def _date(errors: dict, name: str, value) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        errors[name] = "A date as YYYY-MM-DD."
        return None


def _ref(errors: dict, name: str, model, value):
    """An alive row of ``model`` given as an instance or an id (None allowed)."""
    if value in (None, ""):
        return None
    pk = value.pk if isinstance(value, model) else value
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        errors[name] = "An id."
        return None
    obj = model.objects.alive().filter(pk=pk).first()
    if obj is None:
        errors[name] = f"No {model._meta.verbose_name} with id {pk}."
    return obj


def _searchable(obj):
    """Write the search document of a row just created or changed (one UPDATE)."""
    search_refresh(type(obj).objects.filter(pk=obj.pk))
    return obj


def _touches_search(model, values) -> bool:
    return any(name in values for name in model.SEARCH_FIELDS)


def _raise(errors: dict) -> None:
    if errors:
        raise ValidationError(errors)


def _version(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationError({"version": "Send the version of the record you edited."})
    try:
        version = int(value)
    except ValueError:
        raise ValidationError({"version": "Send the version of the record you edited."}) from None
    if version < 1:
        raise ValidationError({"version": "Versions start at 1."})
    return version


def _email_taken(email: str, *, exclude_pk: int | None = None) -> Contact | None:
    """An alive contact with this email (any case). The search index narrows the candidates (an
    email's words are in every contact's search document), so no index of its own is needed."""
    if not email:
        return None
    qs = search_filter(Contact.objects.alive(), email).annotate(email_l=Lower("email")).filter(email_l=email.lower())
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.order_by("id").first()


# =========================================================================== companies

COMPANY_FIELDS = ("name", "domain", "industry", "phone", "owner", "tags", "custom_fields")


def _company_values(data: Mapping, *, partial: bool) -> dict:
    errors: dict = {}
    out: dict = {}
    if not partial or "name" in data:
        out["name"] = _text(errors, "name", data.get("name"), max_length=200, required=True)
    if "domain" in data or not partial:
        domain = _text(errors, "domain", data.get("domain"), max_length=253).lower()
        out["domain"] = domain.removeprefix("https://").removeprefix("http://").strip("/")
    if "industry" in data or not partial:
        out["industry"] = _text(errors, "industry", data.get("industry"), max_length=80)
    if "phone" in data or not partial:
        out["phone"] = _phone(errors, data.get("phone"))
    if "tags" in data or not partial:
        out["tags"] = _tags(errors, data.get("tags"))
    if "custom_fields" in data or not partial:
        out["custom_fields"] = _custom_fields(errors, data.get("custom_fields"))
    if "owner" in data:
        try:
            out["owner_id"], out["owner_email"] = _user_ref(data.get("owner"), field_name="owner")
        except ValidationError as exc:
            errors.update(exc.message_dict)
    _raise(errors)
    return out


def company_create(
    *,
    name: str,
    domain: str = "",
    industry: str = "",
    phone: str = "",
    owner=None,
    tags: Iterable[str] = (),
    custom_fields: dict | None = None,
    actor=None,
) -> Company:
    values = _company_values(
        {
            "name": name,
            "domain": domain,
            "industry": industry,
            "phone": phone,
            "owner": owner,
            "tags": list(tags),
            "custom_fields": custom_fields,
        },
        partial=False,
    )
    return _searchable(Company.objects.create(**values))


def company_update(*, company: Company, actor=None, **changes) -> Company:
    """Change any of COMPANY_FIELDS. A rename is copied to its contacts in one statement."""
    unknown = sorted(set(changes) - set(COMPANY_FIELDS))
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "Unknown field."))
    values = _company_values(changes, partial=True)
    with transaction.atomic():
        for key, value in values.items():
            setattr(company, key, value)
        company.save(update_fields=[*values, "updated_at"])
        if _touches_search(Company, values):
            _searchable(company)
        if "name" in values:
            renamed = Contact.objects.filter(company=company).exclude(company_name=values["name"])
            ids = list(renamed.values_list("pk", flat=True))
            renamed.update(company_name=values["name"], updated_at=timezone.now())
            search_refresh(Contact.objects.filter(pk__in=ids))
    return company


def company_delete(*, company: Company, actor=None, ip: str | None = None) -> BulkResult:
    return bulk_run(kind="companies", action="delete", ids=[company.pk], actor=actor, ip=ip)


# =========================================================================== contacts

CONTACT_FIELDS = ("name", "email", "phone", "company", "owner", "industry", "tags", "custom_fields", "source")


def _contact_values(data: Mapping, *, partial: bool, instance: Contact | None = None) -> dict:
    errors: dict = {}
    out: dict = {}
    if not partial or "name" in data:
        out["name"] = _text(errors, "name", data.get("name"), max_length=200, required=True)
    if not partial or "email" in data:
        out["email"] = _email(errors, data.get("email"))
        if out["email"] and "email" not in errors:
            other = _email_taken(out["email"], exclude_pk=instance.pk if instance else None)
            if other is not None:
                errors["email"] = f"A contact with this email already exists: {other.name} (#{other.pk})."
    if not partial or "phone" in data:
        out["phone"] = _phone(errors, data.get("phone"))
    if not partial or "industry" in data:
        out["industry"] = _text(errors, "industry", data.get("industry"), max_length=80)
    if not partial or "source" in data:
        out["source"] = _text(errors, "source", data.get("source"), max_length=40)
    if not partial or "tags" in data:
        out["tags"] = _tags(errors, data.get("tags"))
    if not partial or "custom_fields" in data:
        out["custom_fields"] = _custom_fields(errors, data.get("custom_fields"))
    if not partial or "company" in data:
        company = _ref(errors, "company", Company, data.get("company"))
        out["company"] = company
        out["company_name"] = company.name if company else ""
    if "owner" in data:
        try:
            out["owner_id"], out["owner_email"] = _user_ref(data.get("owner"), field_name="owner")
        except ValidationError as exc:
            errors.update(exc.message_dict)
    _raise(errors)
    return out


def contact_create(
    *,
    name: str,
    email: str = "",
    phone: str = "",
    company: Company | int | None = None,
    owner=None,
    industry: str = "",
    tags: Iterable[str] = (),
    custom_fields: dict | None = None,
    source: str = "manual",
    actor=None,
) -> Contact:
    """A new contact. ``owner`` is a User, a user id or an email of a member of this business.
    The email, when given, must not belong to another (alive) contact."""
    values = _contact_values(
        {
            "name": name,
            "email": email,
            "phone": phone,
            "company": company,
            "owner": owner,
            "industry": industry,
            "tags": list(tags),
            "custom_fields": custom_fields,
            "source": source,
        },
        partial=False,
    )
    return _searchable(Contact.objects.create(**values))


def contact_update(*, contact: Contact, actor=None, **changes) -> Contact:
    """Change any of CONTACT_FIELDS (the others are left alone)."""
    unknown = sorted(set(changes) - set(CONTACT_FIELDS))
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "Unknown field."))
    if contact.is_deleted:
        raise ValidationError({"non_field_errors": "This contact was deleted."})
    values = _contact_values(changes, partial=True, instance=contact)
    for key, value in values.items():
        setattr(contact, key, value)
    fields = [("company" if k == "company" else k) for k in values]
    contact.save(update_fields=[*fields, "updated_at"])
    if _touches_search(Contact, values):
        _searchable(contact)
    return contact


def contact_delete(*, contact: Contact, actor=None, ip: str | None = None) -> BulkResult:
    """Soft delete; the result's ``undo_token`` restores it (``bulk_undo``)."""
    return bulk_run(kind="contacts", action="delete", ids=[contact.pk], actor=actor, ip=ip)


@dataclass(frozen=True)
class ContactMergeResult:
    contact: Contact  # the one that stays
    merged_id: int
    moved_deals: int
    moved_tasks: int
    moved_activities: int


def contacts_merge(*, primary: Contact, other: Contact, actor=None, ip: str | None = None) -> ContactMergeResult:
    """Merge ``other`` into ``primary``: the other's deals, tasks and activities move over (set-
    based), tags are united, the primary's empty fields are filled from the other and custom
    fields combined (the primary wins on a clash); the other is soft-deleted with
    ``merged_into`` = primary, a "merge" activity is added to the primary's timeline, and the
    merge is audited (crm.contact_merge)."""
    from apps.audit.services import audit_record

    if primary.pk == other.pk:
        raise ValidationError({"other": "A contact cannot be merged into itself."})
    actor_id, actor_email = _actor_fields(actor)
    with transaction.atomic():
        locked = {
            c.pk: c for c in Contact.objects.select_for_update().filter(pk__in=[primary.pk, other.pk]).order_by("pk")
        }
        primary, other = locked.get(primary.pk), locked.get(other.pk)
        if primary is None or primary.is_deleted:
            raise ValidationError({"primary": "This contact no longer exists."})
        if other is None or other.is_deleted:
            raise ValidationError({"other": "This contact no longer exists."})
        now = timezone.now()
        moved_deals = Deal.objects.filter(contact=other).update(contact=primary, updated_at=now)
        moved_tasks = Task.objects.filter(contact=other).update(contact=primary, updated_at=now)
        moved_activities = Activity.objects.filter(contact=other).update(contact=primary)
        Contact.objects.filter(merged_into=other).update(merged_into=primary)
        before = {"tags": list(primary.tags), "email": primary.email, "phone": primary.phone}
        primary.tags = sorted(set(primary.tags or []) | set(other.tags or []))
        for name in ("email", "phone", "industry", "source", "owner_id", "owner_email"):
            if not getattr(primary, name) and getattr(other, name):
                setattr(primary, name, getattr(other, name))
        if primary.company_id is None and other.company_id is not None:
            primary.company_id, primary.company_name = other.company_id, other.company_name
        primary.custom_fields = {**(other.custom_fields or {}), **(primary.custom_fields or {})}
        # The other is removed first, so its email is free for the primary.
        Contact.objects.filter(pk=other.pk).update(
            deleted_at=now, deleted_by_id=actor_id, merged_into=primary, updated_at=now
        )
        primary.save()
        _searchable(primary)
        Activity.objects.create(
            kind=Activity.Kind.MERGE,
            contact=primary,
            body=f"Merged {other.name} (#{other.pk}) into this contact.",
            actor_id=actor_id,
            actor_email=actor_email,
            metadata={
                "merged_id": other.pk,
                "merged_name": other.name,
                "merged_email": other.email,
                "moved": {"deals": moved_deals, "tasks": moved_tasks, "activities": moved_activities},
            },
            occurred_at=now,
        )
        audit_record(
            action="crm.contact_merge",
            actor=actor,
            target=primary,
            tenant_slug=getattr(getattr(connection, "tenant", None), "slug", "") or "",
            before=before,
            after={
                "merged_id": other.pk,
                "merged_name": other.name,
                "tags": primary.tags,
                "moved": {"deals": moved_deals, "tasks": moved_tasks, "activities": moved_activities},
            },
            ip=ip,
        )
    return ContactMergeResult(
        contact=primary,
        merged_id=other.pk,
        moved_deals=moved_deals,
        moved_tasks=moved_tasks,
        moved_activities=moved_activities,
    )


# --------------------------------------------------------------------------- import

CONTACT_IMPORT_COLUMNS = ("name", "email", "phone", "company", "industry", "tags", "source", "owner", "custom_fields")
CONTACT_IMPORT_IGNORED = ("id", "created_at")  # written by the export; read back without a warning


def contacts_import(
    *,
    file,
    actor=None,
    import_valid_rows: bool = False,
    dry_run: bool = False,
    ip: str | None = None,
) -> ImportReport:
    """Import contacts from CSV (columns: name (required), email, phone, company, industry,
    tags (";" or "," separated), source, owner (a member's email), custom_fields (JSON object)
    and ``custom:<field>`` columns). Every row is validated and each problem reported with its
    row number; an email already used by a contact, or twice in the file, is a duplicate.

    Any invalid row and nothing is imported — unless ``import_valid_rows``, which imports the
    valid ones. ``dry_run`` only validates. Companies are matched by name (case-insensitive) and
    created when missing. All rows go in with set-based INSERTs in one transaction, audited
    (crm.contacts_import). Raises ValidationError({"file": …}) for an unreadable file."""
    from apps.audit.services import audit_record
    from apps.crm.selectors import crm_owner_choices

    header, rows, ignored = csv_read(
        file, required=["name"], known=CONTACT_IMPORT_COLUMNS + CONTACT_IMPORT_IGNORED, prefixes=("custom:",)
    )
    report = ImportReport(
        total_rows=len(rows), ignored_columns=ignored, dry_run=dry_run, import_valid_rows=import_valid_rows
    )
    tenant = _current_tenant()
    owners = {email.lower(): (uid, email) for uid, email in (crm_owner_choices(tenant=tenant) if tenant else [])}
    file_emails = sorted({r.get("email", "").strip().lower() for _, r in rows if r.get("email", "").strip()})
    existing: dict[str, tuple[int, str]] = {}
    for i in range(0, len(file_emails), 50_000):  # one scan per 50,000 emails of the file
        chunk = file_emails[i : i + 50_000]
        for pk, name, email_l in (
            Contact.objects.alive()
            .annotate(email_l=Lower("email"))
            .filter(email_l__in=chunk)
            .order_by("id")
            .values_list("id", "name", "email_l")
        ):
            existing.setdefault(email_l, (pk, name))
    custom_columns = [h for h in header if h.startswith("custom:")]
    seen: dict[str, int] = {}
    valid: list[dict] = []
    for rownum, row in rows:
        errors: dict = {}
        values = {
            "name": _text(errors, "name", row.get("name", ""), max_length=200, required=True),
            "email": _email(errors, row.get("email", "")),
            "phone": _phone(errors, row.get("phone", "")),
            "company_name": _text(errors, "company", row.get("company", ""), max_length=200),
            "industry": _text(errors, "industry", row.get("industry", ""), max_length=80),
            "tags": _tags(errors, row.get("tags", "")),
            "source": _text(errors, "source", row.get("source", ""), max_length=40) or "import",
        }
        email_l = values["email"].lower()
        if email_l and "email" not in errors:
            if email_l in existing:
                pk, name = existing[email_l]
                errors["email"] = f"duplicate: contact #{pk} “{name}” already has this email"
            elif email_l in seen:
                errors["email"] = f"duplicate of row {seen[email_l]}"
            else:
                seen[email_l] = rownum
        owner = row.get("owner", "").strip().lower()
        values["owner_id"], values["owner_email"] = (None, "")
        if owner:
            if owner in owners:
                values["owner_id"], values["owner_email"] = owners[owner]
            else:
                errors["owner"] = f"{owner} is not a member of this business"
        custom: dict = {}
        raw_custom = row.get("custom_fields", "")
        if raw_custom:
            try:
                parsed = json.loads(raw_custom)
            except ValueError:
                errors["custom_fields"] = "not a JSON object"
            else:
                custom = _custom_fields(errors, parsed)
        for column in custom_columns:
            if row.get(column, ""):
                custom[column.removeprefix("custom:").strip()] = row[column]
        if custom_columns and "custom_fields" not in errors:
            custom = _custom_fields(errors, custom)
        values["custom_fields"] = custom
        if "__extra__" in row:
            errors["row"] = "more values than there are columns"
        if errors:
            report.errors.extend(RowError(rownum, key, str(msg)) for key, msg in errors.items())
        else:
            valid.append(values)
    report.valid_rows = len(valid)
    if dry_run or not valid or (report.errors and not import_valid_rows):
        return report
    with transaction.atomic():
        companies = _companies_by_name({v["company_name"] for v in valid if v["company_name"]})
        now = timezone.now()
        objs = []
        for v in valid:
            company = companies.get(v["company_name"].lower()) if v["company_name"] else None
            objs.append(
                Contact(
                    **{**v, "company_name": company.name if company else ""},
                    company=company,
                    created_at=now,
                    updated_at=now,
                )
            )
        Contact.objects.bulk_create(objs, batch_size=2000)
        ids = [o.pk for o in objs]
        search_refresh(Contact.objects.filter(pk__gte=min(ids), pk__lte=max(ids), search__isnull=True))
        report.imported = len(objs)
        audit_record(
            action="crm.contacts_import",
            actor=actor,
            target_type="crm.contact",
            target_repr=f"{len(objs)} contacts",
            tenant_slug=getattr(tenant, "slug", "") or "",
            after={"imported": len(objs), "rows": report.total_rows, "invalid_rows": report.invalid_rows},
            ip=ip,
        )
    return report


def _companies_by_name(names: set[str]) -> dict[str, Company]:
    """Alive companies by lower-cased name; missing ones created in one INSERT."""
    if not names:
        return {}
    wanted = {n.lower(): n for n in names}
    found: dict[str, Company] = {}
    for company in (
        Company.objects.alive().annotate(name_l=Lower("name")).filter(name_l__in=list(wanted)).order_by("id")
    ):
        found.setdefault(company.name.lower(), company)
    missing = [Company(name=original) for low, original in sorted(wanted.items()) if low not in found]
    for company in Company.objects.bulk_create(missing, batch_size=2000):
        found[company.name.lower()] = company
    if missing:
        search_refresh(Company.objects.filter(pk__in=[c.pk for c in missing]))
    return found


# =========================================================================== pipeline stages


def stage_create(
    *, name: str, kind: str = PipelineStage.Kind.OPEN, probability: int = 0, position: int | None = None
) -> PipelineStage:
    """A new column (at the end unless ``position`` is given; later columns shift right)."""
    errors: dict = {}
    name = _text(errors, "name", name, max_length=60, required=True)
    if name and PipelineStage.objects.filter(name__iexact=name).exists():
        errors["name"] = f"A stage named “{name}” already exists."
    if kind not in PipelineStage.Kind.values:
        errors["kind"] = f"One of: {', '.join(PipelineStage.Kind.values)}."
    if not isinstance(probability, int) or not 0 <= probability <= 100:
        errors["probability"] = "A whole number from 0 to 100."
    _raise(errors)
    with transaction.atomic():
        count = PipelineStage.objects.select_for_update().count()
        position = count if position is None else max(0, min(int(position), count))
        PipelineStage.objects.filter(position__gte=position).update(position=F("position") + 1)
        return PipelineStage.objects.create(name=name, kind=kind, probability=probability, position=position)


def stage_update(
    *, stage: PipelineStage, name: str | None = None, kind: str | None = None, probability: int | None = None
) -> PipelineStage:
    errors: dict = {}
    if name is not None:
        name = _text(errors, "name", name, max_length=60, required=True)
        if name and PipelineStage.objects.filter(name__iexact=name).exclude(pk=stage.pk).exists():
            errors["name"] = f"A stage named “{name}” already exists."
        stage.name = name
    if kind is not None:
        if kind not in PipelineStage.Kind.values:
            errors["kind"] = f"One of: {', '.join(PipelineStage.Kind.values)}."
        elif stage.kind == PipelineStage.Kind.OPEN and kind != PipelineStage.Kind.OPEN and not _open_stage_left(stage):
            errors["kind"] = "The pipeline needs at least one open stage."
        else:
            stage.kind = kind
    if probability is not None:
        if isinstance(probability, bool) or not isinstance(probability, int) or not 0 <= probability <= 100:
            errors["probability"] = "A whole number from 0 to 100."
        else:
            stage.probability = probability
    _raise(errors)
    stage.save()
    return stage


def _open_stage_left(stage: PipelineStage) -> bool:
    return PipelineStage.objects.filter(kind=PipelineStage.Kind.OPEN).exclude(pk=stage.pk).exists()


def stages_reorder(*, stage_ids: list[int]) -> list[PipelineStage]:
    """Put the columns in this order (every stage id exactly once)."""
    with transaction.atomic():
        stages = {s.pk: s for s in PipelineStage.objects.select_for_update()}
        if sorted(stage_ids) != sorted(stages):
            raise ValidationError({"stage_ids": "List every stage exactly once."})
        for position, pk in enumerate(stage_ids):
            if stages[pk].position != position:
                stages[pk].position = position
                stages[pk].save(update_fields=["position"])
    return [stages[pk] for pk in stage_ids]


def stage_delete(*, stage: PipelineStage, move_to: PipelineStage) -> int:
    """Remove a column; its deals (alive or deleted) go to the end of ``move_to``. Returns how
    many deals moved."""
    if stage.pk == move_to.pk:
        raise ValidationError({"move_to": "Choose another stage for its deals."})
    if stage.kind == PipelineStage.Kind.OPEN and not _open_stage_left(stage):
        raise ValidationError({"non_field_errors": "The pipeline needs at least one open stage."})
    with transaction.atomic():
        _lock_stages([stage.pk, move_to.pk])
        start = _next_position(move_to.pk)
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                WITH o AS (SELECT id, row_number() OVER (ORDER BY position, id) - 1 AS rn
                           FROM {Deal._meta.db_table} WHERE stage_id = %s)
                UPDATE {Deal._meta.db_table} d SET stage_id = %s, position = %s + o.rn, updated_at = now()
                FROM o WHERE d.id = o.id
                """,
                [stage.pk, move_to.pk, start],
            )
            moved = cursor.rowcount
        stage.delete()
        PipelineStage.objects.filter(position__gt=stage.position).update(position=F("position") - 1)
    return moved


# =========================================================================== deals

DEAL_FIELDS = (
    "title",
    "value",
    "currency",
    "expected_close_date",
    "contact",
    "company",
    "owner",
    "tags",
    "kind",
    "stage",
)


def _lock_stages(stage_ids: Iterable[int]) -> None:
    """Moves and inserts in a stage are serialised by its row lock (ids in order: no deadlock)."""
    list(
        PipelineStage.objects.select_for_update()
        .filter(pk__in=sorted(set(stage_ids)))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _next_position(stage_id: int) -> int:
    top = Deal.objects.alive().filter(stage_id=stage_id).aggregate(m=Max("position"))["m"]
    return 0 if top is None else top + 1


def _default_stage() -> PipelineStage:
    stage = PipelineStage.objects.filter(kind=PipelineStage.Kind.OPEN).order_by("position", "id").first()
    if stage is None:
        raise ValidationError({"stage": "The pipeline has no open stage; add one first."})
    return stage


def _deal_values(data: Mapping, *, partial: bool) -> dict:
    errors: dict = {}
    out: dict = {}
    if not partial or "title" in data:
        out["title"] = _text(errors, "title", data.get("title"), max_length=200, required=True)
    if not partial or "value" in data:
        out["value"] = _money(errors, data.get("value"))
    if not partial or "currency" in data:
        out["currency"] = _currency(errors, data.get("currency") or ("USD" if not partial else ""))
    if not partial or "expected_close_date" in data:
        out["expected_close_date"] = _date(errors, "expected_close_date", data.get("expected_close_date"))
    if not partial or "contact" in data:
        out["contact"] = _ref(errors, "contact", Contact, data.get("contact"))
    if not partial or "company" in data:
        out["company"] = _ref(errors, "company", Company, data.get("company"))
    if not partial or "tags" in data:
        out["tags"] = _tags(errors, data.get("tags"))
    if not partial or "kind" in data:
        kind = data.get("kind") or Deal.Kind.DEAL
        if kind not in Deal.Kind.values:
            errors["kind"] = f"One of: {', '.join(Deal.Kind.values)}."
        out["kind"] = kind
    if "stage" in data and data.get("stage") is not None:
        stage = data["stage"]
        pk = stage.pk if isinstance(stage, PipelineStage) else stage
        found = PipelineStage.objects.filter(pk=pk).first() if str(pk).isdigit() else None
        if found is None:
            errors["stage"] = f"No stage with id {pk}."
        out["stage"] = found
    if "owner" in data:
        try:
            out["owner_id"], out["owner_email"] = _user_ref(data.get("owner"), field_name="owner")
        except ValidationError as exc:
            errors.update(exc.message_dict)
    _raise(errors)
    return out


def deal_create(
    *,
    title: str,
    stage: PipelineStage | int | None = None,
    value: Decimal | str | int = 0,
    currency: str = "USD",
    expected_close_date: dt.date | str | None = None,
    contact: Contact | int | None = None,
    company: Company | int | None = None,
    owner=None,
    tags: Iterable[str] = (),
    kind: str = Deal.Kind.DEAL,
    actor=None,
) -> Deal:
    """A new deal (or lead, ``kind="lead"``) at the end of ``stage`` (default: the first open
    stage). Without a company, the contact's company is used. Created straight in a won stage, a
    conversion event is recorded."""
    values = _deal_values(
        {
            "title": title,
            "value": value,
            "currency": currency,
            "expected_close_date": expected_close_date,
            "contact": contact,
            "company": company,
            "owner": owner,
            "tags": list(tags),
            "kind": kind,
            "stage": stage,
        },
        partial=False,
    )
    target = values.pop("stage", None) or _default_stage()
    if values["company"] is None and values["contact"] is not None and values["contact"].company_id:
        values["company"] = values["contact"].company
    with transaction.atomic():
        _lock_stages([target.pk])
        deal = _searchable(Deal.objects.create(**values, stage=target, position=_next_position(target.pk)))
        if target.kind != PipelineStage.Kind.OPEN:
            _after_stage_change(deal=deal, old=None, new=target, actor=actor)
    return deal


def _versioned_update(model, obj, version: int, values: dict, *, label: str) -> int:
    """UPDATE … SET values, version = version + 1 WHERE id AND version: refused when stale."""
    updated = (
        model.objects.alive()
        .filter(pk=obj.pk, version=version)
        .update(**values, version=F("version") + 1, updated_at=timezone.now())
    )
    if not updated:
        current = model.objects.alive().filter(pk=obj.pk).first()
        raise StaleVersion(label=label, sent=version, current=current)
    return version + 1


def deal_update(*, deal: Deal, version: int, actor=None, **changes) -> Deal:
    """Change any of DEAL_FIELDS if ``version`` is still current (else StaleVersion). A stage
    change puts the deal at the end of the new stage (use ``deal_move`` to choose the spot)."""
    unknown = sorted(set(changes) - set(DEAL_FIELDS))
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "Unknown field."))
    version = _version(version)
    values = _deal_values(changes, partial=True)
    stage = values.pop("stage", None)
    with transaction.atomic():
        if stage is not None and stage.pk != deal.stage_id:
            deal = _deal_move(deal=deal, stage=stage, position=None, version=version, actor=actor, extra=values)
        else:
            _versioned_update(Deal, deal, version, values, label="deal")
        if _touches_search(Deal, values):
            _searchable(deal)
    deal.refresh_from_db()
    return deal


def deal_move(*, deal: Deal, stage: PipelineStage | int, position: int, version: int, actor=None) -> Deal:
    """Put ``deal`` at ``position`` (0-based) in ``stage`` — the Kanban drop. In one transaction:
    lock the stage rows, bump the version (StaleVersion if it moved or changed meanwhile), set the
    stage, renumber the target stage's cards around it and close the gap in the old stage with one
    set-based UPDATE each. Reaching a won stage records a ConversionEvent (value, time, deal);
    every stage change adds a timeline activity."""
    errors: dict = {}
    if isinstance(stage, PipelineStage):
        target = stage
    else:
        target = PipelineStage.objects.filter(pk=stage).first() if str(stage).isdigit() else None
        if target is None:
            errors["stage"] = f"No stage with id {stage}."
    if isinstance(position, bool) or not isinstance(position, int) or position < 0:
        errors["position"] = "A position from 0 (the top of the column)."
    _raise(errors)
    version = _version(version)
    with transaction.atomic():
        deal = _deal_move(deal=deal, stage=target, position=position, version=version, actor=actor)
    deal.refresh_from_db()
    return deal


def _deal_move(
    *, deal: Deal, stage: PipelineStage, position: int | None, version: int, actor, extra: dict | None = None
) -> Deal:
    table = Deal._meta.db_table
    current = Deal.objects.alive().filter(pk=deal.pk).values("stage_id").first()
    old_stage_id = current["stage_id"] if current else deal.stage_id
    _lock_stages([old_stage_id, stage.pk])
    if position is None:
        position = _next_position(stage.pk) if stage.pk != old_stage_id else deal.position
    _versioned_update(Deal, deal, version, {**(extra or {}), "stage_id": stage.pk}, label="deal")
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH others AS (
                SELECT id, row_number() OVER (ORDER BY position, id) - 1 AS rn
                FROM {table} WHERE stage_id = %(stage)s AND deleted_at IS NULL AND id <> %(deal)s
            ), n AS (SELECT count(*) AS c FROM others),
            placed AS (
                SELECT id, CASE WHEN rn < LEAST(%(pos)s, (SELECT c FROM n)) THEN rn ELSE rn + 1 END AS newpos
                FROM others
                UNION ALL
                SELECT %(deal)s, LEAST(%(pos)s, (SELECT c FROM n))
            )
            UPDATE {table} d SET position = placed.newpos
            FROM placed WHERE d.id = placed.id AND d.position <> placed.newpos
            """,
            {"stage": stage.pk, "deal": deal.pk, "pos": position},
        )
        if old_stage_id != stage.pk:
            cursor.execute(
                f"""
                WITH o AS (SELECT id, row_number() OVER (ORDER BY position, id) - 1 AS rn
                           FROM {table} WHERE stage_id = %s AND deleted_at IS NULL)
                UPDATE {table} d SET position = o.rn FROM o WHERE d.id = o.id AND d.position <> o.rn
                """,
                [old_stage_id],
            )
    if old_stage_id != stage.pk:
        deal.refresh_from_db()
        old = PipelineStage.objects.filter(pk=old_stage_id).first()
        _after_stage_change(deal=deal, old=old, new=stage, actor=actor)
    return deal


def _after_stage_change(*, deal: Deal, old: PipelineStage | None, new: PipelineStage, actor) -> None:
    actor_id, actor_email = _actor_fields(actor)
    now = timezone.now()
    closed = new.kind != PipelineStage.Kind.OPEN
    Deal.objects.filter(pk=deal.pk).update(closed_at=now if closed else None)
    Activity.objects.create(
        kind=Activity.Kind.STAGE_CHANGE,
        deal=deal,
        body=f"Moved from {old.name} to {new.name}." if old else f"Created in {new.name}.",
        actor_id=actor_id,
        actor_email=actor_email,
        metadata={
            "from": old.name if old else None,
            "to": new.name,
            "from_id": old.pk if old else None,
            "to_id": new.pk,
        },
        occurred_at=now,
    )
    if new.kind == PipelineStage.Kind.WON and (old is None or old.kind != PipelineStage.Kind.WON):
        ConversionEvent.objects.create(
            deal=deal,
            deal_title=deal.title,
            value=deal.value,
            currency=deal.currency,
            stage_name=new.name,
            contact_id_at=deal.contact_id,
            actor_id=actor_id,
            actor_email=actor_email,
            occurred_at=now,
        )
        Activity.objects.create(
            kind=Activity.Kind.CONVERSION,
            deal=deal,
            body=f"Won: {deal.value} {deal.currency}.",
            actor_id=actor_id,
            actor_email=actor_email,
            metadata={"value": str(deal.value), "currency": deal.currency},
            occurred_at=now,
        )


def lead_convert(*, lead: Deal, version: int, actor=None) -> Deal:
    """A lead becomes a deal (same card, same place on the board)."""
    if lead.kind != Deal.Kind.LEAD:
        raise ValidationError({"kind": "This is already a deal."})
    return deal_update(deal=lead, version=version, actor=actor, kind=Deal.Kind.DEAL)


def deal_delete(*, deal: Deal, actor=None, ip: str | None = None) -> BulkResult:
    return bulk_run(kind="deals", action="delete", ids=[deal.pk], actor=actor, ip=ip)


# =========================================================================== tasks

TASK_FIELDS = ("title", "description", "due_date", "status", "assignee", "contact", "deal", "tags")


def _task_values(data: Mapping, *, partial: bool) -> dict:
    errors: dict = {}
    out: dict = {}
    if not partial or "title" in data:
        out["title"] = _text(errors, "title", data.get("title"), max_length=200, required=True)
    if not partial or "description" in data:
        out["description"] = _text(errors, "description", data.get("description"), max_length=10_000)
    if not partial or "due_date" in data:
        out["due_date"] = _date(errors, "due_date", data.get("due_date"))
    if not partial or "status" in data:
        status = data.get("status") or Task.Status.TODO
        if status not in Task.Status.values:
            errors["status"] = f"One of: {', '.join(Task.Status.values)}."
        out["status"] = status
        out["completed_at"] = timezone.now() if status == Task.Status.DONE else None
    if not partial or "contact" in data:
        out["contact"] = _ref(errors, "contact", Contact, data.get("contact"))
    if not partial or "deal" in data:
        out["deal"] = _ref(errors, "deal", Deal, data.get("deal"))
    if not partial or "tags" in data:
        out["tags"] = _tags(errors, data.get("tags"))
    if "assignee" in data:
        try:
            out["assignee_id"], out["assignee_email"] = _user_ref(data.get("assignee"), field_name="assignee")
        except ValidationError as exc:
            errors.update(exc.message_dict)
    _raise(errors)
    return out


def task_create(
    *,
    title: str,
    description: str = "",
    due_date: dt.date | str | None = None,
    status: str = Task.Status.TODO,
    assignee=None,
    contact: Contact | int | None = None,
    deal: Deal | int | None = None,
    tags: Iterable[str] = (),
    actor=None,
) -> Task:
    """A task, optionally linked to a contact and/or a deal. ``assignee``: a member (User, id
    or email)."""
    values = _task_values(
        {
            "title": title,
            "description": description,
            "due_date": due_date,
            "status": status,
            "assignee": assignee,
            "contact": contact,
            "deal": deal,
            "tags": list(tags),
        },
        partial=False,
    )
    return _searchable(Task.objects.create(**values))


def task_update(*, task: Task, version: int, actor=None, **changes) -> Task:
    """Change any of TASK_FIELDS if ``version`` is still current (else StaleVersion)."""
    unknown = sorted(set(changes) - set(TASK_FIELDS))
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "Unknown field."))
    version = _version(version)
    values = _task_values(changes, partial=True)
    if "status" in values and values["status"] == Task.Status.DONE and task.status == Task.Status.DONE:
        values.pop("completed_at")  # re-saving a done task keeps when it was done
    with transaction.atomic():
        _versioned_update(Task, task, version, values, label="task")
        if _touches_search(Task, values):
            _searchable(task)
    task.refresh_from_db()
    return task


def task_delete(*, task: Task, actor=None, ip: str | None = None) -> BulkResult:
    return bulk_run(kind="tasks", action="delete", ids=[task.pk], actor=actor, ip=ip)


# =========================================================================== activities


def activity_create(
    *,
    body: str,
    kind: str = Activity.Kind.NOTE,
    contact: Contact | None = None,
    deal: Deal | None = None,
    actor=None,
    occurred_at: dt.datetime | None = None,
    metadata: dict | None = None,
) -> Activity:
    """A note (or a logged call, email, meeting) on a contact's or a deal's timeline."""
    errors: dict = {}
    body = _text(errors, "body", body, max_length=20_000, required=True)
    if kind not in (Activity.Kind.NOTE, Activity.Kind.CALL, Activity.Kind.EMAIL, Activity.Kind.MEETING):
        errors["kind"] = "One of: note, call, email, meeting."
    if contact is None and deal is None:
        errors["non_field_errors"] = "A note belongs to a contact or a deal."
    for name, obj in (("contact", contact), ("deal", deal)):
        if obj is not None and obj.is_deleted:
            errors[name] = f"This {name} was deleted."
    _raise(errors)
    actor_id, actor_email = _actor_fields(actor)
    return Activity.objects.create(
        kind=kind,
        body=body,
        contact=contact,
        deal=deal,
        actor_id=actor_id,
        actor_email=actor_email,
        metadata=metadata or {},
        occurred_at=occurred_at or timezone.now(),
    )


# =========================================================================== entitlements

FEATURES = {
    "crm": ("CRM", "Contacts, companies, the deal pipeline, tasks and bulk actions (M9)."),
    "catalog": ("Catalogue", "Products, bulk price changes and visibility (M10)."),
}


def features_ensure() -> list[str]:
    """Create the ``crm`` and ``catalog`` features (GA) if missing, through the entitlement
    engine's service (audited). The tenant migration crm.0003 inserts them too; this is for
    databases whose public rows were reset (a flushed test database, a restored dump). Returns
    the keys created."""
    from apps.entitlements.models import Feature
    from apps.entitlements.services import feature_create

    made = []
    for key, (name, description) in FEATURES.items():
        if not Feature.objects.filter(key=key).exists():
            feature_create(key=key, name=name, description=description, stage=Feature.Stage.GA)
            made.append(key)
    return made
