"""The forms the dashboard's inline edits and toolbars use: subsets, service errors in place."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from apps.core.bulk import bulk_run
from apps.crm import forms, services
from apps.crm.models import PipelineStage


def test_task_form__inline_title_only__keeps_version_and_returns_only_title(in_acme):
    form = forms.TaskForm({"title": "Call Jane", "version": "3"}, only=["title"])

    assert form.is_valid(), form.errors
    assert set(form.fields) == {"title", "version"}
    assert (form.changes(), form.submitted_version) == ({"title": "Call Jane"}, 3)


def test_task_form__inline_edit_of_stale_version__service_refuses_and_error_shows_on_form(in_acme):
    task = services.task_create(title="T")
    services.task_update(task=task, version=1, title="Someone else")
    form = forms.TaskForm({"title": "Mine", "version": "1"}, only=["title"])
    assert form.is_valid()

    with pytest.raises(services.StaleVersion) as exc:
        services.task_update(task=task, version=form.submitted_version, **form.changes())
    form.add_error(None, exc.value.message)

    assert "changed by someone else" in form.non_field_errors()[0]


def test_task_form__missing_version__invalid(in_acme):
    form = forms.TaskForm({"title": "T"}, only=["title"])

    assert not form.is_valid()
    assert "version" in form.errors


def test_edit_form__unknown_field_in_only__programming_error(in_acme):
    with pytest.raises(ValueError, match="colour"):
        forms.TaskForm({}, only=["colour"])


def test_deal_form__create__stage_choices_from_the_pipeline_and_ids_for_the_service(in_acme, owner, acme):
    won = PipelineStage.objects.get(name="Won")
    form = forms.DealForm(
        {"title": "D", "kind": "deal", "value": "10", "currency": "eur", "stage": str(won.pk), "owner": str(owner.pk)},
        tenant=acme,
        creating=True,
    )

    assert form.is_valid(), form.errors
    assert [c[1] for c in form.fields["stage"].choices][:2] == ["New", "Qualified"]
    deal = services.deal_create(**form.changes())
    assert (deal.stage_id, deal.currency, deal.owner_id) == (won.pk, "EUR", owner.pk)


def test_contact_form__service_error__shown_on_its_field(in_acme, acme):
    services.contact_create(name="Jane", email="jane@x.test")
    form = forms.ContactForm({"name": "Jane 2", "email": "jane@x.test", "tags": "VIP, lead"}, tenant=acme)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["tags"] == ["lead", "vip"]

    with pytest.raises(ValidationError) as exc:
        services.contact_create(**form.changes())
    forms.add_service_errors(form, exc.value)

    assert "already exists" in form.errors["email"][0]


def test_bulk_action_form__select_all__filter_selection_for_bulk_run(in_acme):
    services.contact_create(name="A", industry="Retail")
    services.contact_create(name="B")
    form = forms.BulkActionForm(
        {"action": "add_tags", "select_all": "on", "tags": "vip"}, kind="contacts", filters={"industry": "retail"}
    )

    assert form.is_valid(), form.errors
    assert [c[0] for c in form.fields["action"].choices] == ["delete", "add_tags", "remove_tags", "set_industry"]
    result = bulk_run(**form.bulk_kwargs())
    assert (result.count, result.changed) == (1, 1)


def test_bulk_action_form__no_selection__invalid(in_acme):
    form = forms.BulkActionForm({"action": "delete"}, kind="contacts")

    assert not form.is_valid()
    assert "Select at least one row." in form.non_field_errors()


def test_price_adjust_form__params_for_the_preview(in_acme):
    form = forms.PriceAdjustForm({"mode": "percent", "direction": "down", "value": "12.5", "rounding": "0.99"})

    assert form.is_valid()
    assert form.params() == {"mode": "percent", "direction": "down", "value": "12.5", "rounding": "0.99"}
