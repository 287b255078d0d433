import pytest
from django.test import Client

from notifications.models import Notification


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice, backend="django.contrib.auth.backends.ModelBackend")
    return client


def unread_titles(user) -> list[str]:
    return sorted(
        Notification.objects.filter(user=user, read_at__isnull=True).values_list("title", flat=True)
    )


def test_it_marks_one_read(alice_client, alice, make_notifications):
    first, _ = make_notifications(alice, 2)

    response = alice_client.post("/notifications/read/", {"notification": first.pk})

    assert response.status_code == 302
    assert response.url == "/notifications/"
    assert unread_titles(alice) == ["Event 1"]


def test_it_marks_all_mine_read(alice_client, alice, bob, make_notifications):
    make_notifications(alice, 3)
    make_notifications(bob, 2)

    response = alice_client.post("/notifications/read/")

    assert response.status_code == 302
    assert unread_titles(alice) == []
    assert unread_titles(bob) == ["Event 0", "Event 1"]


def test_it_answers_htmx_with_the_list_fragment(alice_client, alice, make_notifications):
    first, _ = make_notifications(alice, 2)

    response = alice_client.post(
        "/notifications/read/", {"notification": first.pk, "page": "1"}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="notification-list"')
    assert "<html" not in html
    assert html.count('new<span class="visually-hidden">, unread</span>') == 1
    assert unread_titles(alice) == ["Event 1"]
    # The header badge follows, out of band.
    badge = html[html.index('<span id="unread-badge"') :]
    assert 'hx-swap-oob="true"' in badge
    assert '<span class="badge">1<span class="visually-hidden"> unread</span></span>' in badge


def test_it_never_marks_someone_elses_notification(client, alice, bob, make_notifications):
    [alices] = make_notifications(alice, 1)
    make_notifications(bob, 1)
    client.force_login(bob, backend="django.contrib.auth.backends.ModelBackend")

    client.post("/notifications/read/", {"notification": alices.pk})
    client.post("/notifications/read/", {"notification": alices.pk}, HTTP_HX_REQUEST="true")

    assert unread_titles(alice) == ["Event 0"]
    assert unread_titles(bob) == ["Event 0"]


def test_it_ignores_a_malformed_id(alice_client, alice, make_notifications):
    make_notifications(alice, 2)

    response = alice_client.post("/notifications/read/", {"notification": "1 OR 1=1"})

    assert response.status_code == 302
    # A malformed id reads as "all": the person asked to mark something read, and it is theirs.
    assert unread_titles(alice) == []


def test_it_refuses_a_post_without_csrf_token(alice, make_notifications):
    make_notifications(alice, 1)
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice, backend="django.contrib.auth.backends.ModelBackend")

    assert client.post("/notifications/read/").status_code == 403
    assert client.post("/notifications/read/", HTTP_HX_REQUEST="true").status_code == 403
    assert unread_titles(alice) == ["Event 0"]


def test_it_accepts_the_token_from_the_page_and_from_htmx_headers(alice, make_notifications):
    first, _ = make_notifications(alice, 2)
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice, backend="django.contrib.auth.backends.ModelBackend")
    page = client.get("/notifications/")
    token = str(page.context["csrf_token"])

    response = client.post(
        "/notifications/read/", {"notification": first.pk, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert unread_titles(alice) == ["Event 1"]

    # htmx sends the token from hx-headers on <body>.
    assert f'hx-headers=\'{{"X-CSRFToken": "{token}"}}\'' in page.content.decode()
    response = client.post("/notifications/read/", HTTP_HX_REQUEST="true", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200
    assert unread_titles(alice) == []


def test_it_sends_visitors_to_sign_in(client, db):
    assert client.post("/notifications/read/").status_code == 302


def test_it_answers_post_only(alice_client):
    assert alice_client.get("/notifications/read/").status_code == 405
