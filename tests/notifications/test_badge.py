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
    assert '<span class="badge" aria-label="3 unread">3</span>' in html
    assert "<html" not in html
    assert "hx-swap-oob" not in html


def test_it_shows_no_count_when_all_is_read(alice_client, alice, make_notifications):
    make_notifications(alice, 2, read=True)

    html = alice_client.get("/notifications/badge/").content.decode()

    assert 'id="unread-badge"' in html
    assert 'class="badge"' not in html


def test_it_is_in_the_page_header(alice_client, alice, make_notifications):
    make_notifications(alice, 2)
    html = alice_client.get("/notifications/").content.decode()
    assert '<span class="badge" aria-label="2 unread">2</span>' in html


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
