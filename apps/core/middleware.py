from __future__ import annotations

from django.http import JsonResponse


class HealthCheckMiddleware:
    """`/healthz` and `/readyz` answer on every host, before tenant routing, sessions or auth."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/healthz":
            return JsonResponse({"status": "ok"})
        if request.path == "/readyz":
            from apps.core.health import readiness

            result = readiness()
            return JsonResponse(
                {"status": "ready" if result["ok"] else "not ready", **result}, status=200 if result["ok"] else 503
            )
        return self.get_response(request)
