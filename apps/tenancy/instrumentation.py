"""Counting `SET search_path` statements (django-tenants runs them on the raw cursor, so
Django's query capture does not see them). Used by tests and benchmarks."""

from __future__ import annotations

from contextlib import contextmanager


@contextmanager
def count_search_path_sets(connection):
    """Yields a list that receives the schemas of every `SET search_path` actually issued."""
    issued: list[list[str]] = []
    original = connection._handle_search_path

    def wrapper(cursor=None):
        before = connection.search_path_set_schemas
        original(cursor)
        after = connection.search_path_set_schemas
        if after is not None and before is None:
            issued.append(list(after))

    connection._handle_search_path = wrapper
    try:
        yield issued
    finally:
        del connection._handle_search_path
