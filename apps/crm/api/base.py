"""Building blocks of the tenant-scoped business APIs (CRM and catalogue) under
/api/v1/tenants/<slug>/…, shared by apps.crm.api and apps.catalog.api.

Every route resolves the tenant through the tenancy selectors first (404 when the caller may not
see it: another partner's tenant looks exactly like a missing one), then checks the feature
(404 when it is off for the tenant), then runs the handler inside the tenant's schema
(``tenant_context``), so the selectors and services below see only that tenant's rows.

Writes are refused (423) while the tenant is suspended, archived (read-only) or under an
emergency stop, and (403) for support agents, who have read-only access to tenants.
"""

from __future__ import annotations

import datetime as dt
from contextlib import ExitStack

from django.http import StreamingHttpResponse
from django_tenants.utils import tenant_context
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import Tier
from apps.api.exceptions import Locked
from apps.api.pagination import ApiPagination
from apps.api.serializers import ERROR_RESPONSES, ErrorSerializer, StrictInputSerializer
from apps.audit.services import client_ip
from apps.core import bulk
from apps.entitlements.permissions import api_entitlements
from apps.tenancy.api.views import tenant_for_request
from apps.tenancy.models import Tenant


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This record was changed by someone else."
    default_code = "conflict"


WRITE_RESPONSES = {**ERROR_RESPONSES, 409: ErrorSerializer, 423: ErrorSerializer}
LIST_PARAMS = [
    OpenApiParameter("limit", OpenApiTypes.INT, description="Page size (default 50, at most 200)."),
    OpenApiParameter("offset", OpenApiTypes.INT),
]


def filter_params(*names: str) -> list[OpenApiParameter]:
    docs = {
        "q": "Search: every word is a prefix (name, email, company …).",
        "tag": "Only rows with this tag (repeat for several: all of them).",
        "owner": "A user id, an email, or “none”.",
        "assignee": "A user id, an email, or “none”.",
        "stage": "A stage id or name.",
        "sort": "A field to sort by; “-” in front for descending.",
    }
    return [OpenApiParameter(n, OpenApiTypes.STR, description=docs.get(n, "")) for n in names] + LIST_PARAMS


class TenantScopedView(APIView):
    """Base of every /tenants/<slug>/… business route; see the module docstring."""

    required_feature = "crm"
    tenant: Tenant

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        writing = request.method not in SAFE_METHODS
        tenant = tenant_for_request(request, kwargs["slug"], require_active=writing)
        self.tenant = tenant
        if not api_entitlements(request, self).is_on(self.required_feature):
            raise exceptions.NotFound(f"No API endpoint at {request.path}.")
        if tenant.status == Tenant.Status.SUSPENDED:
            raise Locked(
                f"Tenant “{tenant.slug}” is suspended: its data is kept but cannot be used until it is reactivated."
            )
        if writing and tenant.status == Tenant.Status.ARCHIVED:
            raise Locked(f"Tenant “{tenant.slug}” is archived: its data is read-only.")
        if writing and request.user.tier == Tier.SUPPORT:
            raise exceptions.PermissionDenied("Support agents have read-only access to tenants' data.")
        self._schema.enter_context(tenant_context(tenant))

    def dispatch(self, request, *args, **kwargs):
        with ExitStack() as stack:
            self._schema = stack
            return super().dispatch(request, *args, **kwargs)

    def get_entitlement_tenant(self, request):
        return getattr(self, "tenant", None)

    @property
    def ip(self) -> str | None:
        return client_ip(self.request)

    def paginate(self, qs, serializer_class):
        errors = {}
        for name, minimum in (("limit", 1), ("offset", 0)):
            raw = self.request.query_params.get(name)
            if raw is not None and (not raw.isdigit() or int(raw) < minimum):
                errors[name] = [f"A whole number of at least {minimum}."]
        if errors:
            raise exceptions.ValidationError(errors)
        paginator = ApiPagination()
        page = paginator.paginate_queryset(qs, self.request, view=self)
        return paginator.get_paginated_response(serializer_class(page, many=True).data)


def parse(serializer_class, data, **kwargs) -> dict:
    s = serializer_class(data=data, **kwargs)
    s.is_valid(raise_exception=True)
    return dict(s.validated_data)


# --------------------------------------------------------------------------- bulk

BULK_PARAM_FIELDS = ("tags", "industry", "status", "visibility", "mode", "direction", "value", "rounding")


class BulkInputSerializer(StrictInputSerializer):
    action = serializers.CharField(max_length=40, help_text="delete, add_tags, remove_tags, set_industry, …")
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, max_length=bulk.MAX_IDS)
    filter = serializers.DictField(required=False, help_text='The list\'s filters, e.g. {"tag": "vip", "q": "acme"}.')
    tags = serializers.ListField(
        child=serializers.CharField(max_length=bulk.TAG_MAX_LENGTH), required=False, max_length=50
    )
    industry = serializers.CharField(max_length=80, required=False, allow_blank=True)
    status = serializers.CharField(max_length=20, required=False)
    visibility = serializers.CharField(max_length=10, required=False)
    mode = serializers.CharField(max_length=10, required=False, help_text="adjust_price: percent or amount.")
    direction = serializers.CharField(max_length=4, required=False, help_text="adjust_price: up or down.")
    value = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, help_text="adjust_price: how much."
    )
    rounding = serializers.CharField(max_length=6, required=False, help_text="adjust_price: none, whole, 0.99, 0.95.")

    def validate(self, attrs):
        if ("ids" in attrs) == ("filter" in attrs):
            raise serializers.ValidationError(
                {"non_field_errors": ["Give either “ids” or “filter”, not both and not neither."]}
            )
        return attrs


class BulkResultSerializer(serializers.Serializer):
    kind = serializers.CharField()
    action = serializers.CharField()
    count = serializers.IntegerField(help_text="Rows selected.")
    changed = serializers.IntegerField(allow_null=True, help_text="Rows modified (null while a job runs).")
    state = serializers.CharField(help_text="done, or queued (a job: poll progress_url).")
    undo_token = serializers.CharField(allow_null=True)
    job_id = serializers.CharField(allow_null=True)
    progress_url = serializers.CharField(allow_null=True, required=False)


class BulkView(TenantScopedView):
    """POST …/<list>/bulk/: one action over ids or a filter. 200 with the result; 202 with a
    job id when the selection is over 5,000 rows (runs in a worker)."""

    kind = ""

    def post(self, request, slug):
        data = parse(BulkInputSerializer, request.data)
        params = {k: data[k] for k in BULK_PARAM_FIELDS if k in data}
        if "value" in params:
            params["value"] = str(params["value"])
        result = bulk.bulk_run(
            kind=self.kind,
            action=data["action"],
            ids=data.get("ids"),
            filters=data.get("filter"),
            params=params,
            actor=request.user,
            ip=self.ip,
        )
        body = result.as_dict()
        body["progress_url"] = (
            request.build_absolute_uri(f"{request.path}jobs/{result.job_id}/") if result.job_id else None
        )
        return Response(body, status=status.HTTP_202_ACCEPTED if result.is_async else status.HTTP_200_OK)


class UndoInputSerializer(StrictInputSerializer):
    token = serializers.CharField(max_length=80)


class BulkUndoView(TenantScopedView):
    kind = ""

    def post(self, request, slug):
        token = parse(UndoInputSerializer, request.data)["token"]
        if not token.startswith(f"{self.kind}."):
            raise exceptions.ValidationError({"token": [f"Not an undo token of {self.kind}."]})
        result = bulk.bulk_undo(token=token, actor=request.user, ip=self.ip)
        return Response(result.as_dict())


class BulkJobView(TenantScopedView):
    kind = ""

    def get(self, request, slug, job_id):
        progress = bulk.bulk_job_progress(job_id=job_id)
        if progress is None or progress.kind != self.kind:
            raise exceptions.NotFound("No such job (unknown, finished more than a day ago, or not this tenant's).")
        return Response(progress.as_dict())


def bulk_views(kind: str, tag: str, feature: str = "crm"):
    """The three bulk routes of one list kind (bulk/, bulk/undo/, bulk/jobs/<id>/), documented."""
    doc = {"tags": [tag]}

    class _Bulk(BulkView):
        @extend_schema(
            request=BulkInputSerializer,
            responses={200: BulkResultSerializer, 202: BulkResultSerializer, **WRITE_RESPONSES},
            summary=f"Bulk action on {kind} (ids or a filter)",
            **doc,
        )
        def post(self, request, slug):
            return super().post(request, slug)

    class _Undo(BulkUndoView):
        @extend_schema(
            request=UndoInputSerializer,
            responses={200: BulkResultSerializer, **WRITE_RESPONSES},
            summary=f"Undo a bulk delete of {kind}",
            **doc,
        )
        def post(self, request, slug):
            return super().post(request, slug)

    class _Job(BulkJobView):
        @extend_schema(
            responses={200: OpenApiTypes.OBJECT, **ERROR_RESPONSES}, summary=f"Progress of a bulk job on {kind}", **doc
        )
        def get(self, request, slug, job_id):
            return super().get(request, slug, job_id)

    for view, suffix in ((_Bulk, "Bulk"), (_Undo, "BulkUndo"), (_Job, "BulkJob")):
        view.kind = kind
        view.required_feature = feature
        view.__name__ = view.__qualname__ = f"{kind.title()}{suffix}View"
    return _Bulk, _Undo, _Job


# --------------------------------------------------------------------------- import / export


class ImportInputSerializer(StrictInputSerializer):
    file = serializers.FileField(help_text="A CSV file, UTF-8, with a header row.")
    import_valid_rows = serializers.BooleanField(
        default=False, help_text="Import the valid rows even if others are invalid (default: all or nothing)."
    )
    dry_run = serializers.BooleanField(default=False, help_text="Only validate; import nothing.")


IMPORT_RESPONSE = inline_serializer(
    "ImportReport",
    {
        "total_rows": serializers.IntegerField(),
        "valid_rows": serializers.IntegerField(),
        "invalid_rows": serializers.IntegerField(),
        "imported": serializers.IntegerField(),
        "dry_run": serializers.BooleanField(),
        "errors": serializers.ListField(child=serializers.DictField()),
        "ignored_columns": serializers.ListField(child=serializers.CharField()),
    },
)


class ImportView(TenantScopedView):
    """POST …/import/ (multipart): 201 when rows were imported, 200 for a dry run or an import
    with nothing valid to add, 400 with every row error when invalid rows stopped the import."""

    parser_classes = [MultiPartParser, FormParser]
    importer = None  # staticmethod(<app>.services.<kind>_import)

    def post(self, request, slug):
        data = parse(ImportInputSerializer, request.data)
        report = self.importer(
            file=data["file"],
            actor=request.user,
            import_valid_rows=data["import_valid_rows"],
            dry_run=data["dry_run"],
            ip=self.ip,
        )
        if report.blocked:
            raise exceptions.ValidationError(
                {"rows": [str(e) for e in report.errors[:500]] + (["…and more."] if len(report.errors) > 500 else [])}
            )
        return Response(report.as_dict(), status=status.HTTP_201_CREATED if report.imported else status.HTTP_200_OK)


def stream_csv(*, tenant, name: str, header, rows_factory) -> StreamingHttpResponse:
    """A CSV download streamed row by row; the rows are read inside the tenant's schema while
    the response is sent (after the view has returned)."""

    def rows():
        with tenant_context(tenant):
            yield from rows_factory()

    response = StreamingHttpResponse(bulk.csv_stream(header, rows()), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}-{tenant.slug}-{dt.date.today():%Y%m%d}.csv"'
    return response
