"""Self-service API keys: list (no secrets), create (shown once), revoke."""

from __future__ import annotations

from apps.accounts.models import ApiKey
from apps.accounts.services import api_key_create


def test_api_key_create__verified_session__key_shown_once_and_works(api, partner, login_verified):
    login_verified(api, partner)

    response = api.post("/api/v1/api-keys/", {"name": "ci"}, format="json")

    assert response.status_code == 201
    raw = response.json()["key"]
    assert raw.startswith("bz_")
    assert response["Cache-Control"] == "no-store"
    # The key is not shown again in the list
    listed = api.get("/api/v1/api-keys/").json()
    assert [k["name"] for k in listed] == ["ci"]
    assert "key" not in listed[0]
    assert "digest" not in listed[0]
    assert raw not in api.get("/api/v1/api-keys/").content.decode()
    # and it authenticates
    api.logout()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/v1/me/").json()["email"] == "partner@example.test"


def test_api_key_create__with_an_api_key__403_no_new_key(api, partner, key_for):
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key_for(partner)}")

    response = api.post("/api/v1/api-keys/", {"name": "minted"}, format="json")

    assert response.status_code == 403
    assert not ApiKey.objects.filter(name="minted").exists()


def test_api_key_create__bad_input__400(api, partner, login_verified):
    login_verified(api, partner)

    too_long = api.post("/api/v1/api-keys/", {"name": "k" * 81}, format="json")
    unknown = api.post("/api/v1/api-keys/", {"name": "ci", "user": 1}, format="json")
    malformed = api.post("/api/v1/api-keys/", "{", content_type="application/json")

    assert too_long.status_code == 400
    assert "name" in too_long.json()["fields"]
    assert unknown.status_code == 400
    assert malformed.status_code == 400
    assert not ApiKey.objects.exists()


def test_api_key_list__only_own_keys(api, partner, user_factory, key_for):
    other = user_factory("other@example.test", tier=1)
    api_key_create(user=other, name="theirs")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key_for(partner, name='mine')}")

    response = api.get("/api/v1/api-keys/")

    assert [k["name"] for k in response.json()] == ["mine"]


def test_api_key_revoke__own_key__204_then_401(api, partner, key_for):
    raw = key_for(partner)
    prefix = raw.split("_")[1]
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    response = api.delete(f"/api/v1/api-keys/{prefix}/")

    assert response.status_code == 204
    assert ApiKey.objects.get(prefix=prefix).revoked_at is not None
    assert api.get("/api/v1/me/").status_code == 401


def test_api_key_revoke__someone_elses_key__404_and_key_still_works(api, partner, user_factory, key_for):
    other = user_factory("other@example.test", tier=1)
    their_key, their_raw = api_key_create(user=other)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key_for(partner)}")

    response = api.delete(f"/api/v1/api-keys/{their_key.prefix}/")

    assert response.status_code == 404
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {their_raw}")
    assert api.get("/api/v1/me/").status_code == 200
