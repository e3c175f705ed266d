"""Every API error is JSON with a human message; validation errors name the field."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class Locked(exceptions.APIException):
    status_code = status.HTTP_423_LOCKED
    default_detail = "This tenant is suspended."
    default_code = "locked"


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "Not found.")
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        fields = data if isinstance(data, dict) else {"non_field_errors": data}
        first = next(iter(fields.values()), ["Invalid input."])
        first = first[0] if isinstance(first, list) and first else first
        response.data = {"error": "invalid", "message": str(first), "fields": fields}
    else:
        message = data.get("detail", "Error.") if isinstance(data, dict) else str(data)
        response.data = {"error": getattr(exc, "default_code", "error"), "message": str(message)}
    return Response(response.data, status=response.status_code, headers={k: v for k, v in response.items()})
