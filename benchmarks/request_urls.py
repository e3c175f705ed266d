"""URLconf for the request-path benchmark only: the tenant URLs plus one no-op view, so the
cost of the middleware chain can be measured without any view work. Never used by the app."""

from django.http import HttpResponse
from django.urls import path

from config.urls_tenant import urlpatterns as tenant_urlpatterns


def noop(request):
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("__bench__/noop/", noop), *tenant_urlpatterns]
