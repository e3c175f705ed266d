"""Input and output serializers of the CRM API. Inputs only check shapes and types; the
services validate the business rules (and their ValidationErrors become 400 field errors)."""

from __future__ import annotations

from rest_framework import serializers

from apps.api.serializers import StrictInputSerializer
from apps.core.bulk import TAG_MAX_LENGTH
from apps.crm.models import Activity, Company, Contact, Deal, PipelineStage, Task


def _tags_field():
    return serializers.ListField(child=serializers.CharField(max_length=TAG_MAX_LENGTH), required=False, max_length=50)


def _owner_field(name: str = "owner"):
    return serializers.CharField(
        max_length=254,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text=f"The {name}: a user id or the email of a member of the business; null to clear.",
    )


# --------------------------------------------------------------------------- companies


class CompanyOutputSerializer(serializers.ModelSerializer):
    owner = serializers.IntegerField(source="owner_id", allow_null=True)

    class Meta:
        model = Company
        fields = [
            "id",
            "name",
            "domain",
            "industry",
            "phone",
            "owner",
            "owner_email",
            "tags",
            "custom_fields",
            "created_at",
            "updated_at",
        ]


class CompanyInputSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=200)
    domain = serializers.CharField(max_length=253, required=False, allow_blank=True)
    industry = serializers.CharField(max_length=80, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    owner = _owner_field()
    tags = _tags_field()
    custom_fields = serializers.DictField(required=False)


# --------------------------------------------------------------------------- contacts


class ContactOutputSerializer(serializers.ModelSerializer):
    company = serializers.IntegerField(source="company_id", allow_null=True)
    owner = serializers.IntegerField(source="owner_id", allow_null=True)

    class Meta:
        model = Contact
        fields = [
            "id",
            "name",
            "email",
            "phone",
            "company",
            "company_name",
            "owner",
            "owner_email",
            "industry",
            "tags",
            "custom_fields",
            "source",
            "created_at",
            "updated_at",
        ]


class ContactInputSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=200)
    email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    company = serializers.IntegerField(required=False, allow_null=True, min_value=1, help_text="A company id.")
    owner = _owner_field()
    industry = serializers.CharField(max_length=80, required=False, allow_blank=True)
    tags = _tags_field()
    custom_fields = serializers.DictField(required=False)
    source = serializers.CharField(max_length=40, required=False, allow_blank=True)


class MergeInputSerializer(StrictInputSerializer):
    primary = serializers.IntegerField(min_value=1, help_text="The contact that stays.")
    other = serializers.IntegerField(min_value=1, help_text="The contact merged into it (then deleted).")


class MergeOutputSerializer(serializers.Serializer):
    contact = ContactOutputSerializer()
    merged_id = serializers.IntegerField()
    moved_deals = serializers.IntegerField()
    moved_tasks = serializers.IntegerField()
    moved_activities = serializers.IntegerField()


# --------------------------------------------------------------------------- pipeline and deals


class StageOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = PipelineStage
        fields = ["id", "name", "position", "kind", "probability"]


class DealOutputSerializer(serializers.ModelSerializer):
    stage = serializers.IntegerField(source="stage_id")
    stage_name = serializers.CharField(source="stage.name")
    contact = serializers.IntegerField(source="contact_id", allow_null=True)
    company = serializers.IntegerField(source="company_id", allow_null=True)
    owner = serializers.IntegerField(source="owner_id", allow_null=True)

    class Meta:
        model = Deal
        fields = [
            "id",
            "kind",
            "title",
            "value",
            "currency",
            "expected_close_date",
            "stage",
            "stage_name",
            "position",
            "contact",
            "company",
            "owner",
            "owner_email",
            "tags",
            "closed_at",
            "version",
            "created_at",
            "updated_at",
        ]


class DealCreateInputSerializer(StrictInputSerializer):
    title = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=Deal.Kind.choices, required=False)
    value = serializers.DecimalField(max_digits=14, decimal_places=2, required=False, min_value=0)
    currency = serializers.CharField(max_length=3, required=False)
    expected_close_date = serializers.DateField(required=False, allow_null=True)
    stage = serializers.IntegerField(required=False, min_value=1, help_text="Default: the first open stage.")
    contact = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    company = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    owner = _owner_field()
    tags = _tags_field()


class DealUpdateInputSerializer(DealCreateInputSerializer):
    version = serializers.IntegerField(
        min_value=1, help_text="The version you edited (409 if it is no longer current)."
    )


class DealMoveInputSerializer(StrictInputSerializer):
    stage = serializers.IntegerField(min_value=1)
    position = serializers.IntegerField(min_value=0, help_text="0 is the top of the column.")
    version = serializers.IntegerField(min_value=1)


class VersionInputSerializer(StrictInputSerializer):
    version = serializers.IntegerField(min_value=1)


# --------------------------------------------------------------------------- tasks


class TaskOutputSerializer(serializers.ModelSerializer):
    assignee = serializers.IntegerField(source="assignee_id", allow_null=True)
    contact = serializers.IntegerField(source="contact_id", allow_null=True)
    deal = serializers.IntegerField(source="deal_id", allow_null=True)

    class Meta:
        model = Task
        fields = [
            "id",
            "title",
            "description",
            "due_date",
            "status",
            "assignee",
            "assignee_email",
            "contact",
            "deal",
            "tags",
            "completed_at",
            "version",
            "created_at",
            "updated_at",
        ]


class TaskCreateInputSerializer(StrictInputSerializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    due_date = serializers.DateField(required=False, allow_null=True)
    status = serializers.ChoiceField(choices=Task.Status.choices, required=False)
    assignee = _owner_field("assignee")
    contact = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    deal = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    tags = _tags_field()


class TaskUpdateInputSerializer(TaskCreateInputSerializer):
    version = serializers.IntegerField(
        min_value=1, help_text="The version you edited (409 if it is no longer current)."
    )


# --------------------------------------------------------------------------- activities


class ActivityOutputSerializer(serializers.ModelSerializer):
    contact = serializers.IntegerField(source="contact_id", allow_null=True)
    deal = serializers.IntegerField(source="deal_id", allow_null=True)
    actor = serializers.IntegerField(source="actor_id", allow_null=True)

    class Meta:
        model = Activity
        fields = ["id", "kind", "body", "contact", "deal", "actor", "actor_email", "metadata", "occurred_at"]


class ActivityInputSerializer(StrictInputSerializer):
    body = serializers.CharField(max_length=20_000)
    kind = serializers.ChoiceField(choices=["note", "call", "email", "meeting"], required=False)


class TimelineQuerySerializer(StrictInputSerializer):
    limit = serializers.IntegerField(required=False, min_value=1, max_value=200)
    before = serializers.IntegerField(required=False, min_value=1, help_text="The id of the last activity seen.")
