"""Partner API: who am I, and self-service API keys. Thin views over apps.accounts.services."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.api.serializers import (
    ApiKeyCreatedOutputSerializer,
    ApiKeyCreateInputSerializer,
    ApiKeyOutputSerializer,
    MeOutputSerializer,
)
from apps.accounts.services import api_key_create, api_key_revoke
from apps.api.serializers import ERROR_RESPONSES


class MeView(APIView):
    @extend_schema(
        responses={200: MeOutputSerializer, **ERROR_RESPONSES}, summary="The authenticated user", tags=["me"]
    )
    def get(self, request):
        return Response(MeOutputSerializer(request.user).data)


class ApiKeyListCreateView(APIView):
    @extend_schema(
        responses={200: ApiKeyOutputSerializer(many=True), **ERROR_RESPONSES},
        summary="Your API keys (without their secrets)",
        tags=["api keys"],
    )
    def get(self, request):
        keys = request.user.api_keys.all()
        return Response(ApiKeyOutputSerializer(keys, many=True).data)

    @extend_schema(
        request=ApiKeyCreateInputSerializer,
        responses={201: ApiKeyCreatedOutputSerializer, **ERROR_RESPONSES},
        summary="Create an API key (the key is shown once)",
        tags=["api keys"],
        description="Only from a signed-in, MFA-verified session: a key cannot mint other keys, so a "
        "leaked key stops working for good once it is revoked.",
    )
    def post(self, request):
        if request.auth is not None:
            raise PermissionDenied(
                "API keys are created from a signed-in session (the API docs page) or with "
                "`manage.py create_api_key`, not with another API key."
            )
        data = ApiKeyCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        key, raw = api_key_create(user=request.user, name=data.validated_data["name"])
        body = ApiKeyCreatedOutputSerializer(key, context={"raw_key": raw}).data
        return Response(body, status=status.HTTP_201_CREATED, headers={"Cache-Control": "no-store"})


class ApiKeyRevokeView(APIView):
    @extend_schema(responses={204: None, **ERROR_RESPONSES}, summary="Revoke one of your API keys", tags=["api keys"])
    def delete(self, request, prefix: str):
        key = request.user.api_keys.filter(prefix=prefix).first()
        if key is None:
            raise NotFound(f"You have no API key “{prefix}”.")
        api_key_revoke(key=key)
        return Response(status=status.HTTP_204_NO_CONTENT)
