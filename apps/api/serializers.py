"""Building blocks shared by the API's serializers."""

from __future__ import annotations

from collections.abc import Mapping

from rest_framework import serializers

# Sent by browsers (the browsable API's forms) or understood by DRF itself, never data.
IGNORED_INPUT_KEYS = frozenset({"csrfmiddlewaretoken", "format"})


# Input serializer that refuses fields it does not know, so a typo ("stauts") or a field that
# cannot be changed ("slug") is reported instead of silently ignored. (A comment, not a docstring:
# drf-spectacular would copy a docstring into every subclass's schema description.)
class StrictInputSerializer(serializers.Serializer):
    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(str(k) for k in data if k not in self.fields and k not in IGNORED_INPUT_KEYS)
            if unknown:
                allowed = ", ".join(self.fields)
                raise serializers.ValidationError({k: [f"Unknown field. Allowed: {allowed}."] for k in unknown})
        return super().to_internal_value(data)


class ErrorSerializer(serializers.Serializer):
    """The shape of every error answer (documented in the OpenAPI schema)."""

    error = serializers.CharField(
        help_text="A stable code: invalid, not_authenticated, permission_denied, not_found, locked …"
    )
    message = serializers.CharField(help_text="A human-readable explanation.")


# `fields` cannot be a class attribute (it would hide Serializer.fields), so it is declared here.
ErrorSerializer._declared_fields["fields"] = serializers.DictField(
    child=serializers.ListField(child=serializers.CharField()),
    help_text="Per-field errors for invalid input; empty otherwise.",
)

ERROR_RESPONSES = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}
