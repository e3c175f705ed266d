from rest_framework import serializers

from apps.api.serializers import StrictInputSerializer


class PanicInputSerializer(StrictInputSerializer):
    reason = serializers.CharField(
        max_length=255, required=False, allow_blank=True, default="", help_text="Why; kept in the audit log."
    )


class PanicOutputSerializer(serializers.Serializer):
    tenant = serializers.CharField(help_text="The tenant's slug.")
    panicked = serializers.BooleanField(help_text="True while the tenant's own emergency stop is on.")
    global_panic = serializers.BooleanField(help_text="True while the fleet-wide emergency stop is on.")
    held = serializers.BooleanField(help_text="True if the tenant's work is held, by either switch.")
    changed = serializers.BooleanField(help_text="Whether this request switched the tenant's stop on or off.")
    reason = serializers.CharField(allow_blank=True)
    by = serializers.CharField(allow_blank=True, help_text="Who turned the stop on (email).")
    since = serializers.DateTimeField(allow_null=True)
    skipped_tasks_pending = serializers.IntegerField(help_text="Tasks held back and not re-run yet.")
