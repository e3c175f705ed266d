from django.urls import path

from apps.onboarding import views

app_name = "onboarding"

urlpatterns = [
    path("", views.signup, name="signup"),
    path("return/", views.checkout_return, name="return"),
    path("return/status/", views.return_status, name="return_status"),
    path("resume/<str:token>/", views.resume, name="resume"),
    path("resume/<str:token>/status/", views.resume_status, name="resume_status"),
    path("resume/<str:token>/checkout/", views.resume_checkout, name="resume_checkout"),
    path("resume/<str:token>/simulate-payment/", views.resume_simulate, name="resume_simulate"),
    path("webhook/stripe/", views.stripe_webhook, name="stripe_webhook"),
]
