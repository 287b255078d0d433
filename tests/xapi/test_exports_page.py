"""The exports page: downloads and the Learning Record Store settings, for managers only."""

import pytest

from xapi.models import LrsEndpoint


def _url(world):
    return f"/org/{world.organization.slug}/exports/"


def _data(**overrides):
    data = {
        "url": "https://lrs.example.com/xapi/",
        "username": "key-123",
        "password": "s3cret",
        "enabled": "on",
    }
    return {**data, **overrides}


def test_it_shows_downloads_and_an_empty_lrs_form(world, client_for):
    page = client_for(world.manager).get(_url(world)).content.decode()
    assert f"/org/{world.organization.slug}/exports/xapi.json" in page
    assert f"/cohorts/{world.cohort.pk}/exports/xapi.json" in page
    assert "Learning Record Store" in page


def test_it_saves_an_lrs_and_never_shows_the_secret_again(
    world, client_for, django_capture_on_commit_callbacks
):
    client = client_for(world.manager)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(_url(world), _data())
    assert response.status_code == 302
    assert len(callbacks) == 1  # a first push is queued once the settings are saved
    endpoint = LrsEndpoint.objects.get(organization=world.organization)
    assert (endpoint.url, endpoint.username, endpoint.password) == (
        "https://lrs.example.com/xapi/",
        "key-123",
        "s3cret",
    )
    page = client.get(_url(world)).content.decode()
    assert "key-123" in page and "s3cret" not in page
    # Saving again without a password keeps the stored one.
    client.post(_url(world), _data(username="key-456", password=""))
    endpoint.refresh_from_db()
    assert (endpoint.username, endpoint.password) == ("key-456", "s3cret")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"url": "http://lrs.example.com/xapi/"}, "Use an https:// address"),
        ({"url": "not a url"}, "Enter a valid URL"),
        ({"password": ""}, "needs the secret"),
        ({"username": ""}, "This field is required"),
    ],
)
def test_it_refuses_bad_settings_clearly_and_keeps_what_was_typed(world, client_for, data, message):
    response = client_for(world.manager).post(_url(world), _data(**data))
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert "key-123" in page or data.get("username") == ""
    assert not LrsEndpoint.objects.exists()


def test_it_accepts_plain_http_only_on_this_machine(world, client_for):
    response = client_for(world.manager).post(_url(world), _data(url="http://127.0.0.1:9/xapi/"))
    assert response.status_code == 302


def test_it_shows_a_halt_and_pushes_again_on_request(
    world, client_for, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    endpoint = LrsEndpoint.objects.create(
        organization=world.organization,
        url="https://lrs.example.com/xapi/",
        username="k",
        password="p",
        halted_at=timezone.now(),
        last_error="The LRS refused the statements (401): bad credentials",
    )
    client = client_for(world.manager)
    page = client.get(_url(world)).content.decode()
    assert "the LRS refused statements" in page and "bad credentials" in page
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(f"/org/{world.organization.slug}/exports/lrs/retry/")
    assert response.status_code == 302 and len(callbacks) == 1
    endpoint.refresh_from_db()
    assert endpoint.halted_at is None


@pytest.mark.parametrize("who", ["instructor", "participant", "outsider"])
def test_it_is_for_the_organisation_s_managers_only(world, client_for, who):
    client = client_for(getattr(world, who))
    assert client.get(_url(world)).status_code == 404
    assert client.post(_url(world), _data()).status_code == 404
    assert client.post(f"/org/{world.organization.slug}/exports/lrs/retry/").status_code == 404
    assert not LrsEndpoint.objects.exists()
