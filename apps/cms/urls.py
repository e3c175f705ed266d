"""The site editor, mounted at /app/site/ on tenant hosts. The namespace `site` is what the
dashboard's navigation links to (apps.dashboard.nav: "site:index")."""

from django.urls import path, re_path

from apps.cms import views

app_name = "site"

urlpatterns = [
    path("", views.index, name="index"),
    path("sync/", views.sync_now, name="sync"),
    path("sync/status/", views.sync_status, name="sync-status"),
    path("preview/", views.preview, name="preview"),
    path("pages/new/", views.page_new, name="page-new"),
    path("pages/<int:pk>/", views.page_edit, name="page-edit"),
    path("pages/<int:pk>/publish/", views.page_publish, name="page-publish"),
    path("pages/<int:pk>/unpublish/", views.page_unpublish, name="page-unpublish"),
    path("pages/<int:pk>/delete/", views.page_delete, name="page-delete"),
    path("pages/<int:pk>/history/", views.page_history, name="page-history"),
    path("pages/<int:pk>/history/<int:number>/restore/", views.page_restore, name="page-restore"),
    path("faqs/", views.faq_list, name="faqs"),
    path("faqs/<int:pk>/", views.faq_edit, name="faq-edit"),
    path("faqs/<int:pk>/delete/", views.faq_delete, name="faq-delete"),
    path("articles/", views.article_list, name="articles"),
    path("articles/new/", views.article_new, name="article-new"),
    path("articles/<int:pk>/", views.article_edit, name="article-edit"),
    path("articles/<int:pk>/delete/", views.article_delete, name="article-delete"),
    path("settings/", views.site_settings, name="settings"),
    re_path(r"^assets/(?P<sha256>[0-9a-f]{64})/$", views.asset, name="asset"),
]
