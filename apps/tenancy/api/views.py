"""Partner API for tenants: thin views over apps.tenancy.api.actions (rules) and the tenancy
selectors and services."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.api.serializers import MembershipOutputSerializer
from apps.api.pagination import ApiPagination
from apps.api.serializers import ERROR_RESPONSES, ErrorSerializer
from apps.audit.services import client_ip
from apps.tenancy import selectors
from apps.tenancy.api import actions
from apps.tenancy.api.serializers import (
    TenantCreateInputSerializer,
    TenantListFilterSerializer,
    TenantOutputSerializer,
    TenantUpdateInputSerializer,
)


def tenant_for_request(request, slug: str, *, require_active: bool = False):
    """The tenant of a tenant-scoped route, if the caller may see it (404 otherwise). Routes that
    act on the tenant's data pass require_active: refused (423) while the tenant is under an
    emergency stop (apps.governance, M21); a suspended tenant is refused by the action itself."""
    tenant = actions.tenant_get_for_actor(actor=request.user, slug=slug)
    if require_active:
        from apps.governance.api.guards import raise_if_panicked

        raise_if_panicked(tenant)
    return tenant


class TenantListCreateView(APIView):
    pagination_class = ApiPagination

    @extend_schema(
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=["active", "suspended", "archived"]),
            OpenApiParameter("limit", OpenApiTypes.INT, description="Page size (default 50, at most 200)."),
            OpenApiParameter("offset", OpenApiTypes.INT),
        ],
        responses={200: TenantOutputSerializer(many=True), **ERROR_RESPONSES},
        summary="Tenants you can see (a partner: the ones it manages; staff: all)",
        tags=["tenants"],
    )
    def get(self, request):
        filters = TenantListFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        qs = selectors.tenants_visible_to(user=request.user).order_by("slug")
        if "status" in filters.validated_data:
            qs = qs.filter(status=filters.validated_data["status"])
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(TenantOutputSerializer(page, many=True).data)

    @extend_schema(
        request=TenantCreateInputSerializer,
        responses={201: TenantOutputSerializer, **ERROR_RESPONSES},
        summary="Provision a tenant",
        tags=["tenants"],
    )
    def post(self, request):
        data = TenantCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        tenant = actions.tenant_provision(
            actor=request.user,
            name=v["name"],
            slug=v["slug"],
            tier=v["tier"],
            industry=v["industry"],
            domain=v["domain"],
            partner_email=v.get("partner"),
            ip=client_ip(request),
        )
        return Response(TenantOutputSerializer(tenant).data, status=status.HTTP_201_CREATED)


class TenantDetailView(APIView):
    @extend_schema(responses={200: TenantOutputSerializer, **ERROR_RESPONSES}, summary="One tenant", tags=["tenants"])
    def get(self, request, slug):
        return Response(TenantOutputSerializer(actions.tenant_get_for_actor(actor=request.user, slug=slug)).data)

    @extend_schema(
        request=TenantUpdateInputSerializer,
        responses={200: TenantOutputSerializer, **ERROR_RESPONSES},
        summary="Rename, change plan, suspend or activate (archiving: platform admins)",
        tags=["tenants"],
    )
    def patch(self, request, slug):
        tenant = actions.tenant_get_for_actor(actor=request.user, slug=slug)
        data = TenantUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tenant = actions.tenant_change(actor=request.user, tenant=tenant, ip=client_ip(request), **data.validated_data)
        return Response(TenantOutputSerializer(tenant).data)


class TenantMembersView(APIView):
    @extend_schema(
        responses={200: MembershipOutputSerializer(many=True), 423: ErrorSerializer, **ERROR_RESPONSES},
        summary="The tenant's users and roles",
        tags=["tenants"],
    )
    def get(self, request, slug):
        tenant = tenant_for_request(request, slug, require_active=True)
        return Response(MembershipOutputSerializer(actions.tenant_members(tenant=tenant), many=True).data)
