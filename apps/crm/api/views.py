"""CRM API under /api/v1/tenants/<slug>/: thin views over apps.crm.selectors and services.
Tenant resolution, feature gating and the schema switch live in apps.crm.api.base."""

from __future__ import annotations

from contextlib import contextmanager

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from apps.api.serializers import ERROR_RESPONSES
from apps.core.bulk import BulkResult
from apps.crm import selectors, services
from apps.crm.api import serializers as s
from apps.crm.api.base import (
    IMPORT_RESPONSE,
    WRITE_RESPONSES,
    BulkResultSerializer,
    Conflict,
    ImportInputSerializer,
    ImportView,
    TenantScopedView,
    bulk_views,
    filter_params,
    parse,
    stream_csv,
)


@contextmanager
def conflict_as_409():
    try:
        yield
    except services.StaleVersion as exc:
        raise Conflict(exc.message) from exc


def _deleted(result: BulkResult) -> Response:
    return Response({"deleted": result.count, "undo_token": result.undo_token}, status=status.HTTP_200_OK)


DELETE_RESPONSE = {200: BulkResultSerializer, **WRITE_RESPONSES}


# =========================================================================== contacts


class ContactListCreateView(TenantScopedView):
    @extend_schema(
        parameters=filter_params("q", "tag", "industry", "owner", "company", "source", "sort"),
        responses={200: s.ContactOutputSerializer(many=True), **ERROR_RESPONSES},
        summary="Contacts (search, filters, sort, pagination)",
        tags=["crm"],
    )
    def get(self, request, slug):
        return self.paginate(selectors.contact_list(filters=request.query_params), s.ContactOutputSerializer)

    @extend_schema(
        request=s.ContactInputSerializer,
        responses={201: s.ContactOutputSerializer, **WRITE_RESPONSES},
        summary="Create a contact",
        tags=["crm"],
    )
    def post(self, request, slug):
        data = parse(s.ContactInputSerializer, request.data)
        contact = services.contact_create(**data, actor=request.user)
        return Response(s.ContactOutputSerializer(contact).data, status=status.HTTP_201_CREATED)


class ContactDetailView(TenantScopedView):
    @extend_schema(responses={200: s.ContactOutputSerializer, **ERROR_RESPONSES}, summary="One contact", tags=["crm"])
    def get(self, request, slug, pk):
        return Response(s.ContactOutputSerializer(selectors.contact_get(contact_id=pk)).data)

    @extend_schema(
        request=s.ContactInputSerializer,
        responses={200: s.ContactOutputSerializer, **WRITE_RESPONSES},
        summary="Change a contact (only the fields sent)",
        tags=["crm"],
    )
    def patch(self, request, slug, pk):
        contact = selectors.contact_get(contact_id=pk)
        data = parse(s.ContactInputSerializer, request.data, partial=True)
        contact = services.contact_update(contact=contact, actor=request.user, **data)
        return Response(s.ContactOutputSerializer(contact).data)

    @extend_schema(responses=DELETE_RESPONSE, summary="Delete a contact (undo with the token)", tags=["crm"])
    def delete(self, request, slug, pk):
        return _deleted(
            services.contact_delete(contact=selectors.contact_get(contact_id=pk), actor=request.user, ip=self.ip)
        )


class ContactMergeView(TenantScopedView):
    @extend_schema(
        request=s.MergeInputSerializer,
        responses={200: s.MergeOutputSerializer, **WRITE_RESPONSES},
        summary="Merge two contacts",
        tags=["crm"],
    )
    def post(self, request, slug):
        data = parse(s.MergeInputSerializer, request.data)
        primary = selectors.contact_get(contact_id=data["primary"])
        other = selectors.contact_get(contact_id=data["other"])
        result = services.contacts_merge(primary=primary, other=other, actor=request.user, ip=self.ip)
        return Response(s.MergeOutputSerializer(result).data)


class ContactActivitiesView(TenantScopedView):
    @extend_schema(
        parameters=[s.TimelineQuerySerializer],
        responses={200: s.ActivityOutputSerializer(many=True), **ERROR_RESPONSES},
        summary="A contact's timeline (newest first; its deals' activities too)",
        tags=["crm"],
    )
    def get(self, request, slug, pk):
        contact = selectors.contact_get(contact_id=pk)
        q = parse(s.TimelineQuerySerializer, request.query_params)
        items = selectors.timeline(contact=contact, limit=q.get("limit", 50), before_id=q.get("before"))
        return Response(s.ActivityOutputSerializer(items, many=True).data)

    @extend_schema(
        request=s.ActivityInputSerializer,
        responses={201: s.ActivityOutputSerializer, **WRITE_RESPONSES},
        summary="Add a note to a contact",
        tags=["crm"],
    )
    def post(self, request, slug, pk):
        contact = selectors.contact_get(contact_id=pk)
        data = parse(s.ActivityInputSerializer, request.data)
        activity = services.activity_create(contact=contact, actor=request.user, **data)
        return Response(s.ActivityOutputSerializer(activity).data, status=status.HTTP_201_CREATED)


class ContactImportView(ImportView):
    importer = staticmethod(services.contacts_import)

    @extend_schema(
        request={"multipart/form-data": ImportInputSerializer},
        responses={201: IMPORT_RESPONSE, 200: IMPORT_RESPONSE, **WRITE_RESPONSES},
        summary="Import contacts from CSV",
        tags=["crm"],
    )
    def post(self, request, slug):
        return super().post(request, slug)


class ContactExportView(TenantScopedView):
    @extend_schema(
        parameters=filter_params("q", "tag", "industry", "owner", "company", "source", "sort")[:-2],
        responses={(200, "text/csv"): OpenApiTypes.STR, **ERROR_RESPONSES},
        summary="Export contacts as CSV",
        tags=["crm"],
    )
    def get(self, request, slug):
        filters = selectors.contact_filters_clean(request.query_params)
        return stream_csv(
            tenant=self.tenant,
            name="contacts",
            header=selectors.CONTACT_EXPORT_HEADER,
            rows_factory=lambda: selectors.contacts_export_rows(filters=filters),
        )


# =========================================================================== companies


class CompanyListCreateView(TenantScopedView):
    @extend_schema(
        parameters=filter_params("q", "tag", "industry", "owner", "sort"),
        responses={200: s.CompanyOutputSerializer(many=True), **ERROR_RESPONSES},
        summary="Companies",
        tags=["crm"],
    )
    def get(self, request, slug):
        return self.paginate(selectors.company_list(filters=request.query_params), s.CompanyOutputSerializer)

    @extend_schema(
        request=s.CompanyInputSerializer,
        responses={201: s.CompanyOutputSerializer, **WRITE_RESPONSES},
        summary="Create a company",
        tags=["crm"],
    )
    def post(self, request, slug):
        company = services.company_create(**parse(s.CompanyInputSerializer, request.data), actor=request.user)
        return Response(s.CompanyOutputSerializer(company).data, status=status.HTTP_201_CREATED)


class CompanyDetailView(TenantScopedView):
    @extend_schema(responses={200: s.CompanyOutputSerializer, **ERROR_RESPONSES}, summary="One company", tags=["crm"])
    def get(self, request, slug, pk):
        return Response(s.CompanyOutputSerializer(selectors.company_get(company_id=pk)).data)

    @extend_schema(
        request=s.CompanyInputSerializer,
        responses={200: s.CompanyOutputSerializer, **WRITE_RESPONSES},
        summary="Change a company",
        tags=["crm"],
    )
    def patch(self, request, slug, pk):
        company = selectors.company_get(company_id=pk)
        data = parse(s.CompanyInputSerializer, request.data, partial=True)
        return Response(
            s.CompanyOutputSerializer(services.company_update(company=company, actor=request.user, **data)).data
        )

    @extend_schema(responses=DELETE_RESPONSE, summary="Delete a company", tags=["crm"])
    def delete(self, request, slug, pk):
        return _deleted(
            services.company_delete(company=selectors.company_get(company_id=pk), actor=request.user, ip=self.ip)
        )


# =========================================================================== pipeline and deals


class StageListView(TenantScopedView):
    @extend_schema(
        responses={200: s.StageOutputSerializer(many=True), **ERROR_RESPONSES},
        summary="The pipeline's stages, left to right",
        tags=["crm"],
    )
    def get(self, request, slug):
        return Response(s.StageOutputSerializer(selectors.pipeline_stages(), many=True).data)


class DealListCreateView(TenantScopedView):
    @extend_schema(
        parameters=filter_params("q", "tag", "owner", "stage", "kind", "contact", "company", "sort"),
        responses={200: s.DealOutputSerializer(many=True), **ERROR_RESPONSES},
        summary="Deals and leads (by stage and position unless sorted)",
        tags=["crm"],
    )
    def get(self, request, slug):
        return self.paginate(selectors.deal_list(filters=request.query_params), s.DealOutputSerializer)

    @extend_schema(
        request=s.DealCreateInputSerializer,
        responses={201: s.DealOutputSerializer, **WRITE_RESPONSES},
        summary="Create a deal or a lead",
        tags=["crm"],
    )
    def post(self, request, slug):
        deal = services.deal_create(**parse(s.DealCreateInputSerializer, request.data), actor=request.user)
        return Response(
            s.DealOutputSerializer(selectors.deal_get(deal_id=deal.pk)).data, status=status.HTTP_201_CREATED
        )


class DealDetailView(TenantScopedView):
    @extend_schema(responses={200: s.DealOutputSerializer, **ERROR_RESPONSES}, summary="One deal", tags=["crm"])
    def get(self, request, slug, pk):
        return Response(s.DealOutputSerializer(selectors.deal_get(deal_id=pk)).data)

    @extend_schema(
        request=s.DealUpdateInputSerializer,
        responses={200: s.DealOutputSerializer, **WRITE_RESPONSES},
        summary="Change a deal (send its version; 409 if someone changed it since)",
        tags=["crm"],
    )
    def patch(self, request, slug, pk):
        deal = selectors.deal_get(deal_id=pk)
        data = parse(s.DealUpdateInputSerializer, request.data, partial=True)
        with conflict_as_409():
            services.deal_update(deal=deal, version=data.pop("version", None), actor=request.user, **data)
        return Response(s.DealOutputSerializer(selectors.deal_get(deal_id=pk)).data)

    @extend_schema(responses=DELETE_RESPONSE, summary="Delete a deal", tags=["crm"])
    def delete(self, request, slug, pk):
        return _deleted(services.deal_delete(deal=selectors.deal_get(deal_id=pk), actor=request.user, ip=self.ip))


class DealMoveView(TenantScopedView):
    @extend_schema(
        request=s.DealMoveInputSerializer,
        responses={200: s.DealOutputSerializer, **WRITE_RESPONSES},
        summary="Move a deal on the board (stage and position)",
        tags=["crm"],
    )
    def post(self, request, slug, pk):
        deal = selectors.deal_get(deal_id=pk)
        data = parse(s.DealMoveInputSerializer, request.data)
        with conflict_as_409():
            services.deal_move(
                deal=deal, stage=data["stage"], position=data["position"], version=data["version"], actor=request.user
            )
        return Response(s.DealOutputSerializer(selectors.deal_get(deal_id=pk)).data)


class DealConvertView(TenantScopedView):
    @extend_schema(
        request=s.VersionInputSerializer,
        responses={200: s.DealOutputSerializer, **WRITE_RESPONSES},
        summary="Convert a lead into a deal",
        tags=["crm"],
    )
    def post(self, request, slug, pk):
        lead = selectors.deal_get(deal_id=pk)
        data = parse(s.VersionInputSerializer, request.data)
        with conflict_as_409():
            services.lead_convert(lead=lead, version=data["version"], actor=request.user)
        return Response(s.DealOutputSerializer(selectors.deal_get(deal_id=pk)).data)


class DealActivitiesView(TenantScopedView):
    @extend_schema(
        parameters=[s.TimelineQuerySerializer],
        responses={200: s.ActivityOutputSerializer(many=True), **ERROR_RESPONSES},
        summary="A deal's timeline (newest first)",
        tags=["crm"],
    )
    def get(self, request, slug, pk):
        deal = selectors.deal_get(deal_id=pk)
        q = parse(s.TimelineQuerySerializer, request.query_params)
        items = selectors.timeline(deal=deal, limit=q.get("limit", 50), before_id=q.get("before"))
        return Response(s.ActivityOutputSerializer(items, many=True).data)

    @extend_schema(
        request=s.ActivityInputSerializer,
        responses={201: s.ActivityOutputSerializer, **WRITE_RESPONSES},
        summary="Add a note to a deal",
        tags=["crm"],
    )
    def post(self, request, slug, pk):
        deal = selectors.deal_get(deal_id=pk)
        activity = services.activity_create(
            deal=deal, actor=request.user, **parse(s.ActivityInputSerializer, request.data)
        )
        return Response(s.ActivityOutputSerializer(activity).data, status=status.HTTP_201_CREATED)


# =========================================================================== tasks


class TaskListCreateView(TenantScopedView):
    @extend_schema(
        parameters=filter_params("q", "tag", "status", "assignee", "contact", "deal", "due", "sort"),
        responses={200: s.TaskOutputSerializer(many=True), **ERROR_RESPONSES},
        summary="Tasks",
        tags=["crm"],
    )
    def get(self, request, slug):
        return self.paginate(selectors.task_list(filters=request.query_params), s.TaskOutputSerializer)

    @extend_schema(
        request=s.TaskCreateInputSerializer,
        responses={201: s.TaskOutputSerializer, **WRITE_RESPONSES},
        summary="Create a task",
        tags=["crm"],
    )
    def post(self, request, slug):
        task = services.task_create(**parse(s.TaskCreateInputSerializer, request.data), actor=request.user)
        return Response(s.TaskOutputSerializer(task).data, status=status.HTTP_201_CREATED)


class TaskDetailView(TenantScopedView):
    @extend_schema(responses={200: s.TaskOutputSerializer, **ERROR_RESPONSES}, summary="One task", tags=["crm"])
    def get(self, request, slug, pk):
        return Response(s.TaskOutputSerializer(selectors.task_get(task_id=pk)).data)

    @extend_schema(
        request=s.TaskUpdateInputSerializer,
        responses={200: s.TaskOutputSerializer, **WRITE_RESPONSES},
        summary="Change a task (send its version; 409 if someone changed it since)",
        tags=["crm"],
    )
    def patch(self, request, slug, pk):
        task = selectors.task_get(task_id=pk)
        data = parse(s.TaskUpdateInputSerializer, request.data, partial=True)
        with conflict_as_409():
            task = services.task_update(task=task, version=data.pop("version", None), actor=request.user, **data)
        return Response(s.TaskOutputSerializer(task).data)

    @extend_schema(responses=DELETE_RESPONSE, summary="Delete a task", tags=["crm"])
    def delete(self, request, slug, pk):
        return _deleted(services.task_delete(task=selectors.task_get(task_id=pk), actor=request.user, ip=self.ip))


# =========================================================================== bulk, per list


ContactBulkView, ContactBulkUndoView, ContactBulkJobView = bulk_views("contacts", "crm")
CompanyBulkView, CompanyBulkUndoView, CompanyBulkJobView = bulk_views("companies", "crm")
DealBulkView, DealBulkUndoView, DealBulkJobView = bulk_views("deals", "crm")
TaskBulkView, TaskBulkUndoView, TaskBulkJobView = bulk_views("tasks", "crm")
