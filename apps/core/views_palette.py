"""The command palette (Ctrl+K / Cmd+K, M6): GET /app/palette/?q= answers the options partial
that static/js/palette.js shows as you type — actions, dashboard pages, and the tenant's
records (apps.crm.selectors.palette_search: one UNION ALL query in the current tenant's
schema, so results are this tenant's only). Records and pages of a module whose feature is off
for the tenant are left out; "create …" actions need a role that may write."""

from __future__ import annotations

from dataclasses import dataclass

from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from apps.crm.selectors import palette_search
from apps.crm.views import can_edit
from apps.dashboard.access import dashboard_access_required
from apps.dashboard.nav import nav_items
from apps.entitlements.decorators import request_entitlements

MAX_Q = 100
PER_KIND = 5


@dataclass(frozen=True)
class Command:
    key: str
    label: str
    url: str
    hint: str = ""


# (key, label, url name, feature, needs write access)
ACTIONS = (
    ("new-contact", _("Create contact"), "crm:contact-new", "crm", True),
    ("pipeline", _("Open pipeline"), "crm:pipeline", "crm", False),
    ("new-deal", _("Create deal"), "crm:deal-new", "crm", True),
    ("new-task", _("Create task"), "crm:task-new", "crm", True),
    ("new-company", _("Create company"), "crm:company-new", "crm", True),
    ("import-contacts", _("Import contacts from CSV"), "crm:contacts-import", "crm", True),
    ("new-product", _("Create product"), "catalog:product-new", "catalog", True),
)
# Pages inside modules, besides the navigation's own entries.
PAGES = (
    ("contacts", _("Contacts"), "crm:contacts", "crm"),
    ("companies", _("Companies"), "crm:companies", "crm"),
    ("deals", _("Deals"), "crm:deals", "crm"),
    ("tasks", _("Tasks"), "crm:tasks", "crm"),
    ("products", _("Products"), "catalog:products", "catalog"),
)
GROUPS = {
    "contact": _("Contacts"),
    "company": _("Companies"),
    "deal": _("Deals"),
    "task": _("Tasks"),
    "product": _("Products"),
}


def _matches(q: str, label: str) -> bool:
    words = q.lower().split()
    text = label.lower()
    return all(w in text for w in words)


def _url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


@require_GET
@dashboard_access_required
def palette(request):
    q = request.GET.get("q", "").strip()[:MAX_Q]
    ents = request_entitlements(request)
    on = {key: ents.is_on(key) for key in ("crm", "catalog")}
    writer = can_edit(request)
    actions = [
        Command(key, str(label), url)
        for key, label, name, feature, write in ACTIONS
        if on[feature] and (writer or not write) and (url := _url(name)) and _matches(q, str(label))
    ]
    pages = [Command(f"nav-{i.key}", i.label, i.url) for i in nav_items(entitlements=ents) if i.url]
    pages += [
        Command(key, str(label), url) for key, label, name, feature in PAGES if on[feature] and (url := _url(name))
    ]
    seen: set[str] = set()
    pages = [p for p in pages if _matches(q, p.label) and not (p.url in seen or seen.add(p.url))]
    kinds = [k for k, feature in (("contact", "crm"), ("company", "crm"), ("deal", "crm"), ("task", "crm"),
                                  ("product", "catalog")) if on[feature]]  # fmt: skip
    records = palette_search(q=q, limit=PER_KIND, kinds=kinds) if q and kinds else []
    groups: list[tuple[str, str, list]] = []
    for kind in GROUPS:
        rows = [r for r in records if r.kind == kind]
        if rows:
            groups.append((kind, str(GROUPS[kind]), rows))
    context = {
        "q": q,
        "actions": actions,
        "pages": pages[:8] if q else pages[:6],
        "groups": groups,
        "empty": not (actions or pages or groups),
    }
    return render(request, "dashboard/partials/palette_results.html", context)
