from socialtraining import clock
from xapi.models import LrsConfig, LrsCursor, Source


def _url(world) -> str:
    return f"/org/{world.organization.slug}/xapi/"


def _form(**overrides) -> dict:
    return {
        "endpoint": "https://lrs.example.com/xapi/",
        "username": "key-123",
        "secret": "s3cret-value",
        "enabled": "on",
        **overrides,
    }


def test_it_saves_the_lrs_settings(world, client_for):
    response = client_for(world.manager).post(_url(world), _form(), follow=True)
    config = LrsConfig.objects.get(organization=world.organization)
    assert (config.endpoint, config.username, config.secret, config.enabled) == (
        "https://lrs.example.com/xapi",
        "key-123",
        "s3cret-value",
        True,
    )
    assert "LRS settings saved." in response.content.decode()


def test_it_never_shows_the_secret_back(world, client_for):
    client = client_for(world.manager)
    client.post(_url(world), _form())
    html = client.get(_url(world)).content.decode()
    assert "s3cret-value" not in html
    assert "A secret is stored" in html
    assert 'value="key-123"' in html


def test_it_keeps_the_stored_secret_when_left_blank(world, client_for):
    client = client_for(world.manager)
    client.post(_url(world), _form())
    client.post(_url(world), _form(secret="", username="key-456"))
    config = LrsConfig.objects.get(organization=world.organization)
    assert (config.username, config.secret) == ("key-456", "s3cret-value")


def test_it_asks_for_a_secret_the_first_time(world, client_for):
    response = client_for(world.manager).post(_url(world), _form(secret=""))
    assert response.status_code == 400
    assert "Enter the secret or password the LRS gave you." in response.content.decode()
    assert not LrsConfig.objects.exists()


def test_it_refuses_plain_http_to_another_host_and_keeps_the_input(world, client_for):
    response = client_for(world.manager).post(
        _url(world), _form(endpoint="http://lrs.example.com/xapi", username="kept-key")
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "Use an https:// address" in html
    assert 'value="http://lrs.example.com/xapi"' in html
    assert 'value="kept-key"' in html
    assert "s3cret-value" not in html
    assert not LrsConfig.objects.exists()


def test_it_accepts_plain_http_on_this_machine(world, client_for):
    client = client_for(world.manager)
    for endpoint in ("http://localhost:8080/xapi", "http://127.0.0.1:9000/lrs"):
        assert client.post(_url(world), _form(endpoint=endpoint)).status_code == 302
        assert LrsConfig.objects.get().endpoint == endpoint


def test_it_refuses_what_is_not_a_url(world, client_for):
    response = client_for(world.manager).post(_url(world), _form(endpoint="not a url"))
    assert response.status_code == 400
    assert "Enter a valid URL." in response.content.decode()


def test_it_shows_the_push_status(world, activity, client_for):
    config = LrsConfig.objects.create(
        organization=world.organization,
        endpoint="https://lrs.example.com/xapi",
        username="k",
        secret="distinctive-secret-9",
        last_success_at=clock.now(),
        last_error="The LRS refused the statements (HTTP 400: bad actor).",
        last_error_at=clock.now(),
        halted_at=clock.now(),
    )
    LrsCursor.objects.create(
        organization=world.organization, source=Source.POSTS, last_pk=activity.reply.pk
    )
    html = client_for(world.manager).get(_url(world)).content.decode()
    assert "HTTP 400: bad actor" in html
    assert "Stopped: the LRS refused the statements" in html
    # Nine statements, three of them posts at or before the cursor (article, question, reply).
    assert "6 statements" in html
    assert config.secret not in html


def test_it_resumes_a_stopped_push_and_starts_over_for_a_new_endpoint(world, client_for):
    LrsConfig.objects.create(
        organization=world.organization,
        endpoint="https://old.example.com/xapi",
        username="k",
        secret="s",
        last_error="refused",
        halted_at=clock.now(),
    )
    LrsCursor.objects.create(organization=world.organization, source=Source.POSTS, last_pk=9)
    client_for(world.manager).post(_url(world), _form(secret=""))
    config = LrsConfig.objects.get()
    assert (config.halted_at, config.last_error, config.secret) == (None, "", "s")
    assert not LrsCursor.objects.exists()


def test_it_lets_only_the_organisations_managers_in(world, client_for):
    for persona in ("instructor", "participant", "outsider"):
        client = client_for(getattr(world, persona))
        assert client.get(_url(world)).status_code == 404
        assert client.post(_url(world), _form()).status_code == 404
    assert not LrsConfig.objects.exists()
