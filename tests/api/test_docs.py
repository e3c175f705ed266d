"""OpenAPI schema and interactive docs: served, complete, and without any CDN."""

from __future__ import annotations

import re

import pytest
import yaml

EXTERNAL = re.compile(r"""(?:src|href)=["']?(?:https?:)?//""")


def test_schema__anonymous__openapi3_with_every_endpoint(api):
    response = api.get("/api/schema/")

    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    assert {
        "/api/v1/me/",
        "/api/v1/tenants/",
        "/api/v1/tenants/{slug}/",
        "/api/v1/tenants/{slug}/members/",
        "/api/v1/api-keys/",
        "/api/v1/api-keys/{prefix}/",
    } <= set(schema["paths"])
    assert schema["components"]["securitySchemes"]["ApiKey"]["scheme"] == "bearer"


@pytest.mark.parametrize(
    ("url", "asset"), [("/api/docs/", "swagger-ui-bundle.js"), ("/api/redoc/", "redoc.standalone.js")]
)
def test_docs__page__loads_local_sidecar_assets_only(api, url, asset):
    response = api.get(url)

    assert response.status_code == 200
    html = response.content.decode()
    assert EXTERNAL.search(html) is None, "the docs page must not load anything from another host"
    match = re.search(rf"""/static/drf_spectacular_sidecar/[^"']*{re.escape(asset)}""", html)
    assert match is not None
    static = api.get(match.group(0))
    assert static.status_code == 200
