"""Tenant-schema models of the CRM (M9): companies, contacts, the pipeline and its deals (and
leads), tasks, the activity timeline and conversion events.

Users live in the public schema; a tenant row refers to one by id (``owner_id``,
``assignee_id``, ``actor_id``) with the email copied next to it, so lists never join across
schemas and a removed user still shows who it was. Rows are soft-deleted
(apps.core.bulk.SoftDeleteModel). Writes go through apps.crm.services, reads through
apps.crm.selectors.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from apps.core.bulk import SoftDeleteModel, SoftDeleteQuerySet, gin_index, search_field

ALIVE = Q(deleted_at__isnull=True)


class Company(SoftDeleteModel):
    name = models.CharField(max_length=200)
    domain = models.CharField(max_length=253, blank=True, help_text="Website host, e.g. acme.com.")
    industry = models.CharField(max_length=80, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    owner_id = models.BigIntegerField(null=True, blank=True, help_text="Public-schema user id.")
    owner_email = models.CharField(max_length=254, blank=True)
    tags = models.JSONField(default=list, blank=True)
    custom_fields = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Not the industry: a bulk "set industry" would leave documents behind.
    SEARCH_FIELDS = ("name", "domain")
    search = search_field()

    objects = SoftDeleteQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = "companies"
        indexes = [
            models.Index(fields=["name", "id"], condition=ALIVE, name="crm_company_name_alive"),
            gin_index("tags", "crm_company_tags"),
            gin_index("search", "crm_company_search"),
            models.Index(fields=["id"], condition=Q(search__isnull=True), name="crm_company_search_pending"),
            models.Index(fields=["deleted_batch"], condition=Q(deleted_batch__isnull=False), name="crm_company_batch"),
        ]

    def __str__(self) -> str:
        return self.name


class Contact(SoftDeleteModel):
    name = models.CharField(max_length=200)
    email = models.CharField(max_length=254, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    # No index of its own: every index is rewritten by each bulk UPDATE of 100,000 contacts, and
    # "contacts of a company" is a rare, cheap filter next to the list's own indexes.
    company = models.ForeignKey(
        Company, on_delete=models.SET_NULL, null=True, blank=True, related_name="contacts", db_index=False
    )
    # Copied from the company (kept in step by the services), so the list and the search need no join.
    company_name = models.CharField(max_length=200, blank=True, editable=False)
    owner_id = models.BigIntegerField(null=True, blank=True, help_text="Public-schema user id.")
    owner_email = models.CharField(max_length=254, blank=True)
    industry = models.CharField(max_length=80, blank=True)
    tags = models.JSONField(default=list, blank=True)
    custom_fields = models.JSONField(default=dict, blank=True)
    source = models.CharField(
        max_length=40, blank=True, help_text="Where the contact came from: manual, import, api, web …"
    )
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Name, email and company: what people type to find someone (phones are not searched).
    SEARCH_FIELDS = ("name", "email", "company_name")
    search = search_field()

    objects = SoftDeleteQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["name", "id"], condition=ALIVE, name="crm_contact_name_alive"),
            gin_index("tags", "crm_contact_tags"),
            gin_index("search", "crm_contact_search"),
            models.Index(fields=["id"], condition=Q(search__isnull=True), name="crm_contact_search_pending"),
            models.Index(fields=["deleted_batch"], condition=Q(deleted_batch__isnull=False), name="crm_contact_batch"),
        ]

    def __str__(self) -> str:
        return self.name


class PipelineStage(models.Model):
    """A column of the Kanban board. The tenant configures them; a data migration creates the
    defaults (New, Qualified, Proposal, Negotiation, Won, Lost) in the template schema, so every
    new tenant starts with them."""

    class Kind(models.TextChoices):
        OPEN = "open", "Open"
        WON = "won", "Won"
        LOST = "lost", "Lost"

    name = models.CharField(max_length=60, unique=True)
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.OPEN)
    probability = models.PositiveSmallIntegerField(default=0, help_text="Chance to win, in percent (forecasts).")

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.CheckConstraint(condition=Q(probability__lte=100), name="crm_stage_probability_le_100")]

    def __str__(self) -> str:
        return self.name


class Deal(SoftDeleteModel):
    """A deal on the pipeline. Leads are deals of kind "lead" (shown as ``Lead``), so both move
    over the same board; ``lead_convert`` turns a lead into a deal. ``position`` orders the cards
    within a stage (0-based, dense). ``version`` guards edits (optimistic concurrency)."""

    class Kind(models.TextChoices):
        LEAD = "lead", "Lead"
        DEAL = "deal", "Deal"

    kind = models.CharField(max_length=4, choices=Kind.choices, default=Kind.DEAL)
    title = models.CharField(max_length=200)
    value = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    currency = models.CharField(max_length=3, default="USD")
    expected_close_date = models.DateField(null=True, blank=True)
    stage = models.ForeignKey(PipelineStage, on_delete=models.PROTECT, related_name="deals")
    position = models.IntegerField(default=0)
    contact = models.ForeignKey(Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="deals")
    company = models.ForeignKey(Company, on_delete=models.SET_NULL, null=True, blank=True, related_name="deals")
    owner_id = models.BigIntegerField(null=True, blank=True, help_text="Public-schema user id.")
    owner_email = models.CharField(max_length=254, blank=True)
    tags = models.JSONField(default=list, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True, help_text="When it reached a won or lost stage.")
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    SEARCH_FIELDS = ("title",)
    search = search_field()

    objects = SoftDeleteQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]
        indexes = [
            models.Index(fields=["stage", "position", "id"], condition=ALIVE, name="crm_deal_board"),
            gin_index("tags", "crm_deal_tags"),
            gin_index("search", "crm_deal_search"),
            models.Index(fields=["id"], condition=Q(search__isnull=True), name="crm_deal_search_pending"),
            models.Index(fields=["deleted_batch"], condition=Q(deleted_batch__isnull=False), name="crm_deal_batch"),
        ]
        constraints = [models.CheckConstraint(condition=Q(value__gte=0), name="crm_deal_value_ge_0")]

    def __str__(self) -> str:
        return self.title


class LeadManager(models.Manager):
    def get_queryset(self):
        return SoftDeleteQuerySet(self.model, using=self._db).filter(kind=Deal.Kind.LEAD)


class Lead(Deal):
    """The leads of the pipeline (deals of kind "lead")."""

    objects = LeadManager()

    class Meta:
        proxy = True


class Task(SoftDeleteModel):
    class Status(models.TextChoices):
        TODO = "todo", "To do"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.TODO)
    assignee_id = models.BigIntegerField(null=True, blank=True, help_text="Public-schema user id.")
    assignee_email = models.CharField(max_length=254, blank=True)
    contact = models.ForeignKey(Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks")
    deal = models.ForeignKey(Deal, on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks")
    tags = models.JSONField(default=list, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    SEARCH_FIELDS = ("title",)
    search = search_field()

    objects = SoftDeleteQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [
            models.Index(fields=["status", "due_date", "id"], condition=ALIVE, name="crm_task_status_due"),
            gin_index("search", "crm_task_search"),
            models.Index(fields=["id"], condition=Q(search__isnull=True), name="crm_task_search_pending"),
            gin_index("tags", "crm_task_tags"),
            models.Index(fields=["deleted_batch"], condition=Q(deleted_batch__isnull=False), name="crm_task_batch"),
        ]

    def __str__(self) -> str:
        return self.title


class Activity(models.Model):
    """One entry of a contact's or a deal's timeline: a note a person wrote, or something that
    happened (stage change, merge, conversion)."""

    class Kind(models.TextChoices):
        NOTE = "note", "Note"
        CALL = "call", "Call"
        EMAIL = "email", "Email"
        MEETING = "meeting", "Meeting"
        STAGE_CHANGE = "stage_change", "Stage change"
        MERGE = "merge", "Merge"
        CONVERSION = "conversion", "Conversion"

    kind = models.CharField(max_length=14, choices=Kind.choices, default=Kind.NOTE)
    body = models.TextField(blank=True)
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, null=True, blank=True, related_name="activities")
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, null=True, blank=True, related_name="activities")
    actor_id = models.BigIntegerField(null=True, blank=True, help_text="Public-schema user id.")
    actor_email = models.CharField(max_length=254, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField(db_index=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name_plural = "activities"
        indexes = [
            models.Index(fields=["contact", "-occurred_at", "-id"], name="crm_activity_contact_time"),
            models.Index(fields=["deal", "-occurred_at", "-id"], name="crm_activity_deal_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(contact__isnull=False) | Q(deal__isnull=False), name="crm_activity_has_subject"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d %H:%M}"


class ConversionEvent(models.Model):
    """A deal reached a won stage: its value and the moment, kept for revenue attribution (M20)
    even if the deal later moves again."""

    deal = models.ForeignKey(Deal, on_delete=models.PROTECT, related_name="conversions")
    deal_title = models.CharField(max_length=200)
    value = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    stage_name = models.CharField(max_length=60)
    contact_id_at = models.BigIntegerField(null=True, blank=True, help_text="The deal's contact at conversion.")
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_email = models.CharField(max_length=254, blank=True)
    occurred_at = models.DateTimeField()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["occurred_at"], name="crm_conversion_time")]

    def __str__(self) -> str:
        return f"{self.deal_title}: {self.value} {self.currency}"


class GlobalControlCenter(Contact):
    """No data of its own: the admin entry of the CRM Global Control Center (M5), which lists
    and searches contacts and deals across every tenant schema (apps.crm.global_search)."""

    class Meta:
        proxy = True
        verbose_name = "CRM global control center"
        verbose_name_plural = "CRM global control center"
