"""CRM routes, included under /api/v1/tenants/<slug>/ by apps.api.urls."""

from django.urls import path

from apps.crm.api import views as v


def _bulk(prefix: str, name: str, bulk, undo, job):
    return [
        path(f"{prefix}/bulk/", bulk.as_view(), name=f"crm-{name}-bulk"),
        path(f"{prefix}/bulk/undo/", undo.as_view(), name=f"crm-{name}-bulk-undo"),
        path(f"{prefix}/bulk/jobs/<str:job_id>/", job.as_view(), name=f"crm-{name}-bulk-job"),
    ]


urlpatterns = [
    path("contacts/", v.ContactListCreateView.as_view(), name="crm-contact-list"),
    *_bulk("contacts", "contact", v.ContactBulkView, v.ContactBulkUndoView, v.ContactBulkJobView),
    path("contacts/import/", v.ContactImportView.as_view(), name="crm-contact-import"),
    path("contacts/export/", v.ContactExportView.as_view(), name="crm-contact-export"),
    path("contacts/merge/", v.ContactMergeView.as_view(), name="crm-contact-merge"),
    path("contacts/<int:pk>/", v.ContactDetailView.as_view(), name="crm-contact-detail"),
    path("contacts/<int:pk>/activities/", v.ContactActivitiesView.as_view(), name="crm-contact-activities"),
    path("companies/", v.CompanyListCreateView.as_view(), name="crm-company-list"),
    *_bulk("companies", "company", v.CompanyBulkView, v.CompanyBulkUndoView, v.CompanyBulkJobView),
    path("companies/<int:pk>/", v.CompanyDetailView.as_view(), name="crm-company-detail"),
    path("stages/", v.StageListView.as_view(), name="crm-stage-list"),
    path("deals/", v.DealListCreateView.as_view(), name="crm-deal-list"),
    *_bulk("deals", "deal", v.DealBulkView, v.DealBulkUndoView, v.DealBulkJobView),
    path("deals/<int:pk>/", v.DealDetailView.as_view(), name="crm-deal-detail"),
    path("deals/<int:pk>/move/", v.DealMoveView.as_view(), name="crm-deal-move"),
    path("deals/<int:pk>/convert/", v.DealConvertView.as_view(), name="crm-deal-convert"),
    path("deals/<int:pk>/activities/", v.DealActivitiesView.as_view(), name="crm-deal-activities"),
    path("tasks/", v.TaskListCreateView.as_view(), name="crm-task-list"),
    *_bulk("tasks", "task", v.TaskBulkView, v.TaskBulkUndoView, v.TaskBulkJobView),
    path("tasks/<int:pk>/", v.TaskDetailView.as_view(), name="crm-task-detail"),
]
