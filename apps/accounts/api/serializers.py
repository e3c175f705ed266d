from rest_framework import serializers

from apps.accounts.models import ApiKey, Membership, User
from apps.accounts.services import API_KEY_NAME_MAX
from apps.api.serializers import StrictInputSerializer


class MeOutputSerializer(serializers.ModelSerializer):
    # A plain integer in the schema: an enum here would collide with the tenants' plan "tier".
    tier = serializers.IntegerField(
        help_text="0 tenant user, 1 partner, 2 support agent, 3 platform admin, 4 super admin."
    )
    tier_name = serializers.CharField(source="get_tier_display")

    class Meta:
        model = User
        fields = ["id", "email", "full_name", "tier", "tier_name", "language", "theme"]


class MembershipOutputSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email")
    full_name = serializers.CharField(source="user.full_name")

    class Meta:
        model = Membership
        fields = ["email", "full_name", "role", "created_at"]


class ApiKeyOutputSerializer(serializers.ModelSerializer):
    """A key as listed: never the secret (only a digest is stored)."""

    active = serializers.BooleanField(source="is_active")

    class Meta:
        model = ApiKey
        fields = ["prefix", "name", "active", "created_at", "last_used_at", "revoked_at"]


class ApiKeyCreatedOutputSerializer(ApiKeyOutputSerializer):
    key = serializers.SerializerMethodField(help_text="The full key. Shown once: store it now.")

    class Meta(ApiKeyOutputSerializer.Meta):
        fields = ["key", *ApiKeyOutputSerializer.Meta.fields]

    def get_key(self, obj) -> str:
        return self.context["raw_key"]


class ApiKeyCreateInputSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=API_KEY_NAME_MAX, required=False, allow_blank=True, default="default")
