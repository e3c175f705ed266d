"""Partner API for tenants: thin views over tenancy selectors and services."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.api.serializers import MembershipOutputSerializer
from apps.accounts.models import Membership, User
from apps.api.exceptions import Locked
from apps.tenancy import selectors, services
from apps.tenancy.api.serializers import (
    TenantCreateInputSerializer,
    TenantOutputSerializer,
    TenantUpdateInputSerializer,
)


def tenant_for_request(request, slug: str, *, require_active: bool = False):
    tenant = selectors.tenant_get_visible(user=request.user, slug=slug)
    if tenant is None:
        raise NotFound(f"No tenant “{slug}” that you manage.")
    if require_active and tenant.status == tenant.Status.SUSPENDED:
        raise Locked(f"Tenant “{slug}” is suspended; its data is kept but nothing can be done with it until it is reactivated.")
    return tenant


class TenantListCreateView(APIView):
    @extend_schema(responses=TenantOutputSerializer(many=True), summary="Tenants you can see")
    def get(self, request):
        qs = selectors.tenants_visible_to(user=request.user).order_by("slug")
        status_filter = request.query_params.get("status")
        if status_filter:
            qs = qs.filter(status=status_filter)
        paginator = generics.GenericAPIView.pagination_class()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(TenantOutputSerializer(page, many=True).data)

    @extend_schema(request=TenantCreateInputSerializer, responses={201: TenantOutputSerializer}, summary="Provision a tenant")
    def post(self, request):
        data = TenantCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        user = request.user
        if user.is_partner:
            if v.get("partner") and v["partner"].lower() != user.email:
                raise PermissionDenied("Partners provision tenants for themselves only.")
            partner = user
        elif user.tier >= 3:
            partner = None
            if v.get("partner"):
                partner = User.objects.filter(email__iexact=v["partner"]).first()
                if partner is None:
                    raise ValidationError({"partner": f"No user {v['partner']}."})
        else:
            raise PermissionDenied("Support agents cannot provision tenants.")
        tenant = services.tenant_create(
            name=v["name"], slug=v["slug"], plan=v["tier"], partner=partner, domain=v.get("domain") or None, industry=v.get("industry", "")
        )
        return Response(TenantOutputSerializer(tenant).data, status=status.HTTP_201_CREATED)


class TenantDetailView(APIView):
    @extend_schema(responses=TenantOutputSerializer, summary="One tenant")
    def get(self, request, slug):
        return Response(TenantOutputSerializer(tenant_for_request(request, slug)).data)

    @extend_schema(request=TenantUpdateInputSerializer, responses=TenantOutputSerializer, summary="Rename, change tier, suspend or activate")
    def patch(self, request, slug):
        tenant = tenant_for_request(request, slug)
        data = TenantUpdateInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        if not v:
            raise ValidationError({"non_field_errors": "Send at least one of: name, status, tier, industry."})
        if request.user.tier == 2:
            raise PermissionDenied("Support agents have read-only access to tenants.")
        if "status" in v:
            if v["status"] == "archived" and request.user.tier < 3:
                raise PermissionDenied("Only platform admins can archive a tenant.")
            services.tenant_set_status(tenant=tenant, status=v["status"], reason=v.get("reason", ""))
        services.tenant_update(tenant=tenant, name=v.get("name"), plan=v.get("tier"), industry=v.get("industry"))
        return Response(TenantOutputSerializer(tenant).data)


class TenantMembersView(APIView):
    @extend_schema(responses=MembershipOutputSerializer(many=True), summary="The tenant's users and roles")
    def get(self, request, slug):
        tenant = tenant_for_request(request, slug, require_active=True)
        qs = Membership.objects.filter(tenant=tenant).select_related("user").order_by("user__email")
        return Response(MembershipOutputSerializer(qs, many=True).data)
