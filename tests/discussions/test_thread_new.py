from discussions.models import Post, Thread


def _url(world, group=None):
    if group is None:
        return f"/cohorts/{world.cohort.pk}/discussions/new/"
    return f"/cohorts/{world.cohort.pk}/groups/{group.pk}/discussions/new/"


def test_it_shows_a_form_with_a_fresh_idempotency_key(world, client_for):
    client = client_for(world.participant)
    first = client.get(_url(world)).content.decode()
    second = client.get(_url(world)).content.decode()
    assert 'name="idempotency_key"' in first

    def key_of(body):
        return body.split('name="idempotency_key" value="')[1].split('"')[0]

    assert key_of(first) != key_of(second)


def test_it_starts_a_question_in_the_cohort_space(world, client_for):
    response = client_for(world.participant).post(
        _url(world),
        {"kind": "question", "title": "Why SBI?", "body": "Does it work?", "idempotency_key": "k1"},
    )
    thread = Thread.objects.get()
    assert response["Location"] == f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/"
    assert thread.study_group is None and thread.kind == "question"
    assert Post.objects.get(thread=thread).body == "Does it work?"


def test_it_shares_an_article_in_a_study_group(world, client_for):
    client_for(world.participant).post(
        _url(world, world.group),
        {
            "kind": "article",
            "title": "Radical candor",
            "url": "https://example.com/candor",
            "body": "Worth a read.",
            "idempotency_key": "k2",
        },
    )
    thread = Thread.objects.get()
    assert thread.study_group == world.group and thread.url == "https://example.com/candor"


def test_it_makes_one_thread_of_a_double_click(world, client_for):
    client = client_for(world.participant)
    data = {"kind": "discussion", "title": "Hello", "body": "Hi all", "idempotency_key": "same"}
    first, second = client.post(_url(world), data), client.post(_url(world), data)
    assert first["Location"] == second["Location"]
    assert Thread.objects.count() == 1


def test_it_keeps_the_text_of_a_bad_article(world, client_for):
    response = client_for(world.participant).post(
        _url(world),
        {
            "kind": "article",
            "title": "My find",
            "body": "Read this <b>now</b>",
            "idempotency_key": "k",
        },
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "A shared article needs its link." in body
    assert 'value="My find"' in body and "Read this &lt;b&gt;now&lt;/b&gt;" in body
    assert not Thread.objects.exists()


def test_it_refuses_a_javascript_article_link(world, client_for):
    response = client_for(world.participant).post(
        _url(world),
        {
            "kind": "article",
            "title": "x",
            "url": "javascript:alert(1)",
            "body": "y",
            "idempotency_key": "k",
        },
    )
    assert response.status_code == 400
    assert not Thread.objects.exists()


def test_it_shows_the_rate_limit_and_keeps_the_text(world, client_for, settings, reply_to, thread):
    settings.POST_RATE_LIMIT = "1/10m"
    reply_to(thread, author=world.participant)
    response = client_for(world.participant).post(
        _url(world),
        {"kind": "discussion", "title": "Again", "body": "More", "idempotency_key": "k"},
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "You have reached the limit of 1 posts in 10 minutes." in body
    assert 'value="Again"' in body
