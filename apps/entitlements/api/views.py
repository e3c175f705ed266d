"""Partner API for the entitlement engine: a tenant's evaluated features (partners see their own
tenants), and staff-only CRUD for features, grants and overrides (tier 2 reads, tier 3+ writes).
Thin views over apps.entitlements.selectors and services."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import Tier, User
from apps.api.serializers import ERROR_RESPONSES
from apps.entitlements import selectors, services
from apps.entitlements.api.serializers import (
    FeatureCreateInputSerializer,
    FeatureOutputSerializer,
    FeatureUpdateInputSerializer,
    GrantCreateInputSerializer,
    GrantOutputSerializer,
    OverrideOutputSerializer,
    OverrideSetInputSerializer,
    ReasonInputSerializer,
    TenantEntitlementsOutputSerializer,
)
from apps.entitlements.models import Feature
from apps.tenancy.api.actions import tenant_get_for_actor
from apps.tenancy.models import Tenant


class IsStaffReadAdminWrite(permissions.BasePermission):
    """Support agents (tier 2) read; platform admins and super admins (tier 3+) write."""

    message = "Only platform staff may do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_platform_staff):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        if user.tier < Tier.PLATFORM_ADMIN:
            self.message = "Support agents have read-only access to features; changes need a platform admin."
            return False
        return True


def _feature(request, key: str) -> Feature:
    feature = selectors.feature_get_visible(user=request.user, key=key)
    if feature is None:
        raise Http404(f"No feature “{key}”.")
    return feature


def _user_by_email(email: str | None, field: str) -> User | None:
    if email is None:
        return None
    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is None:
        raise ValidationError({field: f"No user with the email {email}."})
    return user


def _tenant_by_slug(slug: str, field: str = "tenant") -> Tenant:
    tenant = Tenant.objects.exclude(schema_name="public").filter(slug=slug).first()
    if tenant is None:
        raise ValidationError({field: f"No tenant “{slug}”."})
    return tenant


def _ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


TAGS = ["features"]


class TenantEntitlementsView(APIView):
    @extend_schema(
        responses={200: TenantEntitlementsOutputSerializer, **ERROR_RESPONSES},
        summary="Features evaluated for a tenant (ON/OFF and the deciding rule)",
        description="For the tenant as a whole (no user-level grants). Partners see the beta and GA "
        "features (and anything ON); staff see every feature.",
        tags=["tenants"],
    )
    def get(self, request, slug):
        tenant = tenant_get_for_actor(actor=request.user, slug=slug)
        rows = selectors.tenant_entitlements(tenant=tenant, include_hidden=request.user.is_platform_staff)
        return Response(TenantEntitlementsOutputSerializer({"tenant": tenant.slug, "features": rows}).data)


class FeatureListCreateView(APIView):
    permission_classes = [IsStaffReadAdminWrite]

    @extend_schema(
        responses={200: FeatureOutputSerializer(many=True), **ERROR_RESPONSES}, summary="Features", tags=TAGS
    )
    def get(self, request):
        return Response(FeatureOutputSerializer(selectors.features_visible_to(user=request.user), many=True).data)

    @extend_schema(
        request=FeatureCreateInputSerializer,
        responses={201: FeatureOutputSerializer, **ERROR_RESPONSES},
        summary="Create a feature (tier 3+)",
        tags=TAGS,
    )
    def post(self, request):
        data = FeatureCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        feature = services.feature_create(
            key=v["key"],
            name=v["name"],
            description=v["description"],
            stage=v["stage"],
            rollout_percentage=v["rollout_percentage"],
            prerequisites=v["prerequisites"],
            owner=_user_by_email(v.get("owner"), "owner"),
            super_admin_only=v["super_admin_only"],
            actor=request.user,
            reason=v["reason"],
            ip=_ip(request),
        )
        return Response(FeatureOutputSerializer(feature).data, status=status.HTTP_201_CREATED)


class FeatureDetailView(APIView):
    permission_classes = [IsStaffReadAdminWrite]

    @extend_schema(responses={200: FeatureOutputSerializer, **ERROR_RESPONSES}, summary="One feature", tags=TAGS)
    def get(self, request, key):
        return Response(FeatureOutputSerializer(_feature(request, key)).data)

    @extend_schema(
        request=FeatureUpdateInputSerializer,
        responses={200: FeatureOutputSerializer, **ERROR_RESPONSES},
        summary="Change name, description, owner, rollout or prerequisites (tier 3+)",
        tags=TAGS,
    )
    def patch(self, request, key):
        feature = _feature(request, key)
        data = FeatureUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        if "owner" in v:
            v["owner"] = _user_by_email(v["owner"], "owner")
        feature = services.feature_update(feature=feature, actor=request.user, ip=_ip(request), **v)
        return Response(FeatureOutputSerializer(feature).data)

    @extend_schema(
        request=ReasonInputSerializer,
        responses={200: FeatureOutputSerializer, **ERROR_RESPONSES},
        summary="Retire a feature (tier 3+): OFF for good; the row and its history stay",
        tags=TAGS,
    )
    def delete(self, request, key):
        data = ReasonInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        feature = services.feature_retire(
            feature=_feature(request, key), actor=request.user, reason=data.validated_data["reason"], ip=_ip(request)
        )
        return Response(FeatureOutputSerializer(feature).data)


def _verb(request, key, verb) -> Response:
    data = ReasonInputSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    feature = verb(
        feature=_feature(request, key), actor=request.user, reason=data.validated_data["reason"], ip=_ip(request)
    )
    return Response(FeatureOutputSerializer(feature).data)


VERB_SCHEMA = {
    "request": ReasonInputSerializer,
    "responses": {200: FeatureOutputSerializer, **ERROR_RESPONSES},
    "tags": TAGS,
}


class FeaturePromoteView(APIView):
    permission_classes = [IsStaffReadAdminWrite]

    @extend_schema(summary="Promote: alpha → beta → GA (tier 3+)", **VERB_SCHEMA)
    def post(self, request, key):
        return _verb(request, key, services.feature_promote)


class FeatureKillView(APIView):
    permission_classes = [IsStaffReadAdminWrite]

    @extend_schema(summary="Kill switch ON: OFF for everyone, staff included (tier 3+)", **VERB_SCHEMA)
    def post(self, request, key):
        return _verb(request, key, services.feature_kill)


class FeatureUnkillView(APIView):
    permission_classes = [IsStaffReadAdminWrite]

    @extend_schema(summary="Kill switch OFF (tier 3+)", **VERB_SCHEMA)
    def post(self, request, key):
        return _verb(request, key, services.feature_unkill)


class GrantListCreateView(APIView):
    permission_classes = [IsStaffReadAdminWrite]

    @extend_schema(
        responses={200: GrantOutputSerializer(many=True), **ERROR_RESPONSES}, summary="A feature's grants", tags=TAGS
    )
    def get(self, request, key):
        return Response(GrantOutputSerializer(selectors.grants_of(feature=_feature(request, key)), many=True).data)

    @extend_schema(
        request=GrantCreateInputSerializer,
        responses={201: GrantOutputSerializer, **ERROR_RESPONSES},
        summary="Grant a beta feature to a user, tenant, partner or plan tier (tier 3+)",
        tags=TAGS,
    )
    def post(self, request, key):
        feature = _feature(request, key)
        data = GrantCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        target: dict = {}
        if v.get("user"):
            target["user"] = _user_by_email(v["user"], "user")
        elif v.get("tenant"):
            target["tenant"] = _tenant_by_slug(v["tenant"])
        elif v.get("partner"):
            target["partner"] = _user_by_email(v["partner"], "partner")
        else:
            target["tier"] = v["tier"]
        grant = services.grant_add(
            feature=feature,
            expires_at=v.get("expires_at") or v.get("expires_on"),
            reason=v["reason"],
            actor=request.user,
            ip=_ip(request),
            **target,
        )
        return Response(GrantOutputSerializer(grant).data, status=status.HTTP_201_CREATED)


class GrantDetailView(APIView):
    permission_classes = [IsStaffReadAdminWrite]

    def _grant(self, request, key, grant_id):
        grant = selectors.grants_of(feature=_feature(request, key)).filter(pk=grant_id).first()
        if grant is None:
            raise Http404(f"No grant {grant_id} of {key}.")
        return grant

    @extend_schema(responses={200: GrantOutputSerializer, **ERROR_RESPONSES}, summary="One grant", tags=TAGS)
    def get(self, request, key, grant_id):
        return Response(GrantOutputSerializer(self._grant(request, key, grant_id)).data)

    @extend_schema(
        request=ReasonInputSerializer,
        responses={204: None, **ERROR_RESPONSES},
        summary="Remove a grant (tier 3+)",
        tags=TAGS,
    )
    def delete(self, request, key, grant_id):
        grant = self._grant(request, key, grant_id)
        data = ReasonInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.grant_remove(grant=grant, actor=request.user, reason=data.validated_data["reason"], ip=_ip(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class OverrideListSetView(APIView):
    permission_classes = [IsStaffReadAdminWrite]

    @extend_schema(
        responses={200: OverrideOutputSerializer(many=True), **ERROR_RESPONSES},
        summary="A feature's tenant overrides",
        tags=TAGS,
    )
    def get(self, request, key):
        return Response(
            OverrideOutputSerializer(selectors.overrides_of(feature=_feature(request, key)), many=True).data
        )

    @extend_schema(
        request=OverrideSetInputSerializer,
        responses={200: OverrideOutputSerializer, 204: None, **ERROR_RESPONSES},
        summary="Force a feature ON/OFF for a tenant, or remove the override with enabled=null (tier 3+)",
        tags=TAGS,
    )
    def post(self, request, key):
        feature = _feature(request, key)
        data = OverrideSetInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        override = services.override_set(
            feature=feature,
            tenant=_tenant_by_slug(v["tenant"]),
            enabled=v["enabled"],
            actor=request.user,
            reason=v["reason"],
            ip=_ip(request),
        )
        if override is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(OverrideOutputSerializer(override).data)
