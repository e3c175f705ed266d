"""The CRM in the dashboard, mounted at /app/crm/ on tenant hosts (namespace `crm`, which the
navigation links to: apps.dashboard.nav "crm:index"). The detail names are the ones
apps.crm.selectors.DETAIL_URLS (command palette) reverses."""

from django.urls import path

from apps.crm import views

app_name = "crm"

urlpatterns = [
    path("", views.index, name="index"),
    # contacts
    path("contacts/", views.contacts, name="contacts"),
    path("contacts/new/", views.contact_new, name="contact-new"),
    path("contacts/import/", views.contacts_import, name="contacts-import"),
    path("contacts/export/", views.contacts_export, name="contacts-export"),
    path("contacts/<int:pk>/", views.contact_detail, name="contact-detail"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact-edit"),
    path("contacts/<int:pk>/delete/", views.contact_delete, name="contact-delete"),
    path("contacts/<int:pk>/merge/", views.contact_merge, name="contact-merge"),
    path("contacts/<int:pk>/notes/", views.contact_note, name="contact-note"),
    path("contacts/<int:pk>/timeline/", views.contact_timeline, name="contact-timeline"),
    # companies
    path("companies/", views.companies, name="companies"),
    path("companies/new/", views.company_new, name="company-new"),
    path("companies/<int:pk>/", views.company_detail, name="company-detail"),
    path("companies/<int:pk>/delete/", views.company_delete, name="company-delete"),
    # deals and the pipeline
    path("pipeline/", views.pipeline, name="pipeline"),
    path("deals/", views.deals, name="deals"),
    path("deals/new/", views.deal_new, name="deal-new"),
    path("deals/<int:pk>/", views.deal_detail, name="deal-detail"),
    path("deals/<int:pk>/row/", views.deal_row, name="deal-row"),
    path("deals/<int:pk>/inline/", views.deal_inline, name="deal-inline"),
    path("deals/<int:pk>/move/", views.deal_move, name="deal-move"),
    path("deals/<int:pk>/delete/", views.deal_delete, name="deal-delete"),
    path("deals/<int:pk>/notes/", views.deal_note, name="deal-note"),
    path("deals/<int:pk>/timeline/", views.deal_timeline, name="deal-timeline"),
    # tasks
    path("tasks/", views.tasks, name="tasks"),
    path("tasks/new/", views.task_new, name="task-new"),
    path("tasks/<int:pk>/", views.task_detail, name="task-detail"),
    path("tasks/<int:pk>/row/", views.task_row, name="task-row"),
    path("tasks/<int:pk>/inline/", views.task_inline, name="task-inline"),
    path("tasks/<int:pk>/delete/", views.task_delete, name="task-delete"),
    # the BulkActionToolbar of every CRM list
    path("bulk/<str:kind>/", views.bulk_action, name="bulk"),
    path("bulk/<str:kind>/undo/", views.bulk_undo, name="bulk-undo"),
    path("bulk/<str:kind>/jobs/<str:job_id>/", views.bulk_job, name="bulk-job"),
]
