from django.urls import path

from apps.alerts import views

app_name = "alerts"

urlpatterns = [
    path("", views.preferences_page, name="preferences"),
    path("test/", views.send_test, name="send-test"),
    path("deliveries/", views.deliveries_partial, name="deliveries"),
    path("deliveries/<int:delivery_id>/retry/", views.retry_delivery, name="retry"),
]
