"""The Alert Preferences page under the dashboard's settings."""

from __future__ import annotations

import pytest

from apps.alerts.models import AlertPreference, Delivery
from apps.alerts.services import alert_emit, deliveries_send
from tests.alerts.conftest import HTMX, TENANT_HOST

URL = "/app/settings/alerts/"


@pytest.fixture
def member(acme, user_factory):
    return user_factory(email="mia@acme.test", tenant=acme, role="member")


def _form(**overrides):
    data = {"email_enabled": "on", "frequency": "instant", "event_types": ["site_down", "site_healed"]}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_preferences_page__member__shows_channels_frequency_events_and_test_button(client, member):
    client.force_login(member)

    page = client.get(URL, **TENANT_HOST).content.decode()

    assert "Telegram chat id" in page
    assert "Discord webhook URL" in page
    assert "Hourly digest" in page
    assert "Automatic repair failed" in page
    assert 'data-testid="send-test-alert"' in page


def test_settings_page__links_to_alert_preferences(client, member):
    client.force_login(member)

    page = client.get("/app/settings/", **TENANT_HOST).content.decode()

    assert f'href="{URL}"' in page


def test_preferences_post__telegram_on_with_chat_id__saved_encrypted_and_never_shown_back(client, member):
    client.force_login(member)

    response = client.post(
        URL, _form(telegram_enabled="on", telegram_chat_id="987654321", frequency="hourly"), **TENANT_HOST
    )

    assert response.status_code == 302
    pref = AlertPreference.objects.get(user=member)
    assert pref.telegram_enabled
    assert pref.email_enabled
    assert pref.telegram_chat_id.reveal() == "987654321"
    assert pref.frequency == "hourly"
    assert pref.event_types == ["site_down", "site_healed"]
    page = client.get(URL, **TENANT_HOST).content.decode()
    assert "987654321" not in page
    assert 'data-testid="telegram-saved"' in page


def test_preferences_post__blank_chat_id__keeps_the_saved_one(client, member):
    client.force_login(member)
    client.post(URL, _form(telegram_enabled="on", telegram_chat_id="987654321"), **TENANT_HOST)

    client.post(URL, _form(telegram_enabled="on", telegram_chat_id=""), **TENANT_HOST)

    assert AlertPreference.objects.get(user=member).telegram_chat_id.reveal() == "987654321"


def test_preferences_post__telegram_on_without_chat_id__400_with_field_error(client, member):
    client.force_login(member)

    response = client.post(URL, _form(telegram_enabled="on"), **TENANT_HOST)

    assert response.status_code == 400
    assert "Enter your Telegram chat id" in response.content.decode()
    assert not AlertPreference.objects.filter(user=member).exists()


def test_preferences_post__webhook_on_another_host__refused(client, member, fake_discord):
    client.force_login(member)

    response = client.post(URL, _form(discord_enabled="on", discord_webhook_url="http://10.0.0.5/hook"), **TENANT_HOST)

    assert response.status_code == 400
    assert "Paste the webhook URL Discord gave you" in response.content.decode()


def test_preferences_post__valid_webhook_then_clear__removed(client, member, fake_discord):
    client.force_login(member)
    url = fake_discord.create_webhook()
    client.post(URL, _form(discord_enabled="on", discord_webhook_url=url), **TENANT_HOST)
    assert AlertPreference.objects.get(user=member).discord_webhook_url.reveal() == url

    client.post(URL, _form(clear_discord="on"), **TENANT_HOST)

    pref = AlertPreference.objects.get(user=member)
    assert pref.discord_webhook_url is None
    assert not pref.discord_enabled


def test_send_test_alert__htmx__queued_then_delivered_and_shown_sent(client, member, fake_telegram):
    client.force_login(member)
    client.post(URL, _form(email_enabled=None, telegram_enabled="on", telegram_chat_id="1001"), **TENANT_HOST)

    response = client.post(URL + "test/", **TENANT_HOST, **HTMX)

    body = response.content.decode()
    assert response.status_code == 200
    assert "Test alert queued to: telegram." in body
    assert 'hx-trigger="every 2s"' in body  # the list refreshes itself while the alert is on its way
    delivery = Delivery.objects.get(user=member)
    assert delivery.alert.event_type == "test"
    # When the worker sends it
    deliveries_send(ids=[delivery.pk])
    assert "Test alert" in fake_telegram.texts_for("1001")[0]
    refreshed = client.get(URL + "deliveries/", **TENANT_HOST, **HTMX).content.decode()
    assert f'data-delivery="{delivery.pk}" data-status="sent"' in refreshed
    assert 'hx-trigger="every 2s"' not in refreshed


def test_send_test_alert__no_channel_on__warning_shown_and_nothing_sent(client, member):
    client.force_login(member)
    client.post(URL, _form(email_enabled=None), **TENANT_HOST)

    response = client.post(URL + "test/", **TENANT_HOST, **HTMX)

    assert "Turn on at least one channel first." in response.content.decode()
    assert "alert--warning" in response.content.decode()
    assert not Delivery.objects.exists()


def test_deliveries__failed_one__error_visible_and_retry_button_requeues(client, member, prefs, fake_telegram):
    prefs(member, telegram="4242")
    fake_telegram.unknown_chats.add("4242")
    alert = alert_emit(event_type="site_down", title="Acme is down", users=[member])
    deliveries_send(ids=list(alert.deliveries.values_list("pk", flat=True)))
    delivery = alert.deliveries.get()
    client.force_login(member)

    page = client.get(URL, **TENANT_HOST).content.decode()
    assert f'data-delivery="{delivery.pk}" data-status="failed"' in page
    assert "Bad Request: chat not found" in page

    response = client.post(f"{URL}deliveries/{delivery.pk}/retry/", **TENANT_HOST, **HTMX)

    assert response.status_code == 200
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("retrying", 0)
    assert f'data-delivery="{delivery.pk}" data-status="retrying"' in response.content.decode()


def test_deliveries__another_users_delivery__404_untouched(client, member, user_factory, prefs):
    other = user_factory()
    alert = alert_emit(event_type="site_down", title="secret", users=[other])
    delivery = alert.deliveries.get()
    Delivery.objects.filter(pk=delivery.pk).update(status="failed")
    client.force_login(member)

    response = client.post(f"{URL}deliveries/{delivery.pk}/retry/", **TENANT_HOST)

    assert response.status_code == 404
    assert Delivery.objects.get(pk=delivery.pk).status == "failed"
    assert "secret" not in client.get(URL, **TENANT_HOST).content.decode()


def test_preferences_page__anonymous__redirected_to_sign_in(client, acme):
    response = client.get(URL, **TENANT_HOST)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_send_test_alert__twice_in_a_row__second_refused_one_alert_only(client, member):
    client.force_login(member)

    client.post(URL + "test/", **TENANT_HOST, **HTMX)
    response = client.post(URL + "test/", **TENANT_HOST, **HTMX)

    assert "A test alert was just sent" in response.content.decode()
    assert Delivery.objects.filter(user=member).count() == 1
