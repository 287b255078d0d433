import re

from django.core import mail

from tests.factories import PASSWORD, UserFactory

LOGIN = "/accounts/login/"


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_it_renders_the_sign_in_page_in_our_layout(client, db):
    body = client.get(LOGIN).content.decode()
    assert "Skip to content" in body
    assert "accounts/auth.css" in body
    assert '<label for="id_login">Email</label>' in body
    assert 'class="button-block" type="submit"' in body
    assert "Send me a sign-in code" in body
    assert 'href="/accounts/password/reset/"' in body


def test_it_signs_in_a_verified_person_with_a_password(client, db):
    UserFactory(email="ada@example.test")
    response = client.post(LOGIN, {"login": "Ada@Example.test", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert _signed_in(client)


def test_it_refuses_a_wrong_password_with_a_clear_message(client, db):
    UserFactory(email="ada@example.test")
    response = client.post(LOGIN, {"login": "ada@example.test", "password": "wrong"})
    assert response.status_code == 200
    assert "not correct" in response.content.decode()
    assert 'value="ada@example.test"' in response.content.decode()
    assert not _signed_in(client)


def test_it_refuses_sign_in_after_repeated_failures(client, db):
    UserFactory(email="ada@example.test")
    for _ in range(5):
        client.post(LOGIN, {"login": "ada@example.test", "password": "wrong"})
    response = client.post(LOGIN, {"login": "ada@example.test", "password": PASSWORD})
    assert "Too many failed login attempts" in response.content.decode()
    assert not _signed_in(client)


def test_it_lets_the_owner_sign_in_while_a_stranger_is_locked_out(client, db):
    UserFactory(email="ada@example.test")
    stranger = {"REMOTE_ADDR": "203.0.113.9"}
    for _ in range(5):
        client.post(LOGIN, {"login": "ada@example.test", "password": "wrong"}, **stranger)
    refused = client.post(LOGIN, {"login": "ada@example.test", "password": PASSWORD}, **stranger)
    assert "Too many failed login attempts" in refused.content.decode()
    assert not _signed_in(client)

    response = client.post(LOGIN, {"login": "ada@example.test", "password": PASSWORD})
    assert response.status_code == 302
    assert _signed_in(client)


def test_it_tells_clients_apart_behind_the_trusted_proxy(client, db, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    UserFactory(email="ada@example.test")
    # Both come through the TLS proxy, which names each client in X-Forwarded-For.
    stranger = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    owner = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "198.51.100.7"}
    for _ in range(5):
        client.post(LOGIN, {"login": "ada@example.test", "password": "wrong"}, **stranger)
    refused = client.post(LOGIN, {"login": "ada@example.test", "password": PASSWORD}, **stranger)
    assert "Too many failed login attempts" in refused.content.decode()

    response = client.post(LOGIN, {"login": "ada@example.test", "password": PASSWORD}, **owner)
    assert response.status_code == 302
    assert _signed_in(client)


def test_it_signs_in_with_a_mailed_code(client, db, mail_body, django_capture_on_commit_callbacks):
    UserFactory(email="ada@example.test")
    page = client.get("/accounts/login/code/").content.decode()
    assert "Skip to content" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/login/code/", {"email": "ada@example.test"})
    assert response.status_code == 302
    body = mail_body("ada@example.test")
    # The mail went through the outbox (our adapter), not straight to SMTP.
    assert mail.outbox[0].extra_headers["X-Outbox-Key"].startswith("allauth:account/email/login")
    code = re.search(r"browser window\.\s+(\S+)\s", body).group(1)

    response = client.post(response["Location"], {"code": code})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert _signed_in(client)


def test_it_rejects_a_wrong_code(client, db, django_capture_on_commit_callbacks):
    UserFactory(email="ada@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/login/code/", {"email": "ada@example.test"})
    response = client.post(response["Location"], {"code": "NOPE42"})
    assert response.status_code == 200
    assert "Incorrect code." in response.content.decode()
    assert not _signed_in(client)


def test_it_mails_a_password_reset_link_through_the_outbox(
    client, db, mail_body, django_capture_on_commit_callbacks
):
    UserFactory(email="ada@example.test")
    assert "Skip to content" in client.get("/accounts/password/reset/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/password/reset/", {"email": "ada@example.test"})
    assert response.status_code == 302
    body = mail_body("ada@example.test")
    assert "/accounts/password/reset/key/" in body
    assert mail.outbox[0].subject.startswith("[Social training] ")
    assert "X-Outbox-Key" in mail.outbox[0].extra_headers


def test_it_shows_sign_up_closed_in_our_layout_by_default(client, db):
    response = client.get("/accounts/signup/")
    body = response.content.decode()
    assert "Sign Up Closed" in body
    assert "Skip to content" in body
    assert 'name="password1"' not in body


def test_it_shows_the_sign_up_form_when_sign_up_is_open(client, db, settings):
    settings.OPEN_SIGNUP = True
    body = client.get("/accounts/signup/").content.decode()
    assert "Sign Up Closed" not in body
    assert 'name="email"' in body
    assert 'name="password1"' in body
    assert "Skip to content" in body


def test_it_says_people_join_by_invitation_on_the_sign_in_page(client, db):
    body = client.get("/accounts/login/").content.decode()
    assert "People join by invitation" in body
    assert "/accounts/signup/" not in body


def test_it_links_to_sign_up_from_sign_in_when_sign_up_is_open(client, db, settings):
    settings.OPEN_SIGNUP = True
    body = client.get("/accounts/login/").content.decode()
    assert "/accounts/signup/" in body
