from rest_framework import serializers

from apps.api.serializers import StrictInputSerializer
from apps.entitlements.models import Feature, Grant, TenantOverride
from apps.tenancy.models import Plan

CREATE_STAGES = [(v, label) for v, label in Feature.Stage.choices if v != Feature.Stage.RETIRED]


class FeatureOutputSerializer(serializers.ModelSerializer):
    owner = serializers.EmailField(source="owner.email", default=None, allow_null=True)
    prerequisites = serializers.SerializerMethodField()

    class Meta:
        model = Feature
        fields = [
            "key",
            "name",
            "description",
            "stage",
            "killed",
            "kill_reason",
            "rollout_percentage",
            "prerequisites",
            "owner",
            "super_admin_only",
            "stage_changed_at",
            "created_at",
        ]

    def get_prerequisites(self, obj) -> list[str]:
        return sorted(p.key for p in obj.prerequisites.all())


class FeatureCreateInputSerializer(StrictInputSerializer):
    key = serializers.CharField(max_length=80, help_text="Lowercase words separated by dots, e.g. crm.kanban.")
    name = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    description = serializers.CharField(required=False, allow_blank=True, default="")
    stage = serializers.ChoiceField(choices=CREATE_STAGES, default=Feature.Stage.ALPHA)
    rollout_percentage = serializers.IntegerField(min_value=0, max_value=100, default=0)
    prerequisites = serializers.ListField(child=serializers.CharField(max_length=80), required=False, default=list)
    owner = serializers.EmailField(required=False, help_text="Email of the engineer who owns the feature.")
    super_admin_only = serializers.BooleanField(required=False, default=False)
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class FeatureUpdateInputSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=120, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    rollout_percentage = serializers.IntegerField(min_value=0, max_value=100, required=False)
    prerequisites = serializers.ListField(child=serializers.CharField(max_length=80), required=False)
    owner = serializers.EmailField(required=False, allow_null=True)
    super_admin_only = serializers.BooleanField(required=False)
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class ReasonInputSerializer(StrictInputSerializer):
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class GrantOutputSerializer(serializers.ModelSerializer):
    feature = serializers.CharField(source="feature.key")
    target = serializers.SerializerMethodField(
        help_text="The user's or partner's email, the tenant's slug or the plan code."
    )
    expired = serializers.SerializerMethodField()
    granted_by = serializers.EmailField(source="granted_by.email", default=None, allow_null=True)

    class Meta:
        model = Grant
        fields = [
            "id",
            "feature",
            "target_type",
            "target",
            "expires_at",
            "expired",
            "reason",
            "granted_by",
            "created_at",
        ]

    def get_target(self, obj) -> str:
        if obj.target_type == Grant.Target.USER:
            return obj.user.email
        if obj.target_type == Grant.Target.TENANT:
            return obj.tenant.slug
        if obj.target_type == Grant.Target.PARTNER:
            return obj.partner.email
        return obj.plan.code

    def get_expired(self, obj) -> bool:
        from django.utils import timezone

        return obj.expires_at is not None and obj.expires_at <= timezone.now()


class GrantCreateInputSerializer(StrictInputSerializer):
    user = serializers.EmailField(required=False)
    tenant = serializers.SlugField(required=False)
    partner = serializers.EmailField(required=False)
    tier = serializers.ChoiceField(choices=Plan.Code.choices, required=False)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)
    expires_on = serializers.DateField(required=False, help_text="Last day of the grant (UTC); instead of expires_at.")
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        targets = [k for k in ("user", "tenant", "partner", "tier") if attrs.get(k)]
        if len(targets) != 1:
            raise serializers.ValidationError({"target": "Send exactly one of: user, tenant, partner, tier."})
        if attrs.get("expires_at") and attrs.get("expires_on"):
            raise serializers.ValidationError({"expires_on": "Send expires_at or expires_on, not both."})
        return attrs


class OverrideOutputSerializer(serializers.ModelSerializer):
    feature = serializers.CharField(source="feature.key")
    tenant = serializers.CharField(source="tenant.slug")
    set_by = serializers.EmailField(source="set_by.email", default=None, allow_null=True)

    class Meta:
        model = TenantOverride
        fields = ["feature", "tenant", "enabled", "reason", "set_by", "updated_at"]


class OverrideSetInputSerializer(StrictInputSerializer):
    tenant = serializers.SlugField()
    enabled = serializers.BooleanField(allow_null=True, help_text="true / false; null removes the override.")
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class EntitlementOutputSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    stage = serializers.CharField()
    enabled = serializers.BooleanField()
    rule = serializers.CharField(
        help_text="The rule that decided (killed, alpha_guard, override_on, ga, grant_tenant, rollout …)."
    )
    reason = serializers.CharField()


class TenantEntitlementsOutputSerializer(serializers.Serializer):
    tenant = serializers.CharField()
    features = EntitlementOutputSerializer(many=True)
