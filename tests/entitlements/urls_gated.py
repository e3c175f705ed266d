"""A tenant-host URL conf for the gating tests: the real tenant URLs plus gated test routes."""

from django.http import HttpResponse
from django.template import RequestContext, Template
from django.urls import path
from django.views import View
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.entitlements.decorators import FeatureRequiredMixin, feature_required
from apps.entitlements.permissions import FeatureRequired
from config.urls_tenant import urlpatterns as tenant_urlpatterns

TAGS = Template(
    '{% load entitlements %}{% feature "crm.kanban" as kanban_on %}'
    "[tag:{{ kanban_on }}]"
    '[block:{% iffeature "crm.kanban" %}yes{% else %}no{% endiffeature %}]'
    '[unknown:{% iffeature "nope.never" %}yes{% endiffeature %}]'
)


@feature_required("crm.kanban")
def kanban_page(request):
    return HttpResponse("kanban board")


class KanbanClassView(FeatureRequiredMixin, View):
    required_feature = "crm.kanban"

    def get(self, request):
        return HttpResponse("kanban board (class)")


class KanbanApi(APIView):
    permission_classes = [FeatureRequired]
    required_feature = "crm.kanban"

    def get(self, request):
        return Response({"board": "kanban"})


class KanbanApiByFactory(APIView):
    permission_classes = [FeatureRequired.of("crm.kanban")]

    def get(self, request):
        return Response({"board": "kanban"})


def tags_page(request):
    return HttpResponse(TAGS.render(RequestContext(request)))


urlpatterns = [
    path("gated/kanban/", kanban_page),
    path("gated/kanban-class/", KanbanClassView.as_view()),
    path("gated/api/kanban/", KanbanApi.as_view()),
    path("gated/api/kanban-factory/", KanbanApiByFactory.as_view()),
    path("gated/tags/", tags_page),
    *tenant_urlpatterns,
]
