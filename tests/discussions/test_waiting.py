"""The home page's "New in your discussions": threads never opened or with others' new posts."""

from discussions import follows


def test_it_lists_new_threads_and_new_replies_a_participant_may_see(
    world, client_for, start_thread, reply_to
):
    mine = start_thread(author=world.participant, title="My own question")
    new = start_thread(title="A new question")
    group = start_thread(study_group=world.group, title="Blue only")
    hidden = start_thread(study_group=world.other_group, title="Green only")
    client = client_for(world.participant)
    body = client.get("/").text
    assert "New in your discussions" in body
    assert new.title in body and group.title in body
    assert mine.title not in body and hidden.title not in body
    # Read, then a peer replies: one new post waits.
    follows.thread_mark_read(thread=mine, user=world.participant)
    reply_to(mine, author=world.groupmate)
    body = client.get("/").text
    assert "My own question" in body and "1 new" in body


def test_it_says_nothing_when_nothing_is_new(world, client_for):
    assert "New in your discussions" not in client_for(world.participant).get("/").text


def test_it_lists_them_on_the_home_page_and_the_cohort_s_overview(world, client_for, start_thread):
    new = start_thread(title="A new question")
    client = client_for(world.participant)
    home = client.get("/").text
    overview = client.get(f"/cohorts/{world.cohort.pk}/").text
    link = f'href="/cohorts/{world.cohort.pk}/threads/{new.pk}/"'
    assert "New in your discussions" in home and link in home
    assert "New in your discussions" in overview and link in overview
    # What waits is a participant's list: the instructor who started the thread gets none.
    assert "New in your discussions" not in client_for(world.instructor).get("/").text
