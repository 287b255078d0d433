from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from tests import factories


def test_it_shows_a_coach_only_their_own_people(world, client_for):
    body = client_for(world.coach).get("/coaching/").content.decode()
    assert world.participant.name in body
    assert world.other_group_participant.name not in body
    assert world.groupmate.name not in body
    assert world.cohort.name in body


def test_it_tells_someone_who_coaches_nobody(world, client_for):
    body = client_for(world.instructor).get("/coaching/").content.decode()
    assert "You coach nobody yet." in body


def test_it_shows_participation_and_knowledge_but_never_anonymous_answers(
    world, client_for, coached_world
):
    coach = factories.UserFactory()
    [enrolment] = coached_world(coach, world.organization, per_cohort=1, cohorts=1)
    client = client_for(coach)
    home = client.get("/coaching/").content.decode()
    # One post and one reply, one spark answered and right, one knowledge check right after and
    # one at +30: the anonymous check's two submissions count nowhere.
    assert (
        "<td>1</td>\n            <td>1</td>\n            <td>1 (1)</td>\n            <td>2</td>"
        in home
    )
    page = client.get(f"/coaching/people/{enrolment.pk}/").content.decode()
    assert '<th scope="row">Name the impact</th>' in page
    assert "<td>100% (1 of 1)</td>\n            <td>0% (0 of 1)</td>" in page
    assert "My private reflection" not in page and "My private reflection" not in home


def test_it_costs_the_same_queries_for_3_and_30_people_in_3_cohorts(
    world, client_for, coached_world, django_assert_max_num_queries
):
    counts = []
    for per_cohort in (1, 10):
        coach = factories.UserFactory()
        factories.MembershipFactory(organization=world.organization, user=coach, role=Role.COACH)
        enrolments = coached_world(coach, world.organization, per_cohort=per_cohort)
        client = client_for(coach)
        with CaptureQueriesContext(connection) as queries:
            body = client.get("/coaching/").content.decode()
        counts.append(len(queries))
        assert body.count('href="/coaching/people/') == len(enrolments) == 3 * per_cohort
    assert counts[0] == counts[1], counts
    with django_assert_max_num_queries(10):
        client.get("/coaching/")


def test_it_shows_the_home_page_card_to_coaches_only(world, client_for):
    home = client_for(world.coach).get("/").content.decode()
    assert "You coach 1 person" in home
    assert 'href="/coaching/"' in home
    nothing = client_for(world.manager).get("/").content.decode()
    assert "People you coach" not in nothing
