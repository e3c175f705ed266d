"""Generic bulk actions: set-based statements, selections by ids or filter, undo, audit."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from apps.audit.models import AuditEvent
from apps.core import bulk
from apps.crm import services
from apps.crm.models import Company, Contact, Deal, Task
from tests.crm.factories import contacts, contacts_sql


def _updates(ctx) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith("UPDATE")]


def test_bulk_add_tags__filter_selection__one_update_statement_for_all_rows(in_acme):
    contacts_sql(300, tags='["old"]')

    with CaptureQueriesContext(connection) as ctx:
        result = bulk.bulk_run(
            kind="contacts", action="add_tags", filters={"industry": "retail"}, params={"tags": ["VIP", "old"]}
        )

    assert (result.count, result.changed, result.state) == (300, 300, "done")
    assert len(_updates(ctx)) == 1
    assert Contact.objects.filter(tags=["old", "vip"]).count() == 300


def test_bulk_add_tags__rows_that_already_have_them__not_rewritten(in_acme):
    a, b = contacts(2)
    services.contact_update(contact=a, tags=["vip"])

    result = bulk.bulk_run(kind="contacts", action="add_tags", ids=[a.pk, b.pk], params={"tags": ["vip"]})

    assert (result.count, result.changed) == (2, 1)
    assert sorted(Contact.objects.values_list("tags", flat=True)) == [["vip"], ["vip"]]


def test_bulk_remove_tags__only_those_tags_go(in_acme):
    a, b = contacts(2)
    services.contact_update(contact=a, tags=["a", "b", "c"])
    services.contact_update(contact=b, tags=["c"])

    result = bulk.bulk_run(kind="contacts", action="remove_tags", filters={}, params={"tags": ["a", "c"]})

    assert result.changed == 2
    assert Contact.objects.get(pk=a.pk).tags == ["b"]
    assert Contact.objects.get(pk=b.pk).tags == []


def test_bulk_set_industry__companies__set(in_acme):
    one = services.company_create(name="One")
    services.company_create(name="Two", industry="Mining")

    result = bulk.bulk_run(kind="companies", action="set_industry", filters={"q": "one"}, params={"industry": "Retail"})

    assert result.count == 1
    assert dict(Company.objects.values_list("name", "industry")) == {"One": "Retail", "Two": "Mining"}
    assert Company.objects.get(pk=one.pk).industry == "Retail"


def test_bulk_delete__then_undo__exactly_that_batch_restored(in_acme):
    a, b, c = contacts(3)
    earlier = bulk.bulk_run(kind="contacts", action="delete", ids=[c.pk])

    result = bulk.bulk_run(kind="contacts", action="delete", ids=[a.pk, b.pk])
    assert Contact.objects.alive().count() == 0
    undone = bulk.bulk_undo(token=result.undo_token)

    assert undone.count == 2
    assert set(Contact.objects.alive().values_list("pk", flat=True)) == {a.pk, b.pk}
    assert earlier.undo_token != result.undo_token
    with pytest.raises(ValidationError):
        bulk.bulk_undo(token=result.undo_token)  # twice: nothing left to undo


def test_bulk_undo__token_of_another_tenant__restores_nothing_here(acme, globex):
    with tenant_context(globex):
        g = contacts(1, prefix="Globex")[0]
        token = bulk.bulk_run(kind="contacts", action="delete", ids=[g.pk]).undo_token
    with tenant_context(acme):
        contacts(1, prefix="Acme")
        with pytest.raises(ValidationError):
            bulk.bulk_undo(token=token)
    with tenant_context(globex):
        assert Contact.objects.alive().count() == 0


def test_bulk_run__ids_not_in_this_tenant__404_and_nothing_done(acme, globex):
    with tenant_context(globex):
        extra = contacts(3, prefix="Globex")  # ids 1..3 in globex
    with tenant_context(acme):
        mine = contacts(1, prefix="Acme")[0]
        with pytest.raises(Http404):
            bulk.bulk_run(kind="contacts", action="add_tags", ids=[mine.pk, extra[-1].pk], params={"tags": ["x"]})
        assert Contact.objects.get(pk=mine.pk).tags == []


def test_bulk_run__tasks_set_status_done__completed_and_versions_bumped(in_acme):
    task = services.task_create(title="T")

    bulk.bulk_run(kind="tasks", action="set_status", ids=[task.pk], params={"status": "done"})

    task = Task.objects.get(pk=task.pk)
    assert (task.status, task.version) == ("done", 2)
    assert task.completed_at is not None
    with pytest.raises(services.StaleVersion):  # an inline edit opened before the bulk edit
        services.task_update(task=task, version=1, title="Old page")


def test_bulk_add_tags__deals__version_bumped(in_acme):
    deal = services.deal_create(title="D")

    bulk.bulk_run(kind="deals", action="add_tags", ids=[deal.pk], params={"tags": ["hot"]})

    assert Deal.objects.get(pk=deal.pk).version == 2


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"action": "explode", "ids": [1]}, "action"),
        ({"action": "add_tags", "ids": [1], "params": {}}, "tags"),
        ({"action": "add_tags", "ids": [], "params": {"tags": ["x"]}}, "ids"),
        ({"action": "add_tags", "ids": ["a"], "params": {"tags": ["x"]}}, "ids"),
        ({"action": "add_tags", "ids": [1], "filters": {}, "params": {"tags": ["x"]}}, "non_field_errors"),
        ({"action": "add_tags", "filters": {"colour": "red"}, "params": {"tags": ["x"]}}, "colour"),
        ({"action": "set_industry", "ids": [1], "params": {"industry": "x" * 81}}, "industry"),
    ],
)
def test_bulk_run__bad_request__validation_error_names_the_field(in_acme, kwargs, field):
    contacts(1)

    with pytest.raises(ValidationError) as exc:
        bulk.bulk_run(kind="contacts", **kwargs)

    assert field in exc.value.message_dict


def test_bulk_run__audited_with_count_selection_and_undo_token(in_acme, owner):
    a, b = contacts(2)

    result = bulk.bulk_run(kind="contacts", action="delete", ids=[a.pk, b.pk], actor=owner, ip="10.0.0.1")

    event = AuditEvent.objects.get(action="crm.bulk_delete")
    assert (event.actor_id, event.tenant_slug, event.ip) == (owner.pk, "acme", "10.0.0.1")
    assert event.after["count"] == 2
    assert event.after["selection"] == {"ids": [a.pk, b.pk], "ids_total": 2}
    assert event.after["undo_token"] == result.undo_token


def test_bulk_run__over_threshold__queued_as_a_job_with_progress(in_acme, django_capture_on_commit_callbacks):
    contacts_sql(30)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = bulk.bulk_run(
            kind="contacts", action="add_tags", filters={}, params={"tags": ["x"]}, async_threshold=10
        )

    assert (result.state, result.count, result.changed) == ("queued", 30, None)
    assert len(callbacks) == 1  # the task is sent only once the transaction commits
    progress = bulk.bulk_job_progress(job_id=result.job_id)
    assert (progress.state, progress.done, progress.total) == ("queued", 0, 30)


def test_bulk_run_chunked__in_process__every_chunk_set_based_and_progress_done(in_acme, monkeypatch):
    contacts_sql(25)
    monkeypatch.setattr(bulk, "CHUNK_SIZE", 10)
    result = bulk.bulk_run(kind="contacts", action="add_tags", filters={}, params={"tags": ["x"]}, async_threshold=5)
    spec_args = {
        "kind": "contacts",
        "action": "add_tags",
        "ids": None,
        "filters": {},
        "params": {"tags": ["x"]},
        "actor_id": None,
        "batch": "0" * 32,
        "ip": None,
    }

    with CaptureQueriesContext(connection) as ctx:
        progress = bulk.bulk_run_chunked(job_id=result.job_id, spec_args=spec_args)

    assert (progress.state, progress.done, progress.total, progress.changed, progress.percent) == (
        "done",
        25,
        25,
        25,
        100,
    )
    assert len(_updates(ctx)) == 3  # 25 ids in ranges of 10
    assert Contact.objects.filter(tags=["x"]).count() == 25
    assert bulk.bulk_job_progress(job_id=result.job_id).finished


def test_bulk_job_progress__other_tenant__invisible(acme, globex):
    with tenant_context(acme):
        contacts_sql(3)
        job = bulk.bulk_run(
            kind="contacts", action="add_tags", filters={}, params={"tags": ["x"]}, async_threshold=1
        ).job_id
        assert bulk.bulk_job_progress(job_id=job) is not None
    with tenant_context(globex):
        assert bulk.bulk_job_progress(job_id=job) is None


def test_bulk_actions_for__contacts__toolbar_actions(in_acme):
    actions = {a.name: a for a in bulk.bulk_actions_for(kind="contacts")}

    assert list(actions) == ["delete", "add_tags", "remove_tags", "set_industry"]
    assert actions["delete"].destructive
    assert actions["delete"].undoable
    assert bulk.bulk_selection_count(kind="contacts", filters={}) == 0


def test_bulk_run__many_rows_changed__gin_merge_queued_after_commit(
    in_acme, monkeypatch, django_capture_on_commit_callbacks
):
    contacts(3)
    monkeypatch.setattr(bulk, "GIN_MERGE_AFTER", 3)
    sent = []
    monkeypatch.setattr(bulk.gin_pending_merge_task, "apply_async", lambda **kw: sent.append(kw))

    with django_capture_on_commit_callbacks(execute=True):
        bulk.bulk_run(kind="contacts", action="add_tags", filters={}, params={"tags": ["x"]})

    assert sent == [{"args": ["contacts"], "headers": {"_schema_name": "t_acme"}}]


def test_gin_pending_merge__contact_indexes__merged_in_this_schema(in_acme):
    contacts(2)

    assert sorted(bulk.gin_pending_merge(Contact)) == ["crm_contact_search", "crm_contact_tags"]


def test_gin_indexes__cloned_tenant__keep_the_64mb_pending_list(in_acme):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.reloptions FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 't_acme' AND c.relname IN ('crm_contact_search', 'crm_contact_tags') ORDER BY 1"
        )
        rows = cursor.fetchall()

    assert rows == [
        ("crm_contact_search", ["gin_pending_list_limit=65536"]),
        ("crm_contact_tags", ["gin_pending_list_limit=65536"]),
    ]
