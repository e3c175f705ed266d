"""The audit log in the admin: searchable, filterable, exportable, and read-only for everyone
(super admins included) — the table itself refuses UPDATE and DELETE (migration audit.0002).

Rows are read through `apps.audit.selectors.audit_events`, the one place that decides who may
read the log (support tiers 2–4). The CSV export streams, so a large log never sits in memory:
as an admin action for the selected rows, and as an "Export CSV" button for the whole list as
currently searched and filtered.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from datetime import datetime, time, timedelta

from django.contrib import admin
from django.http import StreamingHttpResponse
from django.utils import timezone
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import RangeDateFilter
from unfold.decorators import action, display
from unfold.utils import parse_date_str

from apps.audit.models import AuditEvent
from apps.audit.selectors import audit_events
from apps.audit.services import audit_record, client_ip
from apps.core.admin_site import TierPermissionsMixin

CSV_COLUMNS = (
    ("id", "id"),
    ("at", "at"),
    ("actor_email", "actor_email"),
    ("action", "action"),
    ("target_type", "target_type"),
    ("target_id", "target_id"),
    ("target_repr", "target"),
    ("tenant_slug", "tenant"),
    ("reason", "reason"),
    ("ip", "ip"),
    ("before", "before"),
    ("after", "after"),
)
# A cell starting with one of these is a formula to a spreadsheet; reasons and target names are
# typed by people, so they are defused with a leading apostrophe (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object whose write() hands the line back, for csv.writer in a generator."""

    def write(self, value: str) -> str:
        return value


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def csv_lines(rows: Iterable[tuple]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow([header for _, header in CSV_COLUMNS])
    for row in rows:
        yield writer.writerow([_cell(value) for value in row])


def csv_response(request, queryset, *, scope: str) -> StreamingHttpResponse:
    """Stream `queryset` as CSV; the export itself is recorded in the log it reads."""
    audit_record(
        action="audit.export",
        actor=request.user,
        target_type="audit.auditevent",
        target_repr=f"CSV export ({scope})",
        after={"query": request.GET.urlencode()} if request.GET else None,
        ip=client_ip(request),
    )
    rows = queryset.values_list(*(name for name, _ in CSV_COLUMNS)).iterator(chunk_size=2000)
    response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-log-{timezone.now():%Y%m%d-%H%M%S}.csv"'
    return response


class TenantFilter(admin.SimpleListFilter):
    title = "tenant"
    parameter_name = "tenant"

    def lookups(self, request, model_admin):
        from apps.tenancy.models import Tenant

        tenants = Tenant.objects.exclude(schema_name="public").order_by("slug").values_list("slug", "name")
        return [("-", "Platform (no tenant)"), *[(slug, f"{name} ({slug})") for slug, name in tenants]]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "-":
            return queryset.filter(tenant_slug="")
        if value:
            return queryset.filter(tenant_slug=value)
        return queryset


class DayRangeFilter(RangeDateFilter):
    """Whole days, first to last inclusive (unfold's stock filter compares a timestamp with the
    last day's midnight, so that day's events would be missing)."""

    def queryset(self, request, queryset):
        name = self.parameter_name
        first = parse_date_str(self.used_parameters.get(f"{name}_from"))
        last = parse_date_str(self.used_parameters.get(f"{name}_to"))
        if first:
            queryset = queryset.filter(**{f"{name}__gte": timezone.make_aware(datetime.combine(first, time.min))})
        if last:
            end = timezone.make_aware(datetime.combine(last + timedelta(days=1), time.min))
            queryset = queryset.filter(**{f"{name}__lt": end})
        return queryset


@admin.register(AuditEvent)
class AuditEventAdmin(TierPermissionsMixin, ModelAdmin):
    # Nobody writes through the admin: events come only from audit_record().
    add_tier = None
    change_tier = None
    delete_tier = None

    list_display = ("at", "actor_display", "action", "target_display", "tenant_slug", "reason")
    list_filter = ("action", TenantFilter, ("at", DayRangeFilter))
    list_filter_submit = True
    search_fields = ("actor_email", "action", "target_type", "target_id", "target_repr", "reason")
    ordering = ("-at", "-id")
    list_per_page = 50
    show_full_result_count = False
    fields = (
        "at",
        "actor_email",
        "action",
        "target_type",
        "target_id",
        "target_repr",
        "tenant_slug",
        "reason",
        "ip",
        "before",
        "after",
    )
    readonly_fields = fields
    actions = ("export_selected_csv",)
    actions_list = ("export_csv",)

    def get_queryset(self, request):
        return audit_events(user=request.user)

    @display(description="Actor", ordering="actor_email")
    def actor_display(self, obj):
        return obj.actor_email or "system"

    @display(description="Target", ordering="target_repr")
    def target_display(self, obj):
        if not (obj.target_type or obj.target_repr):
            return "—"
        return f"{obj.target_repr or obj.target_id} ({obj.target_type})" if obj.target_type else obj.target_repr

    # ----------------------------------------------------------------- CSV export

    @admin.action(description="Export selected as CSV", permissions=["view"])
    def export_selected_csv(self, request, queryset):
        return csv_response(request, queryset.order_by("-at", "-id"), scope="selected rows")

    @action(description="Export CSV", url_path="export-csv", icon="download", permissions=["view"])
    def export_csv(self, request):
        changelist = self.get_changelist_instance(request)
        return csv_response(request, changelist.queryset, scope="filtered list")

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        # The button exports what the list shows: carry its search and filters along.
        query = request.GET.copy()
        query.pop("p", None)
        context = getattr(response, "context_data", None) or {}
        if query:
            for item in context.get("actions_list", []):
                if item.get("path", "").endswith("/export-csv/"):
                    item["path"] = f"{item['path']}?{query.urlencode()}"
        return response
