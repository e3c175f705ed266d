"""API keys (listed and revoked, digest never shown) and worker heartbeats (read-only)."""

from __future__ import annotations

from django.utils import timezone

from apps.accounts.services import api_key_authenticate, api_key_create
from apps.workers.models import WorkerHeartbeat

KEYS = "/admin/accounts/apikey/"


def test_api_key_pages__staff__show_prefix_never_digest(support_client, partner):
    key, raw = api_key_create(user=partner, name="zapier")

    listing = support_client.get(KEYS).content.decode()
    detail = support_client.get(f"{KEYS}{key.pk}/change/").content.decode()

    assert key.prefix in listing
    assert "zapier" in listing
    for html in (listing, detail):
        assert key.digest not in html
        assert raw not in html


def test_api_key_revoke_button__platform_admin_confirms__key_stops_working(partner, platform_admin_client):
    key, raw = api_key_create(user=partner)

    ask = platform_admin_client.get(f"{KEYS}{key.pk}/revoke/")
    assert ask.status_code == 200
    assert api_key_authenticate(raw) is not None

    done = platform_admin_client.post(f"{KEYS}{key.pk}/revoke/", {"confirm": "yes"})

    key.refresh_from_db()
    assert done.status_code == 302
    assert key.revoked_at is not None
    assert api_key_authenticate(raw) is None


def test_api_key_revoke_action__bulk_confirmed__all_selected_revoked(partner, platform_admin_client):
    first, _ = api_key_create(user=partner, name="one")
    second, _ = api_key_create(user=partner, name="two")
    kept, _ = api_key_create(user=partner, name="three")
    selection = {"action": "revoke_selected", "_selected_action": [first.pk, second.pk], "select_across": "0"}

    platform_admin_client.post(KEYS, {**selection, "index": "0"})
    first.refresh_from_db()
    assert first.revoked_at is None  # only asked, not yet done

    platform_admin_client.post(KEYS, {**selection, "confirm": "yes"})

    for key in (first, second, kept):
        key.refresh_from_db()
    assert first.revoked_at is not None
    assert second.revoked_at is not None
    assert kept.revoked_at is None


def test_api_key_revoke__support_agent__forbidden(partner, support_client):
    key, raw = api_key_create(user=partner)

    response = support_client.post(f"{KEYS}{key.pk}/revoke/", {"confirm": "yes"})

    assert response.status_code == 403
    assert api_key_authenticate(raw) is not None


def test_worker_heartbeats__staff__listed_read_only(support_client, super_admin_client):
    beat = WorkerHeartbeat.objects.create(hostname="celery@worker-1", last_seen=timezone.now(), beats=7, queues="ops")

    listing = support_client.get("/admin/workers/workerheartbeat/").content.decode()

    assert "celery@worker-1" in listing
    assert "Alive" in listing
    assert super_admin_client.get("/admin/workers/workerheartbeat/add/").status_code == 403
    assert (
        super_admin_client.post(f"/admin/workers/workerheartbeat/{beat.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    assert WorkerHeartbeat.objects.filter(pk=beat.pk).exists()
