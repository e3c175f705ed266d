"""The audit log in the admin: who sees it, search, filters, read-only, CSV export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from apps.accounts.models import Tier
from apps.audit.models import AuditEvent
from apps.audit.services import audit_record

LOG = "/admin/audit/auditevent/"
EXPORT = f"{LOG}export-csv/"
HEADER = [
    "id",
    "at",
    "actor_email",
    "action",
    "target_type",
    "target_id",
    "target",
    "tenant",
    "reason",
    "ip",
    "before",
    "after",
]


@pytest.fixture
def events(platform, user_factory, event_at):
    """Three events by two people, on two days, about two tenants."""
    alice = user_factory(email="alice@ops.test", tier=Tier.PLATFORM_ADMIN)
    bob = user_factory(email="bob@ops.test", tier=Tier.SUPPORT)
    return {
        "suspend": event_at(
            datetime(2026, 11, 20, 9, 0, tzinfo=UTC),
            action="tenant.suspend",
            actor=alice,
            target_type="tenancy.tenant",
            target_id="11",
            target_repr="Acme Widgets",
            tenant_slug="acme",
            reason="invoice overdue",
            before={"status": "active"},
            after={"status": "suspended"},
        ),
        "impersonate": event_at(
            datetime(2026, 11, 21, 23, 59, tzinfo=UTC),
            action="support.impersonate",
            actor=bob,
            target_type="accounts.user",
            target_id="42",
            target_repr="carol@globex.test",
            tenant_slug="globex",
            reason="ticket 5521",
        ),
        "rotate": event_at(
            datetime(2026, 11, 22, 0, 0, tzinfo=UTC),
            action="vault.rotate",
            target_type="vault.keyring",
            target_id="k2",
            target_repr="all encrypted values → key k2",
            after={"rotated": 3},
        ),
    }


def _listed(response) -> set[int]:
    assert response.status_code == 200
    return {event.pk for event in response.context["cl"].result_list}


def _ids(events, *names) -> set[int]:
    return {events[name].pk for name in names}


def _csv(response) -> list[list[str]]:
    assert response.streaming
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


# --------------------------------------------------------------------------- who sees it


@pytest.mark.parametrize("tier", [Tier.SUPPORT, Tier.PLATFORM_ADMIN, Tier.SUPER_ADMIN])
def test_audit_log__support_tiers_2_to_4__listed(staff_client, events, tier):
    client, _ = staff_client(tier)

    response = client.get(LOG)

    assert _listed(response) == _ids(events, "suspend", "impersonate", "rotate")
    assert "invoice overdue" in response.content.decode()


@pytest.mark.parametrize("tier", [Tier.NONE, Tier.PARTNER])
@pytest.mark.parametrize("path", [LOG, EXPORT, "{LOG}{pk}/change/"])
def test_audit_log__tenant_user_or_partner__refused(staff_client, events, tier, path):
    client, _ = staff_client(tier)

    response = client.get(path.format(LOG=LOG, pk=events["suspend"].pk), follow=True)

    assert response.status_code == 403
    assert b"invoice overdue" not in response.content


def test_audit_log__staff_without_verified_session__not_shown(staff_client, events):
    client, _ = staff_client(Tier.SUPER_ADMIN, verified=False)

    response = client.get(LOG)

    assert response.status_code == 302
    assert b"invoice overdue" not in response.content


# --------------------------------------------------------------------------- search and filters


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("alice@ops", ["suspend"]),  # actor email
        ("impersonate", ["impersonate"]),  # action
        ("carol@globex", ["impersonate"]),  # target
        ("vault.keyring", ["rotate"]),  # target type
        ("overdue", ["suspend"]),  # reason
        ("nothing-like-this", []),
    ],
)
def test_audit_log_search__by_actor_action_target_or_reason__only_matches(staff_client, events, query, expected):
    client, _ = staff_client(Tier.SUPPORT)

    assert _listed(client.get(LOG, {"q": query})) == _ids(events, *expected)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"action__exact": "tenant.suspend"}, ["suspend"]),
        ({"tenant": "globex"}, ["impersonate"]),
        ({"tenant": "-"}, ["rotate"]),
        ({"at_from": "2026-11-21"}, ["impersonate", "rotate"]),
        ({"at_to": "2026-11-21"}, ["suspend", "impersonate"]),  # the whole last day, up to 23:59
        ({"at_from": "2026-11-21", "at_to": "2026-11-21"}, ["impersonate"]),
        ({"at_from": "2026-11-22", "action__exact": "tenant.suspend"}, []),
    ],
)
def test_audit_log_filters__action_tenant_or_dates__only_matches(staff_client, events, params, expected):
    client, _ = staff_client(Tier.SUPPORT)

    assert _listed(client.get(LOG, params)) == _ids(events, *expected)


def test_audit_log_tenant_filter__offers_every_tenant(staff_client, events, acme, globex):
    client, _ = staff_client(Tier.SUPPORT)

    html = client.get(LOG).content.decode()

    assert "Acme (acme)" in html
    assert "Globex (globex)" in html
    assert "Platform (no tenant)" in html


# --------------------------------------------------------------------------- read-only


def test_audit_log__super_admin__cannot_add_change_or_delete(staff_client, events):
    client, _ = staff_client(Tier.SUPER_ADMIN)
    event = events["suspend"]
    change = f"{LOG}{event.pk}/change/"

    detail = client.get(change)

    assert detail.status_code == 200
    assert "invoice overdue" in detail.content.decode()
    assert 'name="_save"' not in detail.content.decode()
    assert client.get(f"{LOG}add/").status_code == 403
    assert client.post(change, {"reason": "covered up"}).status_code == 403
    assert client.post(f"{LOG}{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert "delete_selected" not in client.get(LOG).content.decode()
    assert AuditEvent.objects.get(pk=event.pk).reason == "invoice overdue"


# --------------------------------------------------------------------------- CSV export


def test_audit_log_export_button__carries_the_current_search_and_filters(staff_client, events):
    client, _ = staff_client(Tier.SUPPORT)

    html = client.get(LOG, {"q": "ops.test", "tenant": "acme", "p": "1"}).content.decode()

    assert f'href="{EXPORT}?q=ops.test&amp;tenant=acme"' in html


def test_audit_log_export__filtered_list__streams_matching_rows_with_headers(staff_client, events):
    client, user = staff_client(Tier.SUPPORT)

    response = client.get(EXPORT, {"q": "ops.test", "at_to": "2026-11-20"})

    rows = _csv(response)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-log-')
    assert rows[0] == HEADER
    assert rows[1:] == [
        [
            str(events["suspend"].pk),
            "2026-11-20T09:00:00+00:00",
            "alice@ops.test",
            "tenant.suspend",
            "tenancy.tenant",
            "11",
            "Acme Widgets",
            "acme",
            "invoice overdue",
            "",
            '{"status": "active"}',
            '{"status": "suspended"}',
        ]
    ]
    export = AuditEvent.objects.get(action="audit.export")
    assert export.actor == user
    assert export.after == {"query": "q=ops.test&at_to=2026-11-20"}


def test_audit_log_export__unfiltered__every_event_newest_first(staff_client, events):
    client, _ = staff_client(Tier.SUPPORT)

    rows = _csv(client.get(EXPORT))

    actions = [row[3] for row in rows[1:]]
    assert actions == ["audit.export", "vault.rotate", "support.impersonate", "tenant.suspend"]


def test_audit_log_export_action__selected_rows__only_those_exported(staff_client, events):
    client, _ = staff_client(Tier.SUPPORT)
    selected = [events["suspend"].pk, events["rotate"].pk]

    response = client.post(LOG, {"action": "export_selected_csv", "_selected_action": selected, "index": "0"})

    rows = _csv(response)
    assert rows[0] == HEADER
    assert sorted(int(row[0]) for row in rows[1:]) == sorted(selected)


def test_audit_log_export__formula_like_text__defused_for_spreadsheets(staff_client, platform):
    audit_record(action="tenant.suspend", target_repr='=HYPERLINK("http://evil")', reason="@SUM(A1)")
    client, _ = staff_client(Tier.SUPPORT)

    row = _csv(client.get(EXPORT, {"action__exact": "tenant.suspend"}))[1]

    assert row[6] == '\'=HYPERLINK("http://evil")'
    assert row[8] == "'@SUM(A1)"


def test_audit_log_export__2500_events__all_streamed(staff_client, platform):
    AuditEvent.objects.bulk_create(AuditEvent(action="bulk.test", target_id=str(i)) for i in range(2500))
    client, _ = staff_client(Tier.SUPPORT)

    response = client.get(EXPORT, {"action__exact": "bulk.test"})

    rows = _csv(response)
    assert len(rows) == 2501
    assert {row[5] for row in rows[1:]} == {str(i) for i in range(2500)}
