"""Tasks: edits persist with optimistic concurrency; done keeps when it was done."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from apps.crm import selectors, services
from apps.crm.models import Task


def test_task_update__current_version__saved_and_version_bumped(in_acme, owner):
    task = services.task_create(title="Call back", due_date="2030-01-02")

    task = services.task_update(task=task, version=1, title="Call back Jane", assignee=owner.email, status="done")

    assert (task.title, task.version, task.assignee_id, task.status) == ("Call back Jane", 2, owner.pk, "done")
    assert task.completed_at is not None


def test_task_update__two_editors__second_refused_with_message(in_acme):
    task = services.task_create(title="Original")
    first_view = second_view = task.version
    services.task_update(task=task, version=first_view, title="Editor one")

    with pytest.raises(services.StaleVersion) as exc:
        services.task_update(task=task, version=second_view, title="Editor two")

    assert "Your changes were not saved" in exc.value.message
    assert Task.objects.get(pk=task.pk).title == "Editor one"


def test_task_update__deleted_meanwhile__refused(in_acme):
    task = services.task_create(title="Gone soon")
    services.task_delete(task=task)

    with pytest.raises(services.StaleVersion) as exc:
        services.task_update(task=task, version=1, title="Edit")

    assert "deleted" in exc.value.message


def test_task_create__links_to_deleted_contact__refused(in_acme):
    contact = services.contact_create(name="Jane")
    services.contact_delete(contact=contact)

    with pytest.raises(ValidationError) as exc:
        services.task_create(title="Call", contact=contact)

    assert "contact" in exc.value.message_dict


def test_task_list__due_filters__overdue_excludes_done(in_acme):
    today = dt.date.today()
    services.task_create(title="Late", due_date=today - dt.timedelta(days=2))
    services.task_create(title="Late but done", due_date=today - dt.timedelta(days=2), status="done")
    services.task_create(title="Today", due_date=today)
    services.task_create(title="Someday")

    def titles(**f):
        return [t.title for t in selectors.task_list(filters=f)]

    assert titles(due="overdue") == ["Late"]
    assert titles(due="today") == ["Today"]
    assert titles(due="none") == ["Someday"]
    assert titles()[-1] == "Someday"  # no due date sorts last
