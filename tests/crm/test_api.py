"""The CRM and catalogue API under /api/v1/tenants/<slug>/: isolation, gating, input, conflicts."""

from __future__ import annotations

import io

import pytest
from django_tenants.utils import tenant_context

from apps.accounts.models import Tier
from apps.catalog.services import product_create
from apps.crm import services
from apps.crm.models import Contact, Deal, PipelineStage

# (method, path under /api/v1/tenants/<slug>/, body) — "{id}" is an object of the route's kind.
COLLECTION_ROUTES = [
    ("get", "contacts/", None),
    ("post", "contacts/", {"name": "New"}),
    ("post", "contacts/bulk/", {"action": "add_tags", "filter": {}, "tags": ["x"]}),
    ("post", "contacts/bulk/undo/", {"token": "contacts." + "0" * 32}),
    ("get", "contacts/bulk/jobs/" + "0" * 32 + "/", None),
    ("get", "contacts/export/", None),
    ("post", "contacts/merge/", {"primary": 1, "other": 2}),
    ("get", "companies/", None),
    ("post", "companies/", {"name": "Co"}),
    ("post", "companies/bulk/", {"action": "set_industry", "filter": {}, "industry": "x"}),
    ("get", "stages/", None),
    ("get", "deals/", None),
    ("post", "deals/", {"title": "D"}),
    ("post", "deals/bulk/", {"action": "add_tags", "filter": {}, "tags": ["x"]}),
    ("get", "tasks/", None),
    ("post", "tasks/", {"title": "T"}),
    ("post", "tasks/bulk/", {"action": "set_status", "filter": {}, "status": "done"}),
    ("get", "products/", None),
    ("post", "products/", {"name": "P", "sku": "P-1", "price": "1.00"}),
    ("post", "products/bulk/", {"action": "set_visibility", "filter": {}, "visibility": "hidden"}),
    ("post", "products/price-preview/", {"filter": {}, "mode": "percent", "direction": "up", "value": "5"}),
    ("get", "products/export/", None),
]
OBJECT_ROUTES = [
    ("contact", "get", "contacts/{id}/", None),
    ("contact", "patch", "contacts/{id}/", {"name": "Renamed"}),
    ("contact", "delete", "contacts/{id}/", None),
    ("contact", "get", "contacts/{id}/activities/", None),
    ("contact", "post", "contacts/{id}/activities/", {"body": "Hello"}),
    ("contact", "post", "contacts/bulk/", {"action": "delete", "ids": ["{id}"]}),
    ("contact", "post", "contacts/merge/", {"primary": "{id}", "other": "{id2}"}),
    ("company", "get", "companies/{id}/", None),
    ("company", "patch", "companies/{id}/", {"name": "Renamed"}),
    ("company", "delete", "companies/{id}/", None),
    ("company", "post", "companies/bulk/", {"action": "add_tags", "ids": ["{id}"], "tags": ["x"]}),
    ("deal", "get", "deals/{id}/", None),
    ("deal", "patch", "deals/{id}/", {"title": "Renamed", "version": 1}),
    ("deal", "delete", "deals/{id}/", None),
    ("deal", "post", "deals/{id}/move/", {"stage": 1, "position": 0, "version": 1}),
    ("deal", "post", "deals/{id}/convert/", {"version": 1}),
    ("deal", "get", "deals/{id}/activities/", None),
    ("deal", "post", "deals/{id}/activities/", {"body": "Hello"}),
    ("deal", "post", "deals/bulk/", {"action": "remove_tags", "ids": ["{id}"], "tags": ["x"]}),
    ("task", "get", "tasks/{id}/", None),
    ("task", "patch", "tasks/{id}/", {"title": "Renamed", "version": 1}),
    ("task", "delete", "tasks/{id}/", None),
    ("task", "post", "tasks/bulk/", {"action": "delete", "ids": ["{id}"]}),
    ("product", "get", "products/{id}/", None),
    ("product", "patch", "products/{id}/", {"name": "Renamed"}),
    ("product", "delete", "products/{id}/", None),
    (
        "product",
        "post",
        "products/bulk/",
        {"action": "adjust_price", "ids": ["{id}"], "mode": "amount", "direction": "up", "value": "1"},
    ),
    (
        "product",
        "post",
        "products/price-preview/",
        {"ids": ["{id}"], "mode": "percent", "direction": "up", "value": "5"},
    ),
]


def _make(kind: str, n: int) -> list[int]:
    ids = []
    for i in range(n):
        if kind == "contact":
            ids.append(services.contact_create(name=f"C{i}").pk)
        elif kind == "company":
            ids.append(services.company_create(name=f"Co{i}").pk)
        elif kind == "deal":
            ids.append(services.deal_create(title=f"D{i}", kind="lead").pk)
        elif kind == "task":
            ids.append(services.task_create(title=f"T{i}").pk)
        else:
            ids.append(product_create(name=f"P{i}", sku=f"SKU-{i}", price="10.00").pk)
    return ids


def _fill(value, ids: dict):
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if value == "{id}":
        return ids["id"]
    if value == "{id2}":
        return ids["id2"]
    return value


def _call(client, method: str, slug: str, path: str, body, ids=None):
    url = f"/api/v1/tenants/{slug}/" + path.format(**(ids or {}))
    if body is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, _fill(body, ids or {}), format="json")


@pytest.fixture
def globex_only_ids(acme, globex):
    """For each kind, an id that exists in globex but not in acme (globex has more rows)."""
    out = {}
    for kind in ("contact", "company", "deal", "task", "product"):
        with tenant_context(acme):
            _make(kind, 1)
        with tenant_context(globex):
            made = _make(kind, 4)
        out[kind] = {"id": made[-1], "id2": made[-2]}
    return out


# --------------------------------------------------------------------------- isolation


@pytest.mark.parametrize(("kind", "method", "path", "body"), OBJECT_ROUTES)
def test_object_route__another_tenants_id__404_and_their_row_untouched(
    as_key, partner, globex_only_ids, globex, kind, method, path, body
):
    ids = globex_only_ids[kind]

    response = _call(as_key(partner), method, "acme", path, body, ids)

    assert response.status_code == 404, response.content
    assert response.json()["error"] == "not_found"
    with tenant_context(globex):
        if kind == "contact":
            assert Contact.objects.get(pk=ids["id"]).name == "C3"
            assert Contact.objects.get(pk=ids["id"]).deleted_at is None


@pytest.mark.parametrize(("method", "path", "body"), COLLECTION_ROUTES + [r[1:] for r in OBJECT_ROUTES])
def test_route__partner_not_managing_the_tenant__404(as_key, other_partner, acme, method, path, body):
    with tenant_context(acme):
        ids = {"id": _make("contact", 1)[0], "id2": _make("contact", 1)[0]}

    response = _call(as_key(other_partner), method, "acme", path, body, ids)

    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


@pytest.mark.parametrize(("method", "path", "body"), COLLECTION_ROUTES[:4])
def test_route__anonymous__401(api, acme, method, path, body):
    assert _call(api, method, "acme", path, body).status_code == 401


def test_route__tenant_without_the_feature__404(as_key, partner, acme):
    from apps.entitlements.models import Feature
    from apps.entitlements.services import override_set

    override_set(feature=Feature.objects.get(key="catalog"), tenant=acme, enabled=False)

    client = as_key(partner)
    assert client.get("/api/v1/tenants/acme/products/").status_code == 404
    assert client.get("/api/v1/tenants/acme/contacts/").status_code == 200


def test_route__support_agent__reads_but_cannot_write(as_key, user_factory, acme):
    agent = user_factory("agent@example.test", tier=Tier.SUPPORT)
    client = as_key(agent)

    assert client.get("/api/v1/tenants/acme/contacts/").status_code == 200
    response = client.post("/api/v1/tenants/acme/contacts/", {"name": "X"}, format="json")
    assert response.status_code == 403
    assert "read-only" in response.json()["message"]


def test_route__archived_tenant__reads_but_writes_423(as_key, partner, acme):
    from apps.tenancy.services import tenant_set_status

    tenant_set_status(tenant=acme, status="archived")
    client = as_key(partner)

    assert client.get("/api/v1/tenants/acme/contacts/").status_code == 200
    assert client.post("/api/v1/tenants/acme/contacts/", {"name": "X"}, format="json").status_code == 423


# --------------------------------------------------------------------------- contacts


def test_contacts_api__create_list_filter_patch_delete_undo(as_key, partner, acme):
    client = as_key(partner)
    base = "/api/v1/tenants/acme/contacts/"

    created = client.post(base, {"name": "Jane Doe", "email": "jane@x.test", "tags": ["VIP"]}, format="json")
    client.post(base, {"name": "Joe", "industry": "Retail"}, format="json")
    assert created.status_code == 201
    jane = created.json()
    assert jane["tags"] == ["vip"]
    assert jane["owner"] is None

    listing = client.get(base + "?q=jan&tag=vip&limit=10").json()
    assert (listing["count"], [c["name"] for c in listing["results"]]) == (1, ["Jane Doe"])
    assert client.get(base + "?industry=retail").json()["count"] == 1

    patched = client.patch(f"{base}{jane['id']}/", {"phone": "555", "owner": partner.email}, format="json")
    assert patched.status_code == 200
    assert (patched.json()["phone"], patched.json()["owner"]) == ("555", partner.pk)

    deleted = client.delete(f"{base}{jane['id']}/").json()
    assert client.get(f"{base}{jane['id']}/").status_code == 404
    undo = client.post(base + "bulk/undo/", {"token": deleted["undo_token"]}, format="json")
    assert undo.status_code == 200
    assert undo.json()["count"] == 1
    assert client.get(f"{base}{jane['id']}/").status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("post", "contacts/", {"email": "x@y.test"}, "name"),
        ("post", "contacts/", {"name": "X", "email": "nope"}, "email"),
        ("post", "contacts/", {"name": "X", "colour": "red"}, "colour"),
        ("post", "contacts/", {"name": "X", "tags": "vip"}, "tags"),
        ("post", "contacts/", {"name": "X", "company": 999}, "company"),
        ("get", "contacts/?sort=password", None, "sort"),
        ("get", "contacts/?owner=someone", None, "owner"),
        ("get", "contacts/?limit=abc", None, None),
        ("post", "contacts/bulk/", {"action": "add_tags", "filter": {}}, "tags"),
        ("post", "contacts/bulk/", {"action": "fly", "filter": {}}, "action"),
        ("post", "contacts/bulk/", {"action": "delete"}, "non_field_errors"),
        ("post", "contacts/bulk/", {"action": "delete", "filter": {"colour": "red"}}, "colour"),
        ("post", "contacts/bulk/", {"action": "delete", "ids": ["x"]}, "ids"),
        ("post", "contacts/bulk/undo/", {"token": "nope"}, "token"),
        ("post", "contacts/bulk/undo/", {"token": "products." + "0" * 32}, "token"),
        ("post", "contacts/merge/", {"primary": 1}, "other"),
        ("post", "companies/", {"name": ""}, "name"),
        ("post", "deals/", {"title": "D", "value": "-5"}, "value"),
        ("post", "deals/", {"title": "D", "stage": 999}, "stage"),
        ("post", "deals/", {"title": "D", "currency": "euro"}, "currency"),
        ("get", "deals/?kind=maybe", None, "kind"),
        ("post", "tasks/", {"title": "T", "status": "later"}, "status"),
        ("post", "tasks/", {"title": "T", "due_date": "soon"}, "due_date"),
        ("post", "tasks/", {"title": "T", "assignee": "nobody@x.test"}, "assignee"),
        ("get", "tasks/?due=yesterday", None, "due"),
        ("post", "products/", {"name": "P", "sku": "bad sku!", "price": "1"}, "sku"),
        ("post", "products/", {"name": "P", "sku": "S", "price": "-1"}, "price"),
        (
            "post",
            "products/bulk/",
            {"action": "adjust_price", "filter": {}, "mode": "percent", "direction": "down", "value": "150"},
            "value",
        ),
        ("post", "products/bulk/", {"action": "set_visibility", "filter": {}, "visibility": "secret"}, "visibility"),
        ("post", "products/price-preview/", {"filter": {}, "mode": "double", "direction": "up", "value": "1"}, "mode"),
    ],
)
def test_route__bad_input__400_json_with_field_errors(as_key, partner, acme, method, path, body, field):
    response = _call(as_key(partner), method, "acme", path, body)

    assert response.status_code == 400, response.content
    data = response.json()
    assert data["error"] == "invalid"
    if field:
        assert field in data["fields"], data


def test_contacts_bulk__ids__result_with_counts(as_key, partner, acme):
    with tenant_context(acme):
        ids = _make("contact", 3)
    client = as_key(partner)

    response = client.post(
        "/api/v1/tenants/acme/contacts/bulk/",
        {"action": "set_industry", "ids": ids[:2], "industry": "Retail"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json() | {"undo_token": None} == {
        "kind": "contacts",
        "action": "set_industry",
        "count": 2,
        "changed": 2,
        "state": "done",
        "undo_token": None,
        "job_id": None,
        "progress_url": None,
    }
    assert client.get("/api/v1/tenants/acme/contacts/?industry=retail").json()["count"] == 2


def test_contacts_merge_api__merged_and_counts(as_key, partner, acme):
    with tenant_context(acme):
        a, b = _make("contact", 2)
        services.deal_create(title="D", contact=b)

    response = as_key(partner).post("/api/v1/tenants/acme/contacts/merge/", {"primary": a, "other": b}, format="json")

    assert response.status_code == 200
    assert (response.json()["contact"]["id"], response.json()["moved_deals"]) == (a, 1)


def test_contacts_import_api__invalid_row__400_with_row_numbers_then_valid_rows(as_key, partner, acme):
    client = as_key(partner)
    url = "/api/v1/tenants/acme/contacts/import/"
    data = b"name,email\nGood,good@x.test\nBad,bad\n"

    blocked = client.post(url, {"file": io.BytesIO(data)}, format="multipart")
    partial = client.post(url, {"file": io.BytesIO(data), "import_valid_rows": "true"}, format="multipart")

    assert blocked.status_code == 400
    assert blocked.json()["fields"]["rows"] == ["row 3: email: Enter a valid email address."]
    assert partial.status_code == 201
    assert (partial.json()["imported"], partial.json()["invalid_rows"]) == (1, 1)


def test_contacts_export_api__streams_csv_of_the_filtered_rows(as_key, partner, acme):
    with tenant_context(acme):
        services.contact_create(name="Jane", tags=["vip"])
        services.contact_create(name="Joe")

    response = as_key(partner).get("/api/v1/tenants/acme/contacts/export/?tag=vip")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.streaming
    lines = b"".join(response.streaming_content).decode().lstrip("\ufeff").splitlines()
    assert lines[0].startswith("id,name,email")
    assert len(lines) == 2
    assert ",Jane," in lines[1]


def test_contacts_export_api__bad_filter__400_before_streaming(as_key, partner, acme):
    assert as_key(partner).get("/api/v1/tenants/acme/contacts/export/?colour=red").status_code == 400


# --------------------------------------------------------------------------- deals and tasks


def test_deals_api__patch_with_stale_version__409_and_first_edit_kept(as_key, partner, acme):
    client = as_key(partner)
    deal = client.post("/api/v1/tenants/acme/deals/", {"title": "D", "value": "100.00"}, format="json").json()
    url = f"/api/v1/tenants/acme/deals/{deal['id']}/"

    first = client.patch(url, {"title": "First", "version": deal["version"]}, format="json")
    second = client.patch(url, {"title": "Second", "version": deal["version"]}, format="json")

    assert first.status_code == 200
    assert first.json()["version"] == 2
    assert second.status_code == 409
    assert second.json()["error"] == "conflict"
    assert "changed by someone else" in second.json()["message"]
    assert client.get(url).json()["title"] == "First"


def test_deals_api__patch_without_version__400(as_key, partner, acme):
    client = as_key(partner)
    deal = client.post("/api/v1/tenants/acme/deals/", {"title": "D"}, format="json").json()

    response = client.patch(f"/api/v1/tenants/acme/deals/{deal['id']}/", {"title": "X"}, format="json")

    assert response.status_code == 400
    assert "version" in response.json()["fields"]


def test_deals_api__move_to_won__persisted_position_and_conversion(as_key, partner, acme):
    client = as_key(partner)
    with tenant_context(acme):
        won = PipelineStage.objects.get(name="Won")
        services.deal_create(title="Already won", stage=won)
    deal = client.post("/api/v1/tenants/acme/deals/", {"title": "D", "value": "250.00"}, format="json").json()

    response = client.post(
        f"/api/v1/tenants/acme/deals/{deal['id']}/move/",
        {"stage": won.pk, "position": 0, "version": deal["version"]},
        format="json",
    )
    stale = client.post(
        f"/api/v1/tenants/acme/deals/{deal['id']}/move/",
        {"stage": won.pk, "position": 1, "version": deal["version"]},
        format="json",
    )

    assert response.status_code == 200
    assert (response.json()["stage_name"], response.json()["position"]) == ("Won", 0)
    assert stale.status_code == 409
    listing = client.get(f"/api/v1/tenants/acme/deals/?stage={won.pk}").json()["results"]
    assert [d["title"] for d in listing] == ["D", "Already won"]
    with tenant_context(acme):
        assert Deal.objects.get(pk=deal["id"]).conversions.get().value == 250


def test_tasks_api__patch_stale__409(as_key, partner, acme):
    client = as_key(partner)
    task = client.post("/api/v1/tenants/acme/tasks/", {"title": "T"}, format="json").json()
    url = f"/api/v1/tenants/acme/tasks/{task['id']}/"
    client.patch(url, {"status": "done", "version": 1}, format="json")

    response = client.patch(url, {"title": "Late edit", "version": 1}, format="json")

    assert response.status_code == 409
    assert client.get(url).json()["status"] == "done"


def test_stages_api__default_pipeline(as_key, partner, acme):
    names = [s["name"] for s in as_key(partner).get("/api/v1/tenants/acme/stages/").json()]

    assert names == ["New", "Qualified", "Proposal", "Negotiation", "Won", "Lost"]


def test_activities_api__note_then_timeline(as_key, partner, acme):
    client = as_key(partner)
    contact = client.post("/api/v1/tenants/acme/contacts/", {"name": "Jane"}, format="json").json()
    url = f"/api/v1/tenants/acme/contacts/{contact['id']}/activities/"

    created = client.post(url, {"body": "Called her", "kind": "call"}, format="json")

    assert created.status_code == 201
    assert [(a["kind"], a["body"], a["actor"]) for a in client.get(url).json()] == [("call", "Called her", partner.pk)]
