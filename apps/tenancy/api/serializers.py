from django.conf import settings
from rest_framework import serializers

from apps.tenancy.models import Plan, Tenant


class TenantOutputSerializer(serializers.ModelSerializer):
    tier = serializers.CharField(source="plan.code", default=None)
    partner = serializers.EmailField(source="partner.email", default=None)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Tenant
        fields = ["slug", "name", "status", "status_reason", "tier", "partner", "industry", "url", "created_at"]

    def get_url(self, obj) -> str:
        return f"http://{obj.slug}.{settings.BASE_DOMAIN}/app/"


class TenantCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    slug = serializers.CharField(max_length=40)
    tier = serializers.ChoiceField(choices=Plan.Code.choices, default=Plan.Code.FREE)
    industry = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    domain = serializers.CharField(max_length=253, required=False, allow_blank=True, default="")
    partner = serializers.EmailField(required=False, help_text="Staff only: the managing partner's email.")


class TenantUpdateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False)
    status = serializers.ChoiceField(choices=Tenant.Status.choices, required=False)
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    tier = serializers.ChoiceField(choices=Plan.Code.choices, required=False)
    industry = serializers.CharField(max_length=80, required=False, allow_blank=True)
