"""Django forms for the CRM and catalogue pages (full forms and HTMX inline edits).

Forms check shapes (types, lengths, choices); the services check the rules and raise
ValidationError with field keys, which ``add_service_errors`` puts back on the form so the
errors show in place. Every edit form accepts ``only=[…]`` to keep just the fields of an inline
edit (plus ``version`` on deals and tasks), and ``changes()`` returns the keyword arguments for
the service:

    form = TaskForm(request.POST, only=["title"])
    if form.is_valid():
        try:
            task = services.task_update(task=task, version=form.submitted_version, actor=request.user, **form.changes())
        except services.StaleVersion as exc:
            form.add_error(None, exc.message)          # nothing was overwritten
        except ValidationError as exc:
            add_service_errors(form, exc)

Choice fields that read the tenant's data (companies, stages, owners) query when the form is
built, so build forms inside the tenant's schema (any dashboard view is).
"""

from __future__ import annotations

from collections.abc import Iterable

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from apps.catalog.pricing import Direction, Mode, Rounding
from apps.core.bulk import bulk_kind, tags_clean
from apps.crm.models import Activity, Deal, PipelineStage, Task


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """A service's ValidationError on the form: each key on its field, the rest above it."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for key, errors in exc.message_dict.items():
        form.add_error(key if key in form.fields else None, errors)


class TagsField(forms.CharField):
    """Tags typed as "vip, lead 2026" → ["lead 2026", "vip"]."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", _("Separate tags with commas."))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list | tuple) else value

    def to_python(self, value):
        try:
            return tags_clean(super().to_python(value))
        except ValidationError as exc:
            raise ValidationError(exc.message_dict.get("tags", exc.messages)) from None


class EditForm(forms.Form):
    """Base of the edit forms: ``only`` keeps a subset of fields (inline edit)."""

    always: tuple[str, ...] = ()

    def __init__(self, *args, only: Iterable[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if only is not None:
            keep = set(only) | set(self.always)
            unknown = keep - set(self.fields)
            if unknown:
                raise ValueError(f"{type(self).__name__} has no field(s) {sorted(unknown)}")
            for name in list(self.fields):
                if name not in keep:
                    del self.fields[name]

    def changes(self) -> dict:
        """The cleaned values of the form's fields, except the version, for the service."""
        return {k: v for k, v in self.cleaned_data.items() if k not in self.always}


class VersionedForm(EditForm):
    always = ("version",)
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    @property
    def submitted_version(self) -> int:
        return self.cleaned_data["version"]


def _owner_choices(tenant) -> list[tuple[str, str]]:
    from apps.crm.selectors import crm_owner_choices

    return (
        [("", "—")] + [(str(uid), email) for uid, email in crm_owner_choices(tenant=tenant)] if tenant else [("", "—")]
    )


def _company_choices() -> list[tuple[str, str]]:
    from apps.crm.selectors import company_choices

    return [("", "—")] + [(str(pk), name) for pk, name in company_choices(limit=500)]


class _OwnerMixin:
    def _set_owner_choices(self, tenant, name: str = "owner") -> None:
        if name in self.fields:
            self.fields[name].choices = _owner_choices(tenant)


class CompanyForm(_OwnerMixin, EditForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    domain = forms.CharField(label=_("Website"), max_length=253, required=False)
    industry = forms.CharField(label=_("Industry"), max_length=80, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    owner = forms.ChoiceField(label=_("Owner"), required=False)
    tags = TagsField(label=_("Tags"))

    def __init__(self, *args, tenant=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._set_owner_choices(tenant)

    def changes(self) -> dict:
        data = super().changes()
        if "owner" in data:
            data["owner"] = data["owner"] or None
        return data


class ContactForm(_OwnerMixin, EditForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    email = forms.EmailField(label=_("Email"), max_length=254, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    company = forms.ChoiceField(label=_("Company"), required=False)
    owner = forms.ChoiceField(label=_("Owner"), required=False)
    industry = forms.CharField(label=_("Industry"), max_length=80, required=False)
    tags = TagsField(label=_("Tags"))
    source = forms.CharField(label=_("Source"), max_length=40, required=False)

    def __init__(self, *args, tenant=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._set_owner_choices(tenant)
        if "company" in self.fields:
            self.fields["company"].choices = _company_choices()

    def changes(self) -> dict:
        data = super().changes()
        for key in ("company", "owner"):
            if key in data:
                data[key] = int(data[key]) if data[key] else None
        return data


class DealForm(_OwnerMixin, VersionedForm):
    """Create a deal (``version`` not needed: build it with ``creating=True``) or edit one."""

    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=Deal.Kind.choices, initial=Deal.Kind.DEAL)
    value = forms.DecimalField(label=_("Value"), max_digits=14, decimal_places=2, min_value=0, initial=0)
    currency = forms.CharField(label=_("Currency"), min_length=3, max_length=3, initial="USD")
    expected_close_date = forms.DateField(
        label=_("Expected close"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    stage = forms.ChoiceField(label=_("Stage"), required=False)
    owner = forms.ChoiceField(label=_("Owner"), required=False)
    tags = TagsField(label=_("Tags"))

    def __init__(self, *args, tenant=None, creating: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self._set_owner_choices(tenant)
        if "stage" in self.fields:
            self.fields["stage"].choices = [
                (str(s.pk), s.name) for s in PipelineStage.objects.order_by("position", "id")
            ]
        if creating:
            del self.fields["version"]

    def clean_currency(self) -> str:
        return self.cleaned_data["currency"].upper()

    def changes(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k != "version"}
        for key in ("stage", "owner"):
            if key in data:
                data[key] = int(data[key]) if data[key] else None
        if data.get("stage") is None:
            data.pop("stage", None)
        return data


class DealMoveForm(forms.Form):
    """The Kanban drop (or the keyboard "move to…" menu): stage id, 0-based position, version."""

    stage = forms.IntegerField(min_value=1)
    position = forms.IntegerField(min_value=0)
    version = forms.IntegerField(min_value=1)


class TaskForm(_OwnerMixin, VersionedForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    due_date = forms.DateField(
        label=_("Due"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    status = forms.ChoiceField(label=_("Status"), choices=Task.Status.choices, initial=Task.Status.TODO)
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)

    def __init__(self, *args, tenant=None, creating: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self._set_owner_choices(tenant, "assignee")
        if creating:
            del self.fields["version"]

    def changes(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k != "version"}
        if "assignee" in data:
            data["assignee"] = int(data["assignee"]) if data["assignee"] else None
        return data


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[(k, label) for k, label in Activity.Kind.choices if k in ("note", "call", "email", "meeting")],
        initial=Activity.Kind.NOTE,
    )
    body = forms.CharField(label=_("Note"), max_length=20_000, widget=forms.Textarea(attrs={"rows": 3}))


class StageForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    kind = forms.ChoiceField(label=_("Kind"), choices=PipelineStage.Kind.choices, initial=PipelineStage.Kind.OPEN)
    probability = forms.IntegerField(label=_("Win probability (%)"), min_value=0, max_value=100, initial=0)


class MergeForm(forms.Form):
    other = forms.IntegerField(label=_("Contact to merge into this one"), min_value=1)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"))
    import_valid_rows = forms.BooleanField(label=_("Import the valid rows even if some are invalid"), required=False)
    dry_run = forms.BooleanField(label=_("Only check the file"), required=False)


class PriceAdjustForm(forms.Form):
    mode = forms.ChoiceField(label=_("Change by"), choices=[(Mode.PERCENT, _("Percent")), (Mode.AMOUNT, _("Amount"))])
    direction = forms.ChoiceField(label=_("Direction"), choices=[(Direction.UP, _("Up")), (Direction.DOWN, _("Down"))])
    value = forms.DecimalField(label=_("By"), max_digits=14, decimal_places=2, min_value=0)
    rounding = forms.ChoiceField(label=_("Rounding"), choices=list(Rounding.labels.items()), initial=Rounding.NONE)

    def params(self) -> dict:
        return {**self.cleaned_data, "value": str(self.cleaned_data["value"])}


class ProductForm(EditForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    sku = forms.CharField(label=_("SKU"), max_length=64)
    price = forms.DecimalField(label=_("Price"), max_digits=12, decimal_places=2, min_value=0, initial=0)
    currency = forms.CharField(label=_("Currency"), min_length=3, max_length=3, initial="USD")
    visibility = forms.ChoiceField(
        label=_("Visibility"), choices=[("visible", _("Visible")), ("hidden", _("Hidden"))], initial="visible"
    )
    stock = forms.IntegerField(label=_("Stock"), min_value=0, initial=0)
    category = forms.CharField(label=_("Category"), max_length=80, required=False)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def clean_currency(self) -> str:
        return self.cleaned_data["currency"].upper()


class BulkActionForm(forms.Form):
    """What the BulkActionToolbar posts for a list ``kind``: the action, the selection (``ids``
    as "1,2,3", or ``select_all`` with the list's current filters passed to the form) and the
    action's parameters. ``bulk_kwargs()`` returns the keyword arguments of
    ``apps.core.bulk.bulk_run`` (add actor and ip)."""

    action = forms.ChoiceField()
    ids = forms.CharField(required=False)
    select_all = forms.BooleanField(required=False)
    tags = TagsField()
    industry = forms.CharField(max_length=80, required=False)
    status = forms.ChoiceField(choices=Task.Status.choices, required=False)
    visibility = forms.ChoiceField(choices=[("visible", _("Visible")), ("hidden", _("Hidden"))], required=False)
    mode = forms.ChoiceField(choices=[(c, c) for c in Mode.choices], required=False)
    direction = forms.ChoiceField(choices=[(c, c) for c in Direction.choices], required=False)
    value = forms.DecimalField(max_digits=14, decimal_places=2, required=False)
    rounding = forms.ChoiceField(choices=list(Rounding.labels.items()), required=False)

    PARAMS = ("tags", "industry", "status", "visibility", "mode", "direction", "value", "rounding")

    def __init__(self, *args, kind: str, filters: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.filters = filters or {}
        self.fields["action"].choices = [(a.name, a.label) for a in bulk_kind(kind).actions.values()]

    def clean_ids(self) -> list[int]:
        raw = self.cleaned_data.get("ids") or ""
        try:
            return [int(x) for x in raw.replace(" ", "").split(",") if x]
        except ValueError:
            raise ValidationError(_("Ids are whole numbers separated by commas.")) from None

    def clean(self):
        data = super().clean()
        if not data.get("select_all") and not data.get("ids"):
            raise ValidationError(_("Select at least one row."))
        return data

    def bulk_kwargs(self) -> dict:
        data = self.cleaned_data
        params = {k: data[k] for k in self.PARAMS if data.get(k) not in (None, "", [])}
        if "value" in params:
            params["value"] = str(params["value"])
        selection = {"filters": self.filters} if data.get("select_all") else {"ids": data["ids"]}
        return {"kind": self.kind, "action": data["action"], "params": params, **selection}
