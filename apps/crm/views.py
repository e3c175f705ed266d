"""The CRM in the dashboard (/app/crm/): lists, the Kanban pipeline, detail pages with their
timelines, inline edits, bulk actions, CSV import/export and merging. Thin: parse a form, call
apps.crm.selectors / apps.crm.services (or apps.core.bulk), render.

The list, bulk and import helpers in the first half are shared with apps.catalog.views, so
every list of the dashboard behaves the same way: a full page on a normal GET and only the
results partial on an HTMX request (the Wagtail index-view pattern), one BulkActionToolbar, one
import page.

Who may do what is decided here once (``module_view``): everyone who gets into the tenant's
dashboard reads; viewers and support agents (tier 2, read-only on tenants' data, as in the API)
cannot write (403). The entitlement (`crm`, `catalog`) gates every page (404 when off).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.models import Tier
from apps.audit.services import client_ip
from apps.core import bulk
from apps.crm import selectors, services
from apps.crm.forms import (
    ActivityForm,
    BulkActionForm,
    CompanyForm,
    ContactForm,
    DealForm,
    DealMoveForm,
    ImportForm,
    TaskForm,
    add_service_errors,
)
from apps.crm.models import PipelineStage, Task
from apps.dashboard.access import dashboard_access_required
from apps.entitlements.decorators import feature_required

PER_PAGE = 25
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CRM_KINDS = ("contacts", "companies", "deals", "tasks")
UNDO_SESSION_KEY = "crm_undo"

# =========================================================================== access


def can_edit(request) -> bool:
    """Members and up write; viewers and support agents (tier 2) read only."""
    role = getattr(request, "tenant_role", None)
    if role is None or role == "viewer":
        return False
    return not (role == "staff" and request.user.tier == Tier.SUPPORT)


def module_view(feature: str, nav: str):
    """Dashboard access, then the feature (404 when off); a write (POST …) by a reader is 403."""

    def decorator(view):
        @wraps(view)
        def inner(request, *args, **kwargs):
            request.can_edit = can_edit(request)
            request.active_nav = nav
            if request.method not in SAFE_METHODS and not request.can_edit:
                return render(
                    request,
                    "crm/partials/read_only.html" if request.htmx else "crm/pages/read_only.html",
                    {"active_nav": nav},
                    status=403,
                )
            return view(request, *args, **kwargs)

        return dashboard_access_required(feature_required(feature)(inner))

    return decorator


crm_view = module_view("crm", "crm")


def page(request, template: str, context: dict | None = None, *, status: int = 200, tab: str = "") -> HttpResponse:
    return render(
        request,
        template,
        {"active_nav": request.active_nav, "can_edit": request.can_edit, "tab": tab, **(context or {})},
        status=status,
    )


def wants_partial(request) -> bool:
    """An HTMX request for a region of the page. A history restore (the user went back and
    htmx's cache had no copy) needs the whole page, not the region."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def _toast(response: HttpResponse, message: str, tone: str = "success", **extra) -> HttpResponse:
    triggers = {"toast": {"message": str(message), "tone": tone}, **extra}
    response["HX-Trigger"] = json.dumps(triggers)
    return response


# =========================================================================== lists


def _page_number(request) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


def list_query(data: QueryDict) -> QueryDict:
    """A list's filters as its URL carries them (no page): what "all N matching" selects."""
    query = data.copy()
    for key in ("page", "per_page"):
        query.pop(key, None)
    for key in list(query):
        values = [v for v in query.getlist(key) if v.strip()]
        if values:
            query.setlist(key, values)
        else:
            del query[key]
    return query


ACTION_LABELS = {
    "delete": gettext_lazy("Delete"),
    "add_tags": gettext_lazy("Add tags"),
    "remove_tags": gettext_lazy("Remove tags"),
    "set_industry": gettext_lazy("Set industry"),
    "set_status": gettext_lazy("Set status"),
    "adjust_price": gettext_lazy("Adjust prices"),
    "set_visibility": gettext_lazy("Set visibility"),
}
# Which parameter fields of the toolbar an action shows.
ACTION_PARAMS = {
    "add_tags": "tags",
    "remove_tags": "tags",
    "set_industry": "industry",
    "set_status": "status",
    "set_visibility": "visibility",
    "adjust_price": "price",
}
# Actions that show a preview (and ask to confirm) before they run; destructive ones ask too.
PREVIEW_ACTIONS = ("adjust_price",)


@dataclass(frozen=True)
class ToolbarAction:
    name: str
    label: str
    destructive: bool
    params: str


@dataclass(frozen=True)
class Toolbar:
    """What templates/dashboard/partials/bulk_toolbar.html needs for one list."""

    kind: str
    url: str
    actions: list[ToolbarAction]

    @property
    def param_groups(self) -> set[str]:
        return {a.params for a in self.actions}


def toolbar_for(kind: str, *, url: str) -> Toolbar:
    return Toolbar(
        kind=kind,
        url=url,
        actions=[
            ToolbarAction(a.name, str(ACTION_LABELS.get(a.name, a.label)), a.destructive, ACTION_PARAMS.get(a.name, ""))
            for a in bulk.bulk_actions_for(kind=kind)
        ],
    )


def save_new(request, form, *, create: Callable, message: str, detail_route: str, **extra) -> HttpResponse | None:
    """The POST of a "new record" form: call the service, show its errors on the form, or
    redirect to the new record. Returns None when the form is to be shown (again)."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        obj = create(**form.changes(), **extra, actor=request.user)
    except ValidationError as exc:
        add_service_errors(form, exc)
        return None
    messages.success(request, message)
    return redirect(detail_route, obj.pk)


def render_list(
    request,
    *,
    kind: str,
    page_fn: Callable,
    page_template: str,
    results_template: str,
    bulk_url: str,
    undo_url: str,
    tab: str,
    full_context: Callable[[], dict] | None = None,
) -> HttpResponse:
    """One list: the full page on a normal GET; only the results partial (rows, count,
    pagination) on an HTMX request, which is what its search, filters, sort and pages ask for."""
    filters = list_query(request.GET)
    errors: dict = {}
    try:
        result = page_fn(filters=filters, page=_page_number(request), per_page=PER_PAGE)
    except ValidationError as exc:
        errors = exc.message_dict
        result = bulk.ListPage(items=[], total=0, page=1, per_page=PER_PAGE)
    context = {
        "kind": kind,
        "page": result,
        "filter_errors": errors,
        "filters": filters,
        "filters_qs": filters.urlencode(),
        "sort": filters.get("sort", ""),
        "list_url": request.path,
        "undo_url": undo_url,
        "toolbar": toolbar_for(kind, url=bulk_url) if request.can_edit else None,
    }
    status = 400 if errors else 200
    if wants_partial(request):
        return page(request, results_template, context, status=status, tab=tab)
    context["undo"] = request.session.pop(UNDO_SESSION_KEY, None)
    return page(request, page_template, {**context, **(full_context() if full_context else {})}, status=status, tab=tab)


# =========================================================================== bulk actions

KIND_NOUNS: dict[str, Callable[[int], str]] = {
    "contacts": lambda n: ngettext("contact", "contacts", n),
    "companies": lambda n: ngettext("company", "companies", n),
    "deals": lambda n: ngettext("deal", "deals", n),
    "tasks": lambda n: ngettext("task", "tasks", n),
    "products": lambda n: ngettext("product", "products", n),
}


def _result_message(kind: str, action: str, count: int, changed: int | None) -> str:
    noun = KIND_NOUNS.get(kind, lambda n: kind)(count)
    values = {"count": count, "changed": changed if changed is not None else count, "noun": noun}
    texts = {
        "delete": _("Deleted %(count)s %(noun)s."),
        "undo": _("Restored %(count)s %(noun)s."),
        "add_tags": _("Tags added: %(changed)s of %(count)s %(noun)s changed."),
        "remove_tags": _("Tags removed: %(changed)s of %(count)s %(noun)s changed."),
        "set_industry": _("Industry set: %(changed)s of %(count)s %(noun)s changed."),
        "set_status": _("Status set: %(changed)s of %(count)s %(noun)s changed."),
        "adjust_price": _("Prices adjusted: %(changed)s of %(count)s %(noun)s changed."),
        "set_visibility": _("Visibility set: %(changed)s of %(count)s %(noun)s changed."),
    }
    return texts.get(action, _("Done: %(changed)s of %(count)s %(noun)s changed.")) % values


def _bulk_panel(request, template: str, context: dict, *, status: int = 200, list_url: str = "") -> HttpResponse:
    """A toolbar panel (confirmation, preview, progress, result, error): swapped into the
    toolbar on an HTMX request; a page of its own without JavaScript."""
    if request.htmx:
        return render(request, template, context, status=status)
    return page(request, "crm/pages/bulk.html", {**context, "panel": template, "list_url": list_url}, status=status)


def _errors_of(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [f"{msg}" for msgs in exc.message_dict.values() for msg in msgs]
    return list(exc.messages)


def _done(response: HttpResponse) -> HttpResponse:
    """The list under the toolbar reloads itself (and clears the selection) on this event."""
    response["HX-Trigger"] = json.dumps({"bulkDone": {}})
    return response


def bulk_post(
    request,
    *,
    kind: str,
    list_url: str,
    undo_url: str,
    job_url: Callable[[str], str],
    previews: dict[str, tuple[Callable, str]] | None = None,
) -> HttpResponse:
    """POST of the toolbar: validate, ask to confirm (destructive actions) or show a preview
    (price changes), run — inline, or as a job with a progress bar — and report."""
    filters = list_query(QueryDict(request.POST.get("filters", "")))
    form = BulkActionForm(request.POST, kind=kind, filters=filters)
    base = {"kind": kind, "undo_url": undo_url}
    if not form.is_valid():
        errors = [str(e) for errs in form.errors.values() for e in errs]
        return _bulk_panel(request, "dashboard/partials/bulk_error.html", {**base, "errors": errors}, status=400)
    args = form.bulk_kwargs()
    action = bulk.bulk_kind(kind).actions[args["action"]]
    selection = {"ids": args.get("ids"), "filters": args.get("filters")}
    previews = previews or {}
    try:
        if (action.destructive or action.name in previews) and not request.POST.get("confirm"):
            count = bulk.bulk_selection_count(kind=kind, **selection)
            preview = None
            if action.name in previews:
                fn, template = previews[action.name]
                preview = {"data": fn(params=args["params"], **selection), "template": template}
            posted = [(k, v) for k in request.POST for v in request.POST.getlist(k) if k != "csrfmiddlewaretoken"]
            context = {
                **base,
                "action": ToolbarAction(
                    action.name, str(ACTION_LABELS.get(action.name, action.label)), action.destructive, ""
                ),
                "count": count,
                "noun": KIND_NOUNS.get(kind, lambda n: kind)(count),
                "posted": posted,
                "preview": preview,
                "url": request.path,
            }
            return _bulk_panel(request, "dashboard/partials/bulk_confirm.html", context, list_url=list_url)
        result = bulk.bulk_run(**args, actor=request.user, ip=client_ip(request))
    except ValidationError as exc:
        return _bulk_panel(
            request, "dashboard/partials/bulk_error.html", {**base, "errors": _errors_of(exc)}, status=400
        )
    except Http404:
        errors = [_("Some of the selected rows no longer exist (someone else changed the list). Reload and try again.")]
        return _bulk_panel(request, "dashboard/partials/bulk_error.html", {**base, "errors": errors}, status=404)
    if result.is_async:
        progress = bulk.bulk_job_progress(job_id=result.job_id)
        context = {**base, "job": progress, "job_url": job_url(result.job_id)}
        return _bulk_panel(request, "dashboard/partials/bulk_progress.html", context, status=202, list_url=list_url)
    context = {
        **base,
        "message": _result_message(kind, result.action, result.count, result.changed),
        "undo_token": result.undo_token,
    }
    if not request.htmx:
        if result.undo_token:
            _remember_undo(request, result.undo_token, context["message"])  # the list shows it with its Undo
        else:
            messages.success(request, context["message"])
        return redirect(list_url)
    return _done(render(request, "dashboard/partials/bulk_result.html", context))


def bulk_undo_post(request, *, kind: str, list_url: str) -> HttpResponse:
    token = request.POST.get("token", "")
    try:
        if not token.startswith(f"{kind}."):
            raise ValidationError({"token": _("This is not an undo of this list.")})
        result = bulk.bulk_undo(token=token, actor=request.user, ip=client_ip(request))
    except ValidationError as exc:
        if not request.htmx:
            messages.error(request, " ".join(_errors_of(exc)))
            return redirect(list_url)
        return render(request, "dashboard/partials/bulk_error.html", {"errors": _errors_of(exc)}, status=400)
    message = _result_message(kind, "undo", result.count, result.changed)
    if not request.htmx:
        messages.success(request, message)
        return redirect(list_url)
    return _done(render(request, "dashboard/partials/bulk_result.html", {"kind": kind, "message": message}))


def bulk_job_get(request, *, kind: str, job_id: str, undo_url: str, job_url: str) -> HttpResponse:
    """The progress bar polls this until the job is finished; then the result (and its undo)."""
    progress = bulk.bulk_job_progress(job_id=job_id)
    if progress is None or progress.kind != kind:
        raise Http404("No such job.")
    base = {"kind": kind, "undo_url": undo_url, "job": progress, "job_url": job_url}
    if not progress.finished:
        return render(request, "dashboard/partials/bulk_progress.html", base)
    if progress.state != "done":
        errors = [_("The job stopped (%(state)s) after %(done)s of %(total)s rows.") % progress.as_dict()]
        return _done(render(request, "dashboard/partials/bulk_error.html", {**base, "errors": errors}))
    context = {
        **base,
        "message": _result_message(kind, progress.action, progress.total, progress.changed),
        "undo_token": progress.undo_token,
    }
    return _done(render(request, "dashboard/partials/bulk_result.html", context))


def _remember_undo(request, token: str | None, message: str) -> None:
    """A delete outside the toolbar (or without JavaScript): the list offers its Undo once."""
    if token:
        request.session[UNDO_SESSION_KEY] = {"token": token, "message": message}


# =========================================================================== CSV import and export

IMPORT_TTL = 30 * 60  # seconds an uploaded file is kept for "import the valid rows"


def _import_key(request, token: str) -> str:
    return f"import:{connection.schema_name}:{request.user.pk}:{token}"


def import_page(request, *, importer: Callable, template: str, context: dict, list_url: str, tab: str) -> HttpResponse:
    """Upload a CSV; every row is checked and the report lists row numbers and reasons. A file
    with invalid rows imports nothing, and the report offers "import the valid rows" (the file
    is kept for a while, so it need not be uploaded again)."""
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    expired = False
    token = request.POST.get("token", "")
    data = None
    if request.method == "POST" and token:
        form = ImportForm()  # a second step on a file already uploaded: nothing to re-check here
        data = cache.get(_import_key(request, token))
        expired = data is None
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data["file"].read(bulk.CSV_MAX_BYTES + 1)
        token = secrets.token_urlsafe(16)
    if data is not None:
        valid_rows = request.POST.get("import_valid_rows") in ("1", "on", "true")
        dry_run = request.POST.get("dry_run") in ("1", "on", "true")
        try:
            report = importer(
                file=data, actor=request.user, import_valid_rows=valid_rows, dry_run=dry_run, ip=client_ip(request)
            )
        except ValidationError as exc:
            if form.is_bound:
                add_service_errors(form, exc)
            else:
                messages.error(request, " ".join(_errors_of(exc)))
        else:
            if report.imported:
                cache.delete(_import_key(request, token))
            elif report.valid_rows:
                cache.set(_import_key(request, token), data, timeout=IMPORT_TTL)
    status = 400 if form.errors else 200
    shown = report.errors[:200] if report else []
    return page(
        request,
        template,
        {
            **context,
            "form": form,
            "report": report,
            "errors_shown": shown,
            "errors_hidden": (len(report.errors) - len(shown)) if report else 0,
            "token": token,
            "expired": expired,
            "list_url": list_url,
        },
        status=status,
        tab=tab,
    )


def export_csv(request, *, name: str, header, rows: Callable, clean: Callable) -> HttpResponse:
    """The list's CSV with the list's filters, streamed (memory stays flat for any size)."""
    from apps.crm.api.base import stream_csv

    filters = list_query(request.GET)
    filters.pop("page", None)
    try:
        clean(filters)
    except ValidationError as exc:
        return HttpResponse("; ".join(_errors_of(exc)), status=400, content_type="text/plain; charset=utf-8")
    return stream_csv(tenant=request.tenant, name=name, header=header, rows_factory=lambda: rows(filters=filters))


# =========================================================================== small helpers


def _owners(request) -> list[tuple[int, str]]:
    return selectors.crm_owner_choices(tenant=request.tenant)


def _int_or_none(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def delete_and_redirect(request, result: bulk.BulkResult, *, kind: str, list_name: str) -> HttpResponse:
    message = _result_message(kind, "delete", result.count, result.changed)
    _remember_undo(request, result.undo_token, message)
    return redirect(list_name)


# =========================================================================== CRM pages


@require_GET
@crm_view
def index(request):
    return redirect("crm:contacts")


# --------------------------------------------------------------------------- contacts


@require_GET
@crm_view
def contacts(request):
    return render_list(
        request,
        kind="contacts",
        page_fn=selectors.contact_list_page,
        page_template="crm/pages/contacts.html",
        results_template="crm/partials/contacts_results.html",
        bulk_url=reverse("crm:bulk", args=["contacts"]),
        undo_url=reverse("crm:bulk-undo", args=["contacts"]),
        tab="contacts",
        full_context=lambda: {"owners": _owners(request)},
    )


@crm_view
def contact_new(request):
    form = ContactForm(request.POST or None, tenant=request.tenant)
    created = save_new(
        request, form, create=services.contact_create, message=_("Contact created."), detail_route="crm:contact-detail"
    )
    if created is not None:
        return created
    context = {
        "form": form,
        "title": _("New contact"),
        "action": reverse("crm:contact-new"),
        "back": reverse("crm:contacts"),
    }
    return page(request, "crm/pages/form.html", context, status=400 if form.errors else 200, tab="contacts")


def _contact_form_initial(contact) -> dict:
    return {
        "name": contact.name,
        "email": contact.email,
        "phone": contact.phone,
        "company": str(contact.company_id or ""),
        "owner": str(contact.owner_id or ""),
        "industry": contact.industry,
        "tags": contact.tags,
        "source": contact.source,
    }


def _contact_page(request, contact, *, form=None, status: int = 200) -> HttpResponse:
    context = {
        "contact": contact,
        "form": form or ContactForm(initial=_contact_form_initial(contact), tenant=request.tenant),
        "timeline": _timeline_context(contact=contact),
        "deals": list(selectors.deal_list(filters={"contact": contact.pk})[:20]),
        "tasks": list(selectors.task_list(filters={"contact": contact.pk})[:20]),
        "editing": form is not None,
    }
    return page(request, "crm/pages/contact_detail.html", context, status=status, tab="contacts")


@require_GET
@crm_view
def contact_detail(request, pk: int):
    return _contact_page(request, selectors.contact_get(contact_id=pk))


@require_POST
@crm_view
def contact_edit(request, pk: int):
    contact = selectors.contact_get(contact_id=pk)
    form = ContactForm(request.POST, tenant=request.tenant)
    if form.is_valid():
        try:
            services.contact_update(contact=contact, actor=request.user, **form.changes())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Contact saved."))
            return redirect("crm:contact-detail", contact.pk)
    return _contact_page(request, contact, form=form, status=400)


@require_POST
@crm_view
def contact_delete(request, pk: int):
    contact = selectors.contact_get(contact_id=pk)
    result = services.contact_delete(contact=contact, actor=request.user, ip=client_ip(request))
    return delete_and_redirect(request, result, kind="contacts", list_name="crm:contacts")


@crm_view
def contact_merge(request, pk: int):
    """Pick the duplicate, see what the merge will do, confirm. The contact of the page is
    the one that stays."""
    contact = selectors.contact_get(contact_id=pk)
    if request.method == "POST":
        other = selectors.contact_get(contact_id=_int_or_none(request.POST.get("other")) or 0)
        try:
            result = services.contacts_merge(primary=contact, other=other, actor=request.user, ip=client_ip(request))
        except ValidationError as exc:
            messages.error(request, " ".join(_errors_of(exc)))
            return redirect(f"{reverse('crm:contact-merge', args=[pk])}?other={other.pk}")
        messages.success(
            request,
            _("Merged %(other)s into %(contact)s: %(deals)s deals, %(tasks)s tasks and %(acts)s activities moved.")
            % {
                "other": other.name,
                "contact": result.contact.name,
                "deals": result.moved_deals,
                "tasks": result.moved_tasks,
                "acts": result.moved_activities,
            },
        )
        return redirect("crm:contact-detail", contact.pk)
    q = request.GET.get("q", "").strip()[:200]
    other_id = _int_or_none(request.GET.get("other"))
    other = selectors.contact_get(contact_id=other_id) if other_id else None
    if other is not None and other.pk == contact.pk:
        other = None
    candidates = []
    if other is None:
        candidates = [c for c in selectors.contact_list(filters={"q": q or contact.name})[:11] if c.pk != contact.pk][
            :10
        ]
    context = {
        "contact": contact,
        "other": other,
        "q": q,
        "candidates": candidates,
        "merged_tags": sorted(set(contact.tags or []) | set(other.tags or [])) if other else [],
        "moving": {
            "deals": selectors.deals_filtered({"contact": other.pk}).count(),
            "tasks": selectors.tasks_filtered({"contact": other.pk}).count(),
            "activities": len(selectors.timeline(contact=other, limit=200)),
        }
        if other
        else None,
    }
    if request.htmx and other is None:
        return page(request, "crm/partials/merge_candidates.html", context, tab="contacts")
    return page(request, "crm/pages/contact_merge.html", context, tab="contacts")


@crm_view
def contacts_import(request):
    return import_page(
        request,
        importer=services.contacts_import,
        template="crm/pages/import.html",
        context={
            "title": _("Import contacts"),
            "columns": ["name", *[c for c in services.CONTACT_IMPORT_COLUMNS if c != "name"], "custom:<field>"],
            "required": ["name"],
            "action": reverse("crm:contacts-import"),
        },
        list_url=reverse("crm:contacts"),
        tab="contacts",
    )


@require_GET
@crm_view
def contacts_export(request):
    return export_csv(
        request,
        name="contacts",
        header=selectors.CONTACT_EXPORT_HEADER,
        rows=selectors.contacts_export_rows,
        clean=selectors.contact_filters_clean,
    )


# --------------------------------------------------------------------------- timeline (contacts and deals)

TIMELINE_PAGE = 20


def _timeline_context(*, contact=None, deal=None, form=None, before_id: int | None = None) -> dict:
    items = selectors.timeline(contact=contact, deal=deal, limit=TIMELINE_PAGE + 1, before_id=before_id)
    more = len(items) > TIMELINE_PAGE
    items = items[:TIMELINE_PAGE]
    if contact is not None:
        note_url = reverse("crm:contact-note", args=[contact.pk])
        more_url = reverse("crm:contact-timeline", args=[contact.pk])
    else:
        note_url = reverse("crm:deal-note", args=[deal.pk])
        more_url = reverse("crm:deal-timeline", args=[deal.pk])
    return {
        "items": items,
        "more": more,
        "more_url": f"{more_url}?before={items[-1].pk}" if more and items else "",
        "form": form or ActivityForm(),
        "note_url": note_url,
    }


def _note_post(request, *, contact=None, deal=None, back: str) -> HttpResponse:
    form = ActivityForm(request.POST)
    if form.is_valid():
        try:
            services.activity_create(
                body=form.cleaned_data["body"],
                kind=form.cleaned_data["kind"],
                contact=contact,
                deal=deal,
                actor=request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if not request.htmx:
                messages.success(request, _("Note added."))
                return redirect(back)
            form = None
    context = {"timeline": _timeline_context(contact=contact, deal=deal, form=form)}
    status = 400 if form is not None and form.errors else 200
    if request.htmx:
        return page(request, "crm/partials/timeline.html", context, status=status)
    return redirect(back)


def _timeline_more(request, *, contact=None, deal=None) -> HttpResponse:
    before = _int_or_none(request.GET.get("before"))
    context = {"timeline": _timeline_context(contact=contact, deal=deal, before_id=before)}
    return page(request, "crm/partials/timeline_items.html", context)


@require_POST
@crm_view
def contact_note(request, pk: int):
    contact = selectors.contact_get(contact_id=pk)
    return _note_post(request, contact=contact, back=reverse("crm:contact-detail", args=[pk]))


@require_GET
@crm_view
def contact_timeline(request, pk: int):
    return _timeline_more(request, contact=selectors.contact_get(contact_id=pk))


# --------------------------------------------------------------------------- companies


@require_GET
@crm_view
def companies(request):
    return render_list(
        request,
        kind="companies",
        page_fn=selectors.company_list_page,
        page_template="crm/pages/companies.html",
        results_template="crm/partials/companies_results.html",
        bulk_url=reverse("crm:bulk", args=["companies"]),
        undo_url=reverse("crm:bulk-undo", args=["companies"]),
        tab="companies",
        full_context=lambda: {"owners": _owners(request)},
    )


@crm_view
def company_new(request):
    form = CompanyForm(request.POST or None, tenant=request.tenant)
    created = save_new(
        request, form, create=services.company_create, message=_("Company created."), detail_route="crm:company-detail"
    )
    if created is not None:
        return created
    context = {
        "form": form,
        "title": _("New company"),
        "action": reverse("crm:company-new"),
        "back": reverse("crm:companies"),
    }
    return page(request, "crm/pages/form.html", context, status=400 if form.errors else 200, tab="companies")


@crm_view
def company_detail(request, pk: int):
    company = selectors.company_get(company_id=pk)
    initial = {
        "name": company.name,
        "domain": company.domain,
        "industry": company.industry,
        "phone": company.phone,
        "owner": str(company.owner_id or ""),
        "tags": company.tags,
    }
    form = CompanyForm(request.POST or None, initial=initial, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        try:
            services.company_update(company=company, actor=request.user, **form.changes())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Company saved."))
            return redirect("crm:company-detail", company.pk)
    context = {
        "company": company,
        "form": form,
        "contacts": list(selectors.contact_list(filters={"company": company.pk})[:50]),
        "deals": list(selectors.deal_list(filters={"company": company.pk})[:50]),
    }
    return page(request, "crm/pages/company_detail.html", context, status=400 if form.errors else 200, tab="companies")


@require_POST
@crm_view
def company_delete(request, pk: int):
    company = selectors.company_get(company_id=pk)
    result = services.company_delete(company=company, actor=request.user, ip=client_ip(request))
    return delete_and_redirect(request, result, kind="companies", list_name="crm:companies")


# --------------------------------------------------------------------------- deals: list, inline edit, detail

DEAL_INLINE = ["title", "stage", "value", "currency", "expected_close_date", "owner"]


def _stages_context() -> dict:
    return {"stages": selectors.pipeline_stages()}


@require_GET
@crm_view
def deals(request):
    return render_list(
        request,
        kind="deals",
        page_fn=selectors.deal_list_page,
        page_template="crm/pages/deals.html",
        results_template="crm/partials/deals_results.html",
        bulk_url=reverse("crm:bulk", args=["deals"]),
        undo_url=reverse("crm:bulk-undo", args=["deals"]),
        tab="deals",
        full_context=lambda: {"owners": _owners(request), **_stages_context()},
    )


def _deal_initial(deal) -> dict:
    return {
        "title": deal.title,
        "kind": deal.kind,
        "value": deal.value,
        "currency": deal.currency,
        "expected_close_date": deal.expected_close_date,
        "stage": str(deal.stage_id),
        "owner": str(deal.owner_id or ""),
        "tags": deal.tags,
        "version": deal.version,
    }


@crm_view
def deal_new(request):
    contact_id = _int_or_none(request.GET.get("contact") or request.POST.get("contact"))
    contact = selectors.contact_get(contact_id=contact_id) if contact_id else None
    initial = {"stage": request.GET.get("stage", "")}
    form = DealForm(request.POST or None, initial=initial, tenant=request.tenant, creating=True)
    created = save_new(
        request,
        form,
        create=services.deal_create,
        message=_("Deal created."),
        detail_route="crm:deal-detail",
        contact=contact,
    )
    if created is not None:
        return created
    context = {
        "form": form,
        "title": _("New deal"),
        "subtitle": _("For %(name)s") % {"name": contact.name} if contact else "",
        "action": reverse("crm:deal-new") + (f"?contact={contact.pk}" if contact else ""),
        "back": reverse("crm:pipeline"),
    }
    return page(request, "crm/pages/form.html", context, status=400 if form.errors else 200, tab="deals")


def _deal_page(request, deal, *, form=None, status: int = 200) -> HttpResponse:
    context = {
        "deal": deal,
        "form": form or DealForm(initial=_deal_initial(deal), tenant=request.tenant),
        "timeline": _timeline_context(deal=deal),
        "tasks": list(selectors.task_list(filters={"deal": deal.pk})[:20]),
        "stages": selectors.pipeline_stages(),
    }
    return page(request, "crm/pages/deal_detail.html", context, status=status, tab="deals")


@crm_view
def deal_detail(request, pk: int):
    deal = selectors.deal_get(deal_id=pk)
    if request.method != "POST":
        return _deal_page(request, deal)
    form = DealForm(request.POST, tenant=request.tenant)
    status = 400
    if form.is_valid():
        try:
            services.deal_update(deal=deal, version=form.submitted_version, actor=request.user, **form.changes())
        except services.StaleVersion as exc:
            form.add_error(None, exc.message)
            status = 409
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Deal saved."))
            return redirect("crm:deal-detail", deal.pk)
    return _deal_page(request, deal, form=form, status=status)


def _deal_row(request, deal, *, form=None, status: int = 200) -> HttpResponse:
    template = "crm/partials/deal_row_edit.html" if form is not None else "crm/partials/deal_row.html"
    return page(request, template, {"deal": deal, "form": form}, status=status)


@require_GET
@crm_view
def deal_row(request, pk: int):
    return _deal_row(request, selectors.deal_get(deal_id=pk))


@crm_view
def deal_inline(request, pk: int):
    """Inline edit of a deals-list row: the edit row on GET; on POST the saved row, or the
    edit row again with the errors in place (400) or the conflict message (409)."""
    deal = selectors.deal_get(deal_id=pk)
    prefix = f"deal-{deal.pk}"
    if request.method != "POST":
        form = DealForm(initial=_deal_initial(deal), tenant=request.tenant, only=DEAL_INLINE, prefix=prefix)
        return _deal_row(request, deal, form=form)
    form = DealForm(request.POST, tenant=request.tenant, only=DEAL_INLINE, prefix=prefix)
    status = 400
    if form.is_valid():
        try:
            deal = services.deal_update(deal=deal, version=form.submitted_version, actor=request.user, **form.changes())
        except services.StaleVersion as exc:
            form.add_error(None, exc.message)
            status = 409
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if not request.htmx:
                messages.success(request, _("Deal saved."))
                return redirect("crm:deals")
            return _toast(_deal_row(request, selectors.deal_get(deal_id=pk)), _("Deal saved."))
    if not request.htmx:
        return _deal_page(request, deal, form=form, status=status)
    return _deal_row(request, deal, form=form, status=status)


@require_POST
@crm_view
def deal_note(request, pk: int):
    deal = selectors.deal_get(deal_id=pk)
    return _note_post(request, deal=deal, back=reverse("crm:deal-detail", args=[pk]))


@require_GET
@crm_view
def deal_timeline(request, pk: int):
    return _timeline_more(request, deal=selectors.deal_get(deal_id=pk))


@require_POST
@crm_view
def deal_delete(request, pk: int):
    deal = selectors.deal_get(deal_id=pk)
    result = services.deal_delete(deal=deal, actor=request.user, ip=client_ip(request))
    return delete_and_redirect(request, result, kind="deals", list_name="crm:deals")


# --------------------------------------------------------------------------- the Kanban pipeline

BOARD_FILTERS = ("q", "owner", "kind", "tag")


def _board_filters(data: QueryDict) -> QueryDict:
    query = list_query(data)
    for key in list(query):
        if key not in BOARD_FILTERS:
            del query[key]
    return query


def _board(request, filters: QueryDict, *, status: int = 200, template: str = "crm/partials/board.html", extra=None):
    errors: dict = {}
    try:
        columns = selectors.pipeline_board(filters=filters)
    except ValidationError as exc:
        errors = exc.message_dict
        columns = selectors.pipeline_board()
        status = 400
    stages = [c.stage for c in columns]
    context = {
        "columns": columns,
        "stages": stages,
        "filters": filters,
        "filters_qs": filters.urlencode(),
        "filter_errors": errors,
        **(extra or {}),
    }
    return page(request, template, context, status=status, tab="pipeline")


@require_GET
@crm_view
def pipeline(request):
    filters = _board_filters(request.GET)
    if wants_partial(request):
        return _board(request, filters)
    return _board(request, filters, template="crm/pages/pipeline.html", extra={"owners": _owners(request)})


@require_POST
@crm_view
def deal_move(request, pk: int):
    """The Kanban drop and the keyboard "Move to…" menu: stage, position and the version the
    card was rendered with, in one request (apps.crm.services.deal_move). Answers with the board
    re-rendered (counts and totals included), plus a toast."""
    deal = selectors.deal_get(deal_id=pk)
    filters = _board_filters(QueryDict(request.POST.get("filters", "")))
    form = DealMoveForm(request.POST)
    old_stage_id = deal.stage_id  # deal_move refreshes the instance it is given
    if not form.is_valid():
        message, tone, status = " ".join(e for errs in form.errors.values() for e in errs), "danger", 400
    else:
        try:
            moved = services.deal_move(
                deal=deal,
                stage=form.cleaned_data["stage"],
                position=form.cleaned_data["position"],
                version=form.cleaned_data["version"],
                actor=request.user,
            )
        except services.StaleVersion as exc:
            message, tone, status = exc.message, "danger", 409
        except ValidationError as exc:
            message, tone, status = " ".join(_errors_of(exc)), "danger", 400
        else:
            status, tone = 200, "success"
            if moved.stage.kind == PipelineStage.Kind.WON and old_stage_id != moved.stage_id:
                message = _("Won: %(title)s (%(value)s %(currency)s). The conversion is recorded.") % {
                    "title": moved.title,
                    "value": moved.value,
                    "currency": moved.currency,
                }
            else:
                message = _("%(title)s moved to %(stage)s.") % {"title": moved.title, "stage": moved.stage.name}
    if not request.htmx:
        (messages.success if status == 200 else messages.error)(request, message)
        query = filters.urlencode()
        return redirect(reverse("crm:pipeline") + (f"?{query}" if query else ""))
    response = _board(request, filters, status=status)
    return _toast(response, message, tone, dealMoved={"id": pk, "ok": status == 200})


# --------------------------------------------------------------------------- tasks

TASK_INLINE = ["title", "due_date", "status", "assignee"]


@require_GET
@crm_view
def tasks(request):
    return render_list(
        request,
        kind="tasks",
        page_fn=selectors.task_list_page,
        page_template="crm/pages/tasks.html",
        results_template="crm/partials/tasks_results.html",
        bulk_url=reverse("crm:bulk", args=["tasks"]),
        undo_url=reverse("crm:bulk-undo", args=["tasks"]),
        tab="tasks",
        full_context=lambda: {"owners": _owners(request), "statuses": Task.Status.choices},
    )


def _task_initial(task) -> dict:
    return {
        "title": task.title,
        "description": task.description,
        "due_date": task.due_date,
        "status": task.status,
        "assignee": str(task.assignee_id or ""),
        "version": task.version,
    }


@crm_view
def task_new(request):
    contact_id = _int_or_none(request.GET.get("contact"))
    deal_id = _int_or_none(request.GET.get("deal"))
    contact = selectors.contact_get(contact_id=contact_id) if contact_id else None
    deal = selectors.deal_get(deal_id=deal_id) if deal_id else None
    form = TaskForm(request.POST or None, tenant=request.tenant, creating=True)
    if request.method == "POST" and form.is_valid():
        try:
            task = services.task_create(**form.changes(), contact=contact, deal=deal, actor=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Task created."))
            if contact:
                return redirect("crm:contact-detail", contact.pk)
            if deal:
                return redirect("crm:deal-detail", deal.pk)
            return redirect("crm:task-detail", task.pk)
    query = "&".join(f"{k}={v.pk}" for k, v in (("contact", contact), ("deal", deal)) if v)
    about = contact.name if contact else (deal.title if deal else "")
    context = {
        "form": form,
        "title": _("New task"),
        "subtitle": _("For %(name)s") % {"name": about} if about else "",
        "action": reverse("crm:task-new") + (f"?{query}" if query else ""),
        "back": reverse("crm:tasks"),
    }
    return page(request, "crm/pages/form.html", context, status=400 if form.errors else 200, tab="tasks")


@crm_view
def task_detail(request, pk: int):
    task = selectors.task_get(task_id=pk)
    if request.method != "POST":
        form = TaskForm(initial=_task_initial(task), tenant=request.tenant)
        return page(request, "crm/pages/task_detail.html", {"task": task, "form": form}, tab="tasks")
    form = TaskForm(request.POST, tenant=request.tenant)
    status = 400
    if form.is_valid():
        try:
            services.task_update(task=task, version=form.submitted_version, actor=request.user, **form.changes())
        except services.StaleVersion as exc:
            form.add_error(None, exc.message)
            status = 409
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Task saved."))
            return redirect("crm:task-detail", task.pk)
    return page(request, "crm/pages/task_detail.html", {"task": task, "form": form}, status=status, tab="tasks")


def _task_row(request, task, *, form=None, status: int = 200) -> HttpResponse:
    template = "crm/partials/task_row_edit.html" if form is not None else "crm/partials/task_row.html"
    return page(request, template, {"task": task, "form": form}, status=status)


@require_GET
@crm_view
def task_row(request, pk: int):
    return _task_row(request, selectors.task_get(task_id=pk))


@crm_view
def task_inline(request, pk: int):
    """Inline edit of a tasks-list row (see ``deal_inline``)."""
    task = selectors.task_get(task_id=pk)
    prefix = f"task-{task.pk}"
    if request.method != "POST":
        form = TaskForm(initial=_task_initial(task), tenant=request.tenant, only=TASK_INLINE, prefix=prefix)
        return _task_row(request, task, form=form)
    form = TaskForm(request.POST, tenant=request.tenant, only=TASK_INLINE, prefix=prefix)
    status = 400
    if form.is_valid():
        try:
            task = services.task_update(task=task, version=form.submitted_version, actor=request.user, **form.changes())
        except services.StaleVersion as exc:
            form.add_error(None, exc.message)
            status = 409
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if not request.htmx:
                messages.success(request, _("Task saved."))
                return redirect("crm:tasks")
            return _toast(_task_row(request, task), _("Task saved."))
    if not request.htmx:
        return page(request, "crm/pages/task_detail.html", {"task": task, "form": form}, status=status, tab="tasks")
    return _task_row(request, task, form=form, status=status)


@require_POST
@crm_view
def task_delete(request, pk: int):
    task = selectors.task_get(task_id=pk)
    result = services.task_delete(task=task, actor=request.user, ip=client_ip(request))
    return delete_and_redirect(request, result, kind="tasks", list_name="crm:tasks")


# --------------------------------------------------------------------------- bulk routes of the CRM lists

LIST_NAMES = {"contacts": "crm:contacts", "companies": "crm:companies", "deals": "crm:deals", "tasks": "crm:tasks"}


def _crm_kind(kind: str) -> str:
    if kind not in CRM_KINDS:
        raise Http404("No such list.")
    return kind


@require_POST
@crm_view
def bulk_action(request, kind: str):
    kind = _crm_kind(kind)
    return bulk_post(
        request,
        kind=kind,
        list_url=reverse(LIST_NAMES[kind]),
        undo_url=reverse("crm:bulk-undo", args=[kind]),
        job_url=lambda job_id: reverse("crm:bulk-job", args=[kind, job_id]),
    )


@require_POST
@crm_view
def bulk_undo(request, kind: str):
    kind = _crm_kind(kind)
    return bulk_undo_post(request, kind=kind, list_url=reverse(LIST_NAMES[kind]))


@require_GET
@crm_view
def bulk_job(request, kind: str, job_id: str):
    kind = _crm_kind(kind)
    return bulk_job_get(
        request,
        kind=kind,
        job_id=job_id,
        undo_url=reverse("crm:bulk-undo", args=[kind]),
        job_url=reverse("crm:bulk-job", args=[kind, job_id]),
    )
