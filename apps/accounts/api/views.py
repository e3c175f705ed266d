from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.api.serializers import MeOutputSerializer


class MeView(APIView):
    @extend_schema(responses=MeOutputSerializer, summary="The authenticated user")
    def get(self, request):
        return Response(MeOutputSerializer(request.user).data)
