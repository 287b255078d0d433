from django.test import Client, RequestFactory
from django.views.defaults import server_error


def test_it_explains_a_missing_page_in_the_site_layout(client_for, world):
    response = client_for(world.participant).get("/cohorts/999999/")
    assert response.status_code == 404
    assert "We could not find that page" in response.text
    assert 'href="/"' in response.text


def test_it_explains_an_expired_form_instead_of_a_bare_403(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.participant)
    response = client.post("/accounts/logout/")
    assert response.status_code == 403
    assert "That form had expired" in response.text


def test_it_renders_the_server_error_page_without_any_context(db):
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()
