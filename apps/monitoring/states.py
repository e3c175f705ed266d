"""The health vocabulary and the state machine, free of the database (the checker and the
benchmarks import it without Django's app registry)."""

from __future__ import annotations

from django.db import models


class HealthState(models.TextChoices):
    UNKNOWN = "unknown", "Not checked yet"
    UP = "up", "Up"
    DEGRADED = "degraded", "Degraded"
    DOWN = "down", "Down"


class Outcome(models.TextChoices):
    OK = "ok", "OK"
    SLOW = "slow", "Slow"
    NOT_FOUND = "not_found", "Not found (404)"
    HTTP_ERROR = "http_error", "HTTP error"
    TIMEOUT = "timeout", "Timed out"
    CONNECT_ERROR = "connect_error", "Connection failed"
    TLS_ERROR = "tls_error", "TLS error"
    TOO_MANY_REDIRECTS = "redirects", "Too many redirects"


OK_OUTCOMES = frozenset({Outcome.OK, Outcome.SLOW})


def health_transition(*, state: str, failures: int, outcome: str, threshold: int) -> tuple[str, int]:
    """The next (state, consecutive failures) after one check.

    A success (fast or slow) resets the counter: UP, or DEGRADED when slow. A failure counts;
    below `threshold` consecutive failures the domain is only DEGRADED (one blip alerts nobody),
    at `threshold` it is DOWN, and it stays DOWN until a check succeeds (recovery)."""
    if outcome in OK_OUTCOMES:
        return (HealthState.DEGRADED if outcome == Outcome.SLOW else HealthState.UP), 0
    failures += 1
    if failures >= threshold or state == HealthState.DOWN:
        return HealthState.DOWN, failures
    return HealthState.DEGRADED, failures
