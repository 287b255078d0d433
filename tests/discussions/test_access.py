"""Spaces: the cohort's for anyone in it, a study group's for its members and the teachers."""

import pytest
from django.http import Http404

from discussions import access
from discussions.models import Thread


def _feed(world, group=None):
    if group is None:
        return f"/cohorts/{world.cohort.pk}/discussions/"
    return f"/cohorts/{world.cohort.pk}/groups/{group.pk}/discussions/"


def _thread(world, thread):
    return f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/"


@pytest.mark.parametrize("persona", ["participant", "groupmate", "instructor", "manager"])
def test_it_shows_a_group_space_to_members_and_teachers(world, client_for, group_thread, persona):
    client = client_for(getattr(world, persona))
    assert "Blue only" in client.get(_feed(world, world.group)).content.decode()
    assert client.get(_thread(world, group_thread)).status_code == 200


def test_it_hides_a_group_space_from_a_participant_of_another_group(
    world, client_for, group_thread
):
    client = client_for(world.other_group_participant)
    assert client.get(_feed(world, world.group)).status_code == 404
    assert client.get(_thread(world, group_thread)).status_code == 404
    response = client.post(
        f"{_thread(world, group_thread)}reply/", {"body": "x", "idempotency_key": "k"}
    )
    assert response.status_code == 404


@pytest.mark.parametrize("persona", ["other_cohort_participant", "outsider"])
def test_it_hides_the_cohort_space_from_people_outside_the_cohort(
    world, client_for, thread, persona
):
    client = client_for(getattr(world, persona))
    assert client.get(_feed(world)).status_code == 404
    assert client.get(_thread(world, thread)).status_code == 404


def test_it_sends_anonymous_visitors_to_sign_in(world, client_for, thread):
    response = client_for(None).get(_thread(world, thread))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_it_finds_a_thread_only_under_its_own_cohort(world, client_for, thread):
    # The manager sees both cohorts, but the thread lives in one of them.
    url = f"/cohorts/{world.other_cohort.pk}/threads/{thread.pk}/"
    assert client_for(world.manager).get(url).status_code == 404


def test_it_lists_threads_of_the_cohort_and_of_the_groups_a_person_sees(
    world, thread, group_thread, other_group_thread
):
    from cohorts.access import get_cohort_for

    participant_cohort, participant_access = get_cohort_for(world.participant, world.cohort.pk)
    visible = set(
        Thread.objects.visible_to(world.participant, participant_cohort, participant_access)
    )
    assert visible == {thread, group_thread}
    instructor_cohort, instructor_access = get_cohort_for(world.instructor, world.cohort.pk)
    visible = set(Thread.objects.visible_to(world.instructor, instructor_cohort, instructor_access))
    assert visible == {thread, group_thread, other_group_thread}
    # A cohort loaded another way, without the access at hand: the same rule, asked again.
    assert set(Thread.objects.visible_to(world.participant, world.cohort)) == {
        thread,
        group_thread,
    }


def test_it_finds_a_post_only_in_its_own_thread(world, start_thread, reply_to):
    first, second = start_thread(title="One"), start_thread(title="Two")
    reply = reply_to(first)
    post, scope = access.get_post_for(world.participant, world.cohort.pk, first.pk, reply.pk)
    assert post == reply
    assert (scope.can_view, scope.can_teach) == (True, False)
    with pytest.raises(Http404):
        access.get_post_for(world.participant, world.cohort.pk, second.pk, reply.pk)
