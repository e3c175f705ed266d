"""Every API error is JSON: {"error": code, "message": human text, "fields": {field: [errors]}}."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler


class Locked(exceptions.APIException):
    status_code = status.HTTP_423_LOCKED
    default_detail = "This tenant is suspended."
    default_code = "locked"


def _from_django(exc):
    """Services raise Django's exceptions; turn them into DRF ones that keep their message."""
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return exceptions.ValidationError(exc.message_dict)
        return exceptions.ValidationError({"non_field_errors": exc.messages})
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, Http404):
        return exceptions.NotFound(str(exc) or None)
    return exc


def _first_message(value) -> str:
    while isinstance(value, dict | list) and value:
        value = next(iter(value.values())) if isinstance(value, dict) else value[0]
    return str(value) if value else "Invalid input."


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": code, "message": message, "fields": fields or {}}


def exception_handler(exc, context):
    exc = _from_django(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        fields = data if isinstance(data, dict) else {"non_field_errors": data}
        first_field, first = next(iter(fields.items()), ("", None))
        message = _first_message(first)
        if first_field and first_field != "non_field_errors":
            message = f"{first_field}: {message}"
        response.data = error_body("invalid", message, fields)
    else:
        message = data.get("detail", "Error.") if isinstance(data, dict) else str(data)
        code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        response.data = error_body(code if isinstance(code, str) else exc.default_code, str(message))
    return response


def not_found(request, *args, **kwargs):
    """JSON 404 for any /api/ path that matches no endpoint (instead of the HTML page)."""
    return JsonResponse(error_body("not_found", f"No API endpoint at {request.path}."), status=404)
