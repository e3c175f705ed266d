from rest_framework import serializers

from apps.accounts.models import Membership, User


class MeOutputSerializer(serializers.ModelSerializer):
    tier_name = serializers.CharField(source="get_tier_display")

    class Meta:
        model = User
        fields = ["id", "email", "full_name", "tier", "tier_name", "language", "theme"]


class MembershipOutputSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email")

    class Meta:
        model = Membership
        fields = ["email", "role", "created_at"]
