from django.urls import path

from apps.monitoring import views

app_name = "monitoring"

urlpatterns = [
    path("", views.health_page, name="health"),
    path("maintenance/", views.maintenance_create, name="maintenance-create"),
    path("maintenance/<int:window_id>/end/", views.maintenance_end, name="maintenance-end"),
]
