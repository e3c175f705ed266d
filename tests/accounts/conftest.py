from __future__ import annotations

import pytest
from django.test import Client


@pytest.fixture
def web(platform):
    """A browser-like client on the platform host."""
    return Client(HTTP_HOST="localhost")


@pytest.fixture
def sign_in(password):
    """POST the login form; returns the response."""

    def do(client, email, pwd=None, **extra):
        return client.post("/accounts/login/", {"username": email, "password": pwd or password}, **extra)

    return do
