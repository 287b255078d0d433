import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_it_sends_visitors_to_sign_in(client, db):
    response = client.get("/notifications/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_it_shows_only_my_notifications(alice_client, alice, bob, make_notifications):
    make_notifications(alice, 2)
    bob_notification = make_notifications(bob, 1)[0]
    bob_notification.title = "For Bob only"
    bob_notification.save(update_fields=["title"])

    response = alice_client.get("/notifications/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Event 0" in html and "Event 1" in html
    assert "For Bob only" not in html
    assert html.count('new<span class="visually-hidden">, unread</span>') == 2


def test_it_says_when_there_is_nothing(alice_client):
    response = alice_client.get("/notifications/")
    assert "Nothing new" in response.content.decode()


def test_it_paginates_newest_first(alice_client, alice, make_notifications):
    make_notifications(alice, 35)

    first = alice_client.get("/notifications/").content.decode()
    second = alice_client.get("/notifications/?page=2").content.decode()

    assert "Page 1 of 2" in first
    assert first.count('name="notification"') == 30
    assert second.count('name="notification"') == 5
    assert "Event 34" in first and "Event 0" in second


def test_it_costs_the_same_queries_whatever_the_number(alice_client, alice, make_notifications):
    make_notifications(alice, 2)
    with CaptureQueriesContext(connection) as few:
        assert alice_client.get("/notifications/").status_code == 200

    make_notifications(alice, 100)
    make_notifications(alice, 100, read=True)
    with CaptureQueriesContext(connection) as many:
        assert alice_client.get("/notifications/?page=3").status_code == 200

    assert len(many) == len(few)


def test_it_stays_within_its_query_budget(
    alice_client, alice, make_notifications, django_assert_max_num_queries
):
    make_notifications(alice, 60)
    with django_assert_max_num_queries(5):
        alice_client.get("/notifications/")
