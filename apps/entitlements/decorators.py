"""Gating at the edges that are not DRF: views (decorator and mixin) and Celery tasks.

A gated page answers 404 — an unreleased feature is not revealed, not even as "forbidden".
A gated task is skipped for a tenant where the feature is off; the skip is logged with the
rule that decided and returned as the task's result, so it is visible in both places.
"""

from __future__ import annotations

import logging
from functools import wraps

from django.db import connection
from django.http import Http404

from apps.entitlements.context import Entitlements, entitlements_for

log = logging.getLogger(__name__)


def request_entitlements(request) -> Entitlements:
    """The request's entitlements (built by the middleware), or built now for a request that
    did not go through it (a RequestFactory request in a test, for instance)."""
    ents = getattr(request, "entitlements", None)
    if ents is None:
        ents = request.entitlements = entitlements_for(
            user=getattr(request, "user", None), tenant=getattr(request, "tenant", None)
        )
    return ents


def feature_required(key: str):
    """View decorator: 404 unless `key` is ON for the request."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request_entitlements(request).is_on(key):
                raise Http404("No such page.")
            return view(request, *args, **kwargs)

        wrapper.required_feature = key
        return wrapper

    return decorator


class FeatureRequiredMixin:
    """Class-based views: set `required_feature = "crm.kanban"`; 404 unless it is ON."""

    required_feature: str = ""

    def dispatch(self, request, *args, **kwargs):
        if not self.required_feature or not request_entitlements(request).is_on(self.required_feature):
            raise Http404("No such page.")
        return super().dispatch(request, *args, **kwargs)


def feature_task_guard(key: str):
    """Celery task guard: put it under @shared_task. The task runs only if `key` is ON for the
    tenant whose schema the task runs in (tenant-schemas-celery sets it); otherwise it is
    skipped and the skip — with the deciding rule — is logged and returned.

        @shared_task
        @feature_task_guard("crm.kanban")
        def sync_board(board_id): ...
    """

    def decorator(func):
        @wraps(func)
        def wrapper(*args, **kwargs):
            tenant = getattr(connection, "tenant", None)
            ents = entitlements_for(tenant=tenant)
            if ents.is_on(key):
                return func(*args, **kwargs)
            decision = ents.explain(key)
            slug = getattr(tenant, "slug", "") or "-"
            log.info(
                "task %s skipped for tenant %s: feature %s is OFF (%s: %s)",
                func.__qualname__,
                slug,
                key,
                decision.rule,
                decision.reason,
            )
            return {"skipped": True, "feature": key, "tenant": slug, "rule": decision.rule, "reason": decision.reason}

        wrapper.required_feature = key
        return wrapper

    return decorator
