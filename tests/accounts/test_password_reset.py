"""Password reset by email."""

from __future__ import annotations

import re

from django.conf import settings
from django.core import mail
from django.test import Client

LINK = re.compile(r"https?://[^/\s]+(/accounts/password/reset/[^\s]+/)")


def _reset_link(client, email) -> str:
    response = client.post("/accounts/password/reset/", {"email": email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    return LINK.search(mail.outbox[0].body).group(1)


def test_password_reset__known_email__mail_with_link_that_sets_new_password(web, sign_in, user_factory):
    user_factory("ada@example.test")

    link = _reset_link(web, "ada@example.test")
    form = web.get(link, follow=True)
    assert form.status_code == 200
    response = web.post(
        form.redirect_chain[-1][0], {"new_password1": "a-brand-new-secret-7", "new_password2": "a-brand-new-secret-7"}
    )

    assert response.status_code == 302
    assert mail.outbox[0].to == ["ada@example.test"]
    assert sign_in(Client(HTTP_HOST="localhost"), "ada@example.test", "a-brand-new-secret-7").status_code == 302
    assert sign_in(Client(HTTP_HOST="localhost"), "ada@example.test").status_code == 200  # old one is gone


def test_password_reset__link_used_twice__refused_second_time(web, user_factory):
    user_factory("ada@example.test")
    link = _reset_link(web, "ada@example.test")
    form = web.get(link, follow=True)
    set_url = form.redirect_chain[-1][0]
    web.post(set_url, {"new_password1": "a-brand-new-secret-7", "new_password2": "a-brand-new-secret-7"})

    again = Client(HTTP_HOST="localhost").get(link, follow=True)

    assert "invalid or was already used" in again.content.decode()


def test_password_reset__unknown_email__same_answer_no_mail(web):
    response = web.post("/accounts/password/reset/", {"email": "nobody@example.test"})

    assert response.status_code == 302
    assert mail.outbox == []


def test_password_reset__completed__lifts_lockout_for_that_email(web, sign_in, user_factory):
    user_factory("ada@example.test")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(Client(HTTP_HOST="localhost"), "ada@example.test", "wrong-password-123")
    assert sign_in(Client(HTTP_HOST="localhost"), "ada@example.test").status_code == 429

    link = _reset_link(web, "ada@example.test")
    set_url = web.get(link, follow=True).redirect_chain[-1][0]
    web.post(set_url, {"new_password1": "a-brand-new-secret-7", "new_password2": "a-brand-new-secret-7"})

    assert sign_in(Client(HTTP_HOST="localhost"), "ada@example.test", "a-brand-new-secret-7").status_code == 302
