import re

import pytest


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_it_counts_my_unread_notifications(alice_client, alice, bob, make_notifications):
    make_notifications(alice, 3)
    make_notifications(alice, 4, read=True)
    make_notifications(bob, 5)

    response = alice_client.get("/notifications/badge/", HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('<span id="unread-badge"')
    assert 'hx-get="/notifications/badge/"' in html
    assert '<span class="badge">3<span class="visually-hidden"> unread</span></span>' in html
    assert "<html" not in html
    assert "hx-swap-oob" not in html


def test_it_shows_no_count_when_all_is_read(alice_client, alice, make_notifications):
    make_notifications(alice, 2, read=True)

    html = alice_client.get("/notifications/badge/").content.decode()

    assert 'id="unread-badge"' in html
    assert 'class="badge"' not in html


def test_it_is_in_the_name_of_the_header_s_notifications_link(
    alice_client, alice, make_notifications
):
    make_notifications(alice, 2)
    html = alice_client.get("/notifications/").content.decode()
    link = re.search(r'<a href="/notifications/"[^>]*>(.*?)</a>', html, re.S)
    # No aria-label: the link's name is its text, count included ("Notifications 2 unread").
    assert "aria-label" not in link.group(0)
    text = " ".join(re.sub(r"<[^>]+>", " ", link.group(1)).split())
    assert text == "Notifications 2 unread"


def test_it_sends_visitors_to_sign_in(client, db):
    response = client.get("/notifications/badge/")
    assert response.status_code == 302


def test_it_answers_get_only(alice_client):
    assert alice_client.post("/notifications/badge/").status_code == 405


def test_it_costs_constant_queries(
    alice_client, alice, make_notifications, django_assert_max_num_queries
):
    make_notifications(alice, 50)
    with django_assert_max_num_queries(3):
        alice_client.get("/notifications/badge/")
