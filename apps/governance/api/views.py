"""Partner API for the emergency stop of one tenant (M21). Thin: find the tenant as the
tenancy API does (404 for tenants the caller cannot see), check the tier, call the service."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import Tier
from apps.api.serializers import ERROR_RESPONSES
from apps.audit.services import client_ip
from apps.governance import services
from apps.governance.api.serializers import PanicInputSerializer, PanicOutputSerializer
from apps.governance.models import SkippedTask
from apps.tenancy.api import actions


def _state(tenant, *, changed: bool) -> dict:
    own = services.panic_active(tenant=tenant)
    fleet = services.panic_active(tenant=None)
    return {
        "tenant": tenant.slug,
        "panicked": own is not None,
        "global_panic": fleet is not None,
        "held": own is not None or fleet is not None,
        "changed": changed,
        "reason": own.reason if own else "",
        "by": own.by_email if own else "",
        "since": own.at if own else None,
        "skipped_tasks_pending": SkippedTask.objects.filter(
            schema_name=tenant.schema_name, rerun_at__isnull=True
        ).count(),
    }


def _require_platform_admin(user) -> None:
    if user.tier < Tier.PLATFORM_ADMIN:
        raise PermissionDenied("Only platform admins (tier 3 and up) may pull or release the emergency stop.")


class TenantPanicView(APIView):
    @extend_schema(
        responses={200: PanicOutputSerializer, **ERROR_RESPONSES},
        summary="Whether the tenant's background work is stopped",
        tags=["emergency stop"],
    )
    def get(self, request, slug):
        tenant = actions.tenant_get_for_actor(actor=request.user, slug=slug)
        return Response(PanicOutputSerializer(_state(tenant, changed=False)).data)

    @extend_schema(
        request=PanicInputSerializer,
        responses={200: PanicOutputSerializer, **ERROR_RESPONSES},
        summary="Emergency stop: halt the tenant's workers and automation (platform admins)",
        description=(
            "While stopped, the tenant's queued and newly queued background tasks are skipped and "
            "recorded (not lost), long tasks stop at their next step, and its automation endpoints "
            "answer 423. Calling it again is harmless (`changed` is false). Release with DELETE; "
            "re-run the skipped tasks with `manage.py panic --rerun --tenant SLUG` or the admin."
        ),
        tags=["emergency stop"],
    )
    def post(self, request, slug):
        tenant = actions.tenant_get_for_actor(actor=request.user, slug=slug)
        _require_platform_admin(request.user)
        data = PanicInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        _state_row, changed = services.panic_engage(
            tenant=tenant, actor=request.user, reason=data.validated_data["reason"], ip=client_ip(request)
        )
        return Response(PanicOutputSerializer(_state(tenant, changed=changed)).data)

    @extend_schema(
        request=None,
        responses={200: PanicOutputSerializer, **ERROR_RESPONSES},
        summary="Release the tenant's emergency stop (platform admins)",
        description=(
            "Lifts the tenant's own stop (a fleet-wide stop stays until it is released). Tasks skipped "
            "meanwhile stay recorded until they are re-run."
        ),
        tags=["emergency stop"],
    )
    def delete(self, request, slug):
        tenant = actions.tenant_get_for_actor(actor=request.user, slug=slug)
        _require_platform_admin(request.user)
        released = services.panic_release(tenant=tenant, actor=request.user, ip=client_ip(request))
        return Response(PanicOutputSerializer(_state(tenant, changed=released is not None)).data)
