"""Edge gating: the middleware's request.entitlements, gated pages and API routes (404), the
template tags, the dashboard navigation, and the Celery task guard."""

from __future__ import annotations

import dataclasses
import logging

import pytest
from celery import shared_task
from django.db import connection

from apps.accounts.models import Tier
from apps.accounts.services import api_key_create
from apps.dashboard import nav
from apps.entitlements import services
from apps.entitlements.decorators import feature_task_guard

pytestmark = pytest.mark.urls("tests.entitlements.urls_gated")

GATED_PAGES = ["/gated/kanban/", "/gated/kanban-class/"]
GATED_APIS = ["/gated/api/kanban/", "/gated/api/kanban-factory/"]


@pytest.fixture
def member(acme, user_factory):
    return user_factory("ann@acme.test", tenant=acme)


# --------------------------------------------------------------------------- middleware


def test_middleware__tenant_request__builds_context_once_from_user_tenant_partner_and_plan(
    feature, acme, member, tenant_client
):
    feature("crm.kanban", stage="ga")
    client = tenant_client(acme, member)

    response = client.get("/app/")

    ents = response.wsgi_request.entitlements
    assert ents.context.user_id == member.pk
    assert ents.context.tenant_id == acme.pk
    assert ents.context.partner_id == acme.partner_id
    assert ents.context.plan_id == acme.plan_id
    assert ents.context.alpha is False
    assert ents.is_on("crm.kanban") is True


def test_middleware__platform_host__no_tenant_in_context(platform, api_user_client):
    client, _ = api_user_client

    response = client.get("/api/v1/me/")

    assert response.wsgi_request.entitlements.context.tenant_id is None


@pytest.fixture
def api_user_client(platform, user_factory, login_verified):
    from django.test import Client

    user = user_factory("agent@bizosaas.test", tier=Tier.SUPPORT)
    client = Client(HTTP_HOST="localhost")
    login_verified(client, user)
    return client, user


# --------------------------------------------------------------------------- pages


@pytest.mark.parametrize("path", GATED_PAGES)
@pytest.mark.parametrize("stage", ["alpha", "beta", "retired"])
def test_gated_page__feature_off__404_without_naming_it(feature, acme, member, tenant_client, path, stage):
    feature("crm.kanban", stage=stage)

    response = tenant_client(acme, member).get(path)

    assert response.status_code == 404
    assert b"crm.kanban" not in response.content
    assert b"kanban board" not in response.content


@pytest.mark.parametrize("path", GATED_PAGES)
def test_gated_page__unknown_feature__404(platform, acme, member, tenant_client, path):
    assert tenant_client(acme, member).get(path).status_code == 404


@pytest.mark.parametrize("path", GATED_PAGES)
def test_gated_page__beta_granted_to_the_tenant__200(feature, acme, member, tenant_client, committed, path):
    f = feature("crm.kanban", stage="beta")
    committed(services.grant_add, feature=f, tenant=acme)

    response = tenant_client(acme, member).get(path)

    assert response.status_code == 200
    assert b"kanban board" in response.content


def test_gated_page__beta_granted_to_acme__404_on_globex(feature, acme, globex, user_factory, tenant_client, committed):
    f = feature("crm.kanban", stage="beta")
    committed(services.grant_add, feature=f, tenant=acme)
    bob = user_factory("bob@globex.test", tenant=globex)

    assert tenant_client(globex, bob).get("/gated/kanban/").status_code == 404


def test_gated_page__alpha_for_an_alpha_email__200(feature, acme, member, tenant_client, settings):
    settings.UEE_ALPHA_EMAILS = ["ANN@acme.test"]
    feature("crm.kanban", stage="alpha")

    assert tenant_client(acme, member).get("/gated/kanban/").status_code == 200


def test_gated_page__alpha_for_a_super_admin__200_until_killed(feature, acme, super_admin, tenant_client, committed):
    f = feature("crm.kanban", stage="alpha")
    client = tenant_client(acme, super_admin)
    assert client.get("/gated/kanban/").status_code == 200

    committed(services.feature_kill, feature=f, reason="incident")

    assert client.get("/gated/kanban/").status_code == 404


def test_gated_page__ga_with_an_off_override__404_for_that_tenant_only(
    feature, acme, globex, member, user_factory, tenant_client, committed
):
    f = feature("crm.kanban", stage="ga")
    committed(services.override_set, feature=f, tenant=acme, enabled=False, reason="opted out")
    bob = user_factory("bob@globex.test", tenant=globex)

    assert tenant_client(acme, member).get("/gated/kanban/").status_code == 404
    assert tenant_client(globex, bob).get("/gated/kanban/").status_code == 200


# --------------------------------------------------------------------------- API


@pytest.mark.parametrize("path", GATED_APIS)
def test_gated_api__feature_off__404_json_message(feature, acme, member, tenant_client, path):
    feature("crm.kanban", stage="beta")

    response = tenant_client(acme, member).get(path)

    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": f"No API endpoint at {path}.", "fields": {}}


@pytest.mark.parametrize("path", GATED_APIS)
def test_gated_api__feature_ga__200(feature, acme, member, tenant_client, path):
    feature("crm.kanban", stage="ga")

    response = tenant_client(acme, member).get(path)

    assert response.status_code == 200
    assert response.json() == {"board": "kanban"}


def test_gated_api__api_key_of_a_granted_partner__context_rebased_on_the_key_user(feature, acme, partner, committed):
    # The middleware sees no session user; DRF authenticates the key; the gate must use that user.
    from rest_framework.test import APIClient

    f = feature("crm.kanban", stage="beta")
    client = APIClient(HTTP_HOST="acme.localhost")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_create(user=partner, name='t')[1]}")
    assert client.get("/gated/api/kanban/").status_code == 404

    committed(services.grant_add, feature=f, user=partner)

    assert client.get("/gated/api/kanban/").status_code == 200


# --------------------------------------------------------------------------- template tags


@pytest.mark.parametrize(
    ("stage", "expected"),
    [("ga", "[tag:True][block:yes][unknown:]"), ("beta", "[tag:False][block:no][unknown:]")],
)
def test_template_tags__feature_state__rendered_branch(feature, acme, member, tenant_client, stage, expected):
    feature("crm.kanban", stage=stage)

    response = tenant_client(acme, member).get("/gated/tags/")

    assert response.content.decode() == expected


# --------------------------------------------------------------------------- navigation


@pytest.fixture
def crm_gated(monkeypatch):
    entries = tuple(dataclasses.replace(e, feature="crm.kanban") if e.key == "crm" else e for e in nav.NAV_ENTRIES)
    monkeypatch.setattr(nav, "NAV_ENTRIES", entries)


@pytest.mark.parametrize(("stage", "shown"), [("beta", False), ("ga", True)])
def test_dashboard_nav__gated_module__hidden_from_menu_and_overview_unless_on(
    crm_gated, feature, acme, member, tenant_client, stage, shown
):
    feature("crm.kanban", stage=stage)

    html = tenant_client(acme, member).get("/app/").content.decode()

    assert ('data-nav="crm"' in html) is shown
    assert ('data-widget="crm"' in html) is shown
    assert 'data-nav="inbox"' in html  # ungated modules stay


def test_nav_items__no_request_context__gated_entries_hidden(crm_gated, platform):
    keys = [item.key for item in nav.nav_items()]

    assert "crm" not in keys
    assert "inbox" in keys


# --------------------------------------------------------------------------- Celery guard


@shared_task(name="tests.entitlements.sync_board")
@feature_task_guard("crm.kanban")
def sync_board(board_id):
    return f"synced {board_id}"


def test_task_guard__feature_off_for_the_tenant__skipped_with_the_rule_logged(feature, acme, caplog):
    feature("crm.kanban", stage="beta")
    connection.set_tenant(acme)

    with caplog.at_level(logging.INFO, logger="apps.entitlements.decorators"):
        result = sync_board.apply(args=[7]).get()

    assert result == {
        "skipped": True,
        "feature": "crm.kanban",
        "tenant": "acme",
        "rule": "beta_not_granted",
        "reason": result["reason"],
    }
    assert "skipped for tenant acme: feature crm.kanban is OFF (beta_not_granted" in caplog.text


def test_task_guard__granted_tenant__runs(feature, acme, globex, committed):
    f = feature("crm.kanban", stage="beta")
    committed(services.grant_add, feature=f, tenant=acme)

    connection.set_tenant(acme)
    assert sync_board.apply(args=[7]).get() == "synced 7"
    connection.set_tenant(globex)
    assert sync_board.apply(args=[7]).get()["skipped"] is True
