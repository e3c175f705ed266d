"""The CRM Global Control Center (M5) in the platform admin: super admins search and list the
contacts and deals of every tenant, with the tenant, a link into the tenant's dashboard and a
“view as” link for the record's owner.

Tenant rows cannot be ordinary ModelAdmins on the platform host (the admin runs in the public
schema, where the CRM tables do not exist), so the entry is a proxy model whose changelist is a
custom view over apps.crm.global_search (one UNION ALL statement per 100 tenant schemas).
Searches are audited (crm.global_search): they read many businesses' personal data.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path
from unfold.admin import ModelAdmin

from apps.accounts.models import Tier
from apps.audit.services import audit_record, client_ip
from apps.core.admin_site import TierPermissionsMixin
from apps.crm.global_search import KINDS, MAX_PAGE, global_search
from apps.crm.models import GlobalControlCenter


class GlobalSearchForm(forms.Form):
    kind = forms.ChoiceField(choices=[("contacts", "Contacts"), ("deals", "Deals")], required=False)
    q = forms.CharField(label="Search", max_length=200, required=False)
    tenant = forms.SlugField(label="Tenant (slug)", max_length=40, required=False)
    page = forms.IntegerField(min_value=1, required=False)
    per_page = forms.IntegerField(min_value=1, max_value=MAX_PAGE, required=False)


@admin.register(GlobalControlCenter)
class GlobalControlCenterAdmin(TierPermissionsMixin, ModelAdmin):
    view_tier = Tier.SUPER_ADMIN
    add_tier = None
    change_tier = None
    delete_tier = None

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_changelist"
        return [path("", self.admin_site.admin_view(self.control_center_view), name=name)]

    def control_center_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied("The CRM Global Control Center is for super admins.")
        form = GlobalSearchForm(request.GET or None)
        data = form.cleaned_data if form.is_bound and form.is_valid() else {}
        kind = data.get("kind") or "contacts"
        q = data.get("q") or ""
        tenant = data.get("tenant") or None
        result = global_search(
            kind=kind if kind in KINDS else "contacts",
            q=q,
            tenant_slug=tenant,
            page=data.get("page") or 1,
            per_page=data.get("per_page") or 50,
        )
        if q or tenant:
            audit_record(
                action="crm.global_search",
                actor=request.user,
                target_type=f"crm.{kind.removesuffix('s')}",
                target_repr=f"{kind}: {q}"[:255],
                tenant_slug=tenant or "",
                after={"kind": kind, "q": q, "tenant": tenant, "page": result.page, "rows": len(result.rows)},
                ip=client_ip(request),
            )
        base = request.GET.copy()
        base.pop("page", None)
        context = {
            **self.admin_site.each_context(request),
            "title": "CRM global control center",
            "opts": self.opts,
            "form": form if form.is_bound else GlobalSearchForm(initial={"kind": "contacts"}),
            "result": result,
            "kind": kind,
            "query_base": base.urlencode(),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/crm/global_control_center.html", context)
