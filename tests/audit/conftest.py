"""Audit log fixtures: events at chosen times, and the admin's signed-in clients."""

from __future__ import annotations

from datetime import datetime
from unittest import mock

import pytest

from apps.audit.services import audit_record
from tests.admin.conftest import PLATFORM_HOST, staff_client  # noqa: F401  (the admin's signed-in clients)


@pytest.fixture
def event_at():
    """audit_record() as if it ran at `at` (the model stamps `at` itself and refuses updates)."""

    def record(at: datetime, **kwargs):
        with mock.patch("django.utils.timezone.now", return_value=at):
            return audit_record(**kwargs)

    return record
