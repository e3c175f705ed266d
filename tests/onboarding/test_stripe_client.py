"""The Stripe connector against the local fake: the documented request shape, idempotency,
errors, rate limits with retries, and webhook signature verification."""

from __future__ import annotations

import json
import socket
import time

import pytest

from apps.onboarding.stripe_client import (
    SignatureError,
    StripeAuthenticationError,
    StripeClient,
    StripeConnectionError,
    StripeError,
    StripeNotConfigured,
    StripeRateLimitError,
    encode_form,
    webhook_verify,
)
from tests.fakes.stripe import SECRET_KEY, WEBHOOK_SECRET, decode_form, stripe_error

PARAMS = {
    "mode": "subscription",
    "success_url": "http://localhost/signup/return/?session_id={CHECKOUT_SESSION_ID}",
    "customer_email": "joe@pizza.test",
    "metadata": {"onboarding_id": "abc"},
    "line_items": [
        {
            "quantity": 1,
            "price_data": {
                "currency": "usd",
                "unit_amount": 9900,
                "recurring": {"interval": "month"},
                "product_data": {"name": "BizOSaaS Pro"},
            },
        }
    ],
}


def client_for(fake, **kw) -> StripeClient:
    return StripeClient(api_key=kw.pop("api_key", SECRET_KEY), base_url=fake.url, backoff=0.01, **kw)


def test_encode_form__nested_params__stripe_bracket_notation():
    pairs = dict(encode_form({"a": {"b": [{"c": 1}, "x"]}, "flag": True, "skip": None}))
    assert pairs == {"a[b][0][c]": "1", "a[b][1]": "x", "flag": "true"}


def test_checkout_session_create__valid__posts_form_with_bearer_and_idempotency_key(fake_stripe):
    session = client_for(fake_stripe).checkout_session_create(params=PARAMS, idempotency_key="key-1")

    assert session["object"] == "checkout.session"
    assert session["id"].startswith("cs_test_")
    assert session["url"].startswith(fake_stripe.url)
    assert session["amount_total"] == 9900
    (request,) = fake_stripe.api_requests("POST")
    assert request.path == "/v1/checkout/sessions"
    assert request.headers["authorization"] == f"Bearer {SECRET_KEY}"
    assert request.headers["idempotency-key"] == "key-1"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert decode_form(request.body)["line_items"][0]["price_data"]["recurring"] == {"interval": "month"}


def test_checkout_session_create__same_idempotency_key_twice__one_session(fake_stripe):
    client = client_for(fake_stripe)
    first = client.checkout_session_create(params=PARAMS, idempotency_key="key-1")
    second = client.checkout_session_create(params=PARAMS, idempotency_key="key-1")

    assert first["id"] == second["id"]
    assert len(fake_stripe.sessions) == 1


def test_checkout_session_create__key_reused_with_other_params__idempotency_error(fake_stripe):
    client = client_for(fake_stripe)
    client.checkout_session_create(params=PARAMS, idempotency_key="key-1")

    with pytest.raises(StripeError) as caught:
        client.checkout_session_create(params={**PARAMS, "customer_email": "x@y.test"}, idempotency_key="key-1")
    assert caught.value.type == "idempotency_error"
    assert caught.value.status == 400


def test_checkout_session_create__missing_param__400_with_stripe_error_fields_not_retried(fake_stripe):
    params = {k: v for k, v in PARAMS.items() if k != "success_url"}

    with pytest.raises(StripeError) as caught:
        client_for(fake_stripe).checkout_session_create(params=params, idempotency_key="k")

    error = caught.value
    assert (error.status, error.type, error.code, error.param) == (
        400,
        "invalid_request_error",
        "parameter_missing",
        "success_url",
    )
    assert "Missing required param: success_url." in str(error)
    assert len(fake_stripe.api_requests()) == 1


def test_checkout_session_create__wrong_key__authentication_error_not_retried(fake_stripe):
    with pytest.raises(StripeAuthenticationError) as caught:
        client_for(fake_stripe, api_key="sk_test_wrong").checkout_session_create(params=PARAMS, idempotency_key="k")
    assert caught.value.status == 401
    assert "Invalid API Key" in caught.value.message
    assert len(fake_stripe.api_requests()) == 1


def test_checkout_session_create__rate_limited_then_free__retried_with_same_key(fake_stripe):
    fake_stripe.rate_limit_next(2)

    session = client_for(fake_stripe, max_retries=2).checkout_session_create(params=PARAMS, idempotency_key="k-9")

    attempts = fake_stripe.api_requests("POST")
    assert len(attempts) == 3
    assert {r.headers["idempotency-key"] for r in attempts} == {"k-9"}
    assert session["id"] in fake_stripe.sessions


def test_checkout_session_create__rate_limited_past_retries__rate_limit_error(fake_stripe):
    fake_stripe.rate_limit_next(5)

    with pytest.raises(StripeRateLimitError) as caught:
        client_for(fake_stripe, max_retries=1).checkout_session_create(params=PARAMS, idempotency_key="k")

    assert caught.value.status == 429
    assert caught.value.code == "rate_limit"
    assert len(fake_stripe.api_requests()) == 2
    assert fake_stripe.sessions == {}


def test_checkout_session_create__server_error_then_ok__retried(fake_stripe):
    fake_stripe.fail_next(stripe_error(500, "An unknown error occurred", type="api_error"))

    session = client_for(fake_stripe).checkout_session_create(params=PARAMS, idempotency_key="k")

    assert session["status"] == "open"
    assert len(fake_stripe.api_requests()) == 2


def test_checkout_session_create__nobody_listening__connection_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = StripeClient(api_key=SECRET_KEY, base_url=f"http://127.0.0.1:{port}", max_retries=1, backoff=0.01)

    with pytest.raises(StripeConnectionError):
        client.checkout_session_create(params=PARAMS, idempotency_key="k")


def test_checkout_session_create__no_secret_key__not_configured_and_no_request(fake_stripe):
    with pytest.raises(StripeNotConfigured):
        client_for(fake_stripe, api_key="").checkout_session_create(params=PARAMS, idempotency_key="k")
    assert fake_stripe.requests == []


def test_checkout_session_retrieve__known_and_unknown_ids(fake_stripe):
    client = client_for(fake_stripe)
    created = client.checkout_session_create(params=PARAMS, idempotency_key="k")
    fake_stripe.complete(created["id"])

    assert client.checkout_session_retrieve(created["id"])["payment_status"] == "paid"
    with pytest.raises(StripeError) as caught:
        client.checkout_session_retrieve("cs_test_missing")
    assert (caught.value.status, caught.value.code) == (404, "resource_missing")


# ---------------------------------------------------------------------- webhook signatures


def signed(fake, event=None, **kw):
    event = event or {"id": "evt_1", "type": "checkout.session.completed", "data": {"object": {}}}
    return fake.sign(event, **kw)


def test_webhook_verify__valid_signature__returns_event(fake_stripe):
    payload, header = signed(fake_stripe)

    assert webhook_verify(payload=payload, header=header, secret=WEBHOOK_SECRET)["id"] == "evt_1"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("payload", "No signature matches"),
        ("secret", "No signature matches"),
        ("old", "outside the tolerance"),
        ("header", "missing"),
        ("garbled", "no timestamp or no v1"),
    ],
)
def test_webhook_verify__tampered__signature_error(fake_stripe, change, reason):
    payload, header = signed(
        fake_stripe,
        secret="whsec_other" if change == "secret" else None,
        timestamp=int(time.time()) - 3600 if change == "old" else None,
    )
    if change == "payload":
        payload = payload.replace(b"evt_1", b"evt_2")
    if change == "header":
        header = ""
    if change == "garbled":
        header = "nonsense"

    with pytest.raises(SignatureError, match=reason):
        webhook_verify(payload=payload, header=header, secret=WEBHOOK_SECRET, tolerance=300)


def test_webhook_verify__several_v1_signatures__any_valid_one_accepted(fake_stripe):
    payload, header = signed(fake_stripe)
    _other_payload, other_header = signed(fake_stripe, secret="whsec_old_secret")
    t, v1 = header.split(",")
    mixed = f"{t},{other_header.split(',')[1]},{v1}"

    assert webhook_verify(payload=payload, header=mixed, secret=WEBHOOK_SECRET)["type"] == "checkout.session.completed"


def test_webhook_verify__valid_signature_over_non_event__refused(fake_stripe):
    payload, header = fake_stripe.sign(json.dumps([1, 2]).encode())

    with pytest.raises(SignatureError, match="not a Stripe event"):
        webhook_verify(payload=payload, header=header, secret=WEBHOOK_SECRET)
