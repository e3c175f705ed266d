"""The CRM's lists as apps.core.bulk list kinds: contacts, companies, deals, tasks."""

from __future__ import annotations

from django.db.models import Case, F, Value, When
from django.db.models.functions import Now

from apps.core.bulk import BulkAction, BulkContext, ListKind, bulk_register, clean_choice_param, standard_actions
from apps.crm import selectors
from apps.crm.models import Company, Contact, Deal, Task


def _set_task_status(qs, params: dict, ctx: BulkContext) -> int:
    status = params["status"]
    done = status == Task.Status.DONE
    return qs.exclude(status=status).update(
        status=status,
        completed_at=Case(When(status=Task.Status.DONE, then=F("completed_at")), default=Now())
        if done
        else Value(None),
        version=F("version") + 1,
        updated_at=Now(),
    )


def register() -> None:
    bulk_register(
        ListKind(
            key="contacts",
            model=Contact,
            audit_prefix="crm",
            clean_filters=selectors.contact_filters_clean,
            queryset=selectors.contacts_filtered,
            actions=standard_actions(tags=True, industry=True),
            feature="crm",
        )
    )
    bulk_register(
        ListKind(
            key="companies",
            model=Company,
            audit_prefix="crm",
            clean_filters=selectors.company_filters_clean,
            queryset=selectors.companies_filtered,
            actions=standard_actions(tags=True, industry=True),
            feature="crm",
        )
    )
    bulk_register(
        ListKind(
            key="deals",
            model=Deal,
            audit_prefix="crm",
            clean_filters=selectors.deal_filters_clean,
            queryset=selectors.deals_filtered,
            actions=standard_actions(tags=True),
            feature="crm",
        )
    )
    bulk_register(
        ListKind(
            key="tasks",
            model=Task,
            audit_prefix="crm",
            clean_filters=selectors.task_filters_clean,
            queryset=selectors.tasks_filtered,
            actions={
                **standard_actions(tags=True),
                "set_status": BulkAction(
                    "set_status", "Set status", _set_task_status, clean_choice_param("status", Task.Status.values)
                ),
            },
            feature="crm",
        )
    )
