from rest_framework import serializers

from apps.api.serializers import StrictInputSerializer
from apps.tenancy.models import Plan, Tenant
from apps.tenancy.selectors import tenant_dashboard_url


class TenantOutputSerializer(serializers.ModelSerializer):
    tier = serializers.CharField(source="plan.code", default=None, allow_null=True, help_text="The subscription plan.")
    partner = serializers.EmailField(source="partner.email", default=None, allow_null=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Tenant
        fields = ["slug", "name", "status", "status_reason", "tier", "partner", "industry", "url", "created_at"]

    def get_url(self, obj) -> str:
        return tenant_dashboard_url(obj)


class TenantListFilterSerializer(StrictInputSerializer):
    status = serializers.ChoiceField(choices=Tenant.Status.choices, required=False)
    limit = serializers.IntegerField(required=False, min_value=1)
    offset = serializers.IntegerField(required=False, min_value=0)


class TenantCreateInputSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=120)
    slug = serializers.CharField(max_length=40, help_text="3–40 lowercase letters, digits and hyphens; the subdomain.")
    tier = serializers.ChoiceField(choices=Plan.Code.choices, default=Plan.Code.FREE)
    industry = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    domain = serializers.CharField(max_length=253, required=False, allow_blank=True, default="")
    partner = serializers.EmailField(required=False, help_text="Platform admins only: the managing partner's email.")


class TenantUpdateInputSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=120, required=False)
    status = serializers.ChoiceField(choices=Tenant.Status.choices, required=False)
    reason = serializers.CharField(
        max_length=255, required=False, allow_blank=True, help_text="Why the status changes."
    )
    tier = serializers.ChoiceField(choices=Plan.Code.choices, required=False)
    industry = serializers.CharField(max_length=80, required=False, allow_blank=True)
