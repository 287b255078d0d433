"""The @mention autocomplete: up to 8 people who see the space, matching a prefix."""

import re

from cohorts.models import CohortRole
from tests import factories


def _url(world, thread, q):
    return f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/mentions/?q={q}"


def test_it_lists_members_matching_a_prefix_of_any_word(world, client_for, thread):
    world.groupmate.display_name = "Ana Lima"
    world.groupmate.save(update_fields=["display_name"])
    client = client_for(world.participant)
    for q in ("an", "Lim"):
        body = client.get(_url(world, thread, q)).content.decode()
        assert 'role="option"' in body and 'data-mention-name="Ana Lima"' in body
    assert "Ana Lima" not in client.get(_url(world, thread, "zz")).content.decode()


def test_it_lists_at_most_eight_and_no_email_addresses(world, client_for, thread):
    for n in range(12):
        user = factories.UserFactory(display_name=f"Sam {n}", email=f"sam{n}@example.test")
        factories.EnrolmentFactory(cohort=world.cohort, user=user)
    body = client_for(world.participant).get(_url(world, thread, "sam")).content.decode()
    assert body.count("data-mention-name=") == 8
    assert "@example.test" not in body


def test_it_offers_only_people_of_a_study_group_space(world, client_for, group_thread):
    world.other_group_participant.display_name = "Gil Green"
    world.other_group_participant.save(update_fields=["display_name"])
    world.groupmate.display_name = "Gina Blue"
    world.groupmate.save(update_fields=["display_name"])
    body = client_for(world.participant).get(_url(world, group_thread, "gi")).content.decode()
    assert "Gina Blue" in body and "Gil Green" not in body


def test_it_is_a_404_outside_the_space(world, client_for, other_group_thread):
    client = client_for(world.participant)
    assert client.get(_url(world, other_group_thread, "a")).status_code == 404
    group_url = f"/cohorts/{world.cohort.pk}/groups/{world.other_group.pk}/discussions/mentions/"
    assert client.get(group_url).status_code == 404
    assert (
        client_for(world.outsider)
        .get(f"/cohorts/{world.cohort.pk}/discussions/mentions/?q=a")
        .status_code
        == 404
    )


def test_it_costs_a_constant_number_of_queries(
    world, client_for, thread, django_assert_max_num_queries
):
    for _ in range(30):
        factories.EnrolmentFactory(
            cohort=world.cohort, user=factories.UserFactory(), role=CohortRole.PARTICIPANT
        )
    client = client_for(world.participant)
    with django_assert_max_num_queries(8):
        response = client.get(_url(world, thread, ""))
    assert response.content.decode().count("data-mention-name=") == 8


def test_it_marks_reply_comment_and_new_thread_textareas(world, client_for, thread, reply_to):
    reply = reply_to(thread)
    client = client_for(world.participant)
    page = client.get(f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/").content.decode()
    assert page.count("data-mentions") >= 2  # the reply form and the source's URL
    assert f'data-mentions-url="/cohorts/{world.cohort.pk}/threads/{thread.pk}/mentions/"' in page
    # A comment form comes on demand, into the page that holds the source.
    comment = client.get(
        f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/posts/{reply.pk}/comment/",
        headers={"HX-Request": "true"},
    ).content.decode()
    assert re.search(r"<textarea [^>]*data-mentions", comment)
    new = client.get(f"/cohorts/{world.cohort.pk}/discussions/new/").content.decode()
    assert f'data-mentions-url="/cohorts/{world.cohort.pk}/discussions/mentions/"' in new
