"""Inline edits of tasks and deals (HTMX): the edit row, errors shown in place, and optimistic
concurrency — an edit based on an old version shows the backend's conflict message and never
overwrites the newer change."""

from __future__ import annotations

from django_tenants.utils import tenant_context

from apps.crm import selectors, services
from apps.crm.models import Deal, Task
from tests.crm_ui.conftest import ACME, HX


def _task_post(task, version, **fields) -> dict:
    data = {"title": task.title, "due_date": "", "status": task.status, "assignee": "", "version": str(version)}
    data.update(fields)
    return {f"task-{task.pk}-{k}": v for k, v in data.items()}


def test_task_inline__get__edit_row_with_fields_and_the_version(as_member, acme, in_tenant):
    task = in_tenant(acme, lambda: services.task_create(title="Call Ann"))

    response = as_member.get(f"/app/crm/tasks/{task.pk}/inline/", **ACME, **HX)

    html = response.content.decode()
    assert html.lstrip().startswith(f'<tr id="task-row-{task.pk}" class="row-editing"')
    assert f'name="task-{task.pk}-version" value="1"' in html
    assert f'name="task-{task.pk}-title"' in html
    assert f'name="task-{task.pk}-status"' in html


def test_task_inline__valid_post__saved_row_back_and_version_bumped(as_member, acme, in_tenant):
    task = in_tenant(acme, lambda: services.task_create(title="Call Ann"))

    response = as_member.post(
        f"/app/crm/tasks/{task.pk}/inline/",
        _task_post(task, 1, title="Call Ann back", status="in_progress", due_date="2030-01-31"),
        **ACME,
        **HX,
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<tr id="task-row-{task.pk}" data-row-id="{task.pk}" data-version="2"')
    assert "Call Ann back" in html
    assert "Task saved." in response["HX-Trigger"]
    with tenant_context(acme):
        saved = Task.objects.get(pk=task.pk)
        assert (saved.title, saved.status, str(saved.due_date), saved.version) == (
            "Call Ann back",
            "in_progress",
            "2030-01-31",
            2,
        )


def test_task_inline__invalid_values__400_edit_row_with_errors_in_place_nothing_saved(as_member, acme, in_tenant):
    task = in_tenant(acme, lambda: services.task_create(title="Call Ann"))

    response = as_member.post(
        f"/app/crm/tasks/{task.pk}/inline/", _task_post(task, 1, title="", due_date="31/31/2030"), **ACME, **HX
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert 'class="row-editing"' in html
    assert html.count("field--invalid") == 2
    assert "This field is required." in html
    assert "Enter a valid date." in html
    with tenant_context(acme):
        assert Task.objects.get(pk=task.pk).title == "Call Ann"


def test_task_inline__stale_version__409_conflict_message_and_the_newer_edit_kept(as_member, acme, in_tenant):
    def build():
        task = services.task_create(title="Call Ann")
        services.task_update(task=task, version=1, title="Call Ann (changed by a colleague)")
        return task

    task = in_tenant(acme, build)

    response = as_member.post(f"/app/crm/tasks/{task.pk}/inline/", _task_post(task, 1, title="Mine"), **ACME, **HX)

    html = response.content.decode()
    assert response.status_code == 409
    assert 'data-testid="inline-conflict"' in html
    assert "changed by someone else since you opened it (you edited version 1, it is now at version 2)" in html
    with tenant_context(acme):
        saved = Task.objects.get(pk=task.pk)
        assert (saved.title, saved.version) == ("Call Ann (changed by a colleague)", 2)


def test_task_inline__deleted_meanwhile__404(as_member, acme, in_tenant):
    def build():
        task = services.task_create(title="Gone soon")
        services.task_delete(task=task)
        return task

    task = in_tenant(acme, build)

    assert as_member.post(f"/app/crm/tasks/{task.pk}/inline/", _task_post(task, 1), **ACME, **HX).status_code == 404


def _deal_post(deal, version, **fields) -> dict:
    data = {
        "title": deal.title,
        "stage": str(deal.stage_id),
        "value": str(deal.value),
        "currency": deal.currency,
        "expected_close_date": "",
        "owner": "",
        "version": str(version),
    }
    data.update(fields)
    return {f"deal-{deal.pk}-{k}": v for k, v in data.items()}


def test_deal_inline__valid_post__value_and_stage_saved(as_member, acme, in_tenant):
    def build():
        return services.deal_create(title="Big one", value="100"), selectors.pipeline_stages()[2]

    deal, proposal = in_tenant(acme, build)

    response = as_member.post(
        f"/app/crm/deals/{deal.pk}/inline/", _deal_post(deal, 1, value="2500.00", stage=str(proposal.pk)), **ACME, **HX
    )

    assert response.status_code == 200
    assert "2,500.00" in response.content.decode()
    with tenant_context(acme):
        saved = Deal.objects.get(pk=deal.pk)
        assert (str(saved.value), saved.stage_id) == ("2500.00", proposal.pk)


def test_deal_inline__stale_version__409_and_the_other_change_kept(as_member, acme, in_tenant):
    def build():
        deal = services.deal_create(title="Big one", value="100")
        services.deal_update(deal=deal, version=1, value="999")
        return deal

    deal = in_tenant(acme, build)

    response = as_member.post(f"/app/crm/deals/{deal.pk}/inline/", _deal_post(deal, 1, value="1"), **ACME, **HX)

    assert response.status_code == 409
    assert "This deal was changed by someone else" in response.content.decode()
    with tenant_context(acme):
        assert str(Deal.objects.get(pk=deal.pk).value) == "999.00"


def test_deal_detail__stale_full_edit__409_page_with_the_message(as_member, acme, in_tenant):
    def build():
        deal = services.deal_create(title="Big one")
        services.deal_update(deal=deal, version=1, title="Renamed elsewhere")
        return deal

    deal = in_tenant(acme, build)

    response = as_member.post(
        f"/app/crm/deals/{deal.pk}/",
        {"title": "Mine", "kind": "deal", "value": "5", "currency": "USD", "stage": str(deal.stage_id), "version": "1"},
        **ACME,
    )

    assert response.status_code == 409
    assert "This deal was changed by someone else" in response.content.decode()
    with tenant_context(acme):
        assert Deal.objects.get(pk=deal.pk).title == "Renamed elsewhere"


def test_task_row__cancel__display_row_back(as_member, acme, in_tenant):
    task = in_tenant(acme, lambda: services.task_create(title="Call Ann"))

    html = as_member.get(f"/app/crm/tasks/{task.pk}/row/", **ACME, **HX).content.decode()

    assert html.lstrip().startswith(f'<tr id="task-row-{task.pk}" data-row-id="{task.pk}" data-version="1"')
    assert 'data-testid="inline-edit"' in html
