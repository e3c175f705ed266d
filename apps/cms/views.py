"""The site editor in the dashboard (/app/site/). Thin: parse a form, call a service or a
selector, render. Who may read or edit is decided by apps.cms.access.site_view."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.cms import selectors, services
from apps.cms.access import site_view
from apps.cms.forms import ArticleForm, FaqForm, PageForm, SiteSettingsForm, add_service_errors
from apps.cms.models import BodyFormat
from apps.cms.rendering import render_body

MAX_STATUS_POLLS = 30


def _render(request, template: str, context: dict, *, tab: str, status: int = 200) -> HttpResponse:
    return render(
        request,
        template,
        {"active_nav": "site", "site_tab": tab, "can_edit": request.site_can_edit, **context},
        status=status,
    )


def _or_404(obj):
    if obj is None:
        raise Http404("No such item.")
    return obj


def _prepare(request, form):
    """Read-only users get every field disabled; editors get the live preview on the body."""
    if not request.site_can_edit:
        for field in form.fields.values():
            field.disabled = True
        return form
    if "body" in form.fields:
        live = {"hx-post": reverse("site:preview"), "hx-target": "#preview", "hx-include": "closest form"}
        form.fields["body"].widget.attrs.update({**live, "hx-trigger": "input changed delay:400ms, change"})
        form.fields["body_format"].widget.attrs.update({**live, "hx-trigger": "change"})
    return form


# --------------------------------------------------------------------------- overview and sync


def _sync_state(*, pending: bool = False, since: int | None = None, polls: int = 0) -> dict:
    current = selectors.site_snapshot_current()
    unsynced = selectors.site_has_unsynced_changes()
    if pending and ((current is not None and current.pk != since) or not unsynced):
        pending = False  # the worker has done it
    return {
        "snapshot": current,
        "unsynced": unsynced,
        "pending": pending and polls < MAX_STATUS_POLLS,
        "stalled": pending and polls >= MAX_STATUS_POLLS,
        "since": since if since is not None else (current.pk if current else 0),
        "polls": polls,
    }


@site_view()
def index(request):
    pages = list(selectors.pages_list())
    rows = [(p, selectors.page_has_unpublished_changes(p)) for p in pages]
    return _render(request, "cms/pages/index.html", {"rows": rows, "sync": _sync_state()}, tab="pages")


@require_POST
@site_view()
def sync_now(request):
    current = selectors.site_snapshot_current()
    services.site_sync_queue(reason=f"dashboard: {request.user.email}")
    state = _sync_state(pending=True, since=current.pk if current else 0)
    if request.htmx:
        return render(request, "cms/partials/sync_status.html", {"sync": state, "can_edit": True})
    messages.success(request, _("Site sync queued: your site is republished in a few seconds."))
    return redirect("site:index")


@site_view()
def sync_status(request):
    try:
        since = int(request.GET.get("since", "0"))
        polls = int(request.GET.get("polls", "0")) + 1
    except ValueError:
        since, polls = 0, 1
    state = _sync_state(pending=request.GET.get("pending") == "1", since=since, polls=polls)
    return render(request, "cms/partials/sync_status.html", {"sync": state, "can_edit": request.site_can_edit})


# --------------------------------------------------------------------------- pages


def _page_form_initial(page) -> dict:
    return {
        "title": page.title,
        "slug": page.slug,
        "body_format": page.body_format,
        "body": page.body,
        "seo_title": page.seo_title,
        "seo_description": page.seo_description,
        "show_in_nav": page.show_in_nav,
        "nav_order": page.nav_order,
    }


def _page_editor(request, *, page, form, status: int = 200) -> HttpResponse:
    preview = render_body(form["body"].value() or "", form["body_format"].value() or BodyFormat.MARKDOWN)
    context = {
        "page": page,
        "form": _prepare(request, form),
        "preview": preview,
        "unpublished_changes": page is not None and selectors.page_has_unpublished_changes(page),
    }
    return _render(request, "cms/pages/page_edit.html", context, tab="pages", status=status)


def _page_submit(request, page):
    form = PageForm(request.POST)
    if not form.is_valid():
        return _page_editor(request, page=page, form=form, status=400)
    try:
        saved = services.page_save(page=page, actor=request.user, **form.cleaned_data)
        if request.POST.get("action") == "publish":
            services.page_publish(page=saved, actor=request.user)
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _page_editor(request, page=page, form=form, status=400)
    if request.POST.get("action") == "publish":
        messages.success(request, _("Page published. Press “Sync site now” to show it to visitors."))
    else:
        messages.success(request, _("Draft saved."))
    return redirect("site:page-edit", pk=saved.pk)


@site_view()
def page_new(request):
    if request.method == "POST":
        return _page_submit(request, None)
    return _page_editor(request, page=None, form=PageForm())


@site_view()
def page_edit(request, pk: int):
    page = _or_404(selectors.page_get(pk=pk))
    if request.method == "POST":
        return _page_submit(request, page)
    return _page_editor(request, page=page, form=PageForm(initial=_page_form_initial(page)))


@require_POST
@site_view()
def page_publish(request, pk: int):
    page = services.page_publish(page=_or_404(selectors.page_get(pk=pk)), actor=request.user)
    messages.success(
        request, _("“%(title)s” is published. Sync the site to show it to visitors.") % {"title": page.title}
    )
    return redirect("site:page-edit", pk=pk)


@require_POST
@site_view()
def page_unpublish(request, pk: int):
    page = services.page_unpublish(page=_or_404(selectors.page_get(pk=pk)), actor=request.user)
    messages.success(
        request, _("“%(title)s” is a draft again. Sync the site to take it offline.") % {"title": page.title}
    )
    return redirect("site:page-edit", pk=pk)


@require_POST
@site_view()
def page_delete(request, pk: int):
    page = _or_404(selectors.page_get(pk=pk))
    services.page_delete(page=page, actor=request.user)
    messages.success(request, _("Page deleted. Sync the site to take it offline."))
    return redirect("site:index")


@site_view()
def page_history(request, pk: int):
    page = _or_404(selectors.page_get(pk=pk))
    versions = list(selectors.page_versions(page=page))
    return _render(request, "cms/pages/page_history.html", {"page": page, "versions": versions}, tab="pages")


@require_POST
@site_view()
def page_restore(request, pk: int, number: int):
    page = _or_404(selectors.page_get(pk=pk))
    try:
        services.page_restore_version(page=page, version=number, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("site:page-history", pk=pk)
    messages.success(
        request, _("Version %(number)s restored as a draft. Publish it to put it on the site.") % {"number": number}
    )
    return redirect("site:page-edit", pk=pk)


@require_POST
@site_view()
def preview(request):
    """Live preview (HTMX): the body as visitors would get it, sanitised."""
    body_format = request.POST.get("body_format", BodyFormat.MARKDOWN)
    if body_format not in BodyFormat.values:
        body_format = BodyFormat.MARKDOWN
    html = render_body(request.POST.get("body", ""), body_format)
    return render(request, "cms/partials/preview.html", {"preview": html})


# --------------------------------------------------------------------------- FAQs


@site_view()
def faq_list(request):
    form = FaqForm()
    if request.method == "POST":
        form = FaqForm(request.POST)
        if form.is_valid():
            try:
                services.faq_save(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("FAQ added."))
                return redirect("site:faqs")
    status = 400 if form.errors else 200
    context = {"faqs": list(selectors.faqs_list()), "form": _prepare(request, form)}
    return _render(request, "cms/pages/faqs.html", context, tab="faqs", status=status)


@site_view()
def faq_edit(request, pk: int):
    faq = _or_404(selectors.faq_get(pk=pk))
    if request.method == "POST":
        form = FaqForm(request.POST)
        if form.is_valid():
            try:
                services.faq_save(faq=faq, actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("FAQ saved."))
                return redirect("site:faqs")
        return _render(request, "cms/pages/faq_edit.html", {"faq": faq, "form": form}, tab="faqs", status=400)
    initial = {f: getattr(faq, f) for f in ("question", "answer", "category", "position", "is_published")}
    form = _prepare(request, FaqForm(initial=initial))
    return _render(request, "cms/pages/faq_edit.html", {"faq": faq, "form": form}, tab="faqs")


@require_POST
@site_view()
def faq_delete(request, pk: int):
    services.faq_delete(faq=_or_404(selectors.faq_get(pk=pk)), actor=request.user)
    messages.success(request, _("FAQ deleted."))
    return redirect("site:faqs")


# --------------------------------------------------------------------------- articles


@site_view()
def article_list(request):
    return _render(request, "cms/pages/articles.html", {"articles": list(selectors.articles_list())}, tab="articles")


def _article_editor(request, *, article, form, status: int = 200) -> HttpResponse:
    preview = render_body(form["body"].value() or "", form["body_format"].value() or BodyFormat.MARKDOWN)
    return _render(
        request,
        "cms/pages/article_edit.html",
        {"article": article, "form": _prepare(request, form), "preview": preview},
        tab="articles",
        status=status,
    )


def _article_submit(request, article):
    form = ArticleForm(request.POST)
    if not form.is_valid():
        return _article_editor(request, article=article, form=form, status=400)
    action = request.POST.get("action")
    status = {"publish": "published", "unpublish": "draft"}.get(action)
    try:
        saved = services.article_save(article=article, actor=request.user, status=status, **form.cleaned_data)
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _article_editor(request, article=article, form=form, status=400)
    messages.success(
        request,
        _("Article published. Sync the site to show it to visitors.") if action == "publish" else _("Article saved."),
    )
    return redirect("site:article-edit", pk=saved.pk)


@site_view()
def article_new(request):
    if request.method == "POST":
        return _article_submit(request, None)
    return _article_editor(request, article=None, form=ArticleForm())


@site_view()
def article_edit(request, pk: int):
    article = _or_404(selectors.article_get(pk=pk))
    if request.method == "POST":
        return _article_submit(request, article)
    fields = ("title", "slug", "summary", "body_format", "body", "seo_title", "seo_description")
    return _article_editor(request, article=article, form=ArticleForm(initial={f: getattr(article, f) for f in fields}))


@require_POST
@site_view()
def article_delete(request, pk: int):
    services.article_delete(article=_or_404(selectors.article_get(pk=pk)), actor=request.user)
    messages.success(request, _("Article deleted."))
    return redirect("site:articles")


# --------------------------------------------------------------------------- settings


@site_view()
def site_settings(request):
    row = selectors.site_settings_current()
    initial = {f: getattr(row, f) for f in ("site_title", "tagline", "brand_colour", "logo_url", "industry")}
    form = SiteSettingsForm(initial=initial)
    if request.method == "POST":
        form = SiteSettingsForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.site_settings_update(
                    site_title=data["site_title"],
                    tagline=data["tagline"],
                    brand_colour=data["brand_colour"],
                    logo_url=data["logo_url"],
                    logo_file=data["logo_file"],
                    remove_logo=data["remove_logo"],
                    industry=data["industry"],
                    actor=request.user,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Site settings saved. Sync the site to show them to visitors."))
                return redirect("site:settings")
    status = 400 if form.errors else 200
    logo = reverse("site:asset", args=[row.logo_asset.sha256]) if row.logo_asset_id else row.logo_url
    context = {"form": _prepare(request, form), "settings_row": row, "logo_preview": logo}
    return _render(request, "cms/pages/settings.html", context, tab="settings", status=status)


@site_view()
def asset(request, sha256: str):
    """An uploaded file for the editor's own preview (the public site serves only published ones)."""
    found = _or_404(selectors.site_asset_get(sha256=sha256))
    content_type, data = found
    response = HttpResponse(bytes(data), content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
