from __future__ import annotations

from rest_framework import serializers

from apps.api.serializers import StrictInputSerializer
from apps.catalog.models import Product
from apps.catalog.pricing import Direction, Mode, Rounding
from apps.core.bulk import MAX_IDS


class ProductOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = [
            "id",
            "name",
            "sku",
            "description",
            "price",
            "currency",
            "visibility",
            "stock",
            "category",
            "created_at",
            "updated_at",
        ]


class ProductInputSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=200)
    sku = serializers.CharField(max_length=64)
    description = serializers.CharField(max_length=20_000, required=False, allow_blank=True)
    price = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)
    currency = serializers.CharField(max_length=3, required=False)
    visibility = serializers.ChoiceField(choices=Product.Visibility.choices, required=False)
    stock = serializers.IntegerField(min_value=0, required=False)
    category = serializers.CharField(max_length=80, required=False, allow_blank=True)


class PricePreviewInputSerializer(StrictInputSerializer):
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, max_length=MAX_IDS)
    filter = serializers.DictField(required=False)
    mode = serializers.ChoiceField(choices=Mode.choices)
    direction = serializers.ChoiceField(choices=Direction.choices)
    value = serializers.DecimalField(max_digits=14, decimal_places=2)
    rounding = serializers.ChoiceField(choices=Rounding.choices, required=False)
    limit = serializers.IntegerField(min_value=0, max_value=200, required=False)

    def validate(self, attrs):
        if ("ids" in attrs) == ("filter" in attrs):
            raise serializers.ValidationError(
                {"non_field_errors": ["Give either “ids” or “filter”, not both and not neither."]}
            )
        return attrs
